#pragma once
// Multi-head latent attention (DeepSeek-AI 2024, "DeepSeek-V2", arXiv:2405.04434, §2.1;
// dimensions and the absorbed decode of DeepSeek-V3 inference/model.py).
//
// Per token the cache holds only a latent row [c_KV | k_rope]: c_KV = RMSNorm(W_DKV·x)
// (kv_lora_rank values) and one RoPE'd key k_rope = RoPE(W_KR·x) (qk_rope_head_dim values)
// shared by all heads — 576 values for DeepSeek-V3 instead of 2·128·128 for MHA. Heads get
// their keys and values back through up-projections:
//   k_h = [W_UK,h · c_KV | k_rope],  v_h = W_UV,h · c_KV.
// Queries come through a low-rank path too: c_Q = RMSNorm(W_DQ·x), q_h = [q_nope,h | q_rope,h]
// = W_UQ,h · c_Q with RoPE applied to q_rope,h (rope.hpp, sub-slice of each head).
// Scores use scale 1/sqrt(qk_nope_head_dim + qk_rope_head_dim), the query head size. (V3's
// YaRN context extension would multiply it by mscale²; this reference has no YaRN.)
//
// Two algebraically equal forms of the attention (§2.1.2, "absorb"):
//  naive:    up-project K_nope = C·W_UKᵀ and V = C·W_UVᵀ for every cached token, then ordinary
//            MHA with head dims (nope + rope, v). Cost grows with tokens × heads × rank.
//  absorbed: q_nope,h·k_nope,h = (W_UK,hᵀ·q_nope,h)·c_KV, so fold W_UK into the query
//            (q_lat,h = W_UK,hᵀ·q_nope,h, kv_lora_rank values) and attend directly over the
//            latent rows — MQA with one kv head of dim kv_lora_rank + rope whose values are
//            the c_KV part of the same rows (FlashMLA's 576/512 layout) — then apply W_UV,h to
//            each head's latent output. Nothing per-token is up-projected.
//
// Weight layouts are [out, in] as in gemm.hpp. W_UQ's output rows are grouped per head as
// [nope | rope]; W_KR is stacked under W_DKV (DeepSeek's wkv_a), W_UK and W_UV are DeepSeek's
// wkv_b split into its nope and v rows. The output projection W_O is the caller's.

#include <cstdint>
#include <span>

#include "kernels/tensor.hpp"

namespace kernels {

struct mla_config {
  int d_model = 0;
  int n_heads = 0;
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  double rope_base = 10000.0;
  float norm_eps = 1e-6f;

  int qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  int latent_dim() const { return kv_lora_rank + qk_rope_head_dim; }
  float scale() const;
  // Throws std::invalid_argument on non-positive or odd-rope dimensions.
  void validate() const;
};

struct mla_weights {
  Mat w_dq;     // [q_lora_rank, d_model]
  Vec q_norm;   // [q_lora_rank]
  Mat w_uq;     // [n_heads·(nope + rope), q_lora_rank]
  Mat w_dkv;    // [kv_lora_rank + rope, d_model]: W_DKV rows, then W_KR rows
  Vec kv_norm;  // [kv_lora_rank]
  Mat w_uk;     // [n_heads·nope, kv_lora_rank]
  Mat w_uv;     // [n_heads·v, kv_lora_rank]
};

// The per-layer latent cache: row t = [c_KV | k_rope] of token t.
class mla_cache {
 public:
  mla_cache(const mla_config& config, int capacity);
  // rows [n, kv_lora_rank + rope]; throws std::length_error beyond capacity.
  void append(const const_mat_ref& rows);
  void clear() { size_ = 0; }
  int size() const { return size_; }
  int capacity() const { return static_cast<int>(rows_.rows()); }
  const_mat_map latent() const;  // [size, kv_lora_rank + rope]

 private:
  Mat rows_;
  int size_ = 0;
};

enum class mla_form { naive, absorbed };

// Queries of tokens x [n, d_model] at `positions`: [n, n_heads·(nope + rope)], RoPE applied.
Mat mla_project_q(const const_mat_ref& x, std::span<const std::int32_t> positions,
                  const mla_weights& w, const mla_config& config);
// Latent rows of x for the cache: [n, kv_lora_rank + rope] = [RMSNorm(W_DKV·x) | RoPE(W_KR·x)].
Mat mla_project_latent(const const_mat_ref& x, std::span<const std::int32_t> positions,
                       const mla_weights& w, const mla_config& config);

// Attention output before W_O, [n_q, n_heads·v], for queries q [n_q, n_heads·(nope + rope)]
// that are the last n_q tokens of the cache (causal, attention.hpp semantics). n_q == 1 runs
// the decode kernel, more queries the flash prefill kernel.
Mat mla_attention(const const_mat_ref& q, const mla_cache& cache, const mla_weights& w,
                  const mla_config& config, mla_form form);

}  // namespace kernels
