// The kernel-level iteration cost: its kernels match the analytic model's work, and its
// times respond to the batch and the clock as physics says.
#include <gtest/gtest.h>

#include "catalog_fixture.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/kernel_iteration_cost.hpp"

namespace {

using models::BatchShape;

class KernelIterationCostTest : public ::testing::Test {
 protected:
  models::Catalog catalog = test::shipped_catalog();
  std::shared_ptr<const kernels::cost::KernelCostModel> kernels =
      models::load_kernel_cost_model("");

  models::KernelIterationCost make(const std::string& llm, int tp, double overhead_s = 0) {
    return models::KernelIterationCost(catalog.llms.at(llm), catalog.gpus.at("h100-sxm"),
                                       models::Precision{}, tp, kernels,
                                       models::HostCost{sim::Seconds(overhead_s), sim::Seconds(0)});
  }
  models::RooflineIterationCost roofline(const std::string& llm, int tp) {
    return models::RooflineIterationCost(catalog.llms.at(llm), catalog.gpus.at("h100-sxm"),
                                         models::Precision{}, tp);
  }
};

BatchShape mixed_batch() {
  BatchShape b;
  b.prefills.push_back({1024, 0, true});
  b.prefills.push_back({512, 2048, false});
  b.decodes = 32;
  for (int i = 0; i < 32; ++i) b.decode_contexts.push_back(1000 + 100 * i);
  for (auto c : b.decode_contexts) b.decode_context_sum += static_cast<double>(c);
  return b;
}

TEST_F(KernelIterationCostTest, KernelFlopsMatchTheAnalyticCount) {
  // Both enumerate the same matmuls and attention; the kernels add element-wise FLOPs
  // (norms, activations, RoPE: < 1 %).
  for (const char* llm : {"llama-3-70b", "gpt-3-175b"}) {
    for (int tp : {1, 8}) {
      const auto k = make(llm, tp).cost(mixed_batch(), 1.0);
      const auto r = roofline(llm, tp).cost(mixed_batch(), 1.0);
      EXPECT_NEAR(k.flops_per_gpu.value() / r.flops_per_gpu.value(), 1.0, 0.03)
          << llm << " tp " << tp;
    }
  }
  // MLA agrees on one GPU without cached context; with a cached prefix the naive prefill
  // re-projects the prefix's latents (extra work the analytic count leaves out), and under
  // tensor parallelism the low-rank down projections and the router are replicated.
  BatchShape fresh;
  fresh.prefills.push_back({1024, 0, true});
  fresh.decodes = 1;
  fresh.decode_contexts = {100};
  fresh.decode_context_sum = 100;
  const auto k = make("deepseek-v3", 1).cost(fresh, 1.0);
  const auto r = roofline("deepseek-v3", 1).cost(fresh, 1.0);
  EXPECT_NEAR(k.flops_per_gpu.value() / r.flops_per_gpu.value(), 1.0, 0.03);
  EXPECT_GT(make("deepseek-v3", 8).cost(mixed_batch(), 1.0).flops_per_gpu,
            roofline("deepseek-v3", 8).cost(mixed_batch(), 1.0).flops_per_gpu);
}

TEST_F(KernelIterationCostTest, CalibratedIsNeverFasterThanPeakRoofline) {
  for (const char* llm : {"llama-3-8b", "llama-3-70b", "deepseek-v3"}) {
    const auto k = make(llm, 8).cost(mixed_batch(), 1.0);
    const auto r = roofline(llm, 8).cost(mixed_batch(), 1.0);
    EXPECT_GT(k.time, r.time) << llm;
  }
}

TEST_F(KernelIterationCostTest, OverheadAddsOncePerIteration) {
  const auto a = make("llama-3-8b", 1, 0).cost(mixed_batch(), 1.0);
  const auto b = make("llama-3-8b", 1, 0.01).cost(mixed_batch(), 1.0);
  EXPECT_NEAR((b.time - a.time).value(), 0.01, 1e-12);
  EXPECT_EQ(make("llama-3-8b", 1, 0.01).cost(BatchShape{}, 1.0).time.value(),
            0.0);  // nothing to run
}

// HostCost: time = per_iteration + requests × per_request + max(GPU time, launches × per_launch),
// launches = the iteration's kernel calls (counted) + its all-reduces (2 per layer at TP > 1).
TEST_F(KernelIterationCostTest, HostIssuesEveryKernelAndWaitsOnlyWhenSlowerThanTheGpu) {
  const auto& llm = catalog.llms.at("llama-3-8b");
  const auto with = [&](double per_launch) {
    return models::KernelIterationCost(
        llm, catalog.gpus.at("h100-sxm"), models::Precision{}, 2, kernels,
        models::HostCost{sim::Seconds(0.004), sim::Seconds(per_launch), sim::Seconds(0.0003)});
  };
  const BatchShape b = mixed_batch();
  const auto gpu_only = make("llama-3-8b", 2, 0).cost(b, 1.0);
  double launches = 2.0 * llm.layers;  // the all-reduces
  for (const auto& cc : make("llama-3-8b", 2, 0).calls(b)) launches += cc.count;
  const double requests = static_cast<double>(b.prefills.size() + b.decodes);
  const double serial = 0.004 + requests * 0.0003;

  // Fast host: the issuing hides behind the GPU time.
  const auto fast = with(1e-9).cost(b, 1.0);
  EXPECT_NEAR(fast.time.value(), gpu_only.time.value() + serial, 1e-12);
  EXPECT_EQ(fast.launch_wait.value(), 0.0);
  // Slow host: the iteration lasts as long as issuing its kernels.
  const double per_launch = 10 * gpu_only.time.value() / launches;
  const auto slow = with(per_launch).cost(b, 1.0);
  EXPECT_NEAR(slow.time.value(), serial + launches * per_launch, 1e-12);
  EXPECT_NEAR(slow.launch_wait.value(), launches * per_launch - gpu_only.time.value(), 1e-12);
  EXPECT_NEAR(slow.host.value(), serial + slow.launch_wait.value(), 1e-12);
  // A lower clock lengthens the kernels, and the wait for launches shrinks by as much.
  const auto slow_half = with(per_launch).cost(b, 0.5);
  EXPECT_NEAR(slow_half.time.value(), slow.time.value(), 1e-12);
  EXPECT_LT(slow_half.launch_wait.value(), slow.launch_wait.value());
}

TEST_F(KernelIterationCostTest, LowerClockStretchesComputeBoundPrefillMoreThanMemoryBoundDecode) {
  BatchShape prefill;
  prefill.prefills.push_back({4096, 0, true});
  BatchShape decode;
  decode.decodes = 1;
  decode.decode_contexts = {1000};
  decode.decode_context_sum = 1000;
  const auto m = make("llama-3-8b", 1);
  const double prefill_stretch = (m.cost(prefill, 0.5).time / m.cost(prefill, 1.0).time).value();
  const double decode_stretch = (m.cost(decode, 0.5).time / m.cost(decode, 1.0).time).value();
  EXPECT_GT(prefill_stretch, 1.6);  // compute-bound: close to 1 / 0.5
  EXPECT_LE(prefill_stretch, 2.0 + 1e-9);
  EXPECT_LT(decode_stretch, prefill_stretch);
}

TEST_F(KernelIterationCostTest, LlamaLayerRunsTheExpectedKernels) {
  BatchShape b;
  b.decodes = 4;
  b.decode_contexts = {10, 20, 30, 40};
  b.decode_context_sum = 100;
  const auto calls = make("llama-3-70b", 4).calls(b);
  int gemms = 0;
  bool qkv = false;
  for (const auto& c : calls) {
    if (const auto* g = std::get_if<kernels::cost::Gemm>(&c.call)) {
      ++gemms;
      // Fused QKV per GPU: (64 + 2 * 8) heads * 128 / 4, over hidden 8192, 80 layers.
      if (g->n == (64 + 16) * 128 / 4 && g->k == 8192 && g->m == 4 && c.count == 80) qkv = true;
    }
  }
  EXPECT_TRUE(qkv);
  EXPECT_EQ(gemms, 5);  // QKV, O, gate+up, down, LM head
}

}  // namespace
