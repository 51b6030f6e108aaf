#include "kernels/reference_transformer.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "kernels/attention.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/embedding.hpp"
#include "kernels/gemm.hpp"
#include "kernels/lm_head.hpp"
#include "kernels/norm.hpp"
#include "kernels/rope.hpp"
#include "kernels/weight_init.hpp"

namespace kernels {
namespace {

// Uniform in ±sqrt(3/fan_in): variance 1/fan_in, so activations keep their scale (LeCun init).
Mat dense(Eigen::Index out, Eigen::Index in, std::uint64_t seed, const std::string& name) {
  return hashed_matrix(out, in, seed, name, std::sqrt(3.0f / static_cast<float>(in)));
}
// dense() written into a block of stacked weights.
void dense_into(mat_ref out, std::uint64_t seed, const std::string& name) {
  hashed_fill(out, seed, name, std::sqrt(3.0f / static_cast<float>(out.cols())));
}

Vec norm_gain(Eigen::Index size, std::uint64_t seed, const std::string& name) {
  return hashed_vector(size, seed, name, 0.1f, 1.0f);
}

swiglu_ffn_weights swiglu(int d_model, int ffn_dim, std::uint64_t seed, const std::string& name) {
  return swiglu_ffn_weights{dense(ffn_dim, d_model, seed, name + ".w_gate"),
                            dense(ffn_dim, d_model, seed, name + ".w_up"),
                            dense(d_model, ffn_dim, seed, name + ".w_down")};
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("transformer_config: ") + what);
}

}  // namespace

void transformer_config::validate() const {
  require(n_layers > 0 && d_model > 0 && n_heads > 0 && vocab_size > 0 && max_seq_len > 0 &&
              ffn_dim > 0,
          "n_layers, d_model, n_heads, vocab_size, max_seq_len, ffn_dim must be positive");
  if (attention == attention_kind::gqa) {
    require(n_kv_heads > 0 && n_heads % n_kv_heads == 0, "n_kv_heads must divide n_heads");
    require(head_dim > 0 && head_dim % 2 == 0, "head_dim must be positive and even (RoPE)");
  } else {
    mla().validate();
  }
  if (n_experts > 0) {
    require(n_active_experts > 0 && n_active_experts <= n_experts,
            "n_active_experts must be in [1, n_experts]");
    require(moe_ffn_dim > 0 && n_shared_experts >= 0 && n_dense_layers >= 0,
            "moe_ffn_dim must be positive, n_shared_experts and n_dense_layers >= 0");
  }
}

mla_config transformer_config::mla() const {
  return mla_config{d_model,          n_heads,    q_lora_rank, kv_lora_rank, qk_nope_head_dim,
                    qk_rope_head_dim, v_head_dim, rope_base,   norm_eps};
}

moe_config transformer_config::moe() const {
  return moe_config{n_experts, n_active_experts, router, true, route_scale};
}

reference_transformer::reference_transformer(const transformer_config& config) : config_(config) {
  config_.validate();
  const auto& c = config_;
  const std::uint64_t seed = c.seed;
  embedding_ = hashed_matrix(c.vocab_size, c.d_model, seed, "embedding", 1.0f);
  final_norm_ = norm_gain(c.d_model, seed, "final_norm");
  w_vocab_ = dense(c.vocab_size, c.d_model, seed, "w_vocab");
  const mla_config mc = c.mla();
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + ".";
    layer lw;
    lw.attn_norm = norm_gain(c.d_model, seed, p + "attn_norm");
    lw.ffn_norm = norm_gain(c.d_model, seed, p + "ffn_norm");
    if (c.attention == attention_kind::gqa) {
      const Eigen::Index q_rows = Eigen::Index{c.n_heads} * c.head_dim;
      const Eigen::Index kv_rows = Eigen::Index{c.n_kv_heads} * c.head_dim;
      // Stacked weights filled in place (no temporaries of the model's size to copy and free).
      lw.wqkv.resize(q_rows + 2 * kv_rows, c.d_model);
      dense_into(lw.wqkv.topRows(q_rows), seed, p + "wq");
      dense_into(lw.wqkv.middleRows(q_rows, kv_rows), seed, p + "wk");
      dense_into(lw.wqkv.bottomRows(kv_rows), seed, p + "wv");
      lw.wo = dense(c.d_model, Eigen::Index{c.n_heads} * c.head_dim, seed, p + "wo");
      kv_caches_.emplace_back(c.n_kv_heads, c.head_dim, c.head_dim, c.max_seq_len,
                              c.kv_cache_storage);
    } else {
      lw.mla.w_dq = dense(mc.q_lora_rank, c.d_model, seed, p + "w_dq");
      lw.mla.q_norm = norm_gain(mc.q_lora_rank, seed, p + "q_norm");
      lw.mla.w_uq =
          dense(Eigen::Index{c.n_heads} * mc.qk_head_dim(), mc.q_lora_rank, seed, p + "w_uq");
      lw.mla.w_dkv = dense(mc.latent_dim(), c.d_model, seed, p + "w_dkv");
      lw.mla.kv_norm = norm_gain(mc.kv_lora_rank, seed, p + "kv_norm");
      lw.mla.w_uk =
          dense(Eigen::Index{c.n_heads} * mc.qk_nope_head_dim, mc.kv_lora_rank, seed, p + "w_uk");
      lw.mla.w_uv =
          dense(Eigen::Index{c.n_heads} * mc.v_head_dim, mc.kv_lora_rank, seed, p + "w_uv");
      lw.wo = dense(c.d_model, Eigen::Index{c.n_heads} * mc.v_head_dim, seed, p + "wo");
      mla_caches_.emplace_back(mc, c.max_seq_len);
    }
    lw.uses_moe = c.n_experts > 0 && l >= c.n_dense_layers;
    if (lw.uses_moe) {
      lw.moe.router = dense(c.n_experts, c.d_model, seed, p + "router");
      for (int e = 0; e < c.n_experts; ++e) {
        lw.moe.experts.push_back(
            swiglu(c.d_model, c.moe_ffn_dim, seed, p + "expert" + std::to_string(e)));
      }
      for (int e = 0; e < c.n_shared_experts; ++e) {
        lw.moe.shared.push_back(
            swiglu(c.d_model, c.moe_ffn_dim, seed, p + "shared" + std::to_string(e)));
      }
    } else {
      lw.w_gate_up.resize(2 * Eigen::Index{c.ffn_dim}, c.d_model);
      dense_into(lw.w_gate_up.topRows(c.ffn_dim), seed, p + "ffn.w_gate");
      dense_into(lw.w_gate_up.bottomRows(c.ffn_dim), seed, p + "ffn.w_up");
      lw.w_down = dense(c.d_model, c.ffn_dim, seed, p + "ffn.w_down");
    }
    layers_.push_back(std::move(lw));
  }
}

