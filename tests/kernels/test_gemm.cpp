// FP32 linear (y = x · Wᵀ), BF16 conversion and the BF16 GEMM paths.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string_view>

#include "kernel_test_util.hpp"
#include "kernels/bf16.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_bf16.hpp"

namespace kernels {
namespace {

Mat reference_linear(const Mat& x, const Mat& w) {
  return (x.cast<double>() * w.cast<double>().transpose()).cast<float>();
}

struct gemm_case {
  Eigen::Index m, n, k;
};

// Tile edges (64 × 256), decode (m = 1), k not a multiple of 32 (BF16 tail masks).
const gemm_case cases[] = {{1, 300, 77}, {5, 7, 3}, {64, 256, 64}, {130, 300, 77}, {65, 513, 96}};

TEST(linear, equals_the_double_precision_product) {
  for (const gemm_case& c : cases) {
    const Mat x = test::input(c.m, c.k, "x");
    const Mat w = test::input(c.n, c.k, "w");
    const Mat y = linear(x, w);
    ASSERT_EQ(y.rows(), c.m);
    ASSERT_EQ(y.cols(), c.n);
    EXPECT_LT(test::rel_error(y, reference_linear(x, w)), 1e-5) << c.m << "x" << c.n << "x" << c.k;
  }
}

TEST(linear, accepts_column_slices_and_rejects_mismatched_shapes) {
  const Mat wide = test::input(9, 40, "x");
  const Mat w = test::input(12, 16, "w");
  const Mat y = linear(wide.middleCols(8, 16), w);
  EXPECT_LT(test::rel_error(y, reference_linear(wide.middleCols(8, 16), w)), 1e-6);
  EXPECT_THROW(linear(wide, w), std::invalid_argument);
}

// The packed path (gemm.hpp) computes every element as the sequential FMA chain over k, whatever
// the register block, k block (256) or tile it falls in: checked exactly on shapes that cross
// the 14 × 32 / 6 × 16 register blocks, the 256-deep k blocks (k = 257, 600) and the 512 tiles,
// with row strides (slices of wider matrices, output into a block).
TEST(linear, packed_path_is_the_sequential_fma_chain) {
  if (std::string_view(gemm_fp32_path(2)) == "eigen") GTEST_SKIP() << "no AVX2/AVX-512 build";
  const gemm_case shapes[] = {{2, 33, 257},   {15, 65, 600},  {29, 100, 513},
                              {130, 300, 77}, {513, 530, 40}, {14, 32, 256}};
  for (const gemm_case& c : shapes) {
    const Mat x_wide = test::input(c.m, c.k + 5, "x");
    const Mat w_wide = test::input(c.n, c.k + 3, "w");
    const auto x = x_wide.middleCols(2, c.k);
    const auto w = w_wide.middleCols(1, c.k);
    Mat out = Mat::Constant(c.m + 2, c.n + 4, 7.0f);
    linear_into(x, w, out.block(1, 3, c.m, c.n));
    Mat chain(c.m, c.n);
    for (Eigen::Index i = 0; i < c.m; ++i) {
      for (Eigen::Index j = 0; j < c.n; ++j) {
        float acc = 0.0f;
        for (Eigen::Index p = 0; p < c.k; ++p) acc = std::fma(x(i, p), w(j, p), acc);
        chain(i, j) = acc;
      }
    }
    EXPECT_EQ(Mat(out.block(1, 3, c.m, c.n)), chain) << c.m << "x" << c.n << "x" << c.k;
    // The border around the output block is untouched.
    EXPECT_EQ(out.row(0), Mat::Constant(1, c.n + 4, 7.0f)) << c.m << "x" << c.n << "x" << c.k;
    EXPECT_EQ(out.row(c.m + 1), Mat::Constant(1, c.n + 4, 7.0f));
    EXPECT_EQ(Mat(out.leftCols(3)), Mat::Constant(c.m + 2, 3, 7.0f));
    EXPECT_EQ(out.col(c.n + 3), Eigen::VectorXf::Constant(c.m + 2, 7.0f));
  }
}

TEST(linear, empty_inner_dimension_gives_zeros) {
  for (Eigen::Index m : {1, 3}) {
    const Mat y = linear(Mat(m, 0), Mat(5, 0));
    EXPECT_EQ(y, Mat::Zero(m, 5)) << m;
  }
}

TEST(bf16, converts_with_round_to_nearest_even) {
  EXPECT_EQ(to_bf16(1.0f).bits, 0x3f80);
  EXPECT_EQ(to_float(to_bf16(-2.5f)), -2.5f);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x3f808000U)).bits, 0x3f80);
  // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x3f818000U)).bits, 0x3f82);
  // Just above halfway rounds up.
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x3f808001U)).bits, 0x3f81);
  EXPECT_EQ(to_bf16(-0.0f).bits, 0x8000);
}

