#include "models/registry.hpp"

namespace models {

std::vector<ModelInfo> registered_models() {
  return {
      {"workload", "serving",
       "LLM inference serving: replicas of tensor-parallel GPUs, continuous batching with chunked "
       "prefill, FCFS admission with full KV reservation"},
      {"workload", "arrivals.poisson",
       "Poisson request arrivals with constant / uniform / lognormal / empirical token lengths"},
      {"workload", "arrivals.trace",
       "replay of a request trace CSV (arrived_at, num_prefill_tokens, num_decode_tokens) with a "
       "time scale"},
      {"workload", "cost.roofline",
       "iteration time = max(FLOPs / peak, HBM bytes / bandwidth) + tensor-parallel all-reduces, "
       "at peak rates"},
      {"memory", "kv_cache",
       "KV bytes per token (GQA: 2*layers*kv_heads*head_dim*bytes; MLA: "
       "layers*(kv_lora+rope)*bytes), sharded over tensor parallelism"},
      {"network", "ring_allreduce",
       "ring all-reduce on the scale-up link: 2(p-1) steps of latency + 2(p-1)/p of the bytes at a "
       "fitted efficiency"},
  };
}

}  // namespace models
