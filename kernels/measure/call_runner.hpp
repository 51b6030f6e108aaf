#pragma once
// Runs a cost model's kernel call (kernels/cost/kernel_call.hpp) on this CPU: the kernel of
// this folder that does that operator, on deterministic operands of the call's shape. It is
// how `firstwall kernels selfcheck` measures the very calls the serving model's iteration
// logic enumerates (models/workload/kernel_iteration_cost.hpp), so a measured table of this
// host can cost them.
//
// Mapping (the CPU computes in FP32; storage formats as below; elementwise calls carry only
// their byte count, not a format, and run on FP32 operands):
//   Gemm            linear (fp32) or linear_bf16 (bf16 weights), x [m, k], W [n, k]
//   rms_norm        rms_norm over [rows, elements / rows]
//   layer_norm      layer_norm over [rows, elements / rows]
//   silu_mul        silu_mul on gate, up [rows, elements / rows]
//   gelu            gelu_inplace on [rows, elements / rows]
//   residual_add    launches × (x += y) on [rows, elements / rows]
//   rope            apply_rope on [rows, elements / rows] in heads of rotary_dim
//   embedding       embedding_lookup of rows distinct rows of a [rows, elements / rows] table
//   attention       per request, attention_prefill / attention_decode over a kv_cache of
//                   kv_len tokens (fp32 / bf16 / fp8 storage from kv_format)
// Calls with no CPU kernel here throw std::invalid_argument naming the reason: fp16 or fp8
// GEMMs and activations, MLA's absorbed attention (v_in_k), attention with qk_dim != v_dim.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "kernels/cost/kernel_call.hpp"
#include "kernels/gemm_bf16.hpp"
#include "kernels/tensor.hpp"

namespace kernels::measure {

// GEMM weights shared between calls: a model uses one weight matrix for its prefill GEMM
// (m = prompt tokens) and its decode GEMV (m = 1), so a harness that replays a model's
// iterations must give both calls the same memory, or it times the decode against weights
// the prefill never warmed. Keyed by (n, k, seed, format): the caller picks the seed per
// layer. Two weights of one shape in one layer would share (none do in a GQA layer).
class weight_pool {
 public:
  std::shared_ptr<const Mat> fp32(Eigen::Index n, Eigen::Index k, std::uint64_t seed, float scale);
  std::shared_ptr<const bf16_matrix> bf16(Eigen::Index n, Eigen::Index k, std::uint64_t seed,
                                          float scale);

 private:
  using key = std::tuple<Eigen::Index, Eigen::Index, std::uint64_t>;
  std::map<key, std::shared_ptr<const Mat>> fp32_;
  std::map<key, std::shared_ptr<const bf16_matrix>> bf16_;
};

// Builds the operands (seeded by `seed`) and returns the call to time. The closure owns them.
// With `weights`, a GEMM's weight matrix comes from (and stays in) that pool.
std::function<void()> cpu_kernel_call(const kernels::cost::KernelCall& call, std::uint64_t seed,
                                      weight_pool* weights = nullptr);

// "gemm m=256 n=1536 k=1024 fp32", "attention_decode 16q/4kv x64 fp32 kv fp32 kv_len=272", ...
std::string describe(const kernels::cost::KernelCall& call);

}  // namespace kernels::measure
