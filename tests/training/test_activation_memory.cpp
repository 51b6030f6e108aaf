// Activation memory against Korthikanti et al. 2022 Table 2, worked by hand for GPT-3 175B
// (s = 2048, b = 1, h = 12288, a = 96, t = 8).
#include <gtest/gtest.h>

#include "models/workload/training/activation_memory.hpp"
#include "training_fixture.hpp"

namespace tr = models::training;

namespace {

constexpr double s = 2048, b = 1, h = 12288, a = 96, t = 8;
constexpr double sbh = s * b * h;

tr::TrainingSpec spec(tr::Recompute r, bool sp, tr::AttentionImpl attention) {
  tr::TrainingSpec x = test::gpt3_175b(1);
  x.recompute = r;
  x.parallel.sequence_parallel = sp;
  x.attention = attention;
  return x;
}

}  // namespace

TEST(ActivationMemory, KorthikantiTable2PerLayer) {
  using tr::AttentionImpl;
  using tr::Recompute;
  // Tensor parallel only: sbh (10 + 24/t + 5as/(ht)).
  EXPECT_DOUBLE_EQ(
      tr::layer_activation_bytes(spec(Recompute::none, false, AttentionImpl::unfused)).value(),
      sbh * (10 + 24 / t + 5 * a * s / (h * t)));
  // Tensor + sequence parallel: sbh/t (34 + 5as/h).
  EXPECT_DOUBLE_EQ(
      tr::layer_activation_bytes(spec(Recompute::none, true, AttentionImpl::unfused)).value(),
      sbh / t * (34 + 5 * a * s / h));
  // + selective recompute: 34 sbh / t.
  EXPECT_DOUBLE_EQ(
      tr::layer_activation_bytes(spec(Recompute::selective, true, AttentionImpl::unfused)).value(),
      34 * sbh / t);
  // Full recompute: the layer input, 2 sbh (sharded with sequence parallelism).
  EXPECT_DOUBLE_EQ(
      tr::layer_activation_bytes(spec(Recompute::full, false, AttentionImpl::unfused)).value(),
      2 * sbh);
  EXPECT_DOUBLE_EQ(
      tr::layer_activation_bytes(spec(Recompute::full, true, AttentionImpl::unfused)).value(),
      2 * sbh / t);
  // FlashAttention stores no s² tensor: as selective.
  EXPECT_DOUBLE_EQ(
      tr::layer_activation_bytes(spec(Recompute::none, true, AttentionImpl::flash)).value(),
      34 * sbh / t);
}

TEST(ActivationMemory, FirstStageKeepsLLayersWorthAndInterleavingAddsItsFactor) {
  tr::TrainingSpec x = spec(tr::Recompute::selective, true, tr::AttentionImpl::unfused);
  x.parallel.dp = 16;
  x.gpus = 8 * 12 * 16;  // 96 microbatches of 1 per pipeline: p = 12 in flight
  const double p = 12, L = 96, V = 51200;
  const double per_layer = 34 * sbh / t;
  tr::MemoryEstimate e = tr::estimate_memory(x);
  // L/p layers × p microbatches + the embedding dropout masks sbhp/t (Korthikanti §4.3).
  EXPECT_DOUBLE_EQ(e.activations.value(), per_layer * L + sbh * p / t);
  x.parallel.vp = 2;
  e = tr::estimate_memory(x);
  EXPECT_DOUBLE_EQ(e.activations.value(), per_layer * L * (1 + (p - 1) / (p * 2)) + sbh * p / t);
  // Without a pipeline the output layer's 4sbh/t (1 + V/h) is on the same GPU.
  x.parallel.pp = 1;
  x.parallel.vp = 1;
  x.parallel.dp = 192;
  e = tr::estimate_memory(x);
  EXPECT_DOUBLE_EQ(e.activations.value(), per_layer * L + sbh * 1 / t + 4 * sbh / t * (1 + V / h));
}

TEST(ActivationMemory, DistributedOptimizerBytesPerParameter) {
  tr::TrainingSpec x = test::gpt3_175b(4);
  const tr::MemoryEstimate with = tr::estimate_memory(x);
  EXPECT_NEAR(with.weights_and_optimizer.value(), with.params_on_gpu * (6 + 12.0 / 4), 1e-3);
  x.parallel.distributed_optimizer = false;
  const tr::MemoryEstimate without = tr::estimate_memory(x);
  EXPECT_NEAR(without.weights_and_optimizer.value(), without.params_on_gpu * 18, 1e-3);
}

TEST(ActivationMemory, NoRecomputeOf175BOnOnePipelineDoesNotFitAnA100) {
  // 96 layers of 175B with TP 8, no pipeline, no recompute: hundreds of GB per GPU.
  tr::TrainingSpec x = test::gpt3_175b(1);
  x.parallel.pp = 1;
  x.parallel.dp = 12;
  x.recompute = tr::Recompute::none;
  x.attention = tr::AttentionImpl::unfused;
  const tr::StepReport r = test::step_model(x).step();
  EXPECT_FALSE(r.fits());
  EXPECT_GT(r.memory.total(), r.hbm_capacity);
}
