#include "models/workload/training/step_model.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace models::training {

namespace kc = kernels::cost;

namespace {

using Calls = std::vector<std::pair<kc::KernelCall, double>>;

kc::NumberFormat format_of(DType t) {
  switch (t) {
    case DType::fp32:
      return kc::NumberFormat::fp32;
    case DType::fp16:
      return kc::NumberFormat::fp16;
    case DType::fp8:
    case DType::fp4:
      return kc::NumberFormat::fp8;
    case DType::bf16:
      return kc::NumberFormat::bf16;
  }
  return kc::NumberFormat::bf16;
}

// A streaming element-wise kernel with the bytes it moves (the `residual_add` class: one read
// and write pass at the calibrated HBM efficiency).
kc::Elementwise streaming(std::int64_t rows, std::int64_t elements, double bytes, double flops) {
  kc::Elementwise e;
  e.op = kc::ElementwiseOp::residual_add;
  e.rows = rows;
  e.elements = elements;
  e.bytes = sim::Bytes(bytes);
  e.flops = sim::Flops(flops);
  e.launches = 1;
  return e;
}

// Forward GEMM y[m,n] = x[m,k]·Wᵀ and its backward: dX[m,k] = dY[m,n]·W[n,k] and
// dW[n,k] = dYᵀ[n,m]·X[m,k].
void gemm(Calls& fwd, Calls& bwd, std::int64_t m, std::int64_t n, std::int64_t k,
          kc::NumberFormat f, double count = 1) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  fwd.push_back({kc::Gemm{m, n, k, f}, count});
  bwd.push_back({kc::Gemm{m, k, n, f}, count});
  bwd.push_back({kc::Gemm{n, k, m, f}, count});
}

void elementwise(Calls& fwd, Calls& bwd, const kc::KernelCall& call, double count = 1) {
  fwd.push_back({call, count});
  bwd.push_back({call, 2 * count});
}

// Forward matmul FLOPs of one sequence through the model (no recompute), attention over all
// s² pairs as Narayanan et al. count it.
double forward_flops_per_sequence(const TrainingSpec& spec) {
  const LlmSpec& m = spec.model;
  const ParamCounts c = count_params(m);
  const double s = spec.seq_len;
  const double matmul = c.body_matmul() + c.moe_routed_active + c.lm_head_matmul;
  const double width =
      m.attention == AttentionKind::mla ? attention_width_prefill(m) : 2.0 * m.head_dim;
  const double attention = 2.0 * m.heads * width * s * s * m.layers;
  return 2.0 * matmul * s + attention;
}

double attention_forward_flops_per_sequence(const TrainingSpec& spec) {
  const LlmSpec& m = spec.model;
  const double s = spec.seq_len;
  const double width =
      m.attention == AttentionKind::mla ? attention_width_prefill(m) : 2.0 * m.head_dim;
  return 2.0 * m.heads * width * s * s * m.layers;
}

}  // namespace

sim::Flops model_flops_per_step(const TrainingSpec& spec) {
  return sim::Flops(3.0 * forward_flops_per_sequence(spec) * spec.global_batch);
}

sim::Flops hardware_flops_per_step(const TrainingSpec& spec) {
  double per_sequence = 3.0 * forward_flops_per_sequence(spec);
  if (spec.recompute == Recompute::full) {
    const ParamCounts c = count_params(spec.model);
    per_sequence += forward_flops_per_sequence(spec) - 2.0 * c.lm_head_matmul * spec.seq_len;
  } else if (spec.recompute == Recompute::selective) {
    per_sequence += attention_forward_flops_per_sequence(spec);
  }
  return sim::Flops(per_sequence * spec.global_batch);
}

sim::Seconds pipeline_time(const std::vector<sim::Seconds>& stage_times, int microbatches, int vp) {
  if (stage_times.empty() || microbatches < 1 || vp < 1)
    throw std::invalid_argument("pipeline_time: need stages, microbatches >= 1 and vp >= 1");
  sim::Seconds max(0), sum(0);
  for (sim::Seconds t : stage_times) {
    max = std::max(max, t);
    sum += t;
  }
  const double p = static_cast<double>(stage_times.size());
  return microbatches * max + ((p - 1) / vp) * (sum / p);
}

