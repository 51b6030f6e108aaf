// One training job as the step model sees it: the model, how it is split over GPUs, the
// batch, what is recomputed and how attention runs. Read from a scenario's `workload:` or
// from a row of a Megatron-style CSV (training_csv.hpp); checked by check_training_spec.
//
// Parallelism follows Megatron-LM (Shoeybi et al. 2019; Narayanan et al. SC'21; Korthikanti
// et al. 2022): GPUs = tp · cp · dp · pp; rank order tp (innermost) - cp - dp - pp, so a
// tensor-parallel group sits inside one server and pipeline stages are the outermost split.
// Expert parallelism (MoE) is carved out of the data-parallel ranks (ep divides dp): expert
// weights are sharded ep ways, dense weights are replicated over dp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/common/dtype.hpp"
#include "models/workload/llm_spec.hpp"

namespace models::training {

enum class Recompute { none, selective, full };
std::string_view to_string(Recompute r);
std::optional<Recompute> parse_recompute(std::string_view s);

// How the attention core runs, because it changes both time and memory:
//  unfused  Megatron-LM before FlashAttention (SC'21, Korthikanti 2022): QKᵀ batched GEMM over
//           all s² pairs, fused scale-mask-softmax, dropout on the probabilities, batched GEMM
//           with V. The s² tensors are stored (Korthikanti's 5·a·s²·b bytes per layer).
//  flash    FlashAttention (Dao et al. 2022): causal pairs only, fused, nothing of size s²
//           stored; backward recomputes the scores.
enum class AttentionImpl { unfused, flash };
std::string_view to_string(AttentionImpl a);
std::optional<AttentionImpl> parse_attention_impl(std::string_view s);

// Rank order, innermost first. Megatron-LM's default puts pipeline stages outermost; Llama 3
// puts data parallelism outermost ("[TP, CP, PP, DP]", Dubey et al. 2024 §3.3.2), so that
// the pipeline sends stay in a pod and only the gradient collectives leave it, which is also
// the layout for data parallelism split across two sites.
enum class RankOrder { tp_cp_dp_pp, tp_cp_pp_dp };
std::string_view to_string(RankOrder o);
std::optional<RankOrder> parse_rank_order(std::string_view s);

struct Parallelism {
  int tp = 1;
  int pp = 1;
  int vp = 1;  // virtual stages per pipeline rank (interleaved schedule when > 1)
  int cp = 1;
  int dp = 1;
  int ep = 1;
  bool sequence_parallel = true;      // Korthikanti et al. 2022 §4.2.2 (with tp > 1)
  bool distributed_optimizer = true;  // optimizer state sharded over dp (ZeRO-1-like)
  RankOrder order = RankOrder::tp_cp_dp_pp;
  // Rank distance between consecutive members of each group.
  int dp_stride() const { return order == RankOrder::tp_cp_dp_pp ? tp * cp : tp * cp * pp; }
  int pp_stride() const { return order == RankOrder::tp_cp_dp_pp ? tp * cp * dp : tp * cp; }
};

struct TrainingSpec {
  LlmSpec model;
  int gpus = 0;
  Parallelism parallel;
  int seq_len = 0;
  int global_batch = 0;  // sequences per step
  int micro_batch = 1;   // sequences per microbatch
  Recompute recompute = Recompute::none;
  AttentionImpl attention = AttentionImpl::flash;
  DType dtype = DType::bf16;
  // Data-parallel gradient reduce-scatter overlapped with the backward pass of the last
  // microbatch, and the parameter all-gather with the first forward (Megatron-LM
  // --overlap-grad-reduce / --overlap-param-gather).
  bool overlap_dp = true;

  // Microbatches each pipeline runs per step: global_batch / (dp · micro_batch).
  int microbatches() const;
  // Sequences per data-parallel rank: global_batch / dp.
  int batch_per_dp() const { return parallel.dp > 0 ? global_batch / parallel.dp : 0; }
};

// One problem with a spec: the field it is about (the CSV column or YAML key) and the message.
struct SpecProblem {
  std::string field;
  std::string message;
};

// Every inconsistency of the spec, in a fixed order (empty: valid). Messages are exact and
// tested (tests/training/test_training_spec.cpp):
//   gpus  "tp·pp·dp·cp = 64 does not match gpus = 32"
//   layers "layers (30) must be divisible by pp·vp = 4"
//   micro_batch "micro_batch (3) must divide the batch per data-parallel rank (16 = 512 / 32)"
//   global_batch "global_batch (100) must be divisible by dp (32)"
//   seq_len "seq_len (2047) must be divisible by cp (2)" (and by tp with sequence parallelism)
//   heads "heads (24) must be divisible by tp (16)"
//   ep "ep (3) must divide dp (32)", "ep (2) needs a MoE model"
std::vector<SpecProblem> check_training_spec(const TrainingSpec& spec);

}  // namespace models::training
