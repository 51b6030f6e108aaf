#include "kernels/work_count.hpp"

#include "kernels/attention.hpp"
#include "kernels/mla.hpp"
#include "kernels/moe.hpp"

namespace kernels {

kernel_work embedding_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t elem) {
  return {0, 4 * n_tokens + 2 * n_tokens * d_model * elem};
}

kernel_work positional_encoding_work(std::int64_t n_tokens, std::int64_t d_model,
                                     std::int64_t elem) {
  return {n_tokens * d_model, 3 * n_tokens * d_model * elem};
}

kernel_work rope_work(std::int64_t n_tokens, std::int64_t n_heads, std::int64_t rope_dim,
                      std::int64_t elem) {
  return {3 * n_tokens * n_heads * rope_dim + n_tokens * rope_dim,
          2 * n_tokens * n_heads * rope_dim * elem};
}

kernel_work rms_norm_work(std::int64_t n_tokens, std::int64_t d, std::int64_t elem) {
  return {n_tokens * (4 * d + 3), (2 * n_tokens * d + d) * elem};
}

kernel_work layer_norm_work(std::int64_t n_tokens, std::int64_t d, std::int64_t elem) {
  return {n_tokens * (7 * d + 4), (2 * n_tokens * d + 2 * d) * elem};
}

kernel_work softmax_work(std::int64_t n_rows, std::int64_t d, std::int64_t elem) {
  return {5 * n_rows * d, 2 * n_rows * d * elem};
}

kernel_work gemm_work(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t elem_x,
                      std::int64_t elem_w, std::int64_t elem_y) {
  return {2 * m * n * k, m * k * elem_x + n * k * elem_w + m * n * elem_y};
}

kernel_work gelu_ffn_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t ffn_dim,
                          std::int64_t elem) {
  const std::int64_t n = n_tokens;
  const std::int64_t d = d_model;
  const std::int64_t f = ffn_dim;
  return {4 * n * d * f + 10 * n * f + n * d, (2 * n * d + 2 * d * f + f + d) * elem};
}

kernel_work swiglu_ffn_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t ffn_dim,
                            std::int64_t elem) {
  const std::int64_t n = n_tokens;
  const std::int64_t d = d_model;
  const std::int64_t f = ffn_dim;
  return {6 * n * d * f + 5 * n * f, (2 * n * d + 3 * d * f) * elem};
}

std::int64_t causal_pairs(std::int64_t n_q, std::int64_t n_k) {
  return n_q * (n_k - n_q) + n_q * (n_q + 1) / 2;
}

kernel_work attention_prefill_work(std::int64_t n_q, std::int64_t n_k, const attention_shape& shape,
                                   std::int64_t elem) {
  const std::int64_t h = shape.n_heads;
  const std::int64_t h_kv = shape.n_kv_heads;
  const std::int64_t dk = shape.head_dim_qk;
  const std::int64_t dv = shape.head_dim_v;
  return {2 * h * causal_pairs(n_q, n_k) * (dk + dv),
          (n_q * h * dk + n_k * h_kv * (dk + dv) + n_q * h * dv) * elem};
}

kernel_work attention_decode_work(std::int64_t n_k, const attention_shape& shape, std::int64_t elem,
                                  std::int64_t kv_bytes_per_token) {
  const std::int64_t h = shape.n_heads;
  const std::int64_t dk = shape.head_dim_qk;
  const std::int64_t dv = shape.head_dim_v;
  return {2 * h * n_k * (dk + dv), (h * dk + h * dv) * elem + n_k * kv_bytes_per_token};
}

kernel_work mla_attention_work(std::int64_t n_q, std::int64_t n_k, const mla_config& config,
                               mla_form form, std::int64_t elem) {
  const std::int64_t h = config.n_heads;
  const std::int64_t r = config.kv_lora_rank;
  const std::int64_t p = config.qk_rope_head_dim;
  const std::int64_t nope = config.qk_nope_head_dim;
  const std::int64_t v = config.v_head_dim;
  const std::int64_t pairs = causal_pairs(n_q, n_k);
  const std::int64_t shared_bytes =
      (n_q * h * (nope + p) + h * nope * r + n_k * (r + p) + h * v * r + n_q * h * v) * elem;
  if (form == mla_form::absorbed) {
    return {2 * n_q * h * nope * r + 2 * h * pairs * ((r + p) + r) + 2 * n_q * h * r * v,
            shared_bytes};
  }
  return {2 * n_k * r * h * (nope + v) + 2 * h * pairs * ((nope + p) + v),
          shared_bytes + 2 * n_k * h * (nope + v) * elem};
}

kernel_work moe_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t expert_ffn_dim,
                     std::int64_t n_shared, std::int64_t experts_touched, const moe_config& config,
                     std::int64_t elem) {
  const std::int64_t n = n_tokens;
  const std::int64_t d = d_model;
  const std::int64_t f = expert_ffn_dim;
  const std::int64_t e = config.n_experts;
  const std::int64_t k = config.top_k;
  const std::int64_t expert = 6 * d * f + 5 * f;
  return {2 * n * d * e + 4 * n * e + n * k * expert + n * n_shared * expert + 2 * n * k * d,
          (n * d + e * d + experts_touched * 3 * d * f + n_shared * 3 * d * f + n * d) * elem};
}

kernel_work lm_head_work(std::int64_t n_tokens, std::int64_t d_model, std::int64_t vocab,
                         std::int64_t elem) {
  return gemm_work(n_tokens, vocab, d_model, elem);
}

}  // namespace kernels
