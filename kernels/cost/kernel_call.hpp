// One GPU operator invocation, as the serving simulator issues them per transformer layer and
// tensor-parallel shard, and the work it does (FLOPs and compulsory HBM bytes).
//
// Counting follows kernels/work_count.hpp (a multiply-add is 2 FLOPs; bytes are compulsory
// traffic with an ideal cache: every input read once, every output written once), so CPU
// measurements and GPU predictions speak the same units. Shapes are per GPU: a call with
// tensor-parallel degree T already holds the shard (e.g. the fused QKV GEMM has
// n = (heads + 2·kv_heads)·head_dim / T).
//
// Invalid shapes (a negative dimension, kv_len < query_len) are programming errors of the
// caller and throw std::invalid_argument; user input is checked where it is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/units.hpp"

namespace kernels::cost {

// Storage format of the numbers a kernel reads and writes.
enum class NumberFormat { fp32, bf16, fp16, fp8 };

sim::Bytes element_size(NumberFormat f);
std::string_view to_string(NumberFormat f);

// y[m, n] = x[m, k] · Wᵀ: m tokens, n output features, k input features.
//
// `groups` > 1 is one launch of that many independent products of the same shape, each with
// its own x, W and y: a grouped GEMM (the routed experts of a MoE layer, tokens spread evenly
// over the active experts: vLLM's fused_moe, DeepGEMM's m-grouped GEMM, SGLang) or a batched
// GEMM (MLA's per-head absorption products W_UK and W_UV for all heads: torch.bmm / einsum in
// DeepSeek's inference/model.py). Engines launch them this way so that the group shares one
// launch and fills the GPU's SMs as one grid: the cost model charges one launch overhead and
// quantizes waves over the tiles of the whole group.
struct Gemm {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  NumberFormat format = NumberFormat::bf16;
  std::int64_t groups = 1;
};

// Memory-bound operators, by the class of kernel that runs them. The class matters because
// different implementations reach different fractions of HBM bandwidth (Vidur's profiles:
// the row-per-block RMSNorm reaches ~30 % of H100 bandwidth, a residual add ~95 %).
enum class ElementwiseOp { rms_norm, layer_norm, silu_mul, gelu, residual_add, rope, embedding };

struct Elementwise {
  ElementwiseOp op = ElementwiseOp::residual_add;
  std::int64_t rows = 0;      // tokens; row-wise kernels launch one thread block per token
  std::int64_t elements = 0;  // elements of the output
  sim::Bytes bytes;           // compulsory HBM traffic
  sim::Flops flops;
  int launches = 1;             // kernels the operator runs (a 3-operand add is 2 launches)
  std::int64_t rotary_dim = 0;  // rope only: rotated columns per head
};

// Heads and head sizes per GPU. `v_in_k`: V is a slice of the cached K row, as in MLA's
// absorbed form, where one cached latent row of kv_lora_rank + rope_dim serves as both.
struct AttentionShape {
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t qk_dim = 0;
  std::int64_t v_dim = 0;
  bool v_in_k = false;
  NumberFormat format = NumberFormat::bf16;     // Q and the output
  NumberFormat kv_format = NumberFormat::bf16;  // the KV cache
};

struct QueryKv {
  std::int64_t query_len = 0;  // new tokens of the request in this iteration
  std::int64_t kv_len = 0;     // tokens attended: cached + new (>= query_len)
};

// Causal prefill (or a prefill chunk) of a batch of requests; the queries are the last
// query_len of kv_len positions.
struct AttentionPrefill {
  AttentionShape shape;
  std::vector<QueryKv> requests;
};

// One new token for each request over its kv_len cached tokens.
struct AttentionDecode {
  AttentionShape shape;
  std::vector<std::int64_t> kv_lens;
};

using KernelCall = std::variant<Gemm, Elementwise, AttentionPrefill, AttentionDecode>;

// Kernel classes: each has its own calibrated efficiencies.
enum class KernelClass {
  gemm,
  rms_norm,
  layer_norm,
  silu_mul,
  gelu,
  residual_add,
  rope,
  embedding,
  attention_prefill,
  attention_decode,
};
inline constexpr KernelClass kAllKernelClasses[] = {KernelClass::gemm,
                                                    KernelClass::rms_norm,
                                                    KernelClass::layer_norm,
                                                    KernelClass::silu_mul,
                                                    KernelClass::gelu,
                                                    KernelClass::residual_add,
                                                    KernelClass::rope,
                                                    KernelClass::embedding,
                                                    KernelClass::attention_prefill,
                                                    KernelClass::attention_decode};

std::string_view to_string(KernelClass c);
std::optional<KernelClass> parse_kernel_class(std::string_view s);
KernelClass kernel_class(const KernelCall& call);

struct KernelWork {
  sim::Flops flops;
  sim::Bytes bytes;
};

// GEMM: flops 2·m·n·k·groups; bytes (m·k + n·k + m·n)·elem·groups.
// Elementwise: the call's own counts (the builders below).
// Prefill, per request (pairs = causal (query, key) pairs, kernels/work_count.hpp):
//   flops 2·heads·pairs·(qk + v); bytes q·heads·qk·elem + kv·kv_heads·(qk + v)·kv_elem
//   + q·heads·v·elem (K and V counted once: qk only when v_in_k).
// Decode, per request: flops 2·heads·kv·(qk + v); bytes heads·(qk + v)·elem
//   + kv·kv_heads·(qk + v)·kv_elem (qk only when v_in_k) — FlashMLA's byte count for MLA.
KernelWork work(const KernelCall& call);

// Σ_{i<q} (kv - q + i + 1) = q·(kv - q) + q·(q + 1)/2.
std::int64_t causal_pairs(std::int64_t query_len, std::int64_t kv_len);

// The tokens dimension of a call: m·groups of a GEMM (every row of the group), rows of an
// elementwise op, total queries of an attention call. Measured tables interpolate along it.
std::int64_t tokens(const KernelCall& call);

// --- Builders: elementwise calls with their work counted the same way everywhere. ---

// Per row 4·d + 3 flops (kernels/work_count.hpp); bytes (2·n·d + d)·elem (x, y, γ).
Elementwise rms_norm(std::int64_t tokens, std::int64_t hidden, NumberFormat f);
// Per row 7·d + 4 flops; bytes (2·n·d + 2·d)·elem (x, y, γ, β).
Elementwise layer_norm(std::int64_t tokens, std::int64_t hidden, NumberFormat f);
// SiLU(gate)·up of a fused [n, 2·width] input: 5 flops per output element (negate, exp,
// +1, divide, multiply); bytes 3·n·width·elem (read both halves, write one).
Elementwise silu_mul(std::int64_t tokens, std::int64_t width, NumberFormat f);
// GELU of [n, width]: 9 flops per element (tanh form, kernels/work_count.hpp); bytes
// 2·n·width·elem.
Elementwise gelu(std::int64_t tokens, std::int64_t width, NumberFormat f);
// Sum of `operands` (>= 2) tensors of [n, hidden] as operands - 1 binary adds (PyTorch runs
// `a + b + c` as two kernels): flops (operands - 1)·n·d, bytes (operands - 1)·3·n·d·elem.
Elementwise residual_add(std::int64_t tokens, std::int64_t hidden, int operands, NumberFormat f);
// In-place rotary embedding of Q and K: h = heads + kv_heads rotated heads of rotary_dim;
// flops 3·n·h·r + n·r (kernels/work_count.hpp); bytes 2·n·h·r·elem (read and write the
// slice) + n·r·elem (the cos/sin cache row of each token) + 8·n (int64 positions).
Elementwise rope(std::int64_t tokens, std::int64_t heads, std::int64_t kv_heads,
                 std::int64_t rotary_dim, NumberFormat f);
// Gather of n rows of the (vocab-sharded) table: flops 0; bytes 8·n (int64 ids) +
// 2·n·hidden·elem (read the rows, write the output).
Elementwise embedding(std::int64_t tokens, std::int64_t hidden, NumberFormat f);

// MLA decode in absorbed form as MQA (FlashMLA): one KV head whose cached row is the latent
// (kv_lora_rank) plus the decoupled RoPE key (rope_dim); qk = rank + rope, v = rank, V is
// part of K. `heads` is per GPU.
AttentionShape mla_absorbed(std::int64_t heads, std::int64_t kv_lora_rank, std::int64_t rope_dim,
                            NumberFormat f, NumberFormat kv_format);

}  // namespace kernels::cost
