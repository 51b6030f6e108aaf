// The host selfcheck's model side: the reference transformer as an LlmSpec, and the
// prediction through KernelIterationCost end to end on a tiny model.
#include "models/workload/host_selfcheck.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

kernels::measure::selfcheck_options tiny() {
  kernels::measure::selfcheck_options o = kernels::measure::default_selfcheck_options(true);
  kernels::transformer_config& c = o.model;
  c.n_layers = 2;
  c.d_model = 64;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.ffn_dim = 96;
  c.vocab_size = 256;
  c.max_seq_len = 64;
  o.prompt_tokens = 8;
  o.decode_tokens = 3;
  o.rounds = 1;
  return o;
}

}  // namespace

TEST(host_selfcheck, llm_of_has_the_reference_transformers_weights) {
  const kernels::transformer_config c = tiny().model;
  const models::ParamCounts p = models::count_params(models::llm_of(c));
  const double d = c.d_model, f = c.ffn_dim, v = c.vocab_size, hd = c.head_dim;
  const double h = c.n_heads, kv = c.n_kv_heads, layers = c.n_layers;
  // reference_transformer.cpp: embedding and LM head [vocab, d]; per layer W_QKV, W_O, the
  // SwiGLU gate/up/down and two norm gains; the final norm gain.
  EXPECT_DOUBLE_EQ(p.embedding, v * d);
  EXPECT_DOUBLE_EQ(p.lm_head, v * d);
  EXPECT_DOUBLE_EQ(p.attention, layers * ((h + 2 * kv) * hd * d + d * h * hd));
  EXPECT_DOUBLE_EQ(p.dense_ffn, layers * 3 * d * f);
  EXPECT_DOUBLE_EQ(p.norms, layers * 2 * d + d);
}

TEST(host_selfcheck, predicts_through_the_iteration_logic_and_runs_the_model) {
  const kernels::measure::selfcheck_options o = tiny();
  const models::SelfcheckResult r = models::run_host_selfcheck(o, nullptr);
  EXPECT_GT(r.host_peak.value(), 0);
  EXPECT_GT(r.host_bandwidth.value(), 0);
  // The calls are the iteration logic's: the fused QKV GEMM n = (4 + 2·2)·16 = 128 runs once
  // per layer in each iteration; decode attention is timed at the first and last contexts.
  const auto find = [&](const std::string& name) -> const models::SelfcheckCall* {
    for (const auto& k : r.calls)
      if (k.call == name) return &k;
    return nullptr;
  };
  const auto* qkv_prefill = find("gemm m=8 n=128 k=64 fp32");
  const auto* qkv_decode = find("gemm m=1 n=128 k=64 fp32");
  ASSERT_NE(qkv_prefill, nullptr);
  ASSERT_NE(qkv_decode, nullptr);
  EXPECT_EQ(qkv_prefill->prefill_count, 2);
  EXPECT_EQ(qkv_decode->decode_count, 2);
  ASSERT_NE(find("attention_decode 4q/2kv x16 fp32 kv fp32 kv_len=9"), nullptr);
  ASSERT_NE(find("attention_decode 4q/2kv x16 fp32 kv fp32 kv_len=11"), nullptr);
  // Two norms per layer and the final one, in the prefill and in every decode iteration.
  EXPECT_EQ(find("rms_norm rows=8 width=64")->prefill_count, 5);
  EXPECT_EQ(find("rms_norm rows=1 width=64")->decode_count, 5);
  // The prefill prediction is the iteration's sum of measured calls: no overhead, tp 1.
  double prefill = 0;
  for (const auto& k : r.calls) prefill += k.prefill_count * k.time.value();
  EXPECT_NEAR(r.predicted_prefill.value(), prefill, 1e-12 + 1e-9 * prefill);
  EXPECT_GT(r.actual_prefill.value(), 0);
  EXPECT_GT(r.actual_decode_tokens_per_s, 0);
  EXPECT_DOUBLE_EQ(r.max_abs_pct_error,
                   std::max(std::abs(r.prefill_error_pct), std::abs(r.decode_error_pct)));
}

TEST(host_selfcheck, refuses_an_mla_model) {
  kernels::measure::selfcheck_options o = tiny();
  o.model.attention = kernels::attention_kind::mla;
  EXPECT_THROW(models::run_host_selfcheck(o, nullptr), std::invalid_argument);
}
