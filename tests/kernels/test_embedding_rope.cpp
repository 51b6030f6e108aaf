// Embedding gather, sinusoidal positions and RoPE.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/embedding.hpp"
#include "kernels/positional_encoding.hpp"
#include "kernels/rope.hpp"

namespace kernels {
namespace {

TEST(embedding_lookup, gathers_table_rows) {
  const Mat table = test::input(10, 6, "table");
  const std::vector<token_id> tokens = {3, 0, 9, 3};
  const Mat out = embedding_lookup(table, tokens);
  ASSERT_EQ(out.rows(), 4);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(out.row(static_cast<Eigen::Index>(i)), table.row(tokens[i]));
  }
}

TEST(embedding_lookup, rejects_tokens_outside_the_table) {
  const Mat table = test::input(10, 6, "table");
  const std::vector<token_id> bad = {1, 10};
  const std::vector<token_id> negative = {-1};
  EXPECT_THROW(embedding_lookup(table, bad), std::out_of_range);
  EXPECT_THROW(embedding_lookup(table, negative), std::out_of_range);
}

TEST(sinusoidal_positions, follow_the_formula_of_vaswani_2017) {
  const int d = 16;
  const Mat pe = sinusoidal_positions(5, 3, d);
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < d / 2; ++i) {
      const double angle = (5 + p) / std::pow(10000.0, 2.0 * i / d);
      const int even = 2 * i;
      EXPECT_FLOAT_EQ(pe(p, even), static_cast<float>(std::sin(angle)));
      EXPECT_FLOAT_EQ(pe(p, even + 1), static_cast<float>(std::cos(angle)));
    }
  }
  // Position 0 is (sin 0, cos 0, ...) = (0, 1, 0, 1, ...).
  const Mat zero = sinusoidal_positions(0, 1, 4);
  EXPECT_EQ(zero, (Mat(1, 4) << 0, 1, 0, 1).finished());
}

TEST(sinusoidal_positions, add_offsets_rows_by_their_position) {
  Mat x = test::input(4, 8, "x");
  const Mat before = x;
  add_sinusoidal_positions(x, 7);
  EXPECT_TRUE(x.isApprox(before + sinusoidal_positions(7, 4, 8)));
}

// Reference: each interleaved pair is a complex number multiplied by exp(i·pos·theta).
Mat rope_reference(const Mat& x, const std::vector<std::int32_t>& pos, const rope_spec& s) {
  Mat out = x;
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    for (int h = 0; h < s.n_heads; ++h) {
      for (Eigen::Index i = 0; i < s.rope_dim / 2; ++i) {
        const Eigen::Index c = Eigen::Index{h} * s.head_dim + s.offset + 2 * i;
        const double theta = pos[static_cast<std::size_t>(t)] *
                             std::pow(s.base, -2.0 * static_cast<double>(i) / s.rope_dim);
        const double a = x(t, c);
        const double b = x(t, c + 1);
        out(t, c) = static_cast<float>(a * std::cos(theta) - b * std::sin(theta));
        out(t, c + 1) = static_cast<float>(a * std::sin(theta) + b * std::cos(theta));
      }
    }
  }
  return out;
}

TEST(apply_rope, rotates_interleaved_pairs_by_position) {
  const rope_spec spec{3, 8, 0, 8, 10000.0};
  const std::vector<std::int32_t> pos = {0, 1, 17, 4000};
  Mat x = test::input(4, 24, "q");
  const Mat want = rope_reference(x, pos, spec);
  apply_rope(x, pos, spec);
  EXPECT_LT(test::rel_error(x, want), 1e-6);
}

TEST(apply_rope, position_zero_is_the_identity) {
  Mat x = test::input(1, 16, "q");
  const Mat before = x;
  const std::vector<std::int32_t> pos = {0};
  apply_rope(x, pos, rope_spec{2, 8, 0, 8});
  EXPECT_EQ(x, before);
}

TEST(apply_rope, rotates_only_the_requested_slice_of_each_head) {
  // MLA-style: heads of 24 columns, the last 8 rotated.
  const rope_spec spec{4, 24, 16, 8, 10000.0};
  const std::vector<std::int32_t> pos = {3, 9};
  Mat x = test::input(2, 96, "q");
  const Mat before = x;
  apply_rope(x, pos, spec);
  for (Eigen::Index h = 0; h < 4; ++h) {
    EXPECT_EQ(x.middleCols(h * 24, 16), before.middleCols(h * 24, 16));
    EXPECT_NE(x.middleCols(h * 24 + 16, 8), before.middleCols(h * 24 + 16, 8));
  }
  EXPECT_LT(test::rel_error(x, rope_reference(before, pos, spec)), 1e-6);
}

TEST(apply_rope, scores_depend_only_on_relative_position) {
  // RoFormer eq. 16: <R(m) q, R(n) k> = <q, R(n - m) k>.
  const rope_spec spec{1, 32, 0, 32, 10000.0};
  const Mat q = test::input(1, 32, "q");
  const Mat k = test::input(1, 32, "k");
  const auto score = [&](std::int32_t m, std::int32_t n) {
    Mat qr = q;
    Mat kr = k;
    const std::vector<std::int32_t> pm = {m};
    const std::vector<std::int32_t> pn = {n};
    apply_rope(qr, pm, spec);
    apply_rope(kr, pn, spec);
    return qr.row(0).dot(kr.row(0));
  };
  EXPECT_NEAR(score(5, 2), score(105, 102), 1e-4);
  EXPECT_NEAR(score(5, 2), score(1005, 1002), 1e-4);
}

TEST(apply_rope, rejects_inconsistent_shapes) {
  Mat x = test::input(2, 16, "q");
  const std::vector<std::int32_t> pos = {0, 1};
  const std::vector<std::int32_t> short_pos = {0};
  EXPECT_THROW(apply_rope(x, pos, rope_spec{2, 8, 0, 7}), std::invalid_argument);  // odd
  EXPECT_THROW(apply_rope(x, pos, rope_spec{2, 8, 4, 8}), std::invalid_argument);  // past head
  EXPECT_THROW(apply_rope(x, pos, rope_spec{3, 8, 0, 8}), std::invalid_argument);  // columns
  EXPECT_THROW(apply_rope(x, short_pos, rope_spec{2, 8, 0, 8}), std::invalid_argument);
}

}  // namespace
}  // namespace kernels
