// The `training` workload kind on the plant (models/workload/training/training_workload.hpp):
// exact located errors, a run that writes its results, the step's phases in the plant's
// power (compute above communication, energy conserved), the propagation share against the
// fiber-delay formula, and time-to-train against its definition.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/network/propagation.hpp"
#include "models/plant/plant.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/training/training_workload.hpp"
#include "sim/config.hpp"
#include "training_fixture.hpp"

namespace {

namespace tr = models::training;

const std::string& kFile = test::kSmallJob;

models::ScenarioSpec load(std::vector<std::string> overrides = {}) {
  return test::load_small_job(std::move(overrides));
}
std::string errors_of(std::vector<std::string> overrides) {
  return test::small_job_errors(std::move(overrides));
}

const tr::TrainingWorkload& training(const models::RunResult& r) {
  return dynamic_cast<const tr::TrainingWorkload&>(r.workload());
}

TEST(TrainingScenario, GpusThatDoNotMatchTheParallelismAreALocatedError) {
  EXPECT_EQ(errors_of({"workload.parallel.dp=2"}),
            kFile +
                ":45:13: workload.parallel: tp·pp·dp·cp = 8 does not match gpus = 16 (the "
                "plant's GPUs; set workload.gpus to use part of them)");
}

TEST(TrainingScenario, LayersNotDivisibleByTheStagesAreALocatedError) {
  EXPECT_EQ(errors_of({"workload.parallel.vp=5"}),
            kFile + ":45:25: workload.parallel.pp: layers (24) must be divisible by pp·vp = 10");
}

TEST(TrainingScenario, AMicrobatchThatDoesNotDivideTheBatchIsALocatedError) {
  EXPECT_EQ(errors_of({"workload.micro_batch=3"}),
            std::string("--set:1:1: workload.micro_batch: micro_batch (3) must divide the batch "
                        "per data-parallel rank (16 = 64 / 4)"));
}

TEST(TrainingScenario, ActivationsBeyondHbmAreAnErrorUnlessAskedToRunAnyway) {
  const std::string e = errors_of({"workload.recompute=none", "workload.micro_batch=16",
                                   "workload.seq_len=16384", "workload.attention=unfused"});
  EXPECT_NE(e.find("workload.micro_batch: the worst pipeline stage needs "), std::string::npos)
      << e;
  EXPECT_NE(e.find("but h100-sxm has 85.5 GB; lower micro_batch, recompute more, split further, "
                   "or set hbm_overflow: wall to run anyway"),
            std::string::npos)
      << e;
  // Run anyway: the HBM wall is the first wall, hit at t = 0.
  const models::RunResult r = models::run_scenario(load(
      {"workload.recompute=none", "workload.micro_batch=16", "workload.seq_len=16384",
       "workload.attention=unfused", "workload.hbm_overflow=wall", "workload.simulated_steps=1"}));
  ASSERT_NE(r.first_wall(), nullptr);
  EXPECT_EQ(r.first_wall()->name, "train.hbm_capacity");
  EXPECT_EQ(r.first_wall()->first_hit->seconds(), 0.0);
  EXPECT_GT(r.first_wall()->peak_utilization, 1.0);
}

TEST(TrainingScenario, TheJobIsTokensOrStepsNotBoth) {
  EXPECT_EQ(errors_of({"workload.steps=10"}),
            std::string("--set:1:1: workload.tokens: give tokens or steps, not both"));
}

// At full clock (no coupling) the simulated step is the step model's, every step.
TEST(TrainingScenario, UncoupledStepsTakeTheStepModelsTime) {
  const models::RunResult r = models::run_scenario(load({"plant.coupling=none"}));
  const tr::TrainingWorkload& w = training(r);
  ASSERT_GE(w.steps().size(), 2u);
  for (const tr::StepRecord& s : w.steps())
    EXPECT_NEAR(s.duration().value(), w.model_step().step_time.value(), 1e-8);
  // The split adds up to the step.
  const tr::StepRecord& s = w.steps().front();
  EXPECT_NEAR((s.compute + s.comm + s.bubble + s.optimizer).value(), s.duration().value(), 1e-8);
}

TEST(TrainingScenario, ARunWritesItsStepsAndSummary) {
  const models::ScenarioSpec spec = load();
  const models::RunResult r = models::run_scenario(spec);
  const auto path = std::filesystem::temp_directory_path() / "firstwall_training_run.h5";
  models::write_results(path.string(), spec, r);
  EXPECT_GT(std::filesystem::file_size(path), 1000u);
  std::filesystem::remove(path);
  EXPECT_GT(r.metric("training_steps"), 0);
  EXPECT_GT(r.metric("mfu"), 0.1);
  EXPECT_LT(r.metric("mfu"), 1.0);
  EXPECT_NEAR(r.metric("tokens_per_second"), r.metric("tokens_per_step") / r.metric("step_time"),
              1e-6);
  // Shares of the step add up to one.
  EXPECT_NEAR(r.metric("share_compute") + r.metric("share_exposed_comm") +
                  r.metric("share_bubble") + r.metric("share_optimizer"),
              1.0, 1e-9);
}

// time to train = tokens / (tokens per step) × step time.
TEST(TrainingScenario, TimeToTrainIsStepsTimesTheStepTime) {
  const models::RunResult r = models::run_scenario(load({"workload.tokens=3e9"}));
  const double steps = 3e9 / (64.0 * 2048.0);
  EXPECT_NEAR(r.metric("steps_to_train"), steps, 1e-9 * steps);
  EXPECT_NEAR(r.metric("time_to_train"), steps * r.metric("step_time"), 1e-9 * steps);
  EXPECT_NEAR(r.metric("time_to_train_days"), r.metric("time_to_train") / 86400, 1e-12);
}

// Compute phases draw more than the exposed data-parallel phase, and the plant's per-GPU
// series shows the swing; the group's energy is exactly the sum of its phases' power ×
// duration plus idle while it waits (uncoupled: full clock), and the feed's energy is the
// IT energy plus losses.
TEST(TrainingScenario, PowerSwingsBetweenComputeAndCommunicationAndEnergyIsConserved) {
  // Gradients exposed in full over a slow scale-out tier: a long communication phase.
  const std::vector<std::string> slow = {"workload.overlap_dp=false",
                                         "workload.fabric.scale_out.bandwidth=10 Gb/s",
                                         "workload.fabric.gpus_per_node=2"};
  const models::RunResult r = models::run_scenario(load(slow));
  const tr::TrainingWorkload& w = training(r);
  ASSERT_FALSE(w.steps().empty());
  const tr::StepRecord& s = w.steps().front();
  EXPECT_GT(s.compute_power_per_gpu, s.comm_power_per_gpu + 200) << s.comm_power_per_gpu;
  EXPECT_GT(r.metric("gpu_power_swing_job"), 16 * 200.0);
  const double facility = r.metric("energy_facility");
  EXPECT_NEAR(
      (r.metric("energy_it") + r.metric("energy_conversion_losses") + r.metric("energy_cooling")) /
          facility,
      1.0, 1e-9);

  std::vector<std::string> uncoupled = slow;
  uncoupled.push_back("plant.coupling=none");
  uncoupled.push_back("workload.simulated_steps=2");
  const models::RunResult u = models::run_scenario(load(uncoupled));
  const tr::TrainingWorkload& wu = training(u);
  const models::GpuPowerModel& power = u.plant().gpu_power();
  // Group 0 is stage 0 (ranks 0-7, TP 2 x DP 4 with PP outermost).
  double expected = 0, busy = 0;
  for (const auto& phase : wu.plan(0)) {
    const double t = phase.activity.duration(1.0).value();
    expected += power.power(phase.activity, 1.0).value() * t;
    busy += t;
  }
  const double steps = static_cast<double>(wu.steps().size());
  const double span = (u.end - sim::SimTime::zero()).seconds().value();
  expected = steps * expected + (span - steps * busy) * power.idle_power().value();
  EXPECT_NEAR(u.plant().group_stats(0).energy_per_gpu.value() / expected, 1.0, 1e-6);
}

// Two sites, DP split across them, nothing overlapped, no pipeline: light crosses the fiber
// once in the gradient reduce-scatter and once in the parameter all-gather, so the step's
// propagation is 2 L n / c exactly.
TEST(TrainingScenario, PropagationShareIsTheFiberDelayShare) {
  const models::RunResult r = models::run_scenario(load(
      {"workload.parallel.pp=1", "workload.parallel.tp=2", "workload.parallel.dp=8",
       "workload.overlap_dp=false", "workload.sites.count=2", "workload.sites.fiber_length=500 km",
       "workload.sites.bandwidth=1 Tb/s", "plant.coupling=none"}));
  const double delay =
      models::network::fiber_delay(models::network::Length::kilometers(500)).value();
  EXPECT_NEAR(delay, 500e3 * 1.468 / 299792458.0, 1e-15);
  EXPECT_NEAR(r.metric("propagation_per_step"), 2 * delay, 1e-12);
  EXPECT_NEAR(r.metric("propagation_share"), 2 * delay / r.metric("step_time"), 1e-12);
  EXPECT_GT(r.metric("propagation_share"), 0.0);
}

}  // namespace
