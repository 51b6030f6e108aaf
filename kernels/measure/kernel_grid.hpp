#pragma once
// The grid of kernel calls `firstwall kernels measure` times: every kernel of kernels/ over
// shapes that bracket real models (Llama-class d_model 4096, GQA 32/8 heads of 128,
// DeepSeek-V3 MLA dims), dtypes and storage formats.
//
// Cases come in groups that share operands (one 32000 × 4096 vocabulary table serves the
// embedding gather and the LM head at every token count), so the grid is known — for
// progress and for filtering — before any operand exists, and a group's operands are
// allocated only when one of its cases is selected, and freed before the next group.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/work_count.hpp"

namespace kernels::measure {

// Every numeric shape parameter of every kernel, one table column each; 0 = not applicable.
// `tokens` is the number of activation rows the call processes in every kernel (GEMM m, the
// queries of attention), so a cost model can fit per-token costs across kernels.
struct kernel_shape {
  std::int64_t tokens = 0;   // activation rows / query tokens
  std::int64_t context = 0;  // keys attended (cached tokens + the new ones)
  std::int64_t m = 0;        // GEMM y[m, n] = x[m, k] · W[n, k]ᵀ
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t d_model = 0;
  std::int64_t ffn_dim = 0;  // dense FFN hidden size, or one expert's in MoE
  std::int64_t heads = 0;    // query heads
  std::int64_t kv_heads = 0;
  std::int64_t head_dim_qk = 0;
  std::int64_t head_dim_v = 0;
  std::int64_t kv_lora_rank = 0;  // MLA
  std::int64_t rope_dim = 0;      // rotated columns per head (RoPE, MLA's decoupled key)
  std::int64_t experts = 0;       // MoE routed experts
  std::int64_t top_k = 0;
  std::int64_t shared_experts = 0;
  std::int64_t experts_touched = 0;  // distinct experts that received tokens (routing decides)
  std::int64_t vocab = 0;

  friend bool operator==(const kernel_shape&, const kernel_shape&) = default;
};

struct shape_column {
  const char* name;
  std::int64_t kernel_shape::*field;
};

// Column order of the measured table.
inline constexpr std::array<shape_column, 18> shape_columns{{
    {"tokens", &kernel_shape::tokens},
    {"context", &kernel_shape::context},
    {"m", &kernel_shape::m},
    {"n", &kernel_shape::n},
    {"k", &kernel_shape::k},
    {"d_model", &kernel_shape::d_model},
    {"ffn_dim", &kernel_shape::ffn_dim},
    {"heads", &kernel_shape::heads},
    {"kv_heads", &kernel_shape::kv_heads},
    {"head_dim_qk", &kernel_shape::head_dim_qk},
    {"head_dim_v", &kernel_shape::head_dim_v},
    {"kv_lora_rank", &kernel_shape::kv_lora_rank},
    {"rope_dim", &kernel_shape::rope_dim},
    {"experts", &kernel_shape::experts},
    {"top_k", &kernel_shape::top_k},
    {"shared_experts", &kernel_shape::shared_experts},
    {"experts_touched", &kernel_shape::experts_touched},
    {"vocab", &kernel_shape::vocab},
}};

// "m=512 n=4096 k=4096": the non-zero parameters in column order.
std::string shape_string(const kernel_shape& shape);

// What is known about a case before its operands exist.
struct case_info {
  std::string kernel;   // "gemm", "attention_decode", ... (kernel_names())
  std::string variant;  // the implementation: "flash", "naive", "absorbed", "avx512_bf16", ...
  std::string dtype;    // compute/storage format: "fp32", "bf16", "fp8_e4m3"
  kernel_shape shape;
};

// A case ready to time. `work` is filled when the operands exist (MoE's experts_touched
// depends on the routing of the actual tokens).
struct prepared_case {
  std::function<void()> run;  // one kernel call
  kernel_work work;
  kernel_shape shape;  // the info's shape, completed (experts_touched)
};

struct case_group {
  std::vector<case_info> cases;
  // Allocates the group's operands and returns one prepared case per entry of `cases`, in
  // order; the operands live as long as the returned closures.
  std::function<std::vector<prepared_case>()> prepare;
};

struct grid_options {
  bool quick = false;      // small shapes: the whole grid in seconds (CI)
  std::uint64_t seed = 1;  // operands are hashed_matrix values of this seed
};

std::vector<case_group> kernel_grid(const grid_options& options);

// Every kernel name the grid uses, in grid order.
std::vector<std::string> kernel_names();

}  // namespace kernels::measure
