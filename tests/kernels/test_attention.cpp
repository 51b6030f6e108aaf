// Flash prefill and split-K decode against the naive softmax(QKᵀ/√d + mask)V, for MHA, GQA
// and MQA, and attention over quantized KV caches.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/attention.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/fp8_e4m3.hpp"
#include "kernels/kv_cache.hpp"

namespace kernels {
namespace {

// Independent double-precision reference, written without any kernel.
Mat reference_attention(const Mat& q, const Mat& k, const Mat& v, const attention_shape& s) {
  const Eigen::Index n_q = q.rows();
  const Eigen::Index n_k = k.rows();
  Mat out(n_q, Eigen::Index{s.n_heads} * s.head_dim_v);
  for (int h = 0; h < s.n_heads; ++h) {
    const int g = h / (s.n_heads / s.n_kv_heads);
    for (Eigen::Index i = 0; i < n_q; ++i) {
      const Eigen::Index last = n_k - n_q + i;
      std::vector<double> p(static_cast<std::size_t>(last + 1));
      double max = -std::numeric_limits<double>::infinity();
      for (Eigen::Index j = 0; j <= last; ++j) {
        double dot = 0.0;
        for (int c = 0; c < s.head_dim_qk; ++c) {
          dot += double{q(i, h * s.head_dim_qk + c)} * k(j, g * s.head_dim_qk + c);
        }
        p[static_cast<std::size_t>(j)] = dot * s.scale;
        max = std::max(max, p[static_cast<std::size_t>(j)]);
      }
      double z = 0.0;
      for (double& x : p) z += (x = std::exp(x - max));
      for (int c = 0; c < s.head_dim_v; ++c) {
        double acc = 0.0;
        for (Eigen::Index j = 0; j <= last; ++j)
          acc += p[static_cast<std::size_t>(j)] * v(j, g * s.head_dim_v + c);
        out(i, h * s.head_dim_v + c) = static_cast<float>(acc / z);
      }
    }
  }
  return out;
}

struct prefill_case {
  const char* name;
  int n_q, n_k;
  attention_shape shape;
};

attention_shape shape_of(int heads, int kv_heads, int dk, int dv) {
  return attention_shape{heads, kv_heads, dk, dv, 1.0f / std::sqrt(static_cast<float>(dk))};
}

const prefill_case prefill_cases[] = {
    {"mha", 100, 100, attention_shape::gqa(4, 4, 16)},
    {"gqa", 130, 130, attention_shape::gqa(8, 2, 32)},
    {"mqa", 65, 65, attention_shape::gqa(6, 1, 24)},
    {"dk_ne_dv", 70, 70, shape_of(4, 2, 40, 24)},
    {"chunked", 37, 150, attention_shape::gqa(4, 2, 16)},
    {"one_query", 1, 90, attention_shape::gqa(4, 2, 16)},
    {"tile_exact", 128, 128, attention_shape::gqa(2, 1, 8)},
};

TEST(attention_prefill, flash_form_equals_naive_and_reference) {
  for (const prefill_case& c : prefill_cases) {
    const attention_shape& s = c.shape;
    const Mat q = test::input(c.n_q, Eigen::Index{s.n_heads} * s.head_dim_qk, "q", 2.0f);
    const Mat k = test::input(c.n_k, Eigen::Index{s.n_kv_heads} * s.head_dim_qk, "k", 2.0f);
    const Mat v = test::input(c.n_k, Eigen::Index{s.n_kv_heads} * s.head_dim_v, "v");
    const Mat flash = attention_prefill(q, k, v, s);
    const Mat naive = attention_naive(q, k, v, s);
    const Mat ref = reference_attention(q, k, v, s);
    EXPECT_LT(test::rel_error(flash, naive), 1e-5) << c.name;
    EXPECT_LT(test::rel_error(naive, ref), 1e-5) << c.name;
    EXPECT_LT(test::rel_error(flash, ref), 1e-5) << c.name;
  }
}

TEST(attention_prefill, first_query_copies_the_first_value) {
  // Causality: position 0 sees only key 0, so its output is v_0 exactly (softmax of one score).
  const attention_shape s = attention_shape::gqa(2, 1, 8);
  const Mat q = test::input(10, 16, "q");
  const Mat k = test::input(10, 8, "k");
  const Mat v = test::input(10, 8, "v");
  const Mat out = attention_prefill(q, k, v, s);
  EXPECT_EQ(out.block(0, 0, 1, 8), v.row(0));
  EXPECT_EQ(out.block(0, 8, 1, 8), v.row(0));
}

TEST(attention_prefill, rejects_inconsistent_operands) {
  const Mat q = test::input(4, 32, "q");
  const Mat k = test::input(4, 16, "k");
  const Mat v = test::input(4, 16, "v");
  EXPECT_THROW(attention_prefill(q, k, v, attention_shape::gqa(4, 3, 8)), std::invalid_argument);
  EXPECT_THROW(attention_prefill(q, k, v, attention_shape::gqa(4, 1, 8)), std::invalid_argument);
  EXPECT_THROW(attention_prefill(q, k.topRows(3), v.topRows(3), attention_shape::gqa(4, 2, 8)),
               std::invalid_argument);
}

TEST(attention_decode, equals_naive_over_the_whole_cache) {
  // 600 tokens: three decode chunks, the last one partial.
  for (const attention_shape& s :
       {attention_shape::gqa(4, 4, 32), attention_shape::gqa(8, 2, 16), shape_of(6, 1, 24, 40)}) {
    for (int n_k : {1, 255, 600}) {
      const Mat q = test::input(1, Eigen::Index{s.n_heads} * s.head_dim_qk, "q", 2.0f);
      const Mat k = test::input(n_k, Eigen::Index{s.n_kv_heads} * s.head_dim_qk, "k", 2.0f);
      const Mat v = test::input(n_k, Eigen::Index{s.n_kv_heads} * s.head_dim_v, "v");
      const Mat got = attention_decode(q, k, v, s);
      EXPECT_LT(test::rel_error(got, attention_naive(q, k, v, s)), 1e-5) << n_k;
      EXPECT_LT(test::rel_error(got, reference_attention(q, k, v, s)), 1e-5) << n_k;
    }
  }
}

TEST(attention_decode, over_a_cache_equals_naive_over_its_dequantized_contents) {
  const attention_shape s = attention_shape::gqa(8, 2, 32);
  const int n_k = 300;
  const Mat k = test::input(n_k, 64, "k", 2.0f);
  const Mat v = test::input(n_k, 64, "v");
  const Mat q = test::input(1, 256, "q", 2.0f);
  for (kv_storage storage : {kv_storage::fp32, kv_storage::bf16, kv_storage::fp8_e4m3}) {
    kv_cache cache(2, 32, 32, 400, storage);
    cache.append(k.topRows(100), v.topRows(100));  // appended in two parts
    cache.append(k.bottomRows(200), v.bottomRows(200));
    ASSERT_EQ(cache.size(), n_k);
    const Mat keys = cache.keys();
    const Mat values = cache.values();
    const Mat got = attention_decode(q, cache, s);
    EXPECT_LT(test::rel_error(got, attention_naive(q, keys, values, s)), 1e-5);
    // The cache's prefill entry point sees the same values.
    const Mat q_all = test::input(n_k, 256, "q_all", 2.0f);
    EXPECT_LT(test::rel_error(attention_prefill(q_all, cache, s),
                              attention_naive(q_all, keys, values, s)),
              1e-5);
  }
}

TEST(attention_decode, equals_the_last_row_of_prefill) {
  const attention_shape s = attention_shape::gqa(4, 2, 16);
  const Mat q = test::input(50, 64, "q");
  const Mat k = test::input(50, 32, "k");
  const Mat v = test::input(50, 32, "v");
  const Mat prefill = attention_prefill(q, k, v, s);
  const Mat decode = attention_decode(q.bottomRows(1), k, v, s);
  EXPECT_LT(test::rel_error(decode, prefill.bottomRows(1)), 1e-5);
}

TEST(kv_cache, fp32_views_return_what_was_appended_and_capacity_is_enforced) {
  kv_cache cache(2, 4, 3, 5);
  const Mat k = test::input(5, 8, "k");
  const Mat v = test::input(5, 6, "v");
  cache.append(k.topRows(2), v.topRows(2));
  cache.append(k.bottomRows(3), v.bottomRows(3));
  EXPECT_EQ(Mat(cache.key_view()), k);
  EXPECT_EQ(Mat(cache.value_view()), v);
  EXPECT_EQ(cache.bytes_per_token(), 4 * 2 * (4 + 3));
  EXPECT_THROW(cache.append(k.topRows(1), v.topRows(1)), std::length_error);
  EXPECT_THROW(cache.append(k.leftCols(4), v), std::invalid_argument);
  cache.clear();
  EXPECT_EQ(cache.size(), 0);
  kv_cache fp8(2, 4, 3, 5, kv_storage::fp8_e4m3);
  EXPECT_THROW(fp8.key_view(), std::logic_error);
  fp8.append(k.topRows(1), v.topRows(1));
  const Mat q = test::input(1, 16, "q");
  EXPECT_THROW(attention_decode(q, fp8, attention_shape{4, 2, 4, 4, 0.5f}), std::invalid_argument);
  EXPECT_NO_THROW(attention_decode(q, fp8, attention_shape{4, 2, 4, 3, 0.5f}));
  EXPECT_THROW(attention_decode(q, fp8, attention_shape{3, 2, 4, 3, 0.5f}), std::invalid_argument);
  EXPECT_EQ(fp8.bytes_per_token(), 2 * (4 + 3) + 2 * 2 * 4);
}

// The decode kernel reads cache rows through key_row / value_row (inlined dequantization); they
// must give exactly what read_keys / read_values give, for every FP8 code and for BF16.
TEST(attention_decode, cache_rows_match_read_for_every_code) {
  // One token whose single head holds every finite E4M3 value (amax 448 → scale 1, so each value
  // encodes to its own code) and NaN (→ 0x7F): element c holds code 7c mod 256, so the first 256
  // elements cover every code and the last 15 (a row length not a multiple of 16) a mix.
  const int dim = 271;
  Mat k(1, dim);
  for (int c = 0; c < dim; ++c) {
    const int code = (7 * c) % 256;
    k(0, c) = (code & 0x7F) == 0x7F ? std::numeric_limits<float>::quiet_NaN()
                                    : fp8_e4m3_decode(static_cast<std::uint8_t>(code));
  }
  const Mat v = k.array() * 0.5f;
  for (const auto storage : {kv_storage::fp32, kv_storage::bf16, kv_storage::fp8_e4m3}) {
    kv_cache cache(1, dim, dim, 1, storage);
    cache.append(k, v);
    Mat want_k(1, dim);
    Mat want_v(1, dim);
    cache.read_keys(0, 0, 1, want_k);
    cache.read_values(0, 0, 1, want_v);
    std::vector<float> buf(dim);
    const float* got_k = cache.key_row(0, 0, buf.data());
    for (int c = 0; c < dim; ++c) {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(got_k[c]), std::bit_cast<std::uint32_t>(want_k(0, c)))
          << "key element " << c;
    }
    const float* got_v = cache.value_row(0, 0, buf.data());
    for (int c = 0; c < dim; ++c) {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(got_v[c]), std::bit_cast<std::uint32_t>(want_v(0, c)))
          << "value element " << c;
    }
  }
}

}  // namespace
}  // namespace kernels
