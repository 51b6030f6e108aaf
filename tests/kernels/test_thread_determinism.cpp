// Bit-identical results with 1, 2, 3 and 7 OpenMP threads: every parallel kernel cuts its work
// by shape only (parallel.hpp), so the thread count cannot change any rounding. 3 and 7 split
// the work unevenly, and 7 is more threads than this machine's cores and than some kernels'
// items, so uneven and oversubscribed splits are covered, not only halves.
#include <gtest/gtest.h>

#include <omp.h>

#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/attention.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_bf16.hpp"
#include "kernels/mla.hpp"
#include "kernels/moe.hpp"
#include "kernels/reference_transformer.hpp"

namespace kernels {
namespace {

constexpr int kThreadCounts[] = {2, 3, 7};

template <class F>
void expect_same_bits_for_any_thread_count(F&& f, const char* what) {
  const Mat one = test::with_threads(1, f);
  for (int n : kThreadCounts) {
    const Mat many = test::with_threads(n, f);
    EXPECT_TRUE(test::bitwise_equal(one, many)) << what << ": 1 thread against " << n;
  }
}

TEST(thread_determinism, every_thread_count_really_runs) {
  for (int threads : kThreadCounts) {
    const int seen = test::with_threads(threads, [] {
      int n = 0;
#pragma omp parallel
      {
#pragma omp single
        n = omp_get_num_threads();
      }
      return n;
    });
    EXPECT_EQ(seen, threads);
  }
}

TEST(thread_determinism, gemm_fp32_and_bf16) {
  for (Eigen::Index m : {1, 150}) {
    const Mat x = test::input(m, 300, "x");
    const Mat w = test::input(600, 300, "w");
    expect_same_bits_for_any_thread_count([&] { return linear(x, w); }, "linear");
    const bf16_matrix wb = bf16_matrix::from_fp32(w);
    expect_same_bits_for_any_thread_count(
        [&] { return linear_bf16(x, wb, bf16_path::fp32_convert); }, "bf16 fp32_convert");
    if (bf16_path_available(bf16_path::avx512_bf16)) {
      expect_same_bits_for_any_thread_count(
          [&] { return linear_bf16(x, wb, bf16_path::avx512_bf16); }, "bf16 avx512");
    }
  }
}

TEST(thread_determinism, attention_prefill_naive_and_decode) {
  const attention_shape s = attention_shape::gqa(8, 2, 32);
  const Mat q = test::input(200, 256, "q");
  const Mat k = test::input(200, 64, "k");
  const Mat v = test::input(200, 64, "v");
  expect_same_bits_for_any_thread_count([&] { return attention_prefill(q, k, v, s); }, "flash");
  expect_same_bits_for_any_thread_count([&] { return attention_naive(q, k, v, s); }, "naive");
  const Mat kd = test::input(700, 64, "kd");
  const Mat vd = test::input(700, 64, "vd");
  expect_same_bits_for_any_thread_count([&] { return attention_decode(q.topRows(1), kd, vd, s); },
                                        "decode");
  kv_cache cache(2, 32, 32, 700, kv_storage::fp8_e4m3);
  cache.append(kd, vd);
  expect_same_bits_for_any_thread_count([&] { return attention_decode(q.topRows(1), cache, s); },
                                        "decode fp8");
  // Three kv heads over three chunks: one thread takes slabs of two kv heads, two threads slabs
  // of one (attention_decode.cpp sizes slabs by the thread count); the bits must not change.
  const attention_shape s3 = attention_shape::gqa(12, 3, 32);
  const Mat q3 = test::input(1, 12 * 32, "q3");
  const Mat k3 = test::input(700, 3 * 32, "k3");
  const Mat v3 = test::input(700, 3 * 32, "v3");
  expect_same_bits_for_any_thread_count([&] { return attention_decode(q3, k3, v3, s3); },
                                        "decode, uneven slabs");
  // Eight kv heads over three chunks: slabs of 4, 3, 2 and 1 kv heads at 1, 2, 3 and 7 threads
  // (as few slabs as leave about four items per thread: ceil((4 threads + 2) / 3) of them,
  // at most 8), the slab of 3 leaving a short last slab of 2.
  const attention_shape s8 = attention_shape::gqa(16, 8, 32);
  const Mat q8 = test::input(1, 16 * 32, "q8");
  const Mat k8 = test::input(700, 8 * 32, "k8");
  const Mat v8 = test::input(700, 8 * 32, "v8");
  expect_same_bits_for_any_thread_count([&] { return attention_decode(q8, k8, v8, s8); },
                                        "decode, slabs of 4, 3, 2 and 1");
  kv_cache cache8(8, 32, 32, 700, kv_storage::fp8_e4m3);
  cache8.append(k8, v8);
  expect_same_bits_for_any_thread_count([&] { return attention_decode(q8, cache8, s8); },
                                        "decode fp8, slabs of 4, 3, 2 and 1");
}

TEST(thread_determinism, mla_both_forms_and_moe) {
  mla_config c{64, 16, 48, 128, 32, 16, 32};
  mla_weights w;
  w.w_uk = test::input(512, 128, "w_uk", 0.1f);
  w.w_uv = test::input(512, 128, "w_uv", 0.1f);
  mla_cache cache(c, 300);
  cache.append(test::input(300, c.latent_dim(), "latent"));
  const Mat q = test::input(1, 768, "q");
  for (mla_form form : {mla_form::naive, mla_form::absorbed}) {
    expect_same_bits_for_any_thread_count([&] { return mla_attention(q, cache, w, c, form); },
                                          "mla");
  }

  moe_weights mw;
  mw.router = test::input(8, 32, "router");
  for (int e = 0; e < 8; ++e) {
    const std::string n = "e" + std::to_string(e);
    mw.experts.push_back(
        {test::input(16, 32, n + "g"), test::input(16, 32, n + "u"), test::input(32, 16, n + "d")});
  }
  const Mat x = test::input(40, 32, "x");
  expect_same_bits_for_any_thread_count(
      [&] {
        return moe_ffn(x, mw, moe_config{8, 2, router_score::sigmoid, true, 1.0f});
      },
      "moe");
}

TEST(thread_determinism, reference_transformer_logits_and_generation) {
  transformer_config c;
  c.attention = attention_kind::mla;
  c.n_experts = 4;
  c.n_layers = 2;
  const std::vector<token_id> prompt = {10, 200, 33, 47, 47, 120, 5};
  const auto run = [&] {
    reference_transformer model(c);
    const Vec logits = model.prefill(prompt);
    const std::vector<token_id> more = model.generate_greedy(std::vector<token_id>{3}, 6);
    Mat out(1, logits.size() + static_cast<Eigen::Index>(more.size()));
    out.leftCols(logits.size()) = logits.transpose();
    for (std::size_t i = 0; i < more.size(); ++i)
      out(0, logits.size() + static_cast<Eigen::Index>(i)) = static_cast<float>(more[i]);
    return out;
  };
  expect_same_bits_for_any_thread_count(run, "transformer");
}

}  // namespace
}  // namespace kernels
