// MLA: the absorbed form equals the naive form, and the naive form equals an explicit
// per-head computation from DeepSeek-V2 §2.1.
#include "kernels/mla.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/norm.hpp"
#include "kernels/rope.hpp"
#include "kernels/weight_init.hpp"

namespace kernels {
namespace {

mla_config make_config(int heads, int rank, int nope, int rope, int v) {
  mla_config c;
  c.d_model = 64;
  c.n_heads = heads;
  c.q_lora_rank = 48;
  c.kv_lora_rank = rank;
  c.qk_nope_head_dim = nope;
  c.qk_rope_head_dim = rope;
  c.v_head_dim = v;
  c.validate();
  return c;
}

mla_weights make_weights(const mla_config& c) {
  const auto dense = [](Eigen::Index out, Eigen::Index in, const char* name) {
    return hashed_matrix(out, in, 7, name, std::sqrt(3.0f / static_cast<float>(in)));
  };
  mla_weights w;
  w.w_dq = dense(c.q_lora_rank, c.d_model, "w_dq");
  w.q_norm = hashed_vector(c.q_lora_rank, 7, "q_norm", 0.1f, 1.0f);
  w.w_uq = dense(Eigen::Index{c.n_heads} * c.qk_head_dim(), c.q_lora_rank, "w_uq");
  w.w_dkv = dense(c.latent_dim(), c.d_model, "w_dkv");
  w.kv_norm = hashed_vector(c.kv_lora_rank, 7, "kv_norm", 0.1f, 1.0f);
  w.w_uk = dense(Eigen::Index{c.n_heads} * c.qk_nope_head_dim, c.kv_lora_rank, "w_uk");
  w.w_uv = dense(Eigen::Index{c.n_heads} * c.v_head_dim, c.kv_lora_rank, "w_uv");
  return w;
}

// Explicit MHA over up-projected heads, in double: per head h and query i,
// k_j = [W_UK,h c_j | k_rope,j], v_j = W_UV,h c_j, causal softmax with scale 1/sqrt(nope+rope).
Mat explicit_reference(const Mat& q, const Mat& latent, const mla_weights& w, const mla_config& c) {
  const Eigen::Index n_q = q.rows();
  const Eigen::Index n_k = latent.rows();
  const int nope = c.qk_nope_head_dim;
  const int rope = c.qk_rope_head_dim;
  const Eigen::MatrixXd cl = latent.leftCols(c.kv_lora_rank).cast<double>();
  const Eigen::MatrixXd kr = latent.rightCols(rope).cast<double>();
  Mat out(n_q, Eigen::Index{c.n_heads} * c.v_head_dim);
  for (Eigen::Index h = 0; h < c.n_heads; ++h) {
    const Eigen::MatrixXd k_nope =
        cl * w.w_uk.middleRows(h * nope, nope).cast<double>().transpose();
    const Eigen::MatrixXd v =
        cl * w.w_uv.middleRows(h * c.v_head_dim, c.v_head_dim).cast<double>().transpose();
    for (Eigen::Index i = 0; i < n_q; ++i) {
      const Eigen::Index last = n_k - n_q + i;
      const Eigen::VectorXd qn =
          q.row(i).segment(h * c.qk_head_dim(), nope).transpose().cast<double>();
      const Eigen::VectorXd qr =
          q.row(i).segment(h * c.qk_head_dim() + nope, rope).transpose().cast<double>();
      Eigen::VectorXd s =
          (k_nope.topRows(last + 1) * qn + kr.topRows(last + 1) * qr) * double{c.scale()};
      s = (s.array() - s.maxCoeff()).exp();
      out.row(i).segment(h * c.v_head_dim, c.v_head_dim) =
          (v.topRows(last + 1).transpose() * s / s.sum()).transpose().cast<float>();
    }
  }
  return out;
}

struct mla_case {
  int heads, rank, nope, rope, v, tokens;
};

TEST(mla_attention, absorbed_decode_equals_naive_decode) {
  const mla_case cases[] = {
      {16, 64, 32, 16, 32, 200},
      {16, 512, 128, 64, 128, 300},  // DeepSeek-V3 head dims with 16 heads (TP = 8)
      {16, 256, 64, 32, 48, 400},
      {4, 128, 16, 8, 24, 513},
  };
  for (const mla_case& m : cases) {
    const mla_config c = make_config(m.heads, m.rank, m.nope, m.rope, m.v);
    const mla_weights w = make_weights(c);
    mla_cache cache(c, m.tokens);
    cache.append(test::input(m.tokens, c.latent_dim(), "latent"));
    const Mat q = test::input(1, Eigen::Index{c.n_heads} * c.qk_head_dim(), "q", 2.0f);
    const Mat naive = mla_attention(q, cache, w, c, mla_form::naive);
    const Mat absorbed = mla_attention(q, cache, w, c, mla_form::absorbed);
    ASSERT_EQ(naive.cols(), Eigen::Index{m.heads} * m.v);
    EXPECT_LT(test::rel_error(absorbed, naive), 1e-4) << m.rank << " " << m.tokens;
    if (m.tokens <= 300) {
      EXPECT_LT(test::rel_error(naive, explicit_reference(q, Mat(cache.latent()), w, c)), 1e-4);
    }
  }
}

TEST(mla_attention, absorbed_prefill_equals_naive_prefill_and_reference) {
  const mla_config c = make_config(8, 96, 24, 16, 32);
  const mla_weights w = make_weights(c);
  mla_cache cache(c, 150);
  cache.append(test::input(150, c.latent_dim(), "latent"));
  // A chunk of 70 queries continuing 80 cached tokens (crosses a 64-query tile).
  const Mat q = test::input(70, Eigen::Index{c.n_heads} * c.qk_head_dim(), "q", 2.0f);
  const Mat naive = mla_attention(q, cache, w, c, mla_form::naive);
  const Mat absorbed = mla_attention(q, cache, w, c, mla_form::absorbed);
  EXPECT_LT(test::rel_error(absorbed, naive), 1e-4);
  EXPECT_LT(test::rel_error(naive, explicit_reference(q, Mat(cache.latent()), w, c)), 1e-4);
}

TEST(mla_projections, build_normalized_latents_and_rotated_decoupled_keys) {
  const mla_config c = make_config(4, 32, 16, 8, 16);
  const mla_weights w = make_weights(c);
  const Mat x = test::input(6, c.d_model, "x");
  std::vector<std::int32_t> pos(6);
  std::iota(pos.begin(), pos.end(), 10);

  const Mat latent = mla_project_latent(x, pos, w, c);
  ASSERT_EQ(latent.cols(), c.latent_dim());
  const Mat down = x * w.w_dkv.transpose();
  EXPECT_LT(test::rel_error(latent.leftCols(c.kv_lora_rank),
                            rms_norm(down.leftCols(c.kv_lora_rank), w.kv_norm, c.norm_eps)),
            1e-5);
  Mat k_rope = down.rightCols(c.qk_rope_head_dim);
  apply_rope(k_rope, pos, rope_spec{1, c.qk_rope_head_dim, 0, c.qk_rope_head_dim});
  EXPECT_LT(test::rel_error(latent.rightCols(c.qk_rope_head_dim), k_rope), 1e-5);

  const Mat q = mla_project_q(x, pos, w, c);
  Mat want = rms_norm(x * w.w_dq.transpose(), w.q_norm, c.norm_eps) * w.w_uq.transpose();
  const Mat unrotated = want;
  apply_rope(want, pos,
             rope_spec{c.n_heads, c.qk_head_dim(), c.qk_nope_head_dim, c.qk_rope_head_dim});
  EXPECT_LT(test::rel_error(q, want), 1e-5);
  // The nope part of each head is not rotated.
  EXPECT_LT(test::rel_error(q.middleCols(0, c.qk_nope_head_dim),
                            unrotated.middleCols(0, c.qk_nope_head_dim)),
            1e-5);
}

TEST(mla_attention, full_layer_path_forms_agree) {
  // Projections → cache → both forms, decode after a prefill.
  const mla_config c = make_config(16, 64, 32, 16, 32);
  const mla_weights w = make_weights(c);
  const Mat x = test::input(120, c.d_model, "x");
  std::vector<std::int32_t> pos(120);
  std::iota(pos.begin(), pos.end(), 0);
  mla_cache cache(c, 120);
  cache.append(mla_project_latent(x, pos, w, c));
  const Mat q = mla_project_q(x, pos, w, c);
  EXPECT_LT(test::rel_error(mla_attention(q, cache, w, c, mla_form::absorbed),
                            mla_attention(q, cache, w, c, mla_form::naive)),
            1e-4);
  EXPECT_LT(test::rel_error(mla_attention(q.bottomRows(1), cache, w, c, mla_form::absorbed),
                            mla_attention(q.bottomRows(1), cache, w, c, mla_form::naive)),
            1e-4);
}

TEST(mla, rejects_bad_configs_and_overfull_caches) {
  mla_config c = make_config(2, 8, 4, 4, 4);
  c.qk_rope_head_dim = 3;
  EXPECT_THROW(c.validate(), std::invalid_argument);
  c.qk_rope_head_dim = 4;
  mla_cache cache(c, 2);
  EXPECT_THROW(cache.append(test::input(3, c.latent_dim(), "l")), std::length_error);
  EXPECT_THROW(cache.append(test::input(1, 5, "l")), std::invalid_argument);
  const mla_weights w = make_weights(c);
  cache.append(test::input(1, c.latent_dim(), "l"));
  EXPECT_THROW(mla_attention(test::input(2, 16, "q"), cache, w, c, mla_form::naive),
               std::invalid_argument);  // more queries than cached tokens
}

}  // namespace
}  // namespace kernels
