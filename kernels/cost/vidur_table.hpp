// Vidur's measured operator profiles (microsoft/vidur, data/profiling/compute/<device>/<org>/
// <model>/mlp.csv; ../shared/data/vidur) and the kernel calls their rows stand for.
//
// A table has, per row, the time statistics of every non-attention operator of one
// transformer layer (`time_stats.<op>.{min,max,mean,median,std}`, milliseconds) and the
// shape: n_head, n_kv_head, n_embd, n_expanded_embd, vocab_size, use_gated_mlp, num_tokens,
// num_tensor_parallel_workers. A row with tensor-parallel degree T holds the per-GPU shard
// of each operator. The median is the measurement used here.
//
// How the rows were made (vidur/profiling/mlp/mlp_impl.py and mlp_wrapper.py, commit
// 7d47513 of ../shared/data/vidur): fp16 weights and activations; Sarathi-Serve's (vLLM's)
// ColumnParallelLinear / RowParallelLinear GEMMs with a fused QKV and a fused gate+up
// projection; vLLM's RMSNorm, SiLU·mul and rotary-embedding kernels; a vocab-parallel
// embedding. The table does not say which norm and residual form a model uses: in Vidur's
// configs the one model without a gated MLP (phi-2) is also the one with LayerNorm, GELU
// and a parallel residual (`attn + mlp + residual`, two adds), so both are keyed on
// use_gated_mlp, the only column there is.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cost/kernel_call.hpp"
#include "sim/units.hpp"

namespace kernels::cost {

enum class VidurOp {
  emb,
  input_layernorm,
  attn_pre_proj,
  attn_rope,
  attn_post_proj,
  post_attention_layernorm,
  mlp_up_proj,
  mlp_act,
  mlp_down_proj,
  add,
};
inline constexpr std::size_t kVidurOpCount = 10;
inline constexpr VidurOp kAllVidurOps[kVidurOpCount] = {
    VidurOp::emb,         VidurOp::input_layernorm, VidurOp::attn_pre_proj,
    VidurOp::attn_rope,   VidurOp::attn_post_proj,  VidurOp::post_attention_layernorm,
    VidurOp::mlp_up_proj, VidurOp::mlp_act,         VidurOp::mlp_down_proj,
    VidurOp::add};

std::string_view to_string(VidurOp op);

struct VidurShape {
  std::int64_t n_head = 0;
  std::int64_t n_kv_head = 0;
  std::int64_t n_embd = 0;
  std::int64_t n_expanded_embd = 0;
  std::int64_t vocab_size = 0;
  bool gated = true;
  std::int64_t num_tokens = 0;
  std::int64_t tensor_parallel = 1;
};

struct VidurRow {
  VidurShape shape;
  int line = 0;  // 1-based line in the file
  // Median time of each operator; absent where the table has no column or no value.
  std::array<std::optional<sim::Seconds>, kVidurOpCount> median{};
};

struct VidurTable {
  std::string file;
  std::vector<VidurOp> ops;  // operators with a median column, in kAllVidurOps order
  std::vector<VidurRow> rows;
};

// Throws sim::config::InputError listing every problem as file:line:col: column: message.
VidurTable read_vidur_mlp(const std::string& path);
VidurTable parse_vidur_mlp(std::string_view text, const std::string& file_name);

// The GPU kernel call an operator of a row stands for (fp16, per GPU):
//   emb                       embedding(N, n_embd)
//   *_layernorm               rms_norm(N, n_embd), or layer_norm when not gated
//   attn_pre_proj             GEMM m = N, n = (n_head + 2·n_kv_head)·head_dim / T, k = n_embd
//   attn_rope                 rope(N, n_head / T, n_kv_head / T, head_dim)
//   attn_post_proj            GEMM m = N, n = n_embd, k = n_head·head_dim / T
//   mlp_up_proj               GEMM m = N, n = 2·n_expanded_embd / T (gated; else 1·), k = n_embd
//   mlp_act                   silu_mul(N, n_expanded_embd / T), or gelu when not gated
//   mlp_down_proj             GEMM m = N, n = n_embd, k = n_expanded_embd / T
//   add                       residual_add(N, n_embd, 2 operands; 3 when not gated)
// with head_dim = n_embd / n_head and N = num_tokens.
KernelCall vidur_call(VidurOp op, const VidurShape& shape);

// What a table's path says: .../<device dir>/<org>/<model>/mlp.csv.
struct VidurPathInfo {
  std::string device_dir;  // "a100"
  std::optional<std::string>
      device;         // catalog name: a100 -> a100-sxm-80gb, h100 -> h100-sxm, a40 -> a40
  std::string model;  // "meta-llama/Llama-2-7b-hf"
};
VidurPathInfo vidur_path_info(const std::string& path);

// Catalog name of a Vidur device folder: a100 -> a100-sxm-80gb (Vidur's A100s are the SXM 80 GB
// DGX parts), h100 -> h100-sxm, a40 -> a40; nullopt for others.
std::optional<std::string> vidur_device_name(std::string_view device_dir);

}  // namespace kernels::cost
