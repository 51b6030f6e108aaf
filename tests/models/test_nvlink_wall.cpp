// The scale-up tier walls (network.nvlink, network.pcie) from the traffic the workloads cost in
// closed form (models/plant/fabric.hpp Fabric::scale_up_load): a ring's load on each link
// against bytes / (duration x bandwidth) written out from the catalogs; a serving run's and a
// training run's tensor-parallel all-reduces as the integral of the wall (each iteration holds
// its bytes / (d B) for its d); flows on NVLink beside a closed-form load keep their own.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/plant/fabric.hpp"
#include "models/plant/plant.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/training/training_workload.hpp"
#include "sim/engine.hpp"
#include "sim/wall_monitor.hpp"

namespace {

models::ScenarioSpec load(const std::string& file, std::vector<std::string> overrides) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(std::string(FIRSTWALL_FIXTURES_DIR) + "/" + file, o);
}

const sim::WallResult* wall(const std::vector<sim::WallResult>& walls, const std::string& name) {
  for (const sim::WallResult& w : walls)
    if (w.name == name) return &w;
  return nullptr;
}

// A plant of the scenario's with `count` groups of `size` GPUs, run by hand.
struct HandRun {
  models::ScenarioSpec spec;
  sim::Engine engine{1, "nvlink_wall"};
  sim::WallMonitor walls;
  std::unique_ptr<models::Plant> plant;
  std::vector<models::GpuGroup*> groups;
  models::Fabric* fab = nullptr;

  HandRun(std::vector<std::string> overrides, int count, int size, models::FabricUse use)
      : spec(load("scenarios/single_request.yaml", std::move(overrides))) {
    walls = sim::WallMonitor(spec.walls);
    plant = std::make_unique<models::Plant>(engine, walls, spec.plant);
    groups = plant->place(models::GpuRequest{"g", count, size});
    fab = groups.front()->fabric(use);  // before start(): the walls are registered
    plant->start();
  }
  models::Fabric& fabric() const { return *fab; }
  std::vector<sim::WallResult> finish(sim::SimTime end) {
    engine.run_until(end);
    plant->finish(end);
    walls.finish(end);
    return walls.results();
  }
};

// Azure NC A100 v4: four A100 PCIe, NVLink bridges 0-1 and 2-3 (300 GB/s per direction), PCIe
// Gen4 to the host (31.5 GB/s per direction; networks.yaml nvlink3-pairs-pcie4). A ring over the
// four: 0 -> 1 and 2 -> 3 on the bridges, 1 -> 2 and 3 -> 0 through the host (GPU to host, host
// to GPU): every link it crosses carries S once. Held for the whole 1 s window: its mean.
TEST(NvlinkWall, ARingLoadsEachLinkItCrossesWithItsBytesOverDurationTimesBandwidth) {
  const double s = 2e9;  // bytes each GPU sends to the next over the second
  const sim::Duration second = sim::Duration::s(1);
  {
    HandRun run({"plant.server=azure-nc-a100-v4", "plant.coupling=none"}, 1, 4,
                models::FabricUse::scale_up_load);
    run.fabric().scale_up_load(*run.groups[0], 4, sim::Bytes(s), second);
    const auto walls = run.finish(sim::SimTime::zero() + second);
    ASSERT_NE(wall(walls, "network.nvlink"), nullptr);
    ASSERT_NE(wall(walls, "network.pcie"), nullptr);
    EXPECT_DOUBLE_EQ(wall(walls, "network.nvlink")->peak_utilization, s / (1.0 * 300e9));
    EXPECT_DOUBLE_EQ(wall(walls, "network.pcie")->peak_utilization, s / (1.0 * 31.5e9));
    EXPECT_EQ(wall(walls, "network.nvlink")->kind, "network");
    // Only the scale-up tiers: the workload put nothing on the NICs.
    EXPECT_EQ(wall(walls, "network.access"), nullptr);
  }
  {
    // Two rings of two, each on its bridge: 0 -> 1 -> 0 and 2 -> 3 -> 2. PCIe carries nothing.
    HandRun run({"plant.server=azure-nc-a100-v4", "plant.coupling=none"}, 1, 4,
                models::FabricUse::scale_up_load);
    run.fabric().scale_up_load(*run.groups[0], 2, sim::Bytes(s), second);
    const auto walls = run.finish(sim::SimTime::zero() + second);
    EXPECT_DOUBLE_EQ(wall(walls, "network.nvlink")->peak_utilization, s / (1.0 * 300e9));
    EXPECT_EQ(wall(walls, "network.pcie")->peak_utilization, 0.0);
  }
  {
    // Rings of two GPUs two apart (0 <-> 2, 1 <-> 3: a context-parallel ring beside TP 2): all
    // through the host, once over each GPU's PCIe link each way. NVLink carries nothing.
    HandRun run({"plant.server=azure-nc-a100-v4", "plant.coupling=none"}, 1, 4,
                models::FabricUse::scale_up_load);
    const models::ScaleUpRing cp{2, 2, sim::Bytes(s)};
    run.fabric().scale_up_load(*run.groups[0], std::span(&cp, 1), second);
    const auto walls = run.finish(sim::SimTime::zero() + second);
    EXPECT_EQ(wall(walls, "network.nvlink")->peak_utilization, 0.0);
    EXPECT_DOUBLE_EQ(wall(walls, "network.pcie")->peak_utilization, s / (1.0 * 31.5e9));
  }
}

