#include "models/workload/iteration_cost.hpp"

#include <algorithm>
#include <stdexcept>

namespace models {

std::int64_t BatchShape::tokens() const {
  std::int64_t n = decodes;
  for (const PrefillChunk& c : prefills) n += c.tokens;
  return n;
}

RooflineIterationCost::RooflineIterationCost(const LlmSpec& llm, const GpuSpec& gpu,
                                             Precision precision, int tp)
    : llm_(llm),
      precision_(precision),
      tp_(tp),
      params_(count_params(llm)),
      hbm_bw_(gpu.hbm_bandwidth),
      ring_{gpu.scale_up_one_direction(), gpu.scale_up_step_latency, gpu.scale_up_efficiency},
      kv_bytes_per_token_gpu_(kv_bytes_per_token_per_gpu(llm, precision.kv_cache, tp)) {
  const auto peak = gpu.peak(precision.compute);
  if (!peak)
    throw std::invalid_argument(gpu.name + " has no " + std::string(to_string(precision.compute)) +
                                " peak");
  peak_ = *peak;
  weight_bytes_per_gpu_ = sim::Bytes(params_.total() * bytes_per_element(precision.weights) / tp);
}

IterationCost RooflineIterationCost::cost(const BatchShape& batch, double clock_ratio) const {
  const double tp = tp_;
  const double wbytes = bytes_per_element(precision_.weights);
  const double tokens = static_cast<double>(batch.tokens());

  // FLOPs of the whole batch, then per GPU.
  double logits = static_cast<double>(batch.decodes);
  double attended_prefill = 0;
  // A decode step reads the cache (context - 1 tokens) and writes the new token's K/V.
  double kv_tokens_read = batch.decode_context_sum - static_cast<double>(batch.decodes);
  double kv_tokens_written = static_cast<double>(batch.decodes);
  for (const PrefillChunk& c : batch.prefills) {
    const double n = static_cast<double>(c.tokens);
    const double past = static_cast<double>(c.past);
    if (c.last) logits += 1;
    attended_prefill += n * past + n * (n + 1) / 2;
    kv_tokens_read += past;
    kv_tokens_written += n;
  }
  const double matmul = tokens * (params_.body_matmul() + params_.moe_routed_active) +
                        logits * params_.lm_head_matmul;
  const double attention = 2.0 * llm_.layers * llm_.heads *
                           (attention_width_decode(llm_) * batch.decode_context_sum +
                            attention_width_prefill(llm_) * attended_prefill);
  const sim::Flops flops_gpu((2.0 * matmul + attention) / tp);

  // HBM traffic per GPU.
  double weights = params_.body_matmul() + params_.lm_head_matmul;
  if (llm_.moe) {
    weights +=
        params_.moe_expert * params_.moe_layers * expected_distinct_experts(*llm_.moe, tokens);
  }
  const double embedding_rows = tokens * llm_.hidden;  // one row gathered per token
  const sim::Bytes hbm_gpu((weights + embedding_rows) * wbytes / tp +
                           (kv_tokens_read + kv_tokens_written) * kv_bytes_per_token_gpu_);

  const sim::Bytes allreduce_size(tokens * llm_.hidden * bytes_per_element(precision_.activations));
  const double allreduces = 2.0 * llm_.layers;

  IterationCost c;
  c.flops_per_gpu = flops_gpu;
  c.hbm_bytes_per_gpu = hbm_gpu;
  c.compute_time = flops_gpu / peak_ / clock_ratio;
  c.memory_time = hbm_gpu / hbm_bw_;
  c.comm_time = allreduces * ring_.time(allreduce_size, tp_);
  c.link_bytes_per_gpu = allreduces * RingAllReduce::bytes_sent_per_gpu(allreduce_size, tp_);
  c.tp_ring_bytes_per_gpu = c.link_bytes_per_gpu;
  c.time = sim::max(c.compute_time, c.memory_time) + c.comm_time;
  // At full clock the bound side takes the whole kernel time.
  const sim::Seconds at_full = flops_gpu / peak_;
  if (at_full > c.memory_time) {
    c.compute_bound = at_full;
    c.clocked = at_full;
  } else {
    c.memory_bound = c.memory_time;
  }
  return c;
}

}  // namespace models
