#pragma once
// Causal scaled dot-product attention for MHA, GQA and MQA, O = softmax(Q·Kᵀ·scale + M)·V
// (Vaswani et al. 2017; GQA: Ainslie et al. 2023, arXiv:2305.13245).
//
// Layouts (token-major, see tensor.hpp): q [n_q, n_heads·head_dim_qk], k [n_k,
// n_kv_heads·head_dim_qk], v [n_k, n_kv_heads·head_dim_v], output [n_q, n_heads·head_dim_v].
// Query head h reads kv head h / (n_heads / n_kv_heads), so consecutive query heads share a
// kv head (the Llama / Hugging Face repeat_kv convention).
//
// Causality: the n_q queries are the LAST n_q of n_k positions — query i sits at position
// n_k - n_q + i and sees keys 0 .. n_k - n_q + i. n_q == n_k is a plain prefill; n_q < n_k is a
// chunked prefill that continues a KV cache.

#include "kernels/tensor.hpp"

namespace kernels {

struct attention_shape {
  int n_heads = 1;
  int n_kv_heads = 1;  // must divide n_heads
  int head_dim_qk = 0;
  int head_dim_v = 0;
  float scale = 1.0f;  // multiplies Q·Kᵀ; 1/sqrt(head_dim_qk) unless the model says otherwise

  // Same head dim for q, k, v and scale 1/sqrt(head_dim).
  static attention_shape gqa(int n_heads, int n_kv_heads, int head_dim);
  int group_size() const { return n_heads / n_kv_heads; }
  // Throws std::invalid_argument (message prefixed by `who`) unless heads and dims are
  // positive and n_kv_heads divides n_heads.
  void validate(const char* who) const;
};

// Tiled online-softmax ("flash") form (Dao et al. 2022, "FlashAttention: Fast and
// Memory-Efficient Exact Attention with IO-Awareness", NeurIPS, Algorithm 1; the rescaling of
// the running sum follows Milakov & Gimelshein 2018, "Online normalizer calculation for
// softmax"). Each (head, tile of flash_tile_q queries) is one work item that sweeps key tiles
// of flash_tile_k keys, keeping a running row maximum m, sum l and unnormalized output; the
// n_q × n_k score matrix never exists. Key tiles entirely in the causal future are skipped.
// Throws std::invalid_argument on inconsistent shapes.
Mat attention_prefill(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
                      const attention_shape& shape);

// The textbook form, one full score matrix per head: the reference the flash form is tested
// against, and the "unfused" baseline for measurement.
Mat attention_naive(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
                    const attention_shape& shape);

inline constexpr Eigen::Index flash_tile_q = 64;
inline constexpr Eigen::Index flash_tile_k = 64;

// Throws std::invalid_argument unless q, k, v match shape (n_k >= n_q).
void check_attention_operands(const const_mat_ref& q, const const_mat_ref& k,
                              const const_mat_ref& v, const attention_shape& shape,
                              const char* who);

}  // namespace kernels