// The load lasts until the group's next declaration, idle or stop: half the window at S / (d B)
// then idle is a window mean of half of it.
TEST(NvlinkWall, TheLoadEndsWhenTheGroupGoesIdle) {
  HandRun run({"plant.coupling=none"}, 1, 8, models::FabricUse::scale_up_load);
  const double s = 45e9;  // over 0.5 s on 450 GB/s NVLink4: 20 %
  run.fabric().scale_up_load(*run.groups[0], 8, sim::Bytes(s), sim::Duration::ms(500));
  run.groups[0]->begin_iteration(run.engine.now(), models::GpuActivity{.idle = sim::Seconds(0.5)});
  run.engine.schedule_at(
      sim::SimTime::zero() + sim::Duration::ms(500),
      [&run] { run.groups[0]->go_idle(run.engine.now()); }, "test");
  const auto walls = run.finish(sim::SimTime::zero() + sim::Duration::s(1));
  EXPECT_NEAR(wall(walls, "network.nvlink")->peak_utilization, 0.5 * s / (0.5 * 450e9), 1e-12);
}

// A transfer between two GPUs of one DGX H100 runs on their NVLink ports at line rate: the
// NVLink wall reads 100 % whatever another group declares beside it (its ports are others).
TEST(NvlinkWall, FlowsOnNvlinkKeepTheirLoadBesideAClosedFormOne) {
  HandRun run({"plant.coupling=none"}, 2, 4, models::FabricUse::all_links);
  models::Fabric& f = run.fabric();
  const double bytes = 450e9 * 0.5;  // 0.5 s at 450 GB/s
  const models::FabricTransfer t{run.groups[0], 0, run.groups[0], 1, sim::Bytes(bytes)};
  std::optional<sim::SimTime> done;
  f.start(std::span(&t, 1), [&](sim::SimTime at) { done = at; });
  f.scale_up_load(*run.groups[1], 4, sim::Bytes(0.25 * 450e9), sim::Duration::s(1));
  const auto walls = run.finish(sim::SimTime::zero() + sim::Duration::s(1));
  ASSERT_TRUE(done);
  // The window: 100 % while the flow sends (bytes / B = 0.5 s; its route latency before that
  // loads no link), the other group's 25 % the rest of the second.
  const double sending = bytes / 450e9;
  EXPECT_GT((*done - sim::SimTime::zero()).seconds().value(), sending);
  EXPECT_NEAR(wall(walls, "network.nvlink")->peak_utilization, sending * 1.0 + (1 - sending) * 0.25,
              1e-12);
}

