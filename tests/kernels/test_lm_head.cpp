#include "kernels/lm_head.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/gemm.hpp"

namespace kernels {
namespace {

TEST(lm_head, is_h_times_the_vocab_matrix_transposed) {
  const Mat h = test::input(3, 16, "h");
  const Mat w = test::input(50, 16, "w_vocab");
  const Mat logits = lm_head(h, w);
  ASSERT_EQ(logits.cols(), 50);
  EXPECT_LT(
      test::rel_error(logits, (h.cast<double>() * w.cast<double>().transpose()).cast<float>()),
      1e-6);
}

TEST(greedy_token, picks_the_largest_logit_and_the_lower_index_on_ties) {
  EXPECT_EQ(greedy_token(std::vector<float>{0.1f, 3.0f, -2.0f}), 1);
  EXPECT_EQ(greedy_token(std::vector<float>{1.0f, 5.0f, 5.0f, 5.0f}), 1);
  EXPECT_THROW(greedy_token(std::vector<float>{}), std::invalid_argument);
}

TEST(sample_token, inverts_the_cdf_of_the_tempered_distribution) {
  // p = (1/4, 3/4) at temperature 1; candidates in order token 1 (0.75), token 0 (0.25).
  const std::vector<float> logits = {0.0f, static_cast<float>(std::log(3.0))};
  EXPECT_EQ(sample_token(logits, 1.0f, 0, 0.0), 1);
  EXPECT_EQ(sample_token(logits, 1.0f, 0, 0.74), 1);
  EXPECT_EQ(sample_token(logits, 1.0f, 0, 0.76), 0);
  EXPECT_EQ(sample_token(logits, 1.0f, 0, 0.999999), 0);
  // Temperature 2: p ∝ (1, √3), so token 1 has 0.634.
  EXPECT_EQ(sample_token(logits, 2.0f, 0, 0.63), 1);
  EXPECT_EQ(sample_token(logits, 2.0f, 0, 0.64), 0);
}

TEST(sample_token, top_k_and_temperature_zero_restrict_the_choice) {
  const std::vector<float> logits = {1.0f, 4.0f, 3.0f, 4.0f, -1.0f};
  EXPECT_EQ(sample_token(logits, 0.0f, 0, 0.9), 1);  // greedy, tie → lower index
  for (double u : {0.0, 0.3, 0.99}) EXPECT_EQ(sample_token(logits, 1.0f, 1, u), 1);
  // top-2 are tokens 1 and 3 (equal logits, 1/2 each).
  EXPECT_EQ(sample_token(logits, 1.0f, 2, 0.49), 1);
  EXPECT_EQ(sample_token(logits, 1.0f, 2, 0.51), 3);
}

TEST(sample_token, rejects_bad_arguments) {
  const std::vector<float> logits = {1.0f, 2.0f};
  EXPECT_THROW(sample_token(logits, 1.0f, 0, 1.0), std::invalid_argument);
  EXPECT_THROW(sample_token(logits, 1.0f, 0, -0.1), std::invalid_argument);
  EXPECT_THROW(sample_token(logits, -1.0f, 0, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace kernels