TrainingStepModel::TrainingStepModel(TrainingSpec spec, const GpuSpec& gpu,
                                     std::shared_ptr<const kc::KernelCostModel> kernels,
                                     std::shared_ptr<const CollectiveTimes> collectives,
                                     int gpus_per_node)
    : spec_(std::move(spec)),
      gpu_(gpu),
      kernels_(std::move(kernels)),
      collectives_(std::move(collectives)),
      gpus_per_node_(gpus_per_node) {
  const auto problems = check_training_spec(spec_);
  if (!problems.empty())
    throw std::invalid_argument("TrainingStepModel: " + problems.front().field + ": " +
                                problems.front().message);
  if (!kernels_ || !collectives_)
    throw std::invalid_argument("TrainingStepModel: needs a kernel cost model and collectives");
  if (gpus_per_node_ < 1) throw std::invalid_argument("TrainingStepModel: gpus_per_node < 1");
  const auto peak = gpu_.peak(spec_.dtype);
  if (!peak)
    throw std::invalid_argument(gpu_.name + " has no " +
                                std::string(models::to_string(spec_.dtype)) + " peak");
  // As the serving model does (kernel_iteration_cost.cpp): the catalog device with its SM
  // count (wave quantization) only; the SM-clock and L2 terms of the calibration were fitted
  // on too narrow a range of row widths to carry over.
  device_.name = gpu_.name;
  device_.peak_flops = *peak;
  device_.memory_bandwidth = gpu_.hbm_bandwidth;
  device_.sm_count = kc::known_sm_count(gpu_.name);
}

CommGroup TrainingStepModel::group(int size, int stride, int span) const {
  // Members with rank stride `stride`: those in one server of gpus_per_node consecutive ranks.
  if (size <= 1) return {1, 1, 1};
  int g = stride >= gpus_per_node_ ? 1 : std::min(size, gpus_per_node_ / stride);
  g = std::gcd(g, size);
  const int covered = span > 0 ? span : stride * size;
  return {size, std::max(1, g), std::max(1, covered / size)};
}

KernelWork TrainingStepModel::work(const Calls& calls) const {
  KernelWork w;
  for (const auto& [call, count] : calls) {
    const kc::KernelTime t = kernels_->split(call, device_);
    const kc::KernelWork k = kc::work(call);
    w.clocked += count * t.clocked;
    w.unclocked += count * t.unclocked;
    w.flops += count * k.flops;
    w.hbm_bytes += count * k.bytes;
  }
  return w;
}

sim::Seconds TrainingStepModel::cost(const Calls& calls) const {
  sim::Seconds t(0);
  for (const auto& [call, count] : calls) t += count * kernels_->duration(call, device_, 1.0);
  return t;
}