// Flows and a closed-form load on the same NVLink port add up: GPU 0 sends to GPU 1 at line
// rate (100 % of its port) while its group declares a ring of 0.25 B per second (25 %): 125 %
// until the group goes idle at 0.25 s, then the flow's 100 % until it has sent (0.5 s), then 0.
TEST(NvlinkWall, FlowsAndAClosedFormLoadOnOnePortAddUp) {
  HandRun run({"plant.coupling=none"}, 1, 4, models::FabricUse::all_links);
  models::Fabric& f = run.fabric();
  const double bytes = 450e9 * 0.5;
  const models::FabricTransfer t{run.groups[0], 0, run.groups[0], 1, sim::Bytes(bytes)};
  f.start(std::span(&t, 1), [](sim::SimTime) {});
  run.groups[0]->begin_iteration(run.engine.now(), models::GpuActivity{.idle = sim::Seconds(1)});
  f.scale_up_load(*run.groups[0], 4, sim::Bytes(0.25 * 450e9), sim::Duration::s(1));
  run.engine.schedule_at(
      sim::SimTime::zero() + sim::Duration::ms(250),
      [&run] { run.groups[0]->go_idle(run.engine.now()); }, "test");
  const auto walls = run.finish(sim::SimTime::zero() + sim::Duration::s(1));
  // The window's mean: the closed form's 25 % for its 0.25 s plus the flow's 100 % for its
  // bytes / B = 0.5 s of sending (after its route latency L: 0.25 L + 1.25 (0.25 - L) +
  // 1.0 (0.25 + L), L cancels). Taking the larger instead of the sum would give 0.5 + 0.25 L.
  EXPECT_NEAR(wall(walls, "network.nvlink")->peak_utilization, 0.25 * 0.25 + 1.0 * (bytes / 450e9),
              1e-9);
}

// One request (4096-token prompt, 257 outputs) on a TP2 replica of Llama-3-8B: the prefill
// iteration and 256 decode steps, each all-reducing 2 x 32 layers x T tokens x 4096 x 2 B, of
// which each GPU sends 2 (2 - 1) / 2 to the other. Each iteration holds bytes / (d x 450 GB/s)
// for its d, so the integral of the wall over the run is the run's bytes / 450 GB/s.
TEST(NvlinkWall, AServingRunsTensorParallelBytesAreTheIntegralOfTheWall) {
  const models::RunResult r =
      models::run_scenario(load("scenarios/single_request.yaml", {"workload.tensor_parallel=2"}));
  const sim::WallResult* w = wall(r.walls, "network.nvlink");
  ASSERT_NE(w, nullptr);
  const double tokens = 4096 + 256;
  const double bytes = 2.0 * 32 * tokens * 4096 * 2 * (2.0 * (2 - 1) / 2);
  const double span = (r.end - sim::SimTime::zero()).seconds().value();
  EXPECT_NEAR(w->mean_utilization * span, bytes / 450e9, 1e-9 * bytes / 450e9);
  // One iteration's load: the prefill's 4096 tokens over its time, the first window's peak.
  EXPECT_GT(w->peak_utilization, 0);
  // TP1: no all-reduce, no NVLink wall.
  const models::RunResult tp1 = models::run_scenario(load("scenarios/single_request.yaml", {}));
  EXPECT_EQ(wall(tp1.walls, "network.nvlink"), nullptr);
}

// The small training job as TP 2 x DP 8 (pp 1: every group runs the same phases at the same
// times, coupling none): each microbatch all-reduces 2 passes (selective recompute) x 2 per
// layer x 24 layers of 2 x 2048 tokens x 2048 x 2 B, each GPU sending 2 (2 - 1) / 2 of it to
// its TP peer, held over the microbatch phase. The integral of the wall over one step is its
// microbatches x those bytes / 450 GB/s.
// Expert parallelism inside the replica's group: DeepSeek-V3 at TP 8 x EP 8 on one HGX H200.
// Each GPU sends its share of every dispatch and combine to the 7 others through the
// NVSwitch, beside the tensor-parallel all-reduces; the wall integrates both.
TEST(NvlinkWall, ExpertParallelAllToAllsInsideTheGroupAddToTheTensorParallelBytes) {
  const models::RunResult r =
      models::run_scenario(load("scenarios/single_request.yaml",
                                {"plant.server=hgx-h200", "workload.model=deepseek-v3",
                                 "workload.tensor_parallel=8", "workload.expert_parallel=8",
                                 "workload.weight_dtype=fp8", "workload.cost_model=calibrated"}));
  const sim::WallResult* w = wall(r.walls, "network.nvlink");
  ASSERT_NE(w, nullptr);
  const double tokens = 4096 + 256, hidden = 7168, act = 2, tp = 8, ep = 8;
  const double layers = 61, moe_layers = 61 - 3, active = 8;
  // All-reduces: two per layer of tokens x hidden, each GPU sending 2 (tp-1)/tp of it.
  const double tp_bytes = 2 * layers * tokens * hidden * act * (2 * (tp - 1) / tp);
  // Dispatch and combine per MoE layer: each GPU's tokens / ep, each to `active` experts,
  // S / ep of it to every member; tp - 1 members are in its group.
  const double s = tokens * active * hidden * act / ep;
  const double ep_bytes = 2 * moe_layers * s / ep * (tp - 1);
  const double span = (r.end - sim::SimTime::zero()).seconds().value();
  const double expected = (tp_bytes + ep_bytes) / 450e9;
  EXPECT_NEAR(w->mean_utilization * span, expected, 1e-9 * expected);
}

