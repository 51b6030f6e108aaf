// How one GPU's HBM is shared out when serving: weights, a reserve for activations and
// workspace, and the KV cache in what is left.
//
//   kv_capacity_tokens = floor((HBM * (1 - reserve) - weights / tp) / kv_bytes_per_token_per_gpu)
//
// The same split as vLLM's gpu_memory_utilization (the reserve is 1 - utilization).
// Weights are sharded evenly over the tensor-parallel group (embeddings and LM head
// included); the KV bytes per token per GPU come from llm_spec.hpp (GQA heads sharded,
// the MLA latent replicated).
#pragma once

#include <cmath>
#include <cstdint>

#include "models/common/dtype.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/workload/llm_spec.hpp"
#include "sim/units.hpp"

namespace models {

struct HbmBudget {
  sim::Bytes capacity;
  sim::Bytes weights;
  sim::Bytes reserve;
  sim::Bytes kv_per_token;

  sim::Bytes free_for_kv() const { return capacity - reserve - weights; }
  std::int64_t kv_capacity_tokens() const {
    const double tokens = (free_for_kv() / kv_per_token).value();
    return tokens > 0 ? static_cast<std::int64_t>(std::floor(tokens)) : 0;
  }
};

inline HbmBudget hbm_budget(const LlmSpec& llm, const GpuSpec& gpu, DType weights, DType kv_cache,
                            int tp, double reserve_fraction) {
  HbmBudget b;
  b.capacity = gpu.hbm_capacity;
  b.weights = sim::Bytes(count_params(llm).total() * bytes_per_element(weights) / tp);
  b.reserve = gpu.hbm_capacity * reserve_fraction;
  b.kv_per_token = sim::Bytes(kv_bytes_per_token_per_gpu(llm, kv_cache, tp));
  return b;
}

}  // namespace models
