// Iteration cost as the sum of the GPU kernels the iteration runs, each costed by a kernel
// cost model (kernels/cost: calibrated on measured profiles), plus the tensor-parallel
// all-reduces and a fixed per-iteration overhead.
//
// The kernels of one iteration, per GPU of a tensor-parallel group of tp (Megatron-LM
// sharding: Shoeybi et al. 2019; the operator split of vLLM that Vidur profiles):
//   embedding gather                                           (tokens x hidden)
//   per layer:  RMSNorm | LayerNorm
//               attention projections: GQA fused QKV GEMM, n = (heads + 2 kv_heads) hd / tp;
//                 MLA: q_down (hidden -> q_lora), q_up (q_lora -> heads (nope+rope) / tp),
//                 kv_down (hidden -> kv_lora + rope), and in prefill kv_up of the chunk's
//                 context (kv_lora -> heads (nope + v) / tp, the naive form)
//               RoPE (GQA and MLA's rope slice)
//               attention: prefill chunks (naive MLA: MHA of nope+rope / v) and decodes
//                 (MLA: absorbed MQA over the latent, plus the absorption GEMMs W_UK, W_UV)
//               output projection GEMM (heads v / tp -> hidden), all-reduce, residual add
//               RMSNorm, FFN: dense gate+up GEMM, SiLU*mul | GELU, down GEMM; MoE: router
//                 GEMM, routed experts (expected distinct experts, tokens spread evenly over
//                 them), shared experts; all-reduce, residual add
//   final norm, LM head GEMM for the tokens that produce logits (vocab / tp)
// Replicated, not sharded, under tensor parallelism: MLA's low-rank down projections
// (q_down, kv_down) and the MoE router, as in DeepSeek's and vLLM's implementations.
// Valid where the cost model is (see kernels/cost/README.md); MoE expert imbalance and
// kernel overlap are not modelled.
#pragma once

#include <memory>
#include <vector>

#include "kernels/cost/device.hpp"
#include "kernels/cost/kernel_call.hpp"
#include "kernels/cost/kernel_cost_model.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/network/ring_allreduce.hpp"
#include "models/workload/iteration_cost.hpp"
#include "models/workload/llm_spec.hpp"

namespace models {

// What the host CPU adds to an iteration of an engine that issues its kernels one by one from
// Python (PyTorch eager, no CUDA graphs: the serving stacks of 2023):
//   per_iteration  scheduling and input preparation, during which the GPUs wait;
//   per_request    per request of the batch: per-sequence bookkeeping, sampling, output
//                  processing (Python loops over the sequences);
//   per_launch     CPU time to issue one kernel (operator dispatch and launch). Every GPU of
//                  a tensor-parallel group has its own host process, so launches do not add
//                  up across them.
// The host cannot finish an iteration before it has issued its kernels, so
//   time = per_iteration + requests × per_request + max(GPU time, launches × per_launch).
// The GPU time hides the issuing when it is longer (the host runs ahead, queueing kernels);
// when it is shorter the GPUs idle between kernels. Evidence in Splitwise's DGX-A100 data:
// Llama-2-70B's batch-1 decode step takes 42-46 ms at TP4 and at TP8 alike, though TP8 halves
// each GPU's kernels (a launch-bound floor), and the step grows by ~0.3 ms per request of the
// batch at every TP (models/workload/README.md, "Host time").
struct HostCost {
  sim::Seconds per_iteration{0};
  sim::Seconds per_launch{0};
  sim::Seconds per_request{0};
};

struct CountedCall {
  kernels::cost::KernelCall call;
  double count = 1;  // how many times the iteration runs it (layers, experts)
};

class KernelIterationCost final : public IterationCostModel {
 public:
  KernelIterationCost(const LlmSpec& llm, const GpuSpec& gpu, Precision precision, int tp,
                      std::shared_ptr<const kernels::cost::KernelCostModel> model,
                      HostCost host);

  IterationCost cost(const BatchShape& batch, double clock_ratio) const override;

  // The kernels of one iteration of `batch` (for tests and reports).
  std::vector<CountedCall> calls(const BatchShape& batch) const;
  const kernels::cost::Device& device() const { return device_; }

 private:
  LlmSpec llm_;
  Precision precision_;
  int tp_;
  std::shared_ptr<const kernels::cost::KernelCostModel> model_;
  HostCost host_;
  kernels::cost::Device device_;
  RingAllReduce ring_;
};

}  // namespace models