TrainingStepModel::LayerCalls TrainingStepModel::layer_calls() const {
  LayerCalls out;
  const LlmSpec& m = spec_.model;
  const Parallelism& p = spec_.parallel;
  const kc::NumberFormat f = format_of(spec_.dtype);
  const std::int64_t b = spec_.micro_batch;
  const std::int64_t s_local = spec_.seq_len / p.cp;
  const std::int64_t tokens = b * s_local;  // rows of every GEMM
  const bool sp = p.sequence_parallel && p.tp > 1;
  const std::int64_t rows = sp ? tokens / p.tp : tokens;  // rows of LayerNorm, dropout-add
  const std::int64_t h = m.hidden;
  const std::int64_t tp = p.tp;
  const std::int64_t heads = m.heads / tp;
  const std::int64_t hd = m.head_dim > 0 ? m.head_dim : m.hidden / m.heads;
  const std::int64_t kvh =
      m.attention == AttentionKind::gqa ? std::max<std::int64_t>(1, m.kv_heads / tp) : heads;
  Calls& fwd = out.forward;
  Calls& bwd = out.backward;
  Calls attention_fwd, attention_bwd;

  auto norm = [&] {
    elementwise(fwd, bwd,
                m.ffn == FfnKind::gelu ? kc::layer_norm(rows, h, f) : kc::rms_norm(rows, h, f));
  };
  // Megatron's fused bias-dropout-add: read x and the residual, write the sum and a 1-byte mask.
  auto dropout_add = [&] {
    const double e = static_cast<double>(rows) * static_cast<double>(h);
    elementwise(fwd, bwd,
                streaming(rows, rows * h, e * (3 * kc::element_size(f).value() + 1), 3 * e));
  };

  norm();
  if (m.attention == AttentionKind::gqa) {
    gemm(fwd, bwd, tokens, (heads + 2 * kvh) * hd, h, f);
  } else {
    const MlaSpec& a = *m.mla;
    const std::int64_t qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    if (a.q_lora_rank > 0) {
      gemm(fwd, bwd, tokens, a.q_lora_rank, h, f);
      gemm(fwd, bwd, tokens, heads * qk, a.q_lora_rank, f);
    } else {
      gemm(fwd, bwd, tokens, heads * qk, h, f);
    }
    gemm(fwd, bwd, tokens, a.kv_lora_rank + a.qk_rope_head_dim, h, f);
    gemm(fwd, bwd, tokens, heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, f);
  }
  if (m.position == PositionKind::rope) elementwise(fwd, bwd, kc::rope(tokens, heads, kvh, hd, f));

  // Attention core.
  const std::int64_t qk_dim =
      m.attention == AttentionKind::mla ? m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim : hd;
  const std::int64_t v_dim = m.attention == AttentionKind::mla ? m.mla->v_head_dim : hd;
  if (spec_.attention == AttentionImpl::flash) {
    // Causal, all s keys per sequence; with context parallelism (load-balanced chunks,
    // Megatron-LM's CP) each GPU does 1/cp of the pairs: the full call with count 1/cp.
    kc::AttentionPrefill call{kc::AttentionShape{heads, kvh, qk_dim, v_dim, false, f, f}, {}};
    for (std::int64_t i = 0; i < b; ++i) call.requests.push_back({spec_.seq_len, spec_.seq_len});
    const double share = 1.0 / p.cp;
    attention_fwd.push_back({call, share});
    attention_bwd.push_back({call, 2.5 * share});
  } else {
    // Batched GEMMs over (sequence, head) as one GEMM each: the same FLOPs and tiles, one
    // launch (cuBLAS strided batched). Scores over all s_local × s pairs, masked afterwards.
    const std::int64_t s_kv = spec_.seq_len;
    const std::int64_t bh = b * heads;
    const double pairs =
        static_cast<double>(bh) * static_cast<double>(s_local) * static_cast<double>(s_kv);
    const double e = kc::element_size(f).value();
    gemm(attention_fwd, attention_bwd, bh * s_local, s_kv, qk_dim, f);  // QKᵀ
    // Fused scale-mask-softmax (read scores, write probabilities) and its backward (read
    // probabilities and their gradient, write the scores' gradient).
    attention_fwd.push_back(
        {streaming(bh * s_local, static_cast<std::int64_t>(pairs), 2 * e * pairs, 4 * pairs), 1});
    attention_bwd.push_back(
        {streaming(bh * s_local, static_cast<std::int64_t>(pairs), 3 * e * pairs, 3 * pairs), 1});
    // Dropout on the probabilities (write the result and a 1-byte mask; backward reads the
    // gradient and the mask).
    attention_fwd.push_back(
        {streaming(bh * s_local, static_cast<std::int64_t>(pairs), (2 * e + 1) * pairs, pairs), 1});
    attention_bwd.push_back(
        {streaming(bh * s_local, static_cast<std::int64_t>(pairs), (2 * e + 1) * pairs, pairs), 1});
    gemm(attention_fwd, attention_bwd, bh * s_local, v_dim, s_kv, f);  // P·V
  }
  fwd.insert(fwd.end(), attention_fwd.begin(), attention_fwd.end());
  bwd.insert(bwd.end(), attention_bwd.begin(), attention_bwd.end());

  gemm(fwd, bwd, tokens, h, heads * v_dim, f);  // output projection
  dropout_add();

  norm();
  const bool gated = m.ffn == FfnKind::swiglu;
  auto ffn = [&](std::int64_t rows_in, std::int64_t width, double count) {
    gemm(fwd, bwd, rows_in, (gated ? 2 : 1) * width, h, f, count);
    elementwise(fwd, bwd, gated ? kc::silu_mul(rows_in, width, f) : kc::gelu(rows_in, width, f),
                count);
    gemm(fwd, bwd, rows_in, h, width, f, count);
  };
  if (m.moe) {
    // Per layer averaged over dense and MoE layers (count = share of layers).
    const MoeSpec& e = *m.moe;
    const double moe_share = static_cast<double>(m.layers - e.dense_layers) / m.layers;
    if (e.dense_layers > 0) ffn(tokens, m.ffn_hidden / tp, 1 - moe_share);
    gemm(fwd, bwd, tokens, e.routed_experts, h, f, moe_share);
    // Balanced routing: the GPU's experts receive tokens · k rows from the ep ranks
    // together; the grouped GEMM is costed as one GEMM over them.
    ffn(tokens * e.active_experts, e.expert_ffn_hidden / tp, moe_share);
    if (e.shared_experts > 0) ffn(tokens, e.shared_experts * e.expert_ffn_hidden / tp, moe_share);
  } else {
    ffn(tokens, m.ffn_hidden / tp, 1);
  }
  dropout_add();

  if (spec_.recompute == Recompute::full)
    out.recompute = out.forward;
  else if (spec_.recompute == Recompute::selective)
    out.recompute = attention_fwd;
  return out;
}

