// Cost-model kernel calls run on this CPU (kernels/measure/call_runner.hpp): every kind the
// serving model enumerates for a GQA model runs; what has no CPU kernel is refused by name.
#include "kernels/measure/call_runner.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace kc = kernels::cost;
namespace km = kernels::measure;

namespace {

std::string refusal(const kc::KernelCall& call) {
  try {
    km::cpu_kernel_call(call, 1);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

const kc::AttentionShape gqa{8, 2, 16, 16, false, kc::NumberFormat::fp32, kc::NumberFormat::fp32};

}  // namespace

TEST(call_runner, runs_every_call_of_a_gqa_iteration) {
  const auto f = kc::NumberFormat::fp32;
  const kc::KernelCall calls[] = {
      kc::Gemm{3, 40, 24, f},
      kc::Gemm{3, 40, 24, kc::NumberFormat::bf16},
      kc::rms_norm(5, 32, f),
      kc::layer_norm(5, 32, f),
      kc::silu_mul(5, 48, f),
      kc::gelu(5, 48, f),
      kc::residual_add(5, 32, 3, f),
      kc::rope(5, 8, 2, 16, f),
      kc::embedding(5, 32, f),
      kc::AttentionPrefill{gqa, {{4, 4}, {2, 9}}},
      kc::AttentionDecode{gqa, {7, 300}},
  };
  for (const kc::KernelCall& call : calls) {
    const auto run = km::cpu_kernel_call(call, 1);
    ASSERT_TRUE(run) << km::describe(call);
    EXPECT_NO_THROW(run()) << km::describe(call);
    EXPECT_NO_THROW(run()) << km::describe(call);  // repeatable: timing calls it many times
  }
  kc::AttentionDecode fp8{gqa, {64}};
  fp8.shape.kv_format = kc::NumberFormat::fp8;
  EXPECT_NO_THROW(km::cpu_kernel_call(fp8, 1)());
}

TEST(call_runner, describes_calls_by_their_shape) {
  EXPECT_EQ(km::describe(kc::Gemm{1, 1536, 1024, kc::NumberFormat::fp32}),
            "gemm m=1 n=1536 k=1024 fp32");
  EXPECT_EQ(km::describe(kc::rope(64, 16, 4, 64, kc::NumberFormat::fp32)),
            "rope rows=64 width=1280");
  EXPECT_EQ(km::describe(kc::residual_add(2, 8, 3, kc::NumberFormat::fp32)),
            "residual_add rows=2 width=8 launches=2");
  EXPECT_EQ(km::describe(kc::AttentionDecode{gqa, {65, 96}}),
            "attention_decode 8q/2kv x16 fp32 kv fp32 kv_len=65,96");
  EXPECT_EQ(km::describe(kc::AttentionPrefill{gqa, {{64, 64}}}),
            "attention_prefill 8q/2kv x16 fp32 kv fp32 q=64/kv=64");
}

TEST(call_runner, refuses_calls_without_a_cpu_kernel) {
  EXPECT_EQ(refusal(kc::Gemm{1, 8, 8, kc::NumberFormat::fp16}),
            "no CPU kernel for gemm m=1 n=8 k=8 fp16: the CPU kernels compute and store "
            "activations in fp32");
  const kc::AttentionShape mla =
      kc::mla_absorbed(16, 512, 64, kc::NumberFormat::fp32, kc::NumberFormat::fp32);
  EXPECT_EQ(refusal(kc::AttentionDecode{mla, {10}}),
            "no CPU kernel for attention_decode 16q/1kv x576/512 fp32 kv fp32 kv_len=10: MLA's "
            "absorbed form is timed through kernels/mla.hpp");
  kc::AttentionDecode fp16{gqa, {10}};
  fp16.shape.kv_format = kc::NumberFormat::fp16;
  EXPECT_EQ(refusal(fp16),
            "no CPU kernel for attention_decode 8q/2kv x16 fp32 kv fp16 kv_len=10: no fp16 "
            "KV-cache storage");
  kc::Elementwise rope = kc::rope(4, 2, 1, 16, kc::NumberFormat::fp32);
  rope.rotary_dim = 0;
  EXPECT_EQ(refusal(rope),
            "no CPU kernel for rope rows=4 width=48: rope without a rotary_dim dividing the row");
}
