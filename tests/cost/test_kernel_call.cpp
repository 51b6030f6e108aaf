// FLOP and byte counts of GPU kernel calls against hand-worked formulas.
#include "kernels/cost/kernel_call.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace kernels::cost {
namespace {

TEST(kernel_call, gemm_is_two_m_n_k_and_reads_x_and_w_once) {
  // Llama-2-7B's fused QKV projection at 4096 tokens, fp16: y[4096, 12288] = x[4096, 4096]·Wᵀ.
  const KernelWork w = work(Gemm{4096, 12288, 4096, NumberFormat::fp16});
  EXPECT_DOUBLE_EQ(w.flops.value(), 2.0 * 4096 * 12288 * 4096);
  EXPECT_DOUBLE_EQ(w.bytes.value(), (4096.0 * 4096 + 12288.0 * 4096 + 4096.0 * 12288) * 2);
  // A GEMV (one decode token) is the weight read: arithmetic intensity ~1 FLOP/B in fp16.
  const KernelWork v = work(Gemm{1, 8192, 8192, NumberFormat::bf16});
  EXPECT_NEAR(v.flops.value() / v.bytes.value(), 1.0, 1e-3);
  EXPECT_DOUBLE_EQ(work(Gemm{2, 3, 5, NumberFormat::fp32}).bytes.value(), (10.0 + 15 + 6) * 4);
  EXPECT_DOUBLE_EQ(work(Gemm{2, 3, 5, NumberFormat::fp8}).bytes.value(), 31.0);
}

TEST(kernel_call, elementwise_builders_count_compulsory_traffic) {
  const auto e = NumberFormat::fp16;
  EXPECT_DOUBLE_EQ(rms_norm(10, 4096, e).bytes.value(), (2.0 * 10 * 4096 + 4096) * 2);
  EXPECT_DOUBLE_EQ(rms_norm(10, 4096, e).flops.value(), 10.0 * (4 * 4096 + 3));
  EXPECT_DOUBLE_EQ(layer_norm(10, 2560, e).bytes.value(), (2.0 * 10 * 2560 + 2 * 2560) * 2);
  EXPECT_DOUBLE_EQ(silu_mul(7, 11008, e).bytes.value(), 3.0 * 7 * 11008 * 2);
  EXPECT_DOUBLE_EQ(gelu(7, 10240, e).bytes.value(), 2.0 * 7 * 10240 * 2);
  EXPECT_DOUBLE_EQ(embedding(5, 4096, e).bytes.value(), 8.0 * 5 + 2.0 * 5 * 4096 * 2);
  EXPECT_DOUBLE_EQ(embedding(5, 4096, e).flops.value(), 0.0);
  // Q and K of 32 + 8 heads, rotary dim 128, plus the cos/sin row and the int64 position.
  EXPECT_DOUBLE_EQ(rope(3, 32, 8, 128, e).bytes.value(),
                   2.0 * 3 * 40 * 128 * 2 + 3.0 * 128 * 2 + 24);
  EXPECT_EQ(rope(3, 32, 8, 128, e).rows, 3);
}

TEST(kernel_call, a_three_operand_add_is_two_launches) {
  const Elementwise two = residual_add(16, 2560, 2, NumberFormat::fp16);
  const Elementwise three = residual_add(16, 2560, 3, NumberFormat::fp16);
  EXPECT_EQ(two.launches, 1);
  EXPECT_EQ(three.launches, 2);
  EXPECT_DOUBLE_EQ(three.bytes.value(), 2 * two.bytes.value());
  EXPECT_THROW(residual_add(16, 2560, 1, NumberFormat::fp16), std::invalid_argument);
}

TEST(kernel_call, prefill_attention_counts_causal_pairs) {
  AttentionShape s{32, 8, 128, 128, false, NumberFormat::bf16, NumberFormat::bf16};
  EXPECT_EQ(causal_pairs(1024, 1024), 1024LL * 1025 / 2);
  EXPECT_EQ(causal_pairs(10, 30), 10 * 20 + 55);
  const AttentionPrefill p{s, {{1024, 1024}, {10, 30}}};
  const KernelWork w = work(p);
  EXPECT_DOUBLE_EQ(w.flops.value(), 2.0 * 32 * (1024.0 * 1025 / 2 + 255) * 256);
  // Q read and O written per query; K and V of every attended token once.
  EXPECT_DOUBLE_EQ(w.bytes.value(), (1034.0 * 32 * 256 + 1054.0 * 8 * 256) * 2);
  EXPECT_EQ(tokens(p), 1034);
  EXPECT_THROW(work(AttentionPrefill{s, {{5, 4}}}), std::invalid_argument);
}

TEST(kernel_call, decode_attention_reads_the_cache_once) {
  // Llama-3-70B per layer (64 query heads, 8 KV heads, d = 128), bf16 cache: 32,768 FLOP and
  // 4,096 B per cached token (REFERENCE.md: 8,192 B in fp32).
  AttentionShape s{64, 8, 128, 128, false, NumberFormat::bf16, NumberFormat::bf16};
  const KernelWork w = work(AttentionDecode{s, {1000, 3000}});
  EXPECT_DOUBLE_EQ(w.flops.value(), 4000.0 * 32768);
  EXPECT_DOUBLE_EQ(w.bytes.value(), 4000.0 * 4096 + 2 * 64 * 256 * 2);
}

TEST(kernel_call, mla_absorbed_decode_is_mqa_over_the_latent) {
  // DeepSeek-V3 (128 heads, kv_lora_rank 512, rope 64): 2·h·(2r + p) = 278,528 FLOP per
  // cached token (REFERENCE.md 4.3) over one 576-element latent row, K and V shared.
  const AttentionShape s = mla_absorbed(128, 512, 64, NumberFormat::bf16, NumberFormat::bf16);
  EXPECT_EQ(s.kv_heads, 1);
  EXPECT_EQ(s.qk_dim, 576);
  EXPECT_EQ(s.v_dim, 512);
  const KernelWork one = work(AttentionDecode{s, {1}});
  const KernelWork two = work(AttentionDecode{s, {2}});
  EXPECT_DOUBLE_EQ(two.flops.value() - one.flops.value(), 2.0 * 128 * (576 + 512));
  EXPECT_DOUBLE_EQ(two.bytes.value() - one.bytes.value(), 576.0 * 2);
}

TEST(kernel_call, classes_have_names) {
  for (KernelClass c : kAllKernelClasses) EXPECT_EQ(parse_kernel_class(to_string(c)), c);
  EXPECT_FALSE(parse_kernel_class("gemv"));
  EXPECT_EQ(kernel_class(silu_mul(1, 8, NumberFormat::bf16)), KernelClass::silu_mul);
  EXPECT_EQ(kernel_class(Gemm{}), KernelClass::gemm);
}

}  // namespace
}  // namespace kernels::cost
