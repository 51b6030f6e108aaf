#include "models/workload/llm_spec.hpp"

#include <cmath>
#include <stdexcept>

namespace models {

ParamCounts count_params(const LlmSpec& m) {
  ParamCounts p;
  const double h = m.hidden;
  const double layers = m.layers;
  p.embedding = static_cast<double>(m.vocab) * h;
  if (m.position == PositionKind::learned) p.embedding += static_cast<double>(m.max_context) * h;
  p.lm_head_matmul = static_cast<double>(m.vocab) * h;
  p.lm_head = m.tied_embeddings ? 0 : p.lm_head_matmul;

  double attn_per_layer = 0;
  double norms_per_layer = 2 * h;  // pre-attention and pre-FFN norms
  if (m.attention == AttentionKind::gqa) {
    const double q = static_cast<double>(m.heads) * m.head_dim;
    const double kv = static_cast<double>(m.kv_heads) * m.head_dim;
    attn_per_layer = h * q + 2 * h * kv + q * h;
  } else {
    const MlaSpec& a = *m.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    const double heads = m.heads;
    const double q_path =
        a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank * heads * qk : h * heads * qk;
    const double kv_down = h * (a.kv_lora_rank + a.qk_rope_head_dim);
    const double kv_up =
        static_cast<double>(a.kv_lora_rank) * heads * (a.qk_nope_head_dim + a.v_head_dim);
    const double out = heads * a.v_head_dim * h;
    attn_per_layer = q_path + kv_down + kv_up + out;
    norms_per_layer += a.kv_lora_rank + a.q_lora_rank;  // RMSNorms on the latents
  }
  p.attention = attn_per_layer * layers;
  p.norms = norms_per_layer * layers + h;  // + final norm

  const double ffn_mats = m.ffn == FfnKind::swiglu ? 3 : 2;
  const double dense_ffn_layer = ffn_mats * h * m.ffn_hidden;
  if (m.moe) {
    const MoeSpec& e = *m.moe;
    p.moe_layers = m.layers - e.dense_layers;
    const double moe_layers = p.moe_layers;
    p.dense_ffn = dense_ffn_layer * e.dense_layers;
    p.moe_expert = ffn_mats * h * e.expert_ffn_hidden;
    p.moe_router = h * e.routed_experts * moe_layers;
    p.moe_shared = p.moe_expert * e.shared_experts * moe_layers;
    p.moe_routed_total = p.moe_expert * e.routed_experts * moe_layers;
    p.moe_routed_active = p.moe_expert * e.active_experts * moe_layers;
  } else {
    p.dense_ffn = dense_ffn_layer * layers;
  }
  return p;
}

double kv_bytes_per_token(const LlmSpec& m, DType cache) {
  return kv_bytes_per_token_per_gpu(m, cache, 1);
}

double kv_bytes_per_token_per_gpu(const LlmSpec& m, DType cache, int tp) {
  const double b = bytes_per_element(cache);
  if (m.attention == AttentionKind::mla) {
    return static_cast<double>(m.layers) * (m.mla->kv_lora_rank + m.mla->qk_rope_head_dim) * b;
  }
  // Each GPU holds ceil(kv_heads / tp) heads: with tp > kv_heads a head is replicated.
  const int heads_per_gpu = (m.kv_heads + tp - 1) / tp;
  return 2.0 * m.layers * heads_per_gpu * m.head_dim * b;
}

int attention_width_prefill(const LlmSpec& m) {
  if (m.attention == AttentionKind::mla) {
    return m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim + m.mla->v_head_dim;
  }
  return 2 * m.head_dim;
}

int attention_width_decode(const LlmSpec& m) {
  if (m.attention == AttentionKind::mla) {
    return 2 * m.mla->kv_lora_rank + m.mla->qk_rope_head_dim;
  }
  return 2 * m.head_dim;
}

double flops_per_token(const LlmSpec& m, double context, bool prefill, bool with_lm_head) {
  const ParamCounts p = count_params(m);
  double matmul = p.body_matmul() + p.moe_routed_active;
  if (with_lm_head) matmul += p.lm_head_matmul;
  const int width = prefill ? attention_width_prefill(m) : attention_width_decode(m);
  const double attention = 2.0 * m.layers * m.heads * width * context;
  return 2.0 * matmul + attention;
}

double prefill_flops(const LlmSpec& m, double n, double past) {
  const ParamCounts p = count_params(m);
  const double matmul = n * (p.body_matmul() + p.moe_routed_active) + p.lm_head_matmul;
  // Token i (1..n) attends to past + i tokens: sum = n*past + n(n+1)/2.
  const double attended = n * past + n * (n + 1) / 2;
  return 2.0 * matmul + 2.0 * m.layers * m.heads * attention_width_prefill(m) * attended;
}

double expected_distinct_experts(const MoeSpec& moe, double tokens) {
  const double e = moe.routed_experts;
  const double k = moe.active_experts;
  if (tokens <= 0) return 0;
  return e * (1 - std::pow(1 - k / e, tokens));
}

}  // namespace models
