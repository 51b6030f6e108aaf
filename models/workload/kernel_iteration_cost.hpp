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
//                 GEMM, routed experts as one grouped GEMM per projection (expected distinct
//                 experts, tokens spread evenly over them), shared experts; all-reduce,
//                 residual add
//   final norm, LM head GEMM for the tokens that produce logits (vocab / tp)
// Replicated, not sharded, under tensor parallelism: MLA's low-rank down projections
// (q_down, kv_down) and the MoE router, as in DeepSeek's and vLLM's implementations.
//
// Grouped and batched GEMMs (kernels::cost::Gemm::groups): serving engines launch a MoE
// layer's routed experts as one grouped GEMM per projection (vLLM fused_moe, SGLang, DeepGEMM's
// m-grouped GEMM), and MLA's absorbed per-head products W_UK, W_UV as one batched GEMM over
// the heads (DeepSeek-V3 inference/model.py: torch.einsum over heads). One call each: one
// launch overhead, waves quantized over the tiles of the whole group.
//
// Expert parallelism (ServingParallelism::expert_parallel = ep > 1; DeepSeek-V3 technical
// report §3.4, "attention TP with DP, MoE EP"): the replica is ep / tp attention groups of tp
// GPUs (data parallel, in lock step: the heaviest group's share of the batch sets the time);
// each GPU holds E / ep routed experts whole. Per MoE layer each GPU dispatches its slice of
// the tokens (T / ep tokens x k experts x hidden) to the experts' GPUs and gets the outputs
// back: two all-to-alls of S = T k hidden / ep bytes each over the ep GPUs (DeepEP's dispatch
// and combine). The experts of the most loaded GPU set the layer's time: with uniform,
// independent top-k routing a GPU's (token, expert) pairs are a sum of T hypergeometric draws
// (k of E, E / ep of them local): mean T k / ep, variance T k (1/ep)(1 - 1/ep)(E - k)/(E - 1);
// the expected maximum over ep GPUs is mean + z_ep sigma, z_ep Blom's approximation of the
// expected largest of ep standard normals, Phi^-1((ep - 0.375) / (ep + 0.25)) (Blom 1958;
// within 1 % of the exact 1.539 for 8, 1.766 for 16). Node-limited routing and redundant
// experts (DeepSeek's load balancing) are not modelled.
//
// Pipeline parallelism (pipeline_parallel = pp > 1): layers split evenly over pp stages
// (fractional layer counts: the mean stage; embedding and LM head counted on it), the batch
// split into pp microbatches that follow each other through the stages, as vLLM's pipeline
// keeps pp batches in flight (virtual engines). In that steady state every stage is busy and
// a request waits pp stage-times for its next token: the iteration (every request one token)
// takes pp x (stage time of one microbatch + the send of its activations, tokens x hidden, to
// the next stage). The fill and drain bubbles of a lone batch are not modelled.
// Valid where the cost model is (see kernels/cost/README.md); kernel overlap (of
// communication with compute, as DeepSeek's two-microbatch overlap does) is not modelled.
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
#include "models/workload/training/collective_times.hpp"

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

// How a replica is laid out beyond tensor parallelism (see the file comment).
struct ServingParallelism {
  int expert_parallel = 1;    // 1: experts sharded by tensor parallelism; else a multiple of tp
  int pipeline_parallel = 1;  // stages
  int gpus_per_node = 8;      // GPUs of one scale-up domain (which tier a collective uses)
  // All-to-all and send/recv times; required when expert_parallel > 1 or pipeline_parallel > 1.
  std::shared_ptr<const training::CollectiveTimes> network;
};

// Expected largest of n independent standard normals, Blom's approximation
// Phi^-1((n - 0.375) / (n + 0.25)); 0 for n <= 1.
double expected_max_standard_normal(int n);

// Expected (token, expert) pairs on the most loaded of `ep` GPUs holding E / ep routed experts
// each, for `tokens` tokens routed uniformly to k experts (file comment), capped at
// tokens x min(k, E / ep).
double expected_max_expert_load(const MoeSpec& moe, double tokens, int ep);

// The batch of the most loaded of `parts` equal groups (attention data-parallel groups,
// pipeline microbatches): decodes dealt round robin, prefill chunks each to the group with the
// fewest tokens so far.
BatchShape heaviest_share(const BatchShape& batch, int parts);

struct CountedCall {
  kernels::cost::KernelCall call;
  double count = 1;  // how many times the iteration runs it (layers, experts)
};

class KernelIterationCost final : public IterationCostModel {
 public:
  KernelIterationCost(const LlmSpec& llm, const GpuSpec& gpu, Precision precision, int tp,
                      std::shared_ptr<const kernels::cost::KernelCostModel> model, HostCost host,
                      ServingParallelism parallel = {});

  IterationCost cost(const BatchShape& batch, double clock_ratio) const override;

  // The kernels one GPU runs in one iteration of `batch` (for tests and reports); with
  // pipeline or expert parallelism, those of one microbatch of its heaviest group on one stage.
  std::vector<CountedCall> calls(const BatchShape& batch) const;
  const kernels::cost::Device& device() const { return device_; }

 private:
  LlmSpec llm_;
  Precision precision_;
  int tp_;
  std::shared_ptr<const kernels::cost::KernelCostModel> model_;
  // The calls of `local` (one group's share of one microbatch) with `moe_tokens` tokens routed
  // over the expert-parallel GPUs.
  std::vector<CountedCall> calls_of(const BatchShape& local, std::int64_t moe_tokens) const;
  int attention_groups() const;

  HostCost host_;
  ServingParallelism parallel_;
  kernels::cost::Device device_;
  RingAllReduce ring_;
};

}  // namespace models
