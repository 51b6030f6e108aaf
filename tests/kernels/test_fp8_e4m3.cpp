// FP8 E4M3 encode/decode and the error bounds of quantized KV caches.
#include "kernels/fp8_e4m3.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.hpp"
#include "kernels/kv_cache.hpp"

namespace kernels {
namespace {

TEST(fp8_e4m3, decodes_the_landmark_codes) {
  EXPECT_EQ(fp8_e4m3_decode(0x00), 0.0f);
  EXPECT_EQ(fp8_e4m3_decode(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_EQ(fp8_e4m3_decode(0x07), 7.0f * std::ldexp(1.0f, -9));
  EXPECT_EQ(fp8_e4m3_decode(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_EQ(fp8_e4m3_decode(0x38), 1.0f);
  EXPECT_EQ(fp8_e4m3_decode(0x39), 1.125f);
  EXPECT_EQ(fp8_e4m3_decode(0x7e), 448.0f);
  EXPECT_EQ(fp8_e4m3_decode(0xfe), -448.0f);
  EXPECT_TRUE(std::isnan(fp8_e4m3_decode(0x7f)));
  EXPECT_TRUE(std::isnan(fp8_e4m3_decode(0xff)));
}

TEST(fp8_e4m3, every_code_round_trips) {
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    if ((c & 0x7f) == 0x7f) continue;  // NaN
    EXPECT_EQ(fp8_e4m3_encode(fp8_e4m3_decode(c)), c) << code;
  }
}

TEST(fp8_e4m3, saturates_instead_of_overflowing) {
  EXPECT_EQ(fp8_e4m3_encode(464.0f), 0x7e);  // would round to 480, which does not exist
  EXPECT_EQ(fp8_e4m3_encode(1e9f), 0x7e);
  EXPECT_EQ(fp8_e4m3_encode(std::numeric_limits<float>::infinity()), 0x7e);
  EXPECT_EQ(fp8_e4m3_encode(-std::numeric_limits<float>::infinity()), 0xfe);
  EXPECT_EQ(fp8_e4m3_encode(std::numeric_limits<float>::quiet_NaN()), 0x7f);
}

TEST(fp8_e4m3, rounds_ties_to_even) {
  EXPECT_EQ(fp8_e4m3_encode(1.0625f), 0x38);  // between 1 (even) and 1.125
  EXPECT_EQ(fp8_e4m3_encode(1.1875f), 0x3a);  // between 1.125 and 1.25 (even)
  EXPECT_EQ(fp8_e4m3_encode(1.0626f), 0x39);  // just above the tie
  const float sub = std::ldexp(1.0f, -9);
  EXPECT_EQ(fp8_e4m3_encode(0.5f * sub), 0x00);  // subnormal ties
  EXPECT_EQ(fp8_e4m3_encode(1.5f * sub), 0x02);
  EXPECT_EQ(fp8_e4m3_encode(2.5f * sub), 0x02);
  EXPECT_EQ(fp8_e4m3_encode(7.5f * sub), 0x08);  // into the smallest normal
  EXPECT_EQ(fp8_e4m3_encode(-0.0f), 0x80);
}

TEST(fp8_e4m3, picks_the_nearest_code_with_relative_error_at_most_two_to_the_minus_4) {
  const Mat x = test::input(1, 20000, "x", 1.0f);
  for (Eigen::Index i = 0; i < x.cols(); ++i) {
    // Spread magnitudes log-uniformly over the normal range [2^-6, 448].
    const float v = std::copysign(std::exp2(-6.0f + 14.8f * std::abs(x(0, i))), x(0, i));
    if (std::abs(v) > 448.0f) continue;
    const std::uint8_t c = fp8_e4m3_encode(v);
    const float back = fp8_e4m3_decode(c);
    EXPECT_LE(std::abs(back - v), std::ldexp(std::abs(v), -4)) << v;
    for (int neighbour : {c - 1, c + 1}) {
      if ((neighbour & 0x7f) == 0x7f || (neighbour & 0x7f) == 0 || neighbour < 0 || neighbour > 255)
        continue;
      EXPECT_LE(std::abs(back - v),
                std::abs(fp8_e4m3_decode(static_cast<std::uint8_t>(neighbour)) - v))
          << v;
    }
  }
}

TEST(kv_cache, fp8_storage_keeps_the_e4m3_error_bounds_per_element) {
  // Values spanning six decades, so some rows have elements far below their row's amax.
  const int heads = 2;
  const int dim = 64;
  Mat k = test::input(40, Eigen::Index{heads} * dim, "k");
  k = (k.array() * (k.array() * 7.0f).exp()).matrix();
  const Mat v = test::input(40, Eigen::Index{heads} * dim, "v", 30.0f);
  kv_cache cache(heads, dim, dim, 40, kv_storage::fp8_e4m3);
  cache.append(k, v);
  for (const auto& [stored, original] :
       {std::pair{cache.keys(), k}, std::pair{cache.values(), v}}) {
    for (Eigen::Index t = 0; t < original.rows(); ++t) {
      for (int h = 0; h < heads; ++h) {
        const auto row = original.row(t).segment(Eigen::Index{h} * dim, dim);
        const float scale = row.cwiseAbs().maxCoeff() / 448.0f;
        for (int c = 0; c < dim; ++c) {
          const float x = row(c);
          const float err = std::abs(stored(t, h * dim + c) - x);
          if (std::abs(x) >= scale * 0x1p-6f) {
            EXPECT_LE(err, std::abs(x) * 0x1p-4f * (1.0f + 1e-5f));
          } else {
            EXPECT_LE(err, scale * 0x1p-10f * (1.0f + 1e-5f));  // half the subnormal step
          }
        }
      }
    }
  }
}

TEST(kv_cache, bf16_storage_has_relative_error_at_most_two_to_the_minus_8) {
  const Mat k = test::input(10, 32, "k", 5.0f);
  kv_cache cache(1, 32, 32, 10, kv_storage::bf16);
  cache.append(k, k);
  const Mat back = cache.keys();
  EXPECT_TRUE(((back - k).cwiseAbs().array() <= k.cwiseAbs().array() * 0x1p-8f).all());
}

}  // namespace
}  // namespace kernels
