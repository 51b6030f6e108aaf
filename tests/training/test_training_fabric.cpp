// Training's traffic on the plant's shared fabric (training_workload.hpp, README "On the
// shared fabric"): alone, the step is exactly the closed-form step and its flows wait
// nothing; beside a job that shares its leaves' spine links, each step is the closed form
// plus what its flows took beyond their time alone, and the plant's tier walls see it.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/scenario/workload_set.hpp"
#include "models/workload/training/training_workload.hpp"

namespace {

namespace tr = models::training;

const std::string kDir = std::string(FIRSTWALL_FIXTURES_DIR) + "/training/";

models::RunResult run(const std::string& file, std::vector<std::string> overrides) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::run_scenario(models::load_scenario(kDir + file, o));
}

const sim::WallResult* wall(const models::RunResult& r, const std::string& name) {
  for (const sim::WallResult& w : r.walls)
    if (w.name == name) return &w;
  return nullptr;
}

// The small job with data parallelism outermost: its DP rings cross the two servers (through
// their rail leaves); nothing else is on the network.
TEST(TrainingFabric, AloneTheStepIsExactlyTheClosedForm) {
  const models::RunResult r =
      run("small_job.yaml", {"plant.coupling=none", "workload.parallel.order=tp-cp-pp-dp"});
  const auto& w = dynamic_cast<const tr::TrainingWorkload&>(r.workload());
  ASSERT_GE(w.steps().size(), 2u);
  // TP 2 x DP 4 with ranks 0,4,8,12 in a DP group: two members per server, each sends its
  // (N-1)/N share to its peer in the other server: 16 flows.
  EXPECT_EQ(r.metric("fabric_flows_per_step"), 16);
  EXPECT_GT(r.metric("fabric_dp_flows_alone"), 0.0);
  for (const tr::StepRecord& s : w.steps()) {
    EXPECT_EQ(s.fabric_wait.value(), 0.0);
    EXPECT_NEAR(s.fabric_taken_dp.value(), r.metric("fabric_dp_flows_alone"), 1e-9);
    EXPECT_EQ(s.fabric_taken_pp.value(), 0.0);  // its stages share servers: no such flows
    EXPECT_NEAR(s.duration().value(), w.model_step().step_time.value(), 1e-8);
  }
  // Its traffic is on the plant's NIC links: the access tier's wall sees it.
  const sim::WallResult* access = wall(r, "network.access");
  ASSERT_NE(access, nullptr);
  EXPECT_GT(access->peak_utilization, 0.0);
}

// Beside the bulk-transfer job, the training job's flows into unit 1's leaves share the
// spine's links to them: each step takes its closed form plus (taken - alone), the split
// still adds up, and the leaf uplinks are a wall.
TEST(TrainingFabric, AJobOnTheSameSpineStretchesTheStep) {
  const models::RunResult r = run("shared_spine.yaml", {});
  const models::WorkloadSet* set = r.workload_set();
  ASSERT_NE(set, nullptr);
  const auto& w = dynamic_cast<const tr::TrainingWorkload&>(*set->member("job")->workload);
  ASSERT_GE(w.steps().size(), 2u);
  const double pp_alone = r.metric("job.fabric_pp_flows_alone");
  const double dp_alone = r.metric("job.fabric_dp_flows_alone");
  const double model = w.model_step().step_time.value();
  double waited = 0;
  for (const tr::StepRecord& s : w.steps()) {
    const double wait = std::max(0.0, s.fabric_taken_pp.value() - pp_alone) +
                        std::max(0.0, s.fabric_taken_dp.value() - dp_alone);
    EXPECT_NEAR(s.fabric_wait.value(), wait, 2e-9);
    // Each phase ends on SimTime's 1 ns grain: a few ns over the step's phases.
    EXPECT_NEAR(s.duration().value(), model + wait, 1e-8);
    EXPECT_NEAR((s.compute + s.comm + s.bubble + s.optimizer).value(), s.duration().value(), 1e-8);
    waited += wait;
  }
  EXPECT_GT(waited, 0.0);
  EXPECT_GT(r.metric("job.step_time"), model);
  EXPECT_NEAR(r.metric("job.fabric_wait"), waited / static_cast<double>(w.steps().size()), 1e-12);
  EXPECT_NEAR(r.metric("job.share_fabric_wait"),
              r.metric("job.fabric_wait") / r.metric("job.step_time"), 1e-12);
  const sim::WallResult* uplinks = wall(r, "network.leaf_uplink");
  ASSERT_NE(uplinks, nullptr);
  EXPECT_GT(uplinks->peak_utilization, 0.5);
}

}  // namespace

namespace {

// Over two sites the data-parallel collective is hierarchical: a ring in each site, then each
// member exchanges its S/n shard with its peer across (cluster_collectives.hpp). TP 2 DP 16
// on two sites of two servers: a DP group has 8 members per site, 4 per server, so its ring
// in a site sends (2-1)/2 · S/4 = S/8 from each member to its peer in the other server (16
// flows), and each member sends S/16 across (16 flows); 2 groups: 64 flows of
// 32 · S/8 + 32 · S/16 = 6 S payload, S = S_grads + S_weights, wire bytes payload / η_NDR.
TEST(TrainingFabric, DataParallelAcrossTwoSitesIsHierarchical) {
  const models::RunResult r =
      run("small_job.yaml",
          {"plant.coupling=none", "plant.layout.servers_per_rack=4", "workload.parallel.pp=1",
           "workload.parallel.dp=16", "workload.simulated_steps=1", "plant.network.sites.count=2",
           "plant.network.sites.gateway_bandwidth=800 Gb/s",
           "plant.network.sites.fiber_length=10 km", "plant.power.chain[0].rating=80 kW"});
  const auto& w = dynamic_cast<const tr::TrainingWorkload&>(r.workload());
  double total = 0;
  for (const tr::CollectiveCall& c : w.model_step().pp_dp_calls) total += c.size.value();
  EXPECT_EQ(r.metric("fabric_flows_per_step"), 64);
  EXPECT_NEAR(r.metric("fabric_bytes_per_step"), 6 * total / (47.0 / 50), 1e-9 * total);
  ASSERT_EQ(w.steps().size(), 1u);
  EXPECT_EQ(w.steps().front().fabric_wait.value(), 0.0);
}

}  // namespace
