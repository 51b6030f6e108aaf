// Softmax, GELU FFN and SwiGLU FFN against their formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "kernel_test_util.hpp"
#include "kernels/ffn.hpp"
#include "kernels/softmax.hpp"

namespace kernels {
namespace {

constexpr float inf = std::numeric_limits<float>::infinity();

TEST(softmax_rows, rows_sum_to_one_and_match_the_formula) {
  Mat x = test::input(9, 33, "x", 10.0f);
  const Mat before = x;
  softmax_rows(x);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    EXPECT_NEAR(x.row(r).sum(), 1.0f, 1e-6f);
    double z = 0.0;
    for (Eigen::Index c = 0; c < x.cols(); ++c) z += std::exp(double{before(r, c)});
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      EXPECT_NEAR(x(r, c), std::exp(double{before(r, c)}) / z, 1e-6);
    }
  }
}

TEST(softmax_rows, is_stable_for_huge_logits_and_masks_minus_infinity) {
  Mat x(3, 3);
  x << 1000.0f, 1001.0f, -inf,  //
      -inf, -inf, -inf,         //
      88.0f, 89.0f, 90.0f;
  softmax_rows(x);
  EXPECT_NEAR(x(0, 0), 1.0 / (1.0 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(x(0, 1), std::exp(1.0) / (1.0 + std::exp(1.0)), 1e-6);
  EXPECT_EQ(x(0, 2), 0.0f);
  EXPECT_EQ(x.row(1), Eigen::RowVector3f::Zero());  // fully masked row: zeros, not NaN
  EXPECT_TRUE(x.allFinite());
}

TEST(gelu_tanh, matches_reference_values) {
  EXPECT_EQ(gelu_tanh(0.0f), 0.0f);
  // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) evaluated in double.
  for (double x : {-3.0, -1.0, -0.5, 0.5, 1.0, 2.0, 6.0}) {
    const double want =
        0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    EXPECT_NEAR(gelu_tanh(static_cast<float>(x)), want, 1e-6) << x;
  }
  EXPECT_NEAR(gelu_tanh(1.0f), 0.841192f, 1e-6f);
}

TEST(gelu_ffn, equals_the_row_by_row_formula) {
  const int d = 24;
  const int f = 80;
  const gelu_ffn_weights w{test::input(f, d, "w_in", 0.3f), hashed_vector(f, 1, "b_in", 0.1f),
                           test::input(d, f, "w_out", 0.2f), hashed_vector(d, 1, "b_out", 0.1f)};
  const Mat x = test::input(7, d, "x");
  const Mat y = gelu_ffn(x, w);
  Mat want(x.rows(), d);
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    Eigen::VectorXd h =
        w.w_in.cast<double>() * x.row(t).transpose().cast<double>() + w.b_in.cast<double>();
    for (Eigen::Index i = 0; i < f; ++i) {
      const double v = h(i);
      h(i) = 0.5 * v *
             (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
    }
    want.row(t) = (w.w_out.cast<double>() * h + w.b_out.cast<double>()).transpose().cast<float>();
  }
  EXPECT_LT(test::rel_error(y, want), 1e-5);
}

TEST(swiglu_ffn, equals_the_row_by_row_formula) {
  const int d = 24;
  const int f = 64;
  const swiglu_ffn_weights w{test::input(f, d, "gate", 0.3f), test::input(f, d, "up", 0.3f),
                             test::input(d, f, "down", 0.2f)};
  const Mat x = test::input(70, d, "x");
  const Mat y = swiglu_ffn(x, w);
  Mat want(x.rows(), d);
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const Eigen::VectorXd xt = x.row(t).transpose().cast<double>();
    const Eigen::VectorXd g = w.w_gate.cast<double>() * xt;
    const Eigen::VectorXd u = w.w_up.cast<double>() * xt;
    Eigen::VectorXd h(f);
    for (Eigen::Index i = 0; i < f; ++i) h(i) = g(i) / (1.0 + std::exp(-g(i))) * u(i);
    want.row(t) = (w.w_down.cast<double>() * h).transpose().cast<float>();
  }
  EXPECT_LT(test::rel_error(y, want), 1e-5);
  // Gate and up stacked into one GEMM: the same function.
  Mat gate_up(2 * f, d);
  gate_up << w.w_gate, w.w_up;
  EXPECT_LT(test::rel_error(swiglu_ffn_merged(x, gate_up, w.w_down), want), 1e-5);
}

TEST(ffn, rejects_inconsistent_weights) {
  const swiglu_ffn_weights bad{test::input(8, 4, "g"), test::input(7, 4, "u"),
                               test::input(4, 8, "d")};
  EXPECT_THROW(swiglu_ffn(test::input(2, 4, "x"), bad), std::invalid_argument);
  EXPECT_THROW(
      swiglu_ffn_merged(test::input(2, 4, "x"), test::input(8, 4, "gu"), test::input(4, 5, "d")),
      std::invalid_argument);
}

}  // namespace
}  // namespace kernels
