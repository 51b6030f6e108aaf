// Time of one training step of a transformer under TP (+ sequence parallelism), PP (1F1B or
// interleaved), DP (distributed optimizer), CP and EP, on one GPU type.
//
// Compute: every forward kernel of a layer for one microbatch on one GPU (Megatron-LM's GPT
// layer: LayerNorm, QKV GEMM, attention core, output GEMM, bias-dropout-add, LayerNorm, FC1,
// GELU | SiLU·mul, FC2, bias-dropout-add), costed by the project's calibrated kernel cost model
// (kernels/cost) on the catalog GPU. Backward: each GEMM as its two GEMMs (data gradient
// m×k←m×n·n×k and weight gradient n×k←n×m·m×k), so 2× the forward FLOPs with their own
// shapes; unfused attention's four backward GEMMs and softmax/dropout backward passes;
// FlashAttention's backward as 2.5× its forward (five matmuls against two, Dao 2023 §3.1);
// other element-wise kernels as 2× their forward (they read the saved input and the incoming
// gradient and write one gradient). Recompute: `full` adds the forward of every layer before
// its backward, `selective` the attention core's.
//
// Per microbatch and stage, t = compute + exposed TP + CP + EP communication:
//   TP   2 all-reduces per layer per forward pass (reduce-scatter + all-gather with sequence
//        parallelism: the same bytes), 2 per backward, b·(s/cp)·h·2 bytes each, not overlapped
//        (Megatron-LM SC'21 and Korthikanti 2022 run them on the critical path)
//   CP   ring attention: (cp-1) K/V chunks forward, K/V and their gradients backward, hidden
//        behind the attention compute of the same steps; only the excess is exposed
//   EP   all-to-all dispatch + combine per MoE layer per pass, b·(s/cp)·k·h·2/t bytes
// Pipeline (Narayanan et al. SC'21 §2.2): with m microbatches, p stages and vp virtual stages,
//   T_pipe = m·t_max + (p-1)/vp · t_mean        (t_max: slowest stage, t_mean: mean stage)
// so the bubble fraction is (p-1)/(m+p-1) for uniform 1F1B and the bubble/compute ratio
// (p-1)/(vp·m) interleaved. Stage-boundary sends (b·(s/cp)·h·2/t bytes, scatter-gather
// optimization, SC'21 §4.1) are synchronous: 2 per microbatch per virtual stage plus 2(p-1)
// for the fill and drain.
// DP: gradient reduce-scatter (fp32 main gradients) over the dp·cp ranks sharing a weight,
// overlapped with the last microbatch's backward on the stage; parameter all-gather (bf16)
// overlapped with the first microbatch's forward; without a distributed optimizer one
// all-reduce overlapped with backward. Only the excess is exposed.
// Optimizer: Adam on the GPU's shard, memory-bound: 30 bytes per parameter (read fp32 grad,
// master, m, v; write master, m, v and the bf16 weight), costed as a streaming kernel.
//
// MFU = model FLOPs / (step time · GPUs · dense peak), model FLOPs = 3 × forward matmul FLOPs
// without recompute, attention over all s² pairs (Narayanan et al. SC'21 eq. 3 without the
// recompute pass: 72·B·s·l·h²·(1 + s/(6h) + V/(12·l·h)) for GPT). The hardware FLOPs count
// the recompute too (eq. 3 itself for full recompute).
//
// Valid for dense and MoE decoders on one GPU type with uniform stages (the last stage also
// runs the LM head and loss, the first the embedding). Not modelled: kernel overlap of
// communication with compute beyond what is stated, expert load imbalance, stragglers,
// host/launch gaps beyond the kernel model's per-launch overhead, clock or power throttling.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernels/cost/device.hpp"
#include "kernels/cost/kernel_call.hpp"
#include "kernels/cost/kernel_cost_model.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/workload/training/activation_memory.hpp"
#include "models/workload/training/collective_times.hpp"
#include "models/workload/training/training_spec.hpp"
#include "sim/units.hpp"