Vec reference_transformer::forward(std::span<const token_id> tokens, bool decode) {
  const auto& c = config_;
  if (tokens.empty()) throw std::invalid_argument("reference_transformer: no tokens");
  if (position_ + static_cast<std::int64_t>(tokens.size()) > c.max_seq_len) {
    throw std::length_error("reference_transformer: max_seq_len of " +
                            std::to_string(c.max_seq_len) + " tokens exceeded");
  }
  std::vector<std::int32_t> positions(tokens.size());
  std::iota(positions.begin(), positions.end(), position_);
  const mla_config mc = c.mla();
  const moe_config moec = c.moe();
  const attention_shape shape = attention_shape::gqa(c.n_heads, c.n_kv_heads, c.head_dim);

  Mat x = embedding_lookup(embedding_, tokens);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const layer& lw = layers_[l];
    const Mat h = rms_norm(x, lw.attn_norm, c.norm_eps);
    Mat o;
    if (c.attention == attention_kind::gqa) {
      // [Q | K | V] in one GEMM; RoPE rotates the Q and K heads (adjacent) in one call.
      Mat qkv = linear(h, lw.wqkv);
      const Eigen::Index q_cols = Eigen::Index{c.n_heads} * c.head_dim;
      const Eigen::Index kv_cols = Eigen::Index{c.n_kv_heads} * c.head_dim;
      apply_rope(qkv.leftCols(q_cols + kv_cols), positions,
                 rope_spec{c.n_heads + c.n_kv_heads, c.head_dim, 0, c.head_dim, c.rope_base});
      kv_caches_[l].append(qkv.middleCols(q_cols, kv_cols), qkv.rightCols(kv_cols));
      const Mat q = qkv.leftCols(q_cols);
      o = decode ? attention_decode(q, kv_caches_[l], shape)
                 : attention_prefill(q, kv_caches_[l], shape);
    } else {
      const Mat q = mla_project_q(h, positions, lw.mla, mc);
      mla_caches_[l].append(mla_project_latent(h, positions, lw.mla, mc));
      o = mla_attention(q, mla_caches_[l], lw.mla, mc,
                        decode ? c.mla_decode_form : c.mla_prefill_form);
    }
    x += linear(o, lw.wo);
    const Mat f = rms_norm(x, lw.ffn_norm, c.norm_eps);
    x += lw.uses_moe ? moe_ffn(f, lw.moe, moec) : swiglu_ffn_merged(f, lw.w_gate_up, lw.w_down);
  }
  position_ += static_cast<int>(tokens.size());
  const Mat last = rms_norm(x.bottomRows(1), final_norm_, c.norm_eps);
  return lm_head(last, w_vocab_).row(0).transpose();
}

Vec reference_transformer::prefill(std::span<const token_id> tokens) {
  return forward(tokens, false);
}

Vec reference_transformer::decode_step(token_id token) {
  return forward(std::span<const token_id>(&token, 1), true);
}

std::vector<token_id> reference_transformer::generate_greedy(std::span<const token_id> prompt,
                                                             int n_new) {
  std::vector<token_id> out;
  if (n_new <= 0) return out;
  Vec logits = prefill(prompt);
  for (int i = 0; i < n_new; ++i) {
    const token_id next = greedy_token(
        std::span<const float>(logits.data(), static_cast<std::size_t>(logits.size())));
    out.push_back(next);
    if (i + 1 < n_new) logits = decode_step(next);
  }
  return out;
}

void reference_transformer::reset() {
  for (auto& cache : kv_caches_) cache.clear();
  for (auto& cache : mla_caches_) cache.clear();
  position_ = 0;
}

}  // namespace kernels