TEST(NvlinkWall, ATrainingRunsTensorParallelBytesAreTheIntegralOfTheWall) {
  const models::ScenarioSpec spec =
      load("training/small_job.yaml", {"workload.parallel={tp: 2, pp: 1, dp: 8}",
                                       "plant.coupling=none", "workload.simulated_steps=1"});
  const models::RunResult r = models::run_scenario(spec);
  const auto& t = dynamic_cast<const models::training::TrainingWorkload&>(r.workload());
  const double microbatch_bytes = 24.0 * 2 * 2 * (2 * 2048) * 2048 * 2 * (2.0 * (2 - 1) / 2);
  EXPECT_DOUBLE_EQ(t.model_step().microbatch_tp_ring_bytes.value(), microbatch_bytes);
  const int microbatches = 64 / (2 * 8);  // global batch / (micro batch x dp)
  ASSERT_EQ(t.model_step().microbatches, microbatches);
  const sim::WallResult* w = wall(r.walls, "network.nvlink");
  ASSERT_NE(w, nullptr);
  const double steps = r.metric("training_steps");
  ASSERT_EQ(steps, 1);
  const double span = (r.end - sim::SimTime::zero()).seconds().value();
  const double expected = steps * microbatches * microbatch_bytes / 450e9;
  EXPECT_NEAR(w->mean_utilization * span, expected, 1e-9 * expected);
}

}  // namespace

namespace {

// The small job as TP 2 x CP 2 x DP 4: each GPU sends its TP peer (next GPU) the TP ring's
// bytes of 2 x 2048 / 2 = 2048 tokens, and its CP peer (two GPUs on) the K/V chunks: 2 (K and
// V) x 2048 tokens x 16 / 2 KV heads x 128 x 2 B per step of the cp - 1 = 1, forward twice
// (selective recompute) and backward twice, per layer. On the NVSwitch each GPU's port carries
// both, so the wall over one step integrates to microbatches x (TP + CP bytes) / 450 GB/s.
TEST(NvlinkWall, ContextParallelRingsInsideTheServerAddToTheTensorParallelOnes) {
  const models::ScenarioSpec spec =
      load("training/small_job.yaml", {"workload.parallel={tp: 2, cp: 2, pp: 1, dp: 4}",
                                       "plant.coupling=none", "workload.simulated_steps=1"});
  const models::RunResult r = models::run_scenario(spec);
  const auto& t = dynamic_cast<const models::training::TrainingWorkload&>(r.workload());
  const double tokens = 2 * 2048 / 2;
  const double tp_bytes = 24.0 * 2 * 2 * tokens * 2048 * 2 * (2.0 * (2 - 1) / 2);
  const double chunk = 2 * tokens * (16 / 2) * 128 * 2;
  const double cp_bytes = 24.0 * chunk * (2 - 1) * (2 + 2);
  EXPECT_DOUBLE_EQ(t.model_step().microbatch_tp_ring_bytes.value(), tp_bytes);
  EXPECT_DOUBLE_EQ(t.model_step().microbatch_cp_ring_bytes.value(), cp_bytes);
  const int microbatches = 64 / (2 * 4);
  ASSERT_EQ(t.model_step().microbatches, microbatches);
  ASSERT_EQ(r.metric("training_steps"), 1);
  const sim::WallResult* w = wall(r.walls, "network.nvlink");
  ASSERT_NE(w, nullptr);
  const double span = (r.end - sim::SimTime::zero()).seconds().value();
  const double expected = microbatches * (tp_bytes + cp_bytes) / 450e9;
  EXPECT_NEAR(w->mean_utilization * span, expected, 1e-9 * expected);
}

}  // namespace
