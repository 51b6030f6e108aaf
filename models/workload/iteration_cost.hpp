// The cost of one iteration of a serving replica: a batch of prefill chunks and decode steps
// run by `tp` GPUs in tensor parallel.
//
// IterationCostModel is the seam where cost models plug in: the foundation's roofline at
// peak rates (RooflineIterationCost), later measured and calibrated kernel costs.
#pragma once

#include <cstdint>
#include <vector>

#include "models/common/dtype.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/network/ring_allreduce.hpp"
#include "models/workload/llm_spec.hpp"
#include "sim/units.hpp"

namespace models {

struct PrefillChunk {
  std::int64_t tokens = 0;  // new prompt tokens computed in this iteration
  std::int64_t past = 0;    // prompt tokens of this request already in the KV cache
  bool last = false;        // the chunk ends the prompt: logits (and the first token) follow
};

struct BatchShape {
  std::vector<PrefillChunk> prefills;
  std::int64_t decodes = 0;                   // requests generating one token each
  double decode_context_sum = 0;              // sum over decodes of tokens attended (cache + new)
  std::vector<std::int64_t> decode_contexts;  // each decode's tokens attended (may be empty
                                              // when only the sum is known)

  std::int64_t tokens() const;
};

struct IterationCost {
  sim::Seconds time;          // what the iteration takes at the clock it was costed at
  sim::Seconds compute_time;  // at the GPU's peak FLOP/s (stretched by a lower clock)
  sim::Seconds memory_time;   // at the GPU's peak HBM bandwidth
  sim::Seconds comm_time;     // tensor-parallel all-reduces (not overlapped)
  sim::Flops flops_per_gpu;
  sim::Bytes hbm_bytes_per_gpu;
  sim::Bytes link_bytes_per_gpu;  // sent in one direction
  // Of it, the tensor-parallel all-reduces' ring: what each GPU sends to the next GPU of its
  // tensor-parallel group over the iteration (2 (tp - 1) / tp of each all-reduce's size), the
  // scale-up load the plant's NVLink wall reads (models/plant/fabric.hpp scale_up_load).
  sim::Bytes tp_ring_bytes_per_gpu{0};
  // The expert-parallel dispatch and combine between the GPUs of one group (one tensor-
  // parallel group on one NVSwitch): what each GPU sends to the other members of its group
  // over the iteration, (group - 1) x all_to_all's bytes per pair. Through a switch its port
  // loads are those of a ring with these wire bytes (each port carries them up and down), so
  // it loads the NVLink wall beside tp_ring_bytes_per_gpu.
  sim::Bytes ep_in_group_bytes_per_gpu{0};

  // Where the time goes: kernels bound by the SMs and by HBM (at full clock), and host time
  // during which the GPUs wait (at the clock costed: the wait for kernel launches shrinks as
  // a lower clock lengthens the kernels).
  sim::Seconds compute_bound{0};
  sim::Seconds memory_bound{0};
  sim::Seconds host{0};
  // The part of `host` spent between kernels, waiting for the host to issue the next one
  // (HostCost::per_launch): the GPU is active at full clocks, not idle, over such µs gaps.
  sim::Seconds launch_wait{0};
  // The part of the full-clock time that stretches by 1 / clock_ratio (SM-side work).
  sim::Seconds clocked{0};

  // The communication that leaves the scale-up domain (crosses the NICs), for a plant whose
  // network the replica's traffic shares with others (models/plant/fabric.hpp):
  //   scale_out_comm   the part of comm_time it takes in closed form;
  //   all_to_all_pair  bytes one GPU sends to each other GPU of its expert-parallel group over
  //                    the iteration (every dispatch and combine);
  //   stage_send       bytes one GPU sends to its counterpart of the next pipeline stage over
  //                    the iteration.
  sim::Seconds scale_out_comm{0};
  sim::Bytes all_to_all_pair{0};
  sim::Bytes stage_send{0};
};

struct Precision {
  DType weights = DType::bf16;
  DType kv_cache = DType::bf16;
  DType activations = DType::bf16;
  DType compute = DType::bf16;  // the tensor-core format the matmuls run in
};

class IterationCostModel {
 public:
  virtual ~IterationCostModel() = default;
  // `clock_ratio` = f / f_max of the GPUs (1 at full clock): compute stretches by 1/ratio,
  // HBM-bound work does not.
  virtual IterationCost cost(const BatchShape& batch, double clock_ratio) const = 0;
};

// Roofline at peak rates: time = max(FLOPs / peak, bytes / HBM bandwidth) + all-reduces.
//  - FLOPs: 2 per weight per token (LM head only for tokens that produce logits) plus
//    attention (llm_spec.hpp); divided evenly over the tp GPUs.
//  - HBM bytes per GPU: every shared weight once per iteration (weights stay in HBM; each
//    iteration streams them), the routed experts the batch touches (expected distinct count,
//    uniform routing), the KV cache read by attention and written for new tokens. Activation
//    traffic is left out (it is < 2 % of weight traffic for batches under ~1k tokens and
//    hidden sizes >= 4096, and the calibrated models of the kernels issue account for it).
//  - Two all-reduces per layer (after attention and after the FFN) of tokens * hidden
//    activations, as in Megatron-LM tensor parallelism (Shoeybi et al. 2019).
// Valid as an upper bound on speed: real kernels reach 30-80 % of peak (REFERENCE.md B.1);
// the kernels issue replaces it with measured efficiencies.
class RooflineIterationCost final : public IterationCostModel {
 public:
  RooflineIterationCost(const LlmSpec& llm, const GpuSpec& gpu, Precision precision, int tp);
  IterationCost cost(const BatchShape& batch, double clock_ratio) const override;

  sim::Bytes weight_bytes_per_gpu() const { return weight_bytes_per_gpu_; }

 private:
  LlmSpec llm_;
  Precision precision_;
  int tp_;
  ParamCounts params_;
  sim::FlopsPerSecond peak_;
  sim::BytesPerSecond hbm_bw_;
  RingAllReduce ring_;
  double kv_bytes_per_token_gpu_;
  sim::Bytes weight_bytes_per_gpu_;
};

}  // namespace models
