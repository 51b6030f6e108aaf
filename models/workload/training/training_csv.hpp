// Published training runs as rows of a CSV (the format of ../shared/data/training/
// megatron_sc21.csv, columns in its SOURCE.txt): one configuration per row with its measured
// step time. Read into TrainingSpecs; bad rows are reported as `file:line: column: message`
// (all of them at once, sim::config::InputError).
//
// An empty cell means the source did not state the value; the documented defaults:
//   vp           pp > 1: the smallest divisor > 1 of layers/pp (the interleaved schedule, as
//                SC'21 ran it, with the least interleaving: its bubble gain is largest from 1
//                to 2 virtual stages while its extra pipeline traffic grows with vp, SC'21
//                §2.2.2); 1 when layers/pp has no such divisor or pp = 1
//   micro_batch  1
//   cp           1;  dp  gpus / (tp·pp·cp);  tp, pp  1
//   kv_heads     heads;  ffn_hidden  4·hidden;  ffn  gelu;  dtype  bf16;  recompute  none
//   attention          (optional column: flash | unfused) unfused on Ampere GPUs
//                      (a100-sxm-80gb, a40), flash on the others
//   sequence_parallel  (optional column: 0 | 1) 1, except Ampere rows whose recompute is not
//                      `selective`
// The last two stand for the software stack, which the published tables do not state. The
// published A100 runs of Megatron-LM (Narayanan et al. SC'21; Korthikanti et al. 2022)
// predate FlashAttention (Dao et al. 2022) in Megatron-LM: QKᵀ over all s² pairs, softmax and
// dropout as separate passes. SC'21 also predates sequence parallelism, which Korthikanti et
// al. introduced together with selective recompute, so `selective` on an A100 row implies it.
// Runs on Hopper and later use Transformer Engine's fused attention and sequence parallelism
// (Megatron-LM's defaults since 2023). The GPU is a proxy for the stack's era, nothing more:
// give the columns when the source states them.
// Rows are GPT-style decoders: learned positions over seq_len, embeddings tied to the LM head,
// LayerNorm with GELU or RMSNorm with SwiGLU, head_dim = hidden / heads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/gpu/gpu_spec.hpp"
#include "models/workload/training/training_spec.hpp"

namespace models::training {

struct TrainingRow {
  int line = 0;
  std::string source;
  std::string label;  // the `model` column
  std::string gpu;    // catalog key
  TrainingSpec spec;
  double measured_step_time_s = 0;
  std::optional<double> measured_tflops_per_gpu;
  std::vector<std::string> defaulted;  // columns that took a default ("vp=2", "micro_batch=1")
};

// Ampere GPUs of the catalog (the stack defaults above).
bool is_ampere(const std::string& gpu);

// The vp an empty cell gets (see the file comment).
int default_vp(int layers, int pp);

// Reads every row; throws sim::config::InputError listing every bad cell and every
// inconsistent row (check_training_spec) as "file:line: column: message".
std::vector<TrainingRow> read_training_csv(const std::string& path,
                                           const std::map<std::string, GpuSpec>& gpus);

}  // namespace models::training