namespace models::training {

struct StepBreakdown {
  sim::Seconds compute{0};    // kernels of the slowest stage, m microbatches
  sim::Seconds tp_comm{0};    // exposed
  sim::Seconds pp_comm{0};    // exposed
  sim::Seconds dp_comm{0};    // exposed
  sim::Seconds cp_comm{0};    // exposed
  sim::Seconds ep_comm{0};    // exposed
  sim::Seconds bubble{0};     // pipeline fill and drain (and stage imbalance)
  sim::Seconds optimizer{0};  // Adam step
  sim::Seconds total() const {
    return compute + tp_comm + pp_comm + dp_comm + cp_comm + ep_comm + bubble + optimizer;
  }
};

// Kernels at full clock as the plant's GPU power model takes them (models/gpu/gpu_power.hpp):
// the SM-bound part that stretches with 1/r, the rest (HBM-bound, launches), and the work.
struct KernelWork {
  sim::Seconds clocked{0};
  sim::Seconds unclocked{0};
  sim::Flops flops{0};
  sim::Bytes hbm_bytes{0};
  sim::Seconds total() const { return clocked + unclocked; }
};

// A collective of the step that a fabric with pods or sites may stretch (pipeline sends and
// the data-parallel collectives), with what hides it: the step exposes
// count · max(0, time - hidden_behind) of it.
struct CollectiveCall {
  enum class Op { reduce_scatter, all_gather, all_reduce, send_recv };
  Op op = Op::send_recv;
  sim::Bytes size{0};
  CommGroup group;
  double count = 1;
  sim::Seconds hidden_behind{0};
};

struct StepReport {
  sim::Seconds step_time{0};
  double tokens_per_second = 0;
  sim::Flops model_flops;     // per step, all GPUs, no recompute
  sim::Flops hardware_flops;  // per step, all GPUs, with recompute
  double mfu = 0;
  double hardware_flops_per_gpu_per_second = 0;  // as Megatron-LM papers report "TFLOP/s"
  StepBreakdown breakdown;
  int microbatches = 0;
  double bubble_fraction = 0;  // bubble / step time
  // Per microbatch on the slowest stage (all its virtual stages together).
  sim::Seconds forward{0};
  sim::Seconds backward{0};  // includes recompute
  MemoryEstimate memory;
  sim::Bytes hbm_capacity;
  // Per pipeline stage, one microbatch's kernels on one GPU (forward, backward, recompute;
  // the embedding on the first stage, the LM head and loss on the last), and the exposed
  // TP + CP + EP communication of one microbatch (the same on every stage).
  std::vector<KernelWork> stage_microbatch;
  sim::Seconds microbatch_comm{0};
  // Of it, the tensor-parallel collectives' ring: the bytes each GPU sends to the next GPU of
  // its tensor-parallel group in one microbatch (2 (tp - 1) / tp of each all-reduce's size;
  // reduce-scatter + all-gather under sequence parallelism send the same), the scale-up load
  // the plant's NVLink wall reads (models/plant/fabric.hpp scale_up_load).
  sim::Bytes microbatch_tp_ring_bytes{0};
  // The context-parallel ring exchange's bytes each GPU sends to the next GPU of its CP group
  // in one microbatch: (cp - 1) K/V chunks per layer forward (twice with recompute) and twice
  // that backward, whether or not the attention hides them.
  sim::Bytes microbatch_cp_ring_bytes{0};
  KernelWork optimizer_work;
  std::vector<CollectiveCall> pp_dp_calls;  // what breakdown.pp_comm and dp_comm come from
  bool fits() const { return memory.total() <= hbm_capacity; }
};

// Model FLOPs of one step (see the file comment), all GPUs together.
sim::Flops model_flops_per_step(const TrainingSpec& spec);
// Same plus the recomputed forward (full: the layers; selective: the attention core).
sim::Flops hardware_flops_per_step(const TrainingSpec& spec);

// The 1F1B / interleaved pipeline time of m microbatches over p stages with vp virtual stages
// per rank, given each stage's per-microbatch time (forward + backward): m·max + (p-1)/vp·mean.
sim::Seconds pipeline_time(const std::vector<sim::Seconds>& stage_times, int microbatches, int vp);

class TrainingStepModel {
 public:
  // `spec` must pass check_training_spec (throws std::invalid_argument otherwise).
  // `gpus_per_node` places the groups (rank order tp - cp - dp - pp) on servers.
  TrainingStepModel(TrainingSpec spec, const GpuSpec& gpu,
                    std::shared_ptr<const kernels::cost::KernelCostModel> kernels,
                    std::shared_ptr<const CollectiveTimes> collectives, int gpus_per_node);

  StepReport step() const;
  const TrainingSpec& spec() const { return spec_; }

  // The kernels of one transformer layer for one microbatch on one GPU (tests, reports).
  struct LayerCalls {
    std::vector<std::pair<kernels::cost::KernelCall, double>> forward;
    std::vector<std::pair<kernels::cost::KernelCall, double>> backward;
    std::vector<std::pair<kernels::cost::KernelCall, double>> recompute;
  };
  LayerCalls layer_calls() const;

 private:
  TrainingSpec spec_;
  GpuSpec gpu_;
  std::shared_ptr<const kernels::cost::KernelCostModel> kernels_;
  std::shared_ptr<const CollectiveTimes> collectives_;
  int gpus_per_node_;
  kernels::cost::Device device_;

  sim::Seconds cost(const std::vector<std::pair<kernels::cost::KernelCall, double>>& calls) const;
  KernelWork work(const std::vector<std::pair<kernels::cost::KernelCall, double>>& calls) const;
  // `size` members at rank distance `stride` (which sets how many share a server); `span`
  // the ranks the group covers, when its members are not evenly strided (0: stride·size).
  CommGroup group(int size, int stride, int span = 0) const;
};

}  // namespace models::training