TEST(bf16, overflows_to_infinity_and_keeps_nan) {
  EXPECT_EQ(to_float(to_bf16(std::numeric_limits<float>::max())),
            std::numeric_limits<float>::infinity());
  EXPECT_EQ(to_float(to_bf16(-std::numeric_limits<float>::infinity())),
            -std::numeric_limits<float>::infinity());
  // A NaN whose payload is only in the dropped bits must not become infinity.
  EXPECT_TRUE(std::isnan(to_float(to_bf16(std::bit_cast<float>(0x7f800001U)))));
  EXPECT_TRUE(std::isnan(to_float(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(bf16, relative_rounding_error_is_at_most_two_to_the_minus_8) {
  const Mat x = test::input(1, 4096, "x", 1000.0f);
  for (Eigen::Index i = 0; i < x.cols(); ++i) {
    const float v = x(0, i);
    if (v == 0.0f) continue;
    EXPECT_LE(std::abs(to_float(to_bf16(v)) - v), std::ldexp(std::abs(v), -8));
  }
}

// |y - y_fp32| <= (2^-7 + 2^-16)·Σ|x||w| (gemm_bf16.hpp) plus FP32 accumulation slack.
void expect_within_bf16_bound(const Mat& y, const Mat& x, const Mat& w) {
  const Mat exact = reference_linear(x, w);
  const Mat magnitude = x.cwiseAbs() * w.cwiseAbs().transpose();
  const Mat bound = magnitude * (std::ldexp(1.0f, -7) + std::ldexp(1.0f, -16)) + magnitude * 1e-6f;
  EXPECT_TRUE(((y - exact).cwiseAbs().array() <= bound.array()).all());
  // And not trivially: BF16 really differs from FP32 somewhere.
  EXPECT_GT(test::rel_error(y, exact), 1e-5);
}

TEST(linear_bf16, fp32_convert_path_is_within_bf16_tolerance_of_fp32) {
  for (const gemm_case& c : cases) {
    const Mat x = test::input(c.m, c.k, "x");
    const Mat w = test::input(c.n, c.k, "w");
    const Mat y = linear_bf16(x, bf16_matrix::from_fp32(w), bf16_path::fp32_convert);
    expect_within_bf16_bound(y, x, w);
  }
}

TEST(linear_bf16, avx512_path_is_within_bf16_tolerance_and_agrees_with_fp32_convert) {
  if (!bf16_path_available(bf16_path::avx512_bf16)) GTEST_SKIP() << "built without __AVX512BF16__";
  for (const gemm_case& c : cases) {
    const Mat x = test::input(c.m, c.k, "x");
    const Mat w = test::input(c.n, c.k, "w");
    const bf16_matrix wb = bf16_matrix::from_fp32(w);
    const Mat y = linear_bf16(x, wb, bf16_path::avx512_bf16);
    expect_within_bf16_bound(y, x, w);
    // Both paths sum the same exact products; only the summation order differs.
    EXPECT_LT(test::rel_error(y, linear_bf16(x, wb, bf16_path::fp32_convert)), 1e-5);
  }
}

TEST(linear_bf16, is_exact_for_bf16_representable_small_integers) {
  const Mat x = (test::input(3, 40, "x", 8.0f).array().round()).matrix();
  const Mat w = (test::input(20, 40, "w", 8.0f).array().round()).matrix();
  const Mat want = reference_linear(x, w);
  EXPECT_EQ(linear_bf16(x, bf16_matrix::from_fp32(w), bf16_path::fp32_convert), want);
  if (bf16_path_available(bf16_path::avx512_bf16)) {
    EXPECT_EQ(linear_bf16(x, bf16_matrix::from_fp32(w), bf16_path::avx512_bf16), want);
  }
}

TEST(linear_bf16, rejects_mismatched_shapes) {
  const bf16_matrix w = bf16_matrix::from_fp32(test::input(4, 8, "w"));
  EXPECT_THROW(linear_bf16(test::input(2, 9, "x"), w), std::invalid_argument);
}

}  // namespace
}  // namespace kernels
