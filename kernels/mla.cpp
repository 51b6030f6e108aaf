#include "kernels/mla.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/attention.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/gemm.hpp"
#include "kernels/norm.hpp"
#include "kernels/parallel.hpp"
#include "kernels/rope.hpp"

namespace kernels {
namespace {

Mat attend(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
           const attention_shape& shape) {
  return q.rows() == 1 ? attention_decode(q, k, v, shape) : attention_prefill(q, k, v, shape);
}

// The naive form: rebuild per-head keys and values for every cached token.
Mat attention_naive_form(const const_mat_ref& q, const const_mat_map& latent, const mla_weights& w,
                         const mla_config& c) {
  const Eigen::Index n_k = latent.rows();
  const Eigen::Index nope = c.qk_nope_head_dim;
  const Eigen::Index rope = c.qk_rope_head_dim;
  const auto c_kv = latent.leftCols(c.kv_lora_rank);
  const Mat k_nope = linear(c_kv, w.w_uk);  // [n_k, heads·nope]
  const Mat v = linear(c_kv, w.w_uv);       // [n_k, heads·v]
  Mat k(n_k, Eigen::Index{c.n_heads} * c.qk_head_dim());
  for (Eigen::Index h = 0; h < c.n_heads; ++h) {
    k.middleCols(h * (nope + rope), nope) = k_nope.middleCols(h * nope, nope);
    k.middleCols(h * (nope + rope) + nope, rope) = latent.rightCols(rope);
  }
  const attention_shape shape{c.n_heads, c.n_heads, c.qk_head_dim(), c.v_head_dim, c.scale()};
  return attend(q, k, v, shape);
}

// The absorbed form: per head, q_lat = q_nope·W_UK,h (W_UK,h is [nope, rank], so this is
// W_UK,hᵀ·q_nope as a row), attention over the latent rows, then out_h = o_lat·W_UV,hᵀ.
Mat attention_absorbed_form(const const_mat_ref& q, const const_mat_map& latent,
                            const mla_weights& w, const mla_config& c) {
  const Eigen::Index n_q = q.rows();
  const Eigen::Index nope = c.qk_nope_head_dim;
  const Eigen::Index rope = c.qk_rope_head_dim;
  const Eigen::Index rank = c.kv_lora_rank;
  const Eigen::Index dv = c.v_head_dim;
  const Eigen::Index qk = c.qk_head_dim();
  Mat q_abs(n_q, Eigen::Index{c.n_heads} * (rank + rope));
  parallel_for(c.n_heads, [&](std::int64_t h) {
    q_abs.middleCols(h * (rank + rope), rank).noalias() =
        q.middleCols(h * qk, nope) * w.w_uk.middleRows(h * nope, nope);
    q_abs.middleCols(h * (rank + rope) + rank, rope) = q.middleCols(h * qk + nope, rope);
  });
  const attention_shape shape{c.n_heads, 1, static_cast<int>(rank + rope), static_cast<int>(rank),
                              c.scale()};
  const Mat o_lat = attend(q_abs, latent, latent.leftCols(rank), shape);  // [n_q, heads·rank]
  Mat out(n_q, Eigen::Index{c.n_heads} * dv);
  parallel_for(c.n_heads, [&](std::int64_t h) {
    out.middleCols(h * dv, dv).noalias() =
        o_lat.middleCols(h * rank, rank) * w.w_uv.middleRows(h * dv, dv).transpose();
  });
  return out;
}

}  // namespace

float mla_config::scale() const {
  return 1.0f / std::sqrt(static_cast<float>(qk_head_dim()));
}

void mla_config::validate() const {
  if (d_model <= 0 || n_heads <= 0 || q_lora_rank <= 0 || kv_lora_rank <= 0 ||
      qk_nope_head_dim <= 0 || qk_rope_head_dim <= 0 || v_head_dim <= 0) {
    throw std::invalid_argument("mla_config: every dimension must be positive");
  }
  if (qk_rope_head_dim % 2 != 0) {
    throw std::invalid_argument("mla_config: qk_rope_head_dim must be even (RoPE pairs)");
  }
}

mla_cache::mla_cache(const mla_config& config, int capacity) {
  config.validate();
  if (capacity < 0) throw std::invalid_argument("mla_cache: capacity must be >= 0");
  rows_.resize(capacity, config.latent_dim());
}

void mla_cache::append(const const_mat_ref& rows) {
  if (rows.cols() != rows_.cols()) {
    throw std::invalid_argument("mla_cache::append: rows are not kv_lora_rank + rope wide");
  }
  if (size_ + rows.rows() > rows_.rows()) {
    throw std::length_error("mla_cache::append: capacity of " + std::to_string(rows_.rows()) +
                            " tokens exceeded");
  }
  rows_.middleRows(size_, rows.rows()) = rows;
  size_ += static_cast<int>(rows.rows());
}

const_mat_map mla_cache::latent() const {
  return const_mat_map(rows_.data(), size_, rows_.cols(), Eigen::OuterStride<>(rows_.cols()));
}

Mat mla_project_q(const const_mat_ref& x, std::span<const std::int32_t> positions,
                  const mla_weights& w, const mla_config& c) {
  Mat q = linear(rms_norm(linear(x, w.w_dq), w.q_norm, c.norm_eps), w.w_uq);
  apply_rope(
      q, positions,
      rope_spec{c.n_heads, c.qk_head_dim(), c.qk_nope_head_dim, c.qk_rope_head_dim, c.rope_base});
  return q;
}

Mat mla_project_latent(const const_mat_ref& x, std::span<const std::int32_t> positions,
                       const mla_weights& w, const mla_config& c) {
  Mat latent = linear(x, w.w_dkv);
  latent.leftCols(c.kv_lora_rank) =
      rms_norm(latent.leftCols(c.kv_lora_rank), w.kv_norm, c.norm_eps);
  Mat k_rope = latent.rightCols(c.qk_rope_head_dim);
  apply_rope(k_rope, positions,
             rope_spec{1, c.qk_rope_head_dim, 0, c.qk_rope_head_dim, c.rope_base});
  latent.rightCols(c.qk_rope_head_dim) = k_rope;
  return latent;
}

Mat mla_attention(const const_mat_ref& q, const mla_cache& cache, const mla_weights& w,
                  const mla_config& c, mla_form form) {
  if (q.cols() != Eigen::Index{c.n_heads} * c.qk_head_dim()) {
    throw std::invalid_argument("mla_attention: q columns != n_heads·(nope + rope)");
  }
  if (q.rows() > cache.size() || q.rows() == 0) {
    throw std::invalid_argument("mla_attention: need 1 <= queries <= cached tokens");
  }
  const const_mat_map latent = cache.latent();
  return form == mla_form::naive ? attention_naive_form(q, latent, w, c)
                                 : attention_absorbed_form(q, latent, w, c);
}

}  // namespace kernels
