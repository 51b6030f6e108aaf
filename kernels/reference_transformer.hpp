#pragma once
// A small decoder-only transformer assembled from the kernels of this folder, with
// deterministic weights (weight_init.hpp), for end-to-end tests and as the workload the
// measuring harness can time as a whole.
//
// Architecture (pre-norm, Llama / DeepSeek style):
//   x = embedding(tokens)
//   per layer: x += W_O · attention(RMSNorm(x));  x += FFN(RMSNorm(x))
//   logits = W_vocab · RMSNorm(x) at the last position
// Two variants:
//   gqa: RoPE over the full head dim, GQA with n_kv_heads, kv_cache (fp32 / bf16 / fp8),
//        SwiGLU FFN. Q, K and V come from one GEMM over stacked weights, RoPE rotates Q and K
//        in one call, and the FFN's gate and up projections are one GEMM: the operator split
//        of serving engines (vLLM's QKVParallelLinear, MergedColumnParallelLinear), which is
//        the one models/workload/kernel_iteration_cost.hpp counts.
//   mla: MLA attention (mla.hpp) with its latent cache; prefill in the naive form and decode in
//        the absorbed form by default (DeepSeek's deployment split: prefill is compute-bound,
//        decode bandwidth-bound); FFN is SwiGLU in the first n_dense_layers and MoE with shared
//        experts after (DeepSeek-V3's first_k_dense_replace), if n_experts > 0.
//
// prefill(tokens) and decode_step(token) both append to the caches; decoding token by token
// gives the logits of one prefill over the whole sequence (tested).

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/ffn.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/mla.hpp"
#include "kernels/moe.hpp"
#include "kernels/tensor.hpp"
#include "kernels/token.hpp"

namespace kernels {

enum class attention_kind { gqa, mla };

struct transformer_config {
  attention_kind attention = attention_kind::gqa;
  int n_layers = 2;
  int d_model = 64;
  int n_heads = 4;
  int vocab_size = 256;
  int max_seq_len = 256;
  int ffn_dim = 128;  // dense SwiGLU layers
  double rope_base = 10000.0;
  float norm_eps = 1e-6f;
  std::uint64_t seed = 1;

  // gqa
  int n_kv_heads = 2;
  int head_dim = 16;
  kv_storage kv_cache_storage = kv_storage::fp32;

  // mla
  int q_lora_rank = 32;
  int kv_lora_rank = 32;
  int qk_nope_head_dim = 16;
  int qk_rope_head_dim = 8;
  int v_head_dim = 16;
  mla_form mla_prefill_form = mla_form::naive;
  mla_form mla_decode_form = mla_form::absorbed;

  // MoE (n_experts == 0: all layers dense)
  int n_experts = 0;
  int n_active_experts = 2;
  int n_shared_experts = 1;
  int moe_ffn_dim = 32;
  int n_dense_layers = 1;
  router_score router = router_score::sigmoid;
  float route_scale = 1.0f;

  // Throws std::invalid_argument naming the first inconsistent field.
  void validate() const;
  mla_config mla() const;
  moe_config moe() const;
};

class reference_transformer {
 public:
  explicit reference_transformer(const transformer_config& config);

  const transformer_config& config() const { return config_; }
  int position() const { return position_; }  // tokens in the caches

  // Runs tokens at positions position() .. and returns the logits of the last one [vocab].
  // Throws std::invalid_argument for no tokens, std::length_error past max_seq_len.
  Vec prefill(std::span<const token_id> tokens);
  // One token through the decode kernels.
  Vec decode_step(token_id token);
  // prefill(prompt), then n_new greedy tokens; returns the new tokens.
  std::vector<token_id> generate_greedy(std::span<const token_id> prompt, int n_new);
  void reset();

 private:
  struct layer {
    Vec attn_norm;
    Vec ffn_norm;
    Mat wqkv;  // gqa: W_Q, W_K, W_V stacked, [(n_heads + 2·n_kv_heads)·head_dim, d_model]
    mla_weights mla;
    Mat wo;  // [d_model, heads·v]
    bool uses_moe = false;
    Mat w_gate_up, w_down;  // dense SwiGLU layers (swiglu_ffn_merged)
    moe_weights moe;
  };

  Vec forward(std::span<const token_id> tokens, bool decode);

  transformer_config config_;
  Mat embedding_;  // [vocab, d_model]
  std::vector<layer> layers_;
  Vec final_norm_;
  Mat w_vocab_;  // [vocab, d_model]
  std::vector<kv_cache> kv_caches_;
  std::vector<mla_cache> mla_caches_;
  int position_ = 0;
};

}  // namespace kernels
