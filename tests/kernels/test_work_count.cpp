// FLOP and byte counts against hand-worked formulas and the REFERENCE.md figures.
#include "kernels/work_count.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "kernels/attention.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/mla.hpp"
#include "kernels/moe.hpp"

namespace kernels {
namespace {

TEST(work_count, gemm_is_two_m_n_k) {
  EXPECT_EQ(gemm_work(4096, 4096, 4096, 4),
            (kernel_work{2LL * 4096 * 4096 * 4096, 3LL * 4096 * 4096 * 4}));
  // BF16 weights and activations, FP32 output.
  EXPECT_EQ(gemm_work(1, 8192, 8192, 2, 2, 4).bytes, 8192LL * 2 + 8192LL * 8192 * 2 + 8192LL * 4);
  EXPECT_EQ(lm_head_work(3, 64, 1000, 4), gemm_work(3, 1000, 64, 4));
}

TEST(work_count, causal_prefill_counts_the_lower_triangle) {
  // n = 1024, 25 heads of 64: 2·h·n(n+1)/2·(64 + 64) FLOPs — about half the non-causal
  // 4·h·n²·d of the PyTorch CPU flash-attention figure in REFERENCE.md §3.2.
  const attention_shape s = attention_shape::gqa(25, 25, 64);
  EXPECT_EQ(causal_pairs(1024, 1024), 1024LL * 1025 / 2);
  EXPECT_EQ(causal_pairs(1, 300), 300);
  EXPECT_EQ(causal_pairs(10, 30), 10 * 20 + 55);
  const kernel_work w = attention_prefill_work(1024, 1024, s, 4);
  EXPECT_EQ(w.flops, 2LL * 25 * (1024LL * 1025 / 2) * 128);
  EXPECT_EQ(w.bytes, (1024LL * 25 * 64 * 4) * 4);
}

TEST(work_count, llama3_70b_gqa_decode_is_four_flops_per_byte) {
  // REFERENCE.md §3.2: 64 query heads, 8 kv heads, d = 128: per cached token and layer
  // 32,768 FLOP over 8,192 B (fp32).
  const attention_shape s = attention_shape::gqa(64, 8, 128);
  const kv_cache cache(8, 128, 128, 0);
  const kernel_work one = attention_decode_work(1000, s, 4, cache.bytes_per_token());
  const kernel_work two = attention_decode_work(1001, s, 4, cache.bytes_per_token());
  EXPECT_EQ(two.flops - one.flops, 32768);
  EXPECT_EQ(two.bytes - one.bytes, 8192);
  EXPECT_EQ(kv_cache(8, 128, 128, 0, kv_storage::fp8_e4m3).bytes_per_token(), 2048 + 64);
}

TEST(work_count, deepseek_v3_absorbed_mla_decode_per_cached_token) {
  // REFERENCE.md: h 128, d_k 576, d_v 512 → 2·128·(576 + 512) = 278,528 FLOP per cached token,
  // over 576·4 = 2,304 B fp32.
  mla_config c{7168, 128, 1536, 512, 128, 64, 128};
  const kernel_work one = mla_attention_work(1, 4000, c, mla_form::absorbed, 4);
  const kernel_work two = mla_attention_work(1, 4001, c, mla_form::absorbed, 4);
  EXPECT_EQ(two.flops - one.flops, 278528);
  EXPECT_EQ(two.bytes - one.bytes, 2304);
  // The naive form up-projects every cached token: 2·512·128·(128 + 128) more per token,
  // and attends with head dims (192, 128).
  const kernel_work n1 = mla_attention_work(1, 4000, c, mla_form::naive, 4);
  const kernel_work n2 = mla_attention_work(1, 4001, c, mla_form::naive, 4);
  EXPECT_EQ(n2.flops - n1.flops, 2LL * 512 * 128 * 256 + 2LL * 128 * (192 + 128));
}

TEST(work_count, elementwise_and_ffn_kernels) {
  // Shapes as 64-bit values, so the expected formulas are evaluated in the counters' type.
  const std::int64_t n = 10;
  const std::int64_t d = 64;
  EXPECT_EQ(rms_norm_work(n, d, 4), (kernel_work{n * (4 * d + 3), (2 * n * d + d) * 4}));
  EXPECT_EQ(layer_norm_work(n, d, 2), (kernel_work{n * (7 * d + 4), (2 * n * d + 2 * d) * 2}));
  EXPECT_EQ(softmax_work(n, d, 4), (kernel_work{5 * n * d, 2 * n * d * 4}));
  EXPECT_EQ(embedding_work(n, d, 4), (kernel_work{0, 4 * n + 2 * n * d * 4}));
  const std::int64_t heads = 8;
  EXPECT_EQ(rope_work(n, heads, d, 4),
            (kernel_work{3 * n * heads * d + n * d, 2 * n * heads * d * 4}));
  EXPECT_EQ(positional_encoding_work(n, d, 4), (kernel_work{n * d, 3 * n * d * 4}));
  // SwiGLU = three GEMMs plus 5 ops per hidden element; GELU = two GEMMs, biases, 9-op GELU.
  const std::int64_t f = 256;
  EXPECT_EQ(swiglu_ffn_work(n, d, f, 4).flops, 3 * gemm_work(n, f, d, 4).flops + 5 * n * f);
  EXPECT_EQ(gelu_ffn_work(n, d, f, 4).flops, 2 * gemm_work(n, f, d, 4).flops + 10 * n * f + n * d);
}

TEST(work_count, moe_counts_routed_and_shared_experts) {
  const moe_config c{8, 2, router_score::sigmoid, true, 1.0f};
  const std::int64_t n = 10;
  const std::int64_t d = 64;
  const std::int64_t f = 32;
  const std::int64_t experts = 8;
  const std::int64_t k = 2;
  const std::int64_t touched = 5;
  const kernel_work w = moe_work(n, d, f, 1, touched, c, 4);
  const std::int64_t expert = swiglu_ffn_work(1, d, f, 4).flops;
  EXPECT_EQ(w.flops,
            2 * n * d * experts + 4 * n * experts + n * k * expert + n * expert + 2 * n * k * d);
  EXPECT_EQ(w.bytes, (n * d + experts * d + touched * 3 * d * f + 3 * d * f + n * d) * 4);
}

}  // namespace
}  // namespace kernels
