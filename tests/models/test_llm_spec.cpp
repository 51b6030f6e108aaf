// Derived LLM quantities against the formulas and the published figures.
#include <cmath>

#include <gtest/gtest.h>

#include "catalog_fixture.hpp"
#include "models/workload/llm_spec.hpp"

namespace {

using models::DType;

class LlmSpecTest : public ::testing::Test {
 protected:
  models::Catalog catalog = test::shipped_catalog();
  const models::LlmSpec& llm(const std::string& name) { return catalog.llms.at(name); }
};

TEST_F(LlmSpecTest, KvBytesPerTokenMatchTheIssueFigures) {
  // MLA: layers * (kv_lora_rank + qk_rope_head_dim) * 2 B = 61 * 576 * 2.
  EXPECT_EQ(models::kv_bytes_per_token(llm("deepseek-v3"), DType::bf16), 70272.0);
  EXPECT_EQ(models::kv_bytes_per_token(llm("deepseek-v3"), DType::bf16), 61.0 * (512 + 64) * 2);
  // GQA: 2 * layers * kv_heads * head_dim * 2 B = 2 * 80 * 8 * 128 * 2.
  EXPECT_EQ(models::kv_bytes_per_token(llm("llama-3-70b"), DType::bf16), 327680.0);
  EXPECT_EQ(models::kv_bytes_per_token(llm("llama-3-70b"), DType::fp8), 2.0 * 80 * 8 * 128 * 1);
  // MHA (GPT-3): every head caches K and V.
  EXPECT_EQ(models::kv_bytes_per_token(llm("gpt-3-175b"), DType::bf16), 2.0 * 96 * 96 * 128 * 2);
}

TEST_F(LlmSpecTest, KvShardingUnderTensorParallelism) {
  const auto& l70 = llm("llama-3-70b");
  // 8 KV heads over 4 GPUs: 2 heads each; over 16 GPUs a head is replicated (1 each).
  EXPECT_EQ(models::kv_bytes_per_token_per_gpu(l70, DType::bf16, 4), 2.0 * 80 * 2 * 128 * 2);
  EXPECT_EQ(models::kv_bytes_per_token_per_gpu(l70, DType::bf16, 16), 2.0 * 80 * 1 * 128 * 2);
  // The MLA latent is shared by all heads: every GPU holds all of it.
  const auto& ds = llm("deepseek-v3");
  EXPECT_EQ(models::kv_bytes_per_token_per_gpu(ds, DType::bf16, 8),
            models::kv_bytes_per_token(ds, DType::bf16));
}

TEST_F(LlmSpecTest, ParameterCountsMatchPublishedSizes) {
  // Published: Llama 3 8B / 70B / 405B, GPT-3 175B, DeepSeek-V3 671B total and 37B active.
  struct Case {
    const char* name;
    double total, active, tolerance;
  } cases[] = {
      {"llama-3-8b", 8.03e9, 8.03e9, 0.005},     {"llama-3-70b", 70.6e9, 70.6e9, 0.005},
      {"llama-3-405b", 405.9e9, 405.9e9, 0.005}, {"gpt-3-175b", 175.0e9, 175.0e9, 0.01},
      {"deepseek-v3", 671e9, 37e9, 0.02},        {"llama-2-70b", 68.98e9, 68.98e9, 0.005},
      {"llama-2-7b", 6.74e9, 6.74e9, 0.005},     {"bloom-176b", 176.2e9, 176.2e9, 0.005},
  };
  for (const Case& c : cases) {
    const models::ParamCounts p = models::count_params(llm(c.name));
    EXPECT_NEAR(p.total() / c.total, 1.0, c.tolerance) << c.name << " total " << p.total();
    EXPECT_NEAR(p.active() / c.active, 1.0, c.tolerance) << c.name << " active " << p.active();
  }
}

TEST_F(LlmSpecTest, Llama8bParametersByHand) {
  const double h = 4096, layers = 32, vocab = 128256, ffn = 14336, kv = 8 * 128;
  const double attention = layers * (h * h + 2 * h * kv + h * h);
  const double mlp = layers * 3 * h * ffn;
  const double norms = layers * 2 * h + h;
  const double expected = 2 * vocab * h + attention + mlp + norms;
  EXPECT_DOUBLE_EQ(models::count_params(llm("llama-3-8b")).total(), expected);
}

TEST_F(LlmSpecTest, DecodeFlopsAreTwicePerWeightPlusAttention) {
  const auto& m = llm("llama-3-70b");
  const models::ParamCounts p = models::count_params(m);
  const double matmul = p.attention + p.dense_ffn + p.lm_head_matmul;
  for (double ctx : {1.0, 1000.0, 8000.0}) {
    const double attention = 2.0 * 80 * 64 * (128 + 128) * ctx;
    EXPECT_DOUBLE_EQ(models::flops_per_token(m, ctx, false, true), 2 * matmul + attention);
  }
}

TEST_F(LlmSpecTest, PrefillFlopsEqualTheSumOfPerTokenFlops) {
  // Prefilling n tokens after `past` = sum over tokens of one token's FLOPs at its context,
  // with logits only for the last token.
  for (const char* name : {"llama-3-8b", "deepseek-v3"}) {
    const auto& m = llm(name);
    const double n = 37, past = 100;
    double sum = 0;
    for (int i = 1; i <= 37; ++i) sum += models::flops_per_token(m, past + i, true, i == 37);
    EXPECT_NEAR(models::prefill_flops(m, n, past) / sum, 1.0, 1e-12) << name;
  }
}

TEST_F(LlmSpecTest, MlaAttentionWidths) {
  const auto& ds = llm("deepseek-v3");
  EXPECT_EQ(models::attention_width_prefill(ds), 128 + 64 + 128);  // naive: d_qk + d_v
  EXPECT_EQ(models::attention_width_decode(ds), 512 + 64 + 512);  // absorbed: latent + rope, latent
}

TEST(ExpectedDistinctExperts, LimitsAndFormula) {
  const models::MoeSpec moe{.routed_experts = 256, .active_experts = 8};
  EXPECT_DOUBLE_EQ(models::expected_distinct_experts(moe, 1), 8.0);  // one token: its k experts
  EXPECT_NEAR(models::expected_distinct_experts(moe, 1e5), 256.0, 1e-9);  // saturates at E
  EXPECT_DOUBLE_EQ(models::expected_distinct_experts(moe, 10),
                   256 * (1 - std::pow(1 - 8.0 / 256, 10)));
  EXPECT_EQ(models::expected_distinct_experts(moe, 0), 0.0);
}

}  // namespace
