// The step model: FLOP counts against Narayanan et al. SC'21 eq. 3, MFU consistent with the
// step time, the split adding up, and determinism.
#include <gtest/gtest.h>

#include <cstring>

#include "training_fixture.hpp"

namespace tr = models::training;

namespace {

// Narayanan et al. SC'21 eq. 3 (with the recomputed forward) and its model-FLOP form.
double eq3(double B, double s, double l, double h, double V) {
  return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
}
double eq3_no_recompute(double B, double s, double l, double h, double V) {
  return 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
}

}  // namespace

TEST(StepModel, FlopsMatchNarayananEquation3) {
  const tr::TrainingSpec x = test::gpt3_175b(4);
  // count_params leaves biases out, as eq. 3 does; norms and positions carry no matmul.
  EXPECT_NEAR(tr::hardware_flops_per_step(x).value() / eq3(1536, 2048, 96, 12288, 51200), 1.0,
              1e-12);
  EXPECT_NEAR(tr::model_flops_per_step(x).value() / eq3_no_recompute(1536, 2048, 96, 12288, 51200),
              1.0, 1e-12);
}

TEST(StepModel, MfuIsModelFlopsOverStepTimeGpusAndPeak) {
  const tr::TrainingSpec x = test::gpt3_175b(4);
  const tr::StepReport r = test::step_model(x).step();
  const double peak =
      test::gpu_catalog().gpus.at("a100-sxm-80gb").peak(models::DType::bf16)->value();
  EXPECT_DOUBLE_EQ(r.mfu, r.model_flops.value() / (r.step_time.value() * 384 * peak));
  EXPECT_DOUBLE_EQ(r.hardware_flops_per_gpu_per_second,
                   r.hardware_flops.value() / (r.step_time.value() * 384));
  // With full recompute the hardware counts 4/3 of the layers' model FLOPs.
  EXPECT_GT(r.hardware_flops.value(), r.model_flops.value() * 1.3);
  EXPECT_DOUBLE_EQ(r.tokens_per_second, 1536.0 * 2048 / r.step_time.value());
  EXPECT_GT(r.mfu, 0.2);
  EXPECT_LT(r.mfu, 0.75);  // below the calibrated GEMM efficiency
}

TEST(StepModel, SplitAddsUpToTheStepTime) {
  const tr::StepReport r = test::step_model(test::gpt3_175b(8)).step();
  const tr::StepBreakdown& d = r.breakdown;
  EXPECT_DOUBLE_EQ(r.step_time.value(), d.total().value());
  EXPECT_GT(d.compute.value(), 0);
  EXPECT_GT(d.tp_comm.value(), 0);
  EXPECT_GT(d.pp_comm.value(), 0);
  EXPECT_GT(d.bubble.value(), 0);
  EXPECT_GT(d.optimizer.value(), 0);
  EXPECT_EQ(d.cp_comm.value(), 0);
  EXPECT_EQ(d.ep_comm.value(), 0);
  EXPECT_EQ(r.microbatches, 1536 / 8);
}

TEST(StepModel, FullRecomputeAddsAForwardPass) {
  tr::TrainingSpec x = test::gpt3_175b(4);
  x.recompute = tr::Recompute::none;
  const auto none = test::step_model(x).step();
  x.recompute = tr::Recompute::full;
  const auto full = test::step_model(x).step();
  // Backward + recompute = backward + one forward of the layers.
  EXPECT_NEAR((full.backward - none.backward).value(), none.forward.value(),
              1e-9 * none.forward.value());
}

TEST(StepModel, InterleavingShrinksTheBubble) {
  tr::TrainingSpec x = test::gpt3_175b(16);
  const auto one = test::step_model(x).step();
  x.parallel.vp = 2;
  const auto two = test::step_model(x).step();
  EXPECT_NEAR(two.breakdown.bubble.value() / one.breakdown.bubble.value(), 0.5, 0.02);
  EXPECT_GT(two.breakdown.pp_comm, one.breakdown.pp_comm);
}

TEST(StepModel, ContextAndExpertParallelRun) {
  tr::TrainingSpec x = test::gpt3_175b(4);
  x.model.moe = models::MoeSpec{8, 2, 0, 4 * 12288, 0};
  x.parallel.ep = 4;
  x.parallel.cp = 2;
  x.gpus *= 2;
  x.seq_len = 8192;
  x.attention = tr::AttentionImpl::flash;
  ASSERT_TRUE(tr::check_training_spec(x).empty());
  const auto r = test::step_model(x, "h100-sxm").step();
  EXPECT_GT(r.breakdown.ep_comm.value(), 0);
  EXPECT_GE(r.breakdown.cp_comm.value(), 0);
  EXPECT_GT(r.step_time.value(), 0);
}

TEST(StepModel, Deterministic) {
  const tr::TrainingSpec x = test::gpt3_175b(8);
  const auto a = test::step_model(x).step();
  const auto b = test::step_model(x).step();
  const double av = a.step_time.value(), bv = b.step_time.value();
  EXPECT_EQ(std::memcmp(&av, &bv, sizeof av), 0);
  EXPECT_EQ(a.breakdown.tp_comm.value(), b.breakdown.tp_comm.value());
  EXPECT_EQ(a.memory.total().value(), b.memory.total().value());
}

TEST(Collectives, OneServerAllReduceIsTheRingForm) {
  const auto& gpu = test::gpu_catalog().gpus.at("a100-sxm-80gb");
  const tr::AlphaBetaCollectives c(*tr::dgx_fabric(gpu));
  const sim::Bytes S(50e6);
  for (int p : {2, 4, 8}) {
    // 2(p-1) α + 2(p-1)/p · S / (η B), gpus.yaml's fit (models/network/ring_allreduce.hpp).
    const double expected = 2 * (p - 1) * 3.37e-6 + 2.0 * (p - 1) / p * 50e6 / (0.4762 * 300e9);
    EXPECT_NEAR(c.all_reduce(S, {p, p}).value(), expected, 1e-12);
  }
}

TEST(Collectives, AcrossServersTheRailsCarryOneEighthEach) {
  const auto& gpu = test::gpu_catalog().gpus.at("h100-sxm");
  const tr::Fabric f = *tr::dgx_fabric(gpu);
  const tr::AlphaBetaCollectives c(f);
  const sim::Bytes S(8e9);
  // 4 servers of 8: ring in the server, then 4 rails of S/8 each.
  const double intra = 7 * f.scale_up.step_latency.value() +
                       7.0 / 8 * 8e9 / (f.scale_up.bandwidth.value() * f.scale_up.efficiency);
  const double inter = 3 * 5e-6 + 3.0 / 4 * 1e9 / (50e9 * 0.94);
  EXPECT_NEAR(c.reduce_scatter(S, {32, 8}).value(), intra + inter, 1e-12);
  EXPECT_NEAR(c.all_reduce(S, {32, 8}).value(), 2 * (intra + inter), 1e-12);
  // One GPU per server (a data-parallel group under TP 8): a ring over NICs.
  EXPECT_NEAR(c.all_gather(S, {4, 1}).value(), 3 * 5e-6 + 3.0 / 4 * 8e9 / (50e9 * 0.94), 1e-12);
  EXPECT_NEAR(c.send_recv(sim::Bytes(1e6), {2, 1}).value(), 5e-6 + 1e6 / (50e9 * 0.94), 1e-15);
}
