#pragma once
// How much work each kernel does for a shape: floating-point operations and bytes moved, for
// the measuring harness (achieved FLOP/s and GB/s) and the roofline cost model (arithmetic
// intensity = flops / bytes). Pure arithmetic on shapes; no Eigen, cheap to include.
//
// Conventions:
//  - flops: a multiply and an add count 2 (an FMA is 2). For elementwise kernels exp, tanh,
//    sqrt, division and comparison count 1 each — a count of operations, not of cycles.
//    Attention counts only its two matrix products (Q·Kᵀ and P·V), the convention of the
//    FlashAttention papers and of the REFERENCE.md figures (4·B·H·L²·D non-causal), so measured
//    rates compare with published ones; its softmax (~5 operations per score) is left out.
//  - bytes: compulsory traffic with an ideal cache — every input read once, every output
//    written once, intermediates that stay on chip (attention scores, the FFN hidden layer,
//    online-softmax state) not counted. Real kernels move more; the ratio is what the
//    roofline's "efficiency" absorbs. Element sizes are parameters (4 fp32, 2 bf16, 1 fp8).

#include <cstdint>

namespace kernels {

struct attention_shape;
struct mla_config;
struct moe_config;
enum class mla_form;

struct kernel_work {
  std::int64_t flops = 0;
  std::int64_t bytes = 0;
  friend kernel_work operator+(kernel_work a, kernel_work b) {
    return {a.flops + b.flops, a.bytes + b.bytes};
  }
  friend bool operator==(const kernel_work&, const kernel_work&) = default;
};

// Gather: flops 0; bytes = 4·n (int32 ids) + 2·n·d·elem (read the rows, write the output).
kernel_work embedding_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t elem);

// x += PE from a table: flops n·d; bytes 3·n·d·elem (read x, read PE, write x).
kernel_work positional_encoding_work(std::int64_t n_tokens, std::int64_t d_model,
                                     std::int64_t elem);

// Per rotated pair 4 multiplies + 2 adds, per token and pair one cos and one sin:
// flops = 3·n·h·r + n·r (r = rope_dim); bytes = 2·n·h·r·elem (read and write the slice).
kernel_work rope_work(std::int64_t n_tokens, std::int64_t n_heads, std::int64_t rope_dim,
                      std::int64_t elem);

// Per row: Σx² 2d, then ÷d, +eps, 1/sqrt 3, then x·inv·γ 2d → flops n·(4d + 3);
// bytes (2·n·d + d)·elem (x, y, γ).
kernel_work rms_norm_work(std::int64_t n_tokens, std::int64_t d, std::int64_t elem);

// Per row: mean d + 1, centering d, Σ(x-μ)² 2d, ÷d, +eps, 1/sqrt 3, ·inv ·γ +β 3d
// → flops n·(7d + 4); bytes (2·n·d + 2·d)·elem (x, y, γ, β).
kernel_work layer_norm_work(std::int64_t n_tokens, std::int64_t d, std::int64_t elem);

// Per row: max d, subtract d, exp d, sum d, divide d → flops 5·n·d; bytes 2·n·d·elem.
kernel_work softmax_work(std::int64_t n_rows, std::int64_t d, std::int64_t elem);

// y [m, n] = x [m, k] · Wᵀ: flops 2·m·n·k; bytes m·k·elem_x + n·k·elem_w + m·n·elem_y.
kernel_work gemm_work(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t elem_x,
                      std::int64_t elem_w, std::int64_t elem_y);
inline kernel_work gemm_work(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t elem) {
  return gemm_work(m, n, k, elem, elem, elem);
}

// Two GEMMs 2·(2·n·d·f), biases n·f + n·d, gelu 9 per hidden element
// (x², x³, ·0.044715, +x, ·√(2/π), tanh, +1, ·x, ·0.5) → flops 4ndf + 10nf + nd;
// bytes (2·n·d + 2·d·f + f + d)·elem.
kernel_work gelu_ffn_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t ffn_dim,
                          std::int64_t elem);

// Three GEMMs 3·(2·n·d·f), silu(g)·u 5 per hidden element (negate, exp, +1, divide, multiply)
// → flops 6ndf + 5nf; bytes (2·n·d + 3·d·f)·elem.
kernel_work swiglu_ffn_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t ffn_dim,
                            std::int64_t elem);

// Causal (query, key) pairs when the n_q queries are the last of n_k positions:
// Σ_{i<n_q} (n_k - n_q + i + 1) = n_q·(n_k - n_q) + n_q·(n_q + 1)/2.
std::int64_t causal_pairs(std::int64_t n_q, std::int64_t n_k);

// flops = 2·h·pairs·(d_qk + d_v); bytes = (n_q·h·d_qk + n_k·h_kv·(d_qk + d_v) + n_q·h·d_v)·elem.
kernel_work attention_prefill_work(std::int64_t n_q, std::int64_t n_k, const attention_shape& shape,
                                   std::int64_t elem);

// One query token over n_k cached tokens: flops 2·h·n_k·(d_qk + d_v); bytes = (h·d_qk +
// h·d_v)·elem + n_k·kv_bytes_per_token (kv_cache::bytes_per_token(), which includes FP8
// scales). Llama-3-70B per layer and cached token: 32,768 FLOP over 8,192 B fp32.
kernel_work attention_decode_work(std::int64_t n_k, const attention_shape& shape, std::int64_t elem,
                                  std::int64_t kv_bytes_per_token);

// MLA attention (mla.hpp) of n_q queries over n_k cached latent rows (r = kv_lora_rank,
// p = rope dim, h heads, pairs = causal_pairs(n_q, n_k)):
//  absorbed: q·W_UK 2·n_q·h·nope·r + attention 2·h·pairs·((r + p) + r) + W_UV 2·n_q·h·r·v;
//            bytes (q n_q·h·(nope + p) + W_UK h·nope·r + latent n_k·(r + p) + W_UV h·v·r +
//            out n_q·h·v)·elem. Decode (n_q = 1): 2·h·(2r + p) FLOP per cached token —
//            278,528 for DeepSeek-V3 (h 128, r 512, p 64), over (r + p)·elem bytes.
//  naive:    up-projection 2·n_k·r·h·(nope + v) + attention 2·h·pairs·((nope + p) + v);
//            bytes as absorbed plus the materialized per-head K_nope and V, written and read
//            once: 2·n_k·h·(nope + v)·elem.
kernel_work mla_attention_work(std::int64_t n_q, std::int64_t n_k, const mla_config& config,
                               mla_form form, std::int64_t elem);

// MoE FFN of n tokens (E experts, k active, f = expert ffn_dim, s shared experts of the same
// f): router 2·n·d·E + scores 4·n·E (sigmoid or softmax, ~4 per score) + top-k selection
// (not counted); routed experts n·k·(6·d·f + 5·f); shared n·s·(6·d·f + 5·f); weighted
// combine 2·n·k·d. bytes: (x n·d + router E·d + experts_touched·3·d·f + s·3·d·f + out n·d)·elem,
// where experts_touched (<= min(E, n·k)) is the number of distinct experts that received
// tokens — routing decides it, so the caller supplies it.
kernel_work moe_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t expert_ffn_dim,
                     std::int64_t n_shared, std::int64_t experts_touched, const moe_config& config,
                     std::int64_t elem);

// logits [n, vocab] = h [n, d] · W_vocabᵀ: gemm_work(n, vocab, d).
kernel_work lm_head_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t vocab,
                         std::int64_t elem);

}  // namespace kernels
