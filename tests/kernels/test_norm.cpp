#include "kernels/norm.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.hpp"

namespace kernels {
namespace {

TEST(rms_norm, matches_the_formula_in_double) {
  const Mat x = test::input(70, 48, "x", 3.0f);  // 70 rows: crosses the 32-row work items
  const Vec gamma = hashed_vector(48, 1, "gamma", 0.5f, 1.0f);
  const float eps = 1e-6f;
  const Mat y = rms_norm(x, gamma, eps);
  Mat want(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    double ms = 0.0;
    for (Eigen::Index c = 0; c < x.cols(); ++c) ms += double{x(r, c)} * x(r, c);
    const double inv = 1.0 / std::sqrt(ms / static_cast<double>(x.cols()) + eps);
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      want(r, c) = static_cast<float>(x(r, c) * inv * gamma(c));
  }
  EXPECT_LT(test::rel_error(y, want), 1e-6);
}

TEST(rms_norm, is_invariant_to_input_scale) {
  const Mat x = test::input(5, 32, "x");
  const Vec gamma = Vec::Ones(32);
  EXPECT_LT(test::rel_error(rms_norm(64.0f * x, gamma, 0.0f), rms_norm(x, gamma, 0.0f)), 1e-6);
}

TEST(layer_norm, gives_zero_mean_unit_variance_then_applies_gain_and_bias) {
  const Mat x = test::input(40, 64, "x", 5.0f).array() + 100.0f;  // large mean: two-pass matters
  const Mat y = layer_norm(x, Vec::Ones(64), Vec::Zero(64), 0.0f);
  for (Eigen::Index r = 0; r < y.rows(); ++r) {
    EXPECT_NEAR(y.row(r).mean(), 0.0, 1e-5);
    EXPECT_NEAR(y.row(r).squaredNorm() / 64.0, 1.0, 1e-4);
  }
  const Vec gamma = hashed_vector(64, 1, "gamma", 0.5f, 1.0f);
  const Vec beta = hashed_vector(64, 1, "beta", 0.5f);
  const Mat z = layer_norm(x, gamma, beta, 0.0f);
  const Mat want =
      (y.array().rowwise() * gamma.transpose().array()).rowwise() + beta.transpose().array();
  EXPECT_LT(test::rel_error(z, want), 1e-6);
}

TEST(norms, reject_parameters_of_the_wrong_size) {
  const Mat x = test::input(2, 8, "x");
  EXPECT_THROW(rms_norm(x, Vec::Ones(7), 1e-6f), std::invalid_argument);
  EXPECT_THROW(layer_norm(x, Vec::Ones(8), Vec::Zero(9), 1e-6f), std::invalid_argument);
}

}  // namespace
}  // namespace kernels