StepReport TrainingStepModel::step() const {
  const LlmSpec& m = spec_.model;
  const Parallelism& p = spec_.parallel;
  const kc::NumberFormat f = format_of(spec_.dtype);
  const double elem = kc::element_size(f).value();
  StepReport r;
  r.microbatches = spec_.microbatches();
  r.hbm_capacity = gpu_.hbm_capacity;
  r.memory = estimate_memory(spec_);

  const LayerCalls calls = layer_calls();
  const double layers_per_stage = static_cast<double>(m.layers) / p.pp;
  const sim::Seconds layer_fwd = cost(calls.forward);
  const sim::Seconds layer_bwd = cost(calls.backward) + cost(calls.recompute);

  const std::int64_t b = spec_.micro_batch;
  const std::int64_t s_local = spec_.seq_len / p.cp;
  const std::int64_t tokens = b * s_local;
  const bool sp = p.sequence_parallel && p.tp > 1;

  // Tensor parallel: 2 all-reduce-equivalents per layer per pass.
  const sim::Bytes activation(static_cast<double>(tokens) * m.hidden * elem);
  const CommGroup tp_group = group(p.tp, 1);
  const sim::Seconds tp_one =
      p.tp > 1 ? collectives_->all_reduce(activation, tp_group) : sim::Seconds(0);
  const double passes = 2.0 + (spec_.recompute == Recompute::full ? 1.0 : 0.0);
  const sim::Seconds tp_layer = 2.0 * passes * tp_one;

  // Context parallel: ring exchange of K and V chunks, hidden behind the attention compute.
  sim::Seconds cp_layer(0);
  sim::Bytes cp_layer_bytes(0);
  if (p.cp > 1) {
    const std::int64_t hd = m.head_dim > 0 ? m.head_dim : m.hidden / m.heads;
    const double kv_heads = m.attention == AttentionKind::gqa
                                ? std::max(1.0, static_cast<double>(m.kv_heads) / p.tp)
                                : static_cast<double>(m.heads) / p.tp;
    const sim::Bytes chunk(2.0 * static_cast<double>(tokens) * kv_heads * static_cast<double>(hd) *
                           elem);
    const CommGroup cp_group = group(p.cp, p.tp);
    const sim::Seconds step = collectives_->send_recv(chunk, cp_group);
    sim::Seconds attention_fwd(0);
    for (const auto& [call, count] : calls.forward)
      if (std::holds_alternative<kc::AttentionPrefill>(call))
        attention_fwd += count * kernels_->duration(call, device_, 1.0);
    const double steps = p.cp - 1.0;
    const sim::Seconds hidden_fwd = attention_fwd * (steps / p.cp);
    const sim::Seconds fwd_exposed = std::max(sim::Seconds(0), steps * step - hidden_fwd);
    const sim::Seconds bwd_exposed =
        std::max(sim::Seconds(0), steps * 2.0 * step - 2.5 * hidden_fwd);
    cp_layer = fwd_exposed * (spec_.recompute == Recompute::none ? 1.0 : 2.0) + bwd_exposed;
    cp_layer_bytes = chunk * (steps * ((spec_.recompute == Recompute::none ? 1.0 : 2.0) + 2.0));
  }

  // Expert parallel: dispatch and combine all-to-alls per MoE layer per pass.
  sim::Seconds ep_layer(0);
  if (m.moe && p.ep > 1) {
    const MoeSpec& e = *m.moe;
    const double moe_share = static_cast<double>(m.layers - e.dense_layers) / m.layers;
    const sim::Bytes routed(static_cast<double>(tokens) * e.active_experts * m.hidden * elem /
                            (sp ? p.tp : 1));
    const sim::Seconds one = collectives_->all_to_all(routed, group(p.ep, p.dp_stride()));
    ep_layer = moe_share * 2.0 * passes * one;
  }

  // Per-microbatch time of each stage: the first adds the embedding, the last the LM head
  // and the vocab-parallel cross entropy.
  Calls head_fwd, head_bwd, embed_fwd, embed_bwd;
  gemm(head_fwd, head_bwd, tokens, m.vocab / p.tp, m.hidden, f);
  {
    // Cross entropy over vocab-parallel logits: max, exp-sum and softmax passes forward
    // (three bf16 reads, one fp32 write: 10 bytes per logit), gradient backward (fp32 read,
    // bf16 write: 6 bytes) [D from Megatron-LM's vocab_parallel_cross_entropy].
    const double logits = static_cast<double>(tokens) * (m.vocab / p.tp);
    head_fwd.push_back(
        {streaming(tokens, static_cast<std::int64_t>(logits), 10 * logits, 5 * logits), 1});
    head_bwd.push_back(
        {streaming(tokens, static_cast<std::int64_t>(logits), 6 * logits, 2 * logits), 1});
    const std::int64_t rows = sp ? tokens / p.tp : tokens;
    const kc::KernelCall final_norm = m.ffn == FfnKind::gelu ? kc::layer_norm(rows, m.hidden, f)
                                                             : kc::rms_norm(rows, m.hidden, f);
    elementwise(head_fwd, head_bwd, final_norm);
    elementwise(embed_fwd, embed_bwd, kc::embedding(tokens, m.hidden, f));
  }
  const sim::Seconds head = cost(head_fwd) + cost(head_bwd);
  const sim::Seconds embed = cost(embed_fwd) + cost(embed_bwd);
  {
    // The same kernels split for the power model, per stage.
    auto scaled = [](KernelWork w, double k) {
      w.clocked = k * w.clocked;
      w.unclocked = k * w.unclocked;
      w.flops = k * w.flops;
      w.hbm_bytes = k * w.hbm_bytes;
      return w;
    };
    auto plus = [](KernelWork a, const KernelWork& x) {
      a.clocked += x.clocked;
      a.unclocked += x.unclocked;
      a.flops += x.flops;
      a.hbm_bytes += x.hbm_bytes;
      return a;
    };
    const KernelWork layers =
        scaled(plus(plus(work(calls.forward), work(calls.backward)), work(calls.recompute)),
               layers_per_stage);
    r.stage_microbatch.assign(static_cast<std::size_t>(p.pp), layers);
    r.stage_microbatch.front() =
        plus(plus(r.stage_microbatch.front(), work(embed_fwd)), work(embed_bwd));
    r.stage_microbatch.back() =
        plus(plus(r.stage_microbatch.back(), work(head_fwd)), work(head_bwd));
  }

  const sim::Seconds layer_total = layer_fwd + layer_bwd + tp_layer + cp_layer + ep_layer;
  std::vector<sim::Seconds> stages(static_cast<std::size_t>(p.pp), layers_per_stage * layer_total);
  stages.front() += embed;
  stages.back() += head;
  const int mb = r.microbatches;
  const sim::Seconds pipe = pipeline_time(stages, mb, p.vp);
  const sim::Seconds slowest = *std::max_element(stages.begin(), stages.end());
  const double slowest_is_last = stages.back() >= stages.front() ? 1.0 : 0.0;
  const sim::Seconds slowest_compute = layers_per_stage * (layer_fwd + layer_bwd) +
                                       slowest_is_last * head + (1 - slowest_is_last) * embed;
  r.forward = layers_per_stage * layer_fwd;
  r.backward = layers_per_stage * layer_bwd;

  StepBreakdown& d = r.breakdown;
  r.microbatch_comm = layers_per_stage * (tp_layer + cp_layer + ep_layer);
  if (p.tp > 1) {
    const double tp = p.tp;
    r.microbatch_tp_ring_bytes = layers_per_stage * 2.0 * passes * activation * (2 * (tp - 1) / tp);
  }
  r.microbatch_cp_ring_bytes = layers_per_stage * cp_layer_bytes;
  d.compute = mb * slowest_compute;
  d.tp_comm = mb * layers_per_stage * tp_layer;
  d.cp_comm = mb * layers_per_stage * cp_layer;
  d.ep_comm = mb * layers_per_stage * ep_layer;
  d.bubble = pipe - mb * slowest;

  // Pipeline sends: b·(s/cp)·h·2/t bytes per transfer.
  if (p.pp > 1) {
    const sim::Bytes boundary = activation / static_cast<double>(p.tp);
    CommGroup pair = group(2, p.pp_stride());
    pair.extent = p.pp_stride() * p.pp;  // the whole pipeline
    const sim::Seconds one = collectives_->send_recv(boundary, pair);
    const double sends = 2.0 * p.vp * mb + 2.0 * (p.pp - 1);
    d.pp_comm = sends * one;
    r.pp_dp_calls.push_back(
        {CollectiveCall::Op::send_recv, boundary, pair, sends, sim::Seconds(0)});
  }

  // Data parallel: gradients (fp32) reduce-scattered, weights (bf16) all-gathered.
  const double params = r.memory.params_on_gpu;
  const int dp_ranks = p.dp * p.cp;
  if (dp_ranks > 1) {
    // dp·cp ranks: the cp members are tp apart; the dp members follow the rank order.
    const CommGroup dp_group =
        group(dp_ranks, p.tp, p.order == RankOrder::tp_cp_dp_pp ? 0 : p.tp * p.cp * p.pp * p.dp);
    const sim::Bytes grads(params * 4.0), weights(params * elem);
    const sim::Seconds last_backward = layers_per_stage * layer_bwd;
    const sim::Seconds first_forward = layers_per_stage * layer_fwd;
    auto exposed = [&](sim::Seconds t, sim::Seconds window) {
      return spec_.overlap_dp ? std::max(sim::Seconds(0), t - window) : t;
    };
    const sim::Seconds no_overlap(0);
    using Op = CollectiveCall::Op;
    if (p.distributed_optimizer) {
      d.dp_comm = exposed(collectives_->reduce_scatter(grads, dp_group), last_backward) +
                  exposed(collectives_->all_gather(weights, dp_group), first_forward);
      r.pp_dp_calls.push_back(
          {Op::reduce_scatter, grads, dp_group, 1, spec_.overlap_dp ? last_backward : no_overlap});
      r.pp_dp_calls.push_back(
          {Op::all_gather, weights, dp_group, 1, spec_.overlap_dp ? first_forward : no_overlap});
    } else {
      d.dp_comm = exposed(collectives_->all_reduce(grads, dp_group), last_backward);
      r.pp_dp_calls.push_back(
          {Op::all_reduce, grads, dp_group, 1, spec_.overlap_dp ? last_backward : no_overlap});
    }
  }

  // Adam on this GPU's shard: 30 bytes per parameter, streaming.
  {
    const double shard = p.distributed_optimizer ? params / dp_ranks : params;
    const auto n = static_cast<std::int64_t>(shard);
    const kc::KernelCall adam = streaming(n, n, 30.0 * shard, 10.0 * shard);
    d.optimizer = kernels_->duration(adam, device_, 1.0);
    r.optimizer_work = work({{adam, 1.0}});
  }

  r.step_time = d.total();
  r.bubble_fraction = (d.bubble / r.step_time).value();
  r.tokens_per_second =
      static_cast<double>(spec_.global_batch) * spec_.seq_len / r.step_time.value();
  r.model_flops = model_flops_per_step(spec_);
  r.hardware_flops = hardware_flops_per_step(spec_);
  const double peak = device_.peak_flops.value();
  r.mfu = r.model_flops.value() / (r.step_time.value() * spec_.gpus * peak);
  r.hardware_flops_per_gpu_per_second =
      r.hardware_flops.value() / (r.step_time.value() * spec_.gpus);
  return r;
}

}  // namespace models::training
