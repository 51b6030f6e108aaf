#include "models/workload/kernel_iteration_cost.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace models {

namespace kc = kernels::cost;

namespace {

kc::NumberFormat format_of(DType t) {
  switch (t) {
    case DType::fp32:
      return kc::NumberFormat::fp32;
    case DType::bf16:
      return kc::NumberFormat::bf16;
    case DType::fp16:
      return kc::NumberFormat::fp16;
    case DType::fp8:
      return kc::NumberFormat::fp8;
    case DType::fp4:
      return kc::NumberFormat::fp8;  // no fp4 kernels modelled: costed as fp8
  }
  return kc::NumberFormat::bf16;
}

// Standard normal CDF.
double phi(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

}  // namespace

double expected_max_standard_normal(int n) {
  if (n <= 1) return 0;
  const double p = (n - 0.375) / (n + 0.25);
  // Phi^-1 by bisection: Phi is monotone, and 200 halvings of [-40, 40] reach double precision.
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (phi(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double expected_max_expert_load(const MoeSpec& moe, double tokens, int ep) {
  if (tokens <= 0) return 0;
  const double e = moe.routed_experts;
  const double k = moe.active_experts;
  const double n = ep;
  const double mean = tokens * k / n;
  if (ep <= 1) return mean;
  const double var = tokens * k * (1 / n) * (1 - 1 / n) * (e - k) / (e - 1);
  const double cap = tokens * std::min(k, e / n);
  return std::min(cap, mean + expected_max_standard_normal(ep) * std::sqrt(var));
}

BatchShape heaviest_share(const BatchShape& batch, int parts) {
  if (parts <= 1) return batch;
  std::vector<BatchShape> shares(static_cast<std::size_t>(parts));
  const auto p = static_cast<std::size_t>(parts);
  if (batch.decode_contexts.size() == static_cast<std::size_t>(batch.decodes)) {
    for (std::size_t i = 0; i < batch.decode_contexts.size(); ++i) {
      BatchShape& s = shares[i % p];
      ++s.decodes;
      s.decode_context_sum += static_cast<double>(batch.decode_contexts[i]);
      s.decode_contexts.push_back(batch.decode_contexts[i]);
    }
  } else {  // only the sum is known: the mean context for each
    const double mean =
        batch.decodes > 0 ? batch.decode_context_sum / static_cast<double>(batch.decodes) : 0;
    for (std::int64_t i = 0; i < batch.decodes; ++i) {
      BatchShape& s = shares[static_cast<std::size_t>(i) % p];
      ++s.decodes;
      s.decode_context_sum += mean;
    }
  }
  for (const PrefillChunk& c : batch.prefills) {
    auto lightest =
        std::min_element(shares.begin(), shares.end(),
                         [](const auto& a, const auto& b) { return a.tokens() < b.tokens(); });
    lightest->prefills.push_back(c);
  }
  return *std::max_element(shares.begin(), shares.end(),
                           [](const auto& a, const auto& b) { return a.tokens() < b.tokens(); });
}

KernelIterationCost::KernelIterationCost(const LlmSpec& llm, const GpuSpec& gpu,
                                         Precision precision, int tp,
                                         std::shared_ptr<const kc::KernelCostModel> model,
                                         HostCost host, ServingParallelism parallel)
    : llm_(llm),
      precision_(precision),
      tp_(tp),
      model_(std::move(model)),
      host_(host),
      parallel_(std::move(parallel)),
      ring_{gpu.scale_up_one_direction(), gpu.scale_up_step_latency, gpu.scale_up_efficiency} {
  const auto peak = gpu.peak(precision.compute);
  if (!peak)
    throw std::invalid_argument(gpu.name + " has no " + std::string(to_string(precision.compute)) +
                                " peak");
  if (!model_) throw std::invalid_argument("KernelIterationCost: no kernel cost model");
  const int ep = parallel_.expert_parallel, pp = parallel_.pipeline_parallel;
  if (ep < 1 || pp < 1)
    throw std::invalid_argument("KernelIterationCost: parallelism must be >= 1");
  if (ep > 1 && (!llm_.moe || ep % tp != 0 || llm_.moe->routed_experts % ep != 0))
    throw std::invalid_argument(
        "KernelIterationCost: expert parallelism needs a MoE model, ep a multiple of tp and "
        "dividing the routed experts");
  if ((ep > 1 || pp > 1) && !parallel_.network)
    throw std::invalid_argument(
        "KernelIterationCost: expert or pipeline parallelism needs a network");
  // Only the SM count (wave quantization) of the catalog device is used, not its SM clock and
  // L2 size (kc::catalog_device). Measured end to end (`firstwall validate splitwise`, A100,
  // 15.5 ms overhead; median errors Llama-2-70B / BLOOM-176B):
  //   SM count only 7.28 / 5.59 %;  + L2 term 7.52 / 5.88 %;  + SM clock 8.49 / 42.81 %.
  // The SM-clock harm is entirely LayerNorm's row-wise SM term (removing it from the
  // calibration: BLOOM 5.59 %): fitted on phi-2 alone, 2,560-wide rows, its bytes per cycle
  // per thread block do not carry over to BLOOM's 14,336-wide rows (PyTorch sizes the block
  // with the row). Without that term the clock gains nothing either (Llama 7.65 % at the best
  // overhead, 14 ms). Until the fit covers several row widths per class, serving leaves the
  // SM-side and L2 terms out.
  device_.name = gpu.name;
  device_.peak_flops = *peak;
  device_.memory_bandwidth = gpu.hbm_bandwidth;
  device_.sm_count = kc::known_sm_count(gpu.name);
}

int KernelIterationCost::attention_groups() const {
  return parallel_.expert_parallel > 1 ? parallel_.expert_parallel / tp_ : 1;
}

std::vector<CountedCall> KernelIterationCost::calls(const BatchShape& batch) const {
  const int pp = parallel_.pipeline_parallel;
  const std::int64_t micro_tokens = (batch.tokens() + pp - 1) / pp;
  return calls_of(heaviest_share(batch, pp * attention_groups()), micro_tokens);
}

std::vector<CountedCall> KernelIterationCost::calls_of(const BatchShape& batch,
                                                       std::int64_t moe_tokens) const {
  std::vector<CountedCall> out;
  const std::int64_t t = batch.tokens();
  if (t == 0) return out;
  const std::int64_t tp = tp_;
  const std::int64_t h = llm_.hidden;
  const double stages = parallel_.pipeline_parallel;
  const double layers = llm_.layers / stages;  // the mean stage's (file comment)
  const kc::NumberFormat f = format_of(precision_.compute);
  const kc::NumberFormat act = format_of(precision_.activations);
  const kc::NumberFormat kv = format_of(precision_.kv_cache);
  const std::int64_t heads = llm_.heads / tp;
  auto gemm = [&](std::int64_t m, std::int64_t n, std::int64_t k, double count) {
    if (m > 0 && n > 0 && k > 0) out.push_back({kc::Gemm{m, n, k, f}, count});
  };
  auto norm = [&](std::int64_t rows, double count) {
    out.push_back(
        {llm_.ffn == FfnKind::gelu ? kc::layer_norm(rows, h, act) : kc::rms_norm(rows, h, act),
         count});
  };

  out.push_back({kc::embedding(t, h, act), 1});

  // Attention block.
  norm(t, layers);
  std::int64_t logits = batch.decodes;
  for (const PrefillChunk& c : batch.prefills) logits += c.last ? 1 : 0;
  if (llm_.attention == AttentionKind::gqa) {
    const std::int64_t kvh = std::max<std::int64_t>(1, llm_.kv_heads / tp);
    const std::int64_t hd = llm_.head_dim;
    gemm(t, (heads + 2 * kvh) * hd, h, layers);
    if (llm_.position == PositionKind::rope)
      out.push_back({kc::rope(t, heads, kvh, hd, act), layers});
    const kc::AttentionShape shape{heads, kvh, hd, hd, false, act, kv};
    if (!batch.prefills.empty()) {
      kc::AttentionPrefill p{shape, {}};
      for (const PrefillChunk& c : batch.prefills)
        p.requests.push_back({c.tokens, c.past + c.tokens});
      out.push_back({p, layers});
    }
    gemm(t, h, heads * hd, layers);
  } else {
    const MlaSpec& a = *llm_.mla;
    const std::int64_t qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    if (a.q_lora_rank > 0) {
      gemm(t, a.q_lora_rank, h, layers);
      gemm(t, heads * qk, a.q_lora_rank, layers);
    } else {
      gemm(t, heads * qk, h, layers);
    }
    gemm(t, a.kv_lora_rank + a.qk_rope_head_dim, h, layers);
    out.push_back({kc::rope(t, heads, 1, a.qk_rope_head_dim, act), layers});
    if (!batch.prefills.empty()) {
      // Naive form: up-project K_nope and V of every context token of each chunk, then MHA.
      std::int64_t context = 0;
      kc::AttentionPrefill p{kc::AttentionShape{heads, heads, qk, a.v_head_dim, false, act, kv},
                             {}};
      for (const PrefillChunk& c : batch.prefills) {
        context += c.past + c.tokens;
        p.requests.push_back({c.tokens, c.past + c.tokens});
      }
      gemm(context, heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, layers);
      out.push_back({p, layers});
    }
    if (batch.decodes > 0) {
      // Absorbed form: q_nope -> latent (W_UK) and latent -> v (W_UV), each head with its own
      // matrix, all heads in one batched GEMM.
      out.push_back(
          {kc::Gemm{batch.decodes, a.kv_lora_rank, a.qk_nope_head_dim, f, heads}, layers});
      out.push_back({kc::Gemm{batch.decodes, a.v_head_dim, a.kv_lora_rank, f, heads}, layers});
    }
    gemm(t, h, heads * a.v_head_dim, layers);
  }
  if (batch.decodes > 0) {
    // Decode attention over each request's context (the mean when only the sum is known).
    const kc::AttentionShape shape =
        llm_.attention == AttentionKind::mla
            ? kc::mla_absorbed(heads, llm_.mla->kv_lora_rank, llm_.mla->qk_rope_head_dim, act, kv)
            : kc::AttentionShape{heads,
                                 std::max<std::int64_t>(1, llm_.kv_heads / tp),
                                 llm_.head_dim,
                                 llm_.head_dim,
                                 false,
                                 act,
                                 kv};
    std::vector<std::int64_t> contexts = batch.decode_contexts;
    if (contexts.size() != static_cast<std::size_t>(batch.decodes)) {
      const auto mean =
          static_cast<std::int64_t>(batch.decode_context_sum / static_cast<double>(batch.decodes));
      contexts.assign(static_cast<std::size_t>(batch.decodes), std::max<std::int64_t>(1, mean));
    }
    out.push_back({kc::AttentionDecode{shape, std::move(contexts)}, layers});
  }
  out.push_back({kc::residual_add(t, h, 2, act), layers});

  // FFN block.
  norm(t, layers);
  const bool gated = llm_.ffn == FfnKind::swiglu;
  auto ffn = [&](std::int64_t rows, std::int64_t width, double count) {
    gemm(rows, (gated ? 2 : 1) * width, h, count);
    out.push_back({gated ? kc::silu_mul(rows, width, act) : kc::gelu(rows, width, act), count});
    gemm(rows, h, width, count);
  };
  if (llm_.moe) {
    const MoeSpec& e = *llm_.moe;
    const double dense_layers = e.dense_layers / stages;
    const double moe_layers = layers - dense_layers;
    if (e.dense_layers > 0) ffn(t, llm_.ffn_hidden / tp, dense_layers);
    gemm(t, e.routed_experts, h, moe_layers);
    // The routed experts this GPU runs, as one grouped GEMM per projection: under tensor
    // parallelism every expert the batch touches, sharded; under expert parallelism the
    // GPU's own experts, whole, with the load of the most loaded GPU (file comment).
    const int ep = parallel_.expert_parallel;
    const double routed = ep > 1 ? static_cast<double>(moe_tokens) : static_cast<double>(t);
    const double local_experts = static_cast<double>(e.routed_experts) / ep;
    const double touched = expected_distinct_experts(e, routed) / ep;  // of this GPU's
    const double pairs =
        ep > 1 ? expected_max_expert_load(e, routed, ep) : routed * e.active_experts;
    const auto groups = std::clamp<std::int64_t>(std::llround(touched), 1,
                                                 static_cast<std::int64_t>(local_experts));
    const auto rows =
        static_cast<std::int64_t>(std::max(1.0, std::ceil(pairs / static_cast<double>(groups))));
    const std::int64_t width = ep > 1 ? e.expert_ffn_hidden : e.expert_ffn_hidden / tp;
    out.push_back({kc::Gemm{rows, (gated ? 2 : 1) * width, h, f, groups}, moe_layers});
    out.push_back(
        {gated ? kc::silu_mul(rows * groups, width, act) : kc::gelu(rows * groups, width, act),
         moe_layers});
    out.push_back({kc::Gemm{rows, h, width, f, groups}, moe_layers});
    if (e.shared_experts > 0) ffn(t, e.shared_experts * e.expert_ffn_hidden / tp, moe_layers);
  } else {
    ffn(t, llm_.ffn_hidden / tp, layers);
  }
  out.push_back({kc::residual_add(t, h, 2, act), layers});

  norm(t, 1);
  gemm(logits, llm_.vocab / tp, h, 1);
  return out;
}

IterationCost KernelIterationCost::cost(const BatchShape& batch, double clock_ratio) const {
  IterationCost c;
  kc::check_clock_ratio(clock_ratio);
  const int pp = parallel_.pipeline_parallel;
  const int ep = parallel_.expert_parallel;
  // One microbatch of the heaviest attention group on the mean stage (file comment).
  const std::int64_t micro_tokens = (batch.tokens() + pp - 1) / pp;
  const BatchShape local = heaviest_share(batch, pp * attention_groups());
  double flops = 0, bytes = 0, seconds = 0;
  double compute_bound = 0, memory_bound = 0, clocked = 0;
  double launches = 0;
  for (const CountedCall& cc : calls_of(local, micro_tokens)) {
    launches += cc.count;
    const kc::KernelWork w = kc::work(cc.call);
    flops += cc.count * w.flops.value();
    bytes += cc.count * w.bytes.value();
    const kc::KernelTime k = model_->split(cc.call, device_);
    seconds += cc.count * k.at(clock_ratio).value();
    (k.compute_bound() ? compute_bound : memory_bound) += cc.count * k.total().value();
    clocked += cc.count * k.clocked.value();
  }
  const double act_bytes = bytes_per_element(precision_.activations);
  const sim::Bytes allreduce(static_cast<double>(local.tokens()) * llm_.hidden * act_bytes);
  const double stage_layers = static_cast<double>(llm_.layers) / pp;
  const double allreduces = local.tokens() > 0 ? 2.0 * stage_layers : 0;
  c.flops_per_gpu = sim::Flops(flops);
  c.hbm_bytes_per_gpu = sim::Bytes(bytes);
  c.comm_time = allreduces * ring_.time(allreduce, tp_);
  c.link_bytes_per_gpu = allreduces * RingAllReduce::bytes_sent_per_gpu(allreduce, tp_);
  c.tp_ring_bytes_per_gpu = c.link_bytes_per_gpu;
  // Each all-reduce is one more kernel (NCCL) to issue.
  launches += allreduces;
  if (ep > 1 && local.tokens() > 0) {
    // Dispatch and combine: each GPU sends its T / ep tokens' k copies (S / ep to each GPU).
    const double moe_layers = (llm_.layers - llm_.moe->dense_layers) / static_cast<double>(pp);
    const sim::Bytes s(static_cast<double>(micro_tokens) * llm_.moe->active_experts * llm_.hidden *
                       act_bytes / ep);
    const training::CommGroup group{ep, std::min(ep, parallel_.gpus_per_node)};
    const sim::Seconds all_to_alls = 2 * moe_layers * parallel_.network->all_to_all(s, group);
    c.comm_time += all_to_alls;
    c.link_bytes_per_gpu += 2 * moe_layers * s * ((ep - 1.0) / ep);
    // Each GPU's share to each other member; the tp - 1 of them in its own group (the
    // replica's GPU groups are its tensor-parallel groups) are reached over its NVSwitch.
    c.ep_in_group_bytes_per_gpu = 2 * moe_layers * s / static_cast<double>(ep) * (tp_ - 1.0);
    if (ep > parallel_.gpus_per_node) {  // the group spans domains: the NICs carry it
      c.scale_out_comm += all_to_alls;
      c.all_to_all_pair = 2 * moe_layers * s / static_cast<double>(ep);
    }
    launches += 2 * moe_layers;
  }
  sim::Seconds send(0);
  if (pp > 1 && local.tokens() > 0) {
    // The microbatch's activations to the next stage: over NVLink when the whole pipeline is in
    // one scale-up domain, else over the NICs (stages are placed server after server).
    const int stage_gpus = tp_ * attention_groups();
    const bool one_domain = stage_gpus * pp <= parallel_.gpus_per_node;
    const sim::Bytes s(static_cast<double>(local.tokens()) * llm_.hidden * act_bytes);
    send = parallel_.network->send_recv(s, training::CommGroup{2, one_domain ? 2 : 1});
    c.link_bytes_per_gpu += s;
    if (!one_domain) {
      c.scale_out_comm += send;
      c.stage_send = s;
    }
    launches += 1;
  }
  c.comm_time += send;
  const sim::Seconds gpu = sim::Seconds(seconds) + c.comm_time;
  const sim::Seconds issuing = launches * host_.per_launch;
  // The GPUs wait for the host before the iteration (per_iteration) and, where issuing the
  // kernels takes longer than running them, for the launches (HostCost).
  if (batch.tokens() > 0) {
    c.launch_wait = std::max(sim::Seconds(0), issuing - gpu);
    c.host = host_.per_iteration +
             static_cast<double>(batch.prefills.size() + batch.decodes) * host_.per_request +
             c.launch_wait;
  }
  c.time = gpu + c.host;
  c.compute_bound = sim::Seconds(compute_bound);
  c.memory_bound = sim::Seconds(memory_bound);
  c.clocked = sim::Seconds(clocked);
  if (pp > 1) {
    // pp microbatches follow each other through every stage: each GPU runs pp of them, and a
    // request waits pp stage-times for its next token (file comment).
    const double k = pp;
    c.time = c.time * k;
    c.comm_time = c.comm_time * k;
    c.scale_out_comm = c.scale_out_comm * k;
    c.all_to_all_pair = c.all_to_all_pair * k;
    c.stage_send = c.stage_send * k;
    c.flops_per_gpu = c.flops_per_gpu * k;
    c.hbm_bytes_per_gpu = c.hbm_bytes_per_gpu * k;
    c.link_bytes_per_gpu = c.link_bytes_per_gpu * k;
    c.tp_ring_bytes_per_gpu = c.tp_ring_bytes_per_gpu * k;
    c.ep_in_group_bytes_per_gpu = c.ep_in_group_bytes_per_gpu * k;
    c.compute_bound = c.compute_bound * k;
    c.memory_bound = c.memory_bound * k;
    c.host = c.host * k;
    c.launch_wait = c.launch_wait * k;
    c.clocked = c.clocked * k;
  }
  c.compute_time = c.flops_per_gpu / device_.peak_flops / clock_ratio;
  c.memory_time = c.hbm_bytes_per_gpu / device_.memory_bandwidth;
  return c;
}

}  // namespace models
