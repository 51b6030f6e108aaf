// The plant's network (models/plant + models/network): built from the plant's servers, layout
// and scenarios/catalog/networks.yaml, overridden by `plant.network:`, located errors for a
// bad topology, and its ports' optics in the power chain.
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <set>

#include <gtest/gtest.h>

#include "models/network/ring_allreduce.hpp"
#include "models/network/routing.hpp"
#include "models/network/topology.hpp"
#include "models/plant/fabric.hpp"
#include "models/plant/plant.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/wall_monitor.hpp"

namespace {

const std::string kPlant = std::string(FIRSTWALL_FIXTURES_DIR) + "/plant/";

models::ScenarioSpec load(const std::string& file, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(kPlant + file, o);
}

std::vector<std::string> errors_of(const std::string& file, std::vector<std::string> overrides) {
  try {
    (void)load(file, std::move(overrides));
  } catch (const sim::config::InputError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {};
}

// NDR 400 Gb/s NIC optics 8 W, Quantum-2 port optics 7.5 W per 400G port
// (scenarios/catalog/networks.yaml).
constexpr double kNicPort = 8.0, kSwitchPort = 7.5;

// Four DGX H100 (32 GPUs) get the default rail-optimized fabric: one unit (4 <= 64 / 2
// servers), 8 rail leaves and ceil(8 x 4 / 64) = 1 spine; every GPU one NIC.
TEST(PlantNetwork, TheDefaultIsARailOptimizedFabricOfTheServersNics) {
  const models::ScenarioSpec s = load("network_rail.yaml");
  ASSERT_TRUE(s.plant.topology);
  const models::network::Topology& t = *s.plant.topology;
  using models::network::LinkTier;
  using models::network::NodeKind;
  EXPECT_EQ(t.count(NodeKind::gpu), 32u);
  EXPECT_EQ(t.count(NodeKind::nvswitch), 4u);
  EXPECT_EQ(t.count(NodeKind::leaf), 8u);
  EXPECT_EQ(t.count(NodeKind::spine), 1u);
  EXPECT_EQ(t.count(LinkTier::access), 2u * 32u);      // both directions
  EXPECT_EQ(t.count(LinkTier::leaf_uplink), 2u * 8u);  // each leaf to the spine
  EXPECT_EQ(t.count(LinkTier::nvlink), 2u * 32u);
  // GPU j of server i is gpus()[8 i + j].
  EXPECT_EQ(t.node(t.gpus()[8 * 3 + 5]).name, "s3.gpu5");
  // Full bisection: a leaf's uplink carries its 4 servers' NICs, 4 x 400 Gb/s.
  for (const auto& l : t.links())
    if (l.tier == LinkTier::leaf_uplink) {
      EXPECT_DOUBLE_EQ(l.bandwidth.value(), 4 * 50e9);
    }

  // Optics: every NIC port, the leaf's port facing it, and at full bisection as many uplink
  // ports at each end of the leaf-spine cables as there are NICs.
  const double n = 32;
  EXPECT_EQ(s.plant.network_power.nic_ports, 32u);
  EXPECT_EQ(s.plant.network_power.switch_ports, 32u + 2u * 32u);
  EXPECT_DOUBLE_EQ(s.plant.network_power.typical.value(),
                   n * (kNicPort + kSwitchPort) + 2 * n * kSwitchPort);
}

// `plant.network:` overrides the default: the fabric's kind and sizing, per key.
TEST(PlantNetwork, APlantNetworkSectionOverridesTheDefault) {
  const models::ScenarioSpec s = load(
      "network_rail.yaml",
      {"plant.network.scale_out.kind=rail_optimized", "plant.network.scale_out.spines=2",
       "plant.network.scale_out.servers_per_unit=2", "plant.network.scale_out.oversubscription=2"});
  const models::network::Topology& t = *s.plant.topology;
  using models::network::LinkTier;
  using models::network::NodeKind;
  EXPECT_EQ(t.count(NodeKind::leaf), 16u);  // 8 rails x 2 units
  EXPECT_EQ(t.count(NodeKind::spine), 2u);
  // Each leaf uplink: servers_per_unit x B_nic / (spines x oversubscription).
  for (const auto& l : t.links())
    if (l.tier == LinkTier::leaf_uplink) {
      EXPECT_DOUBLE_EQ(l.bandwidth.value(), 2 * 50e9 / (2 * 2));
    }

  // Standalone servers: no scale-out fabric, no optics.
  const models::ScenarioSpec none =
      load("network_rail.yaml", {"plant.network.scale_out.kind=none"});
  EXPECT_EQ(none.plant.topology->count(models::network::LinkTier::access), 0u);
  EXPECT_EQ(none.plant.network_power.typical.value(), 0.0);
}

// Two sites of one server each: what leaves a server for the other site leaves through its
// NICs (each site gets the default leaf-spine of its one server), never from the NVSwitch
// straight to the gateway; so the traffic is scale-out, and its flows are on the network.
TEST(PlantNetwork, SitesOfOneServerEachStillLeaveThroughTheNics) {
  const models::ScenarioSpec s =
      load("network_rail.yaml", {"plant.layout.racks_per_row=1", "plant.layout.servers_per_rack=2",
                                 "workload.replicas=2", "plant.network.sites.count=2",
                                 "plant.network.sites.gateway_bandwidth=400 Gb/s",
                                 "plant.network.sites.fiber_length=100 km"});
  const models::network::Topology& t = *s.plant.topology;
  using models::network::LinkTier;
  using models::network::NodeKind;
  EXPECT_EQ(t.count(NodeKind::gpu), 16u);
  EXPECT_EQ(t.count(LinkTier::access), 2u * 16u);  // one NIC per GPU, both directions
  EXPECT_EQ(t.count(NodeKind::leaf), 2u * 8u);     // 8 rails per site
  models::network::Router router(t);
  const auto route = router.route(t.gpus()[0], t.gpus()[8]);
  ASSERT_TRUE(route);
  std::set<LinkTier> tiers;
  for (auto l : *route) tiers.insert(t.link(l).tier);
  EXPECT_TRUE(tiers.count(LinkTier::access));
  EXPECT_TRUE(tiers.count(LinkTier::inter_site));
  EXPECT_FALSE(tiers.count(LinkTier::nvlink));
}

// Bad topologies are input errors at their place (file:line:col: path: message), every one
// at once; the paths are the plant's.
TEST(PlantNetwork, BadTopologiesAreLocatedErrors) {
  const std::vector<std::string> e = errors_of(
      "network_rail.yaml", {"plant.network.servers=3", "plant.network.scale_out.kind=ring",
                            "plant.network.nic=ndr-800g"});
  EXPECT_EQ(e, (std::vector<std::string>{
                   "--set:1:1: plant.network.servers: must be the plant's 4 (got 3)",
                   "--set:2:1: plant.network.scale_out.kind: must be one of: rail_optimized, "
                   "fat_tree, none (got \"ring\")",
                   "--set:3:1: plant.network.nic: unknown NIC \"ndr-800g\" (did you mean "
                   "\"ndr-400g\"?)"}));

  const std::vector<std::string> link =
      errors_of("network_rail.yaml",
                {"plant.network.links=[{from: s0.gpu0, to: leaf9, bandwidth: 400 Gb/s}]"});
  EXPECT_EQ(
      link,
      (std::vector<std::string>{"--set:1:1: plant.network.links[0].to: no node named \"leaf9\""}));
}

// The optics draw from the power chain like any server load and become heat: IT energy
// rises by exactly P_network x T over a run whose workload is otherwise identical (nothing
// crosses a server, so the fabric changes no timing).
TEST(PlantNetwork, ItPowerRisesByExactlyThePortPowerSum) {
  const models::RunResult with = models::run_scenario(load("network_rail.yaml"));
  const models::RunResult without =
      models::run_scenario(load("network_rail.yaml", {"plant.network.scale_out.kind=none"}));
  ASSERT_EQ(with.end, without.end);
  ASSERT_EQ(with.metric("output_tokens"), without.metric("output_tokens"));
  const double n = 32;
  const double p_network = n * (kNicPort + kSwitchPort) + 2 * n * kSwitchPort;
  const double t = with.end.seconds();
  EXPECT_NEAR(with.metric("energy_it") - without.metric("energy_it"), p_network * t,
              1e-9 * with.metric("energy_it"));
  EXPECT_NEAR(with.metric("energy_network"), p_network * t, 1e-9 * p_network * t);
  EXPECT_DOUBLE_EQ(with.metric("network_power"), p_network);
  EXPECT_EQ(without.metric("energy_network"), 0.0);
  // Conservation still holds with the network in the chain.
  EXPECT_NEAR((with.metric("energy_it") + with.metric("energy_conversion_losses") +
               with.metric("energy_cooling")) /
                  with.metric("energy_facility"),
              1.0, 1e-9);
}

// Two jobs on one oversubscribed unit (4 servers, 1 spine, 4:1): each leaf's uplink is
// C = servers_per_unit x B_nic / (spines x 4) = B_nic. Job A sends from server 0 to server 1,
// job B from server 2 to server 3, GPU k to GPU k+1 (another rail: up through the spine).
// Rail k's uplink carries one flow of each job: max-min gives each C / 2, so each transfer
// takes L + S / (C / 2), against L + S / min(B_nic, C) alone, which is the fabric's α–β form.
struct TwoJobs {
  static constexpr double kBytes = 100e9;
  sim::Engine engine{1, "two_jobs"};
  sim::WallMonitor walls;
  models::ScenarioSpec spec;
  std::unique_ptr<models::Plant> plant;
  std::vector<models::GpuGroup*> groups;
  models::Fabric* fabric = nullptr;

  TwoJobs()
      : spec(load("network_rail.yaml",
                  {"plant.network.scale_out.kind=rail_optimized",
                   "plant.network.scale_out.spines=1", "plant.network.scale_out.servers_per_unit=4",
                   "plant.network.scale_out.oversubscription=4"})) {
    walls = sim::WallMonitor(spec.walls);
    plant = std::make_unique<models::Plant>(engine, walls, spec.plant);
    groups = plant->place(models::GpuRequest{"job", 4, 8});
    fabric = groups[0]->fabric(
        models::FabricUse::all_links);  // asked before start(): the tier walls are registered
    plant->start();
  }
  // One job: its 8 GPUs on server `from` send to server `from + 1`, rail k to rail k + 1.
  std::vector<models::FabricTransfer> job(int from) const {
    std::vector<models::FabricTransfer> t;
    for (int k = 0; k < 8; ++k)
      t.push_back({groups[static_cast<std::size_t>(from)], k,
                   groups[static_cast<std::size_t>(from + 1)], (k + 1) % 8, sim::Bytes(kBytes)});
    return t;
  }
};

TEST(PlantFabric, TwoJobsSharingAnOversubscribedSpineShareItMaxMin) {
  TwoJobs run;
  models::Fabric* fabric = run.fabric;
  ASSERT_NE(fabric, nullptr);
  const auto a = run.job(0), b = run.job(2);
  ASSERT_TRUE(fabric->scale_out(a[0]));
  const double b_nic = 50e9, c_uplink = 4 * b_nic / (1 * 4.0);
  const double alone = fabric->uncontended(a).value();
  // The route: NIC, leaf, spine, leaf, NIC: L = 4 cable latencies + 3 switch hops.
  const double latency = alone - TwoJobs::kBytes / std::min(b_nic, c_uplink);
  EXPECT_NEAR(latency, 3 * 150e-9, 1e-12);

  std::optional<sim::SimTime> done_a, done_b;
  fabric->start(a, [&](sim::SimTime t) { done_a = t; });
  fabric->start(b, [&](sim::SimTime t) { done_b = t; });
  run.engine.run_until(sim::SimTime::zero() + sim::Duration::s(10));
  ASSERT_TRUE(done_a && done_b);
  const double shared = latency + TwoJobs::kBytes / (c_uplink / 2);
  EXPECT_NEAR(done_a->seconds(), shared, 2e-9);
  EXPECT_NEAR(done_b->seconds(), shared, 2e-9);
  // The stretch of the transfer: 2 on the bandwidth term, none on the latency.
  EXPECT_NEAR((done_a->seconds() - latency) / (alone - latency), 2.0, 1e-9);

  // Job B alone afterwards takes the α–β form to SimTime's grain.
  std::optional<sim::SimTime> alone_b;
  const sim::SimTime t0 = run.engine.now();
  fabric->start(b, [&](sim::SimTime t) { alone_b = t; });
  run.engine.run_until(t0 + sim::Duration::s(10));
  ASSERT_TRUE(alone_b);
  EXPECT_NEAR((*alone_b - t0).seconds().value(), alone, 2e-9);

  run.plant->finish(run.engine.now());
  run.walls.finish(run.engine.now());
  // Walls: the uplinks ran full while both jobs sent, the NICs at half.
  double uplink = -1, access = -1;
  for (const sim::WallResult& w : run.walls.results()) {
    if (w.name == "network.leaf_uplink") uplink = w.peak_utilization;
    if (w.name == "network.access") access = w.peak_utilization;
    if (w.name.starts_with("network.")) {
      EXPECT_EQ(w.kind, "network");
    }
  }
  EXPECT_DOUBLE_EQ(uplink, 1.0);
  EXPECT_DOUBLE_EQ(access, 1.0);  // B alone: its NICs at line rate (C = B_nic)
}

// The `transfers` workload in a run (tests/fixtures/network/two_jobs_shared_spine.yaml):
// two jobs of two servers, every GPU sending S = 1 GB to the next rail of the job's other
// server, both ways, on one 4:1 spine: rail k's uplink, C = 4 B_nic / 4 = B_nic, carries two
// flows of each job. Max-min: each flow C / 4 with both jobs, C / 2 alone, B_nic (its NIC)
// when the uplink is not oversubscribed. Route latency: 3 switch hops of 150 ns.
models::ScenarioSpec two_jobs(std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(
      std::string(FIRSTWALL_FIXTURES_DIR) + "/network/two_jobs_shared_spine.yaml", o);
}

constexpr double kS = 1e9, kNic = 50e9, kLatency = 3 * 150e-9;

TEST(TransfersWorkload, AJobSharingTheSpineWithAnotherIsStretchedByItsMaxMinShare) {
  const models::RunResult both = models::run_scenario(two_jobs());
  const double c = 4 * kNic / 4;
  for (const char* job : {"job0", "job1"}) {
    const std::string j(job);
    EXPECT_NEAR(both.metric(j + "_round_time_mean"), kLatency + kS / (c / 4), 1e-9) << j;
    EXPECT_NEAR(both.metric(j + "_round_time_alone"), kLatency + kS / (c / 2), 1e-9) << j;
    // Stretch: the bandwidth term doubles (4 flows on the uplink instead of 2); L does not.
    EXPECT_NEAR(both.metric(j + "_stretch"), (kLatency + kS / (c / 4)) / (kLatency + kS / (c / 2)),
                1e-9);
    EXPECT_GT(both.metric(j + "_rounds"), 100);
  }
  // Without the other job, the round takes the time it takes alone.
  const models::RunResult one = models::run_scenario(two_jobs({"workload.jobs=1"}));
  EXPECT_NEAR(one.metric("job0_round_time_mean"), kLatency + kS / (c / 2), 1e-9);
  EXPECT_NEAR(one.metric("job0_stretch"), 1.0, 1e-9);

  // The uplinks are the busiest tier: full while flows send, short of it only for the route
  // latency of each round (3 x 150 ns of every 80 ms).
  const sim::WallResult* uplink = nullptr;
  for (const auto& w : both.walls)
    if (w.name == "network.leaf_uplink") uplink = &w;
  ASSERT_NE(uplink, nullptr);
  EXPECT_EQ(uplink->kind, "network");
  EXPECT_NEAR(uplink->peak_utilization, 1.0, 1e-5);
  EXPECT_LT(uplink->peak_utilization, 1.0);
  EXPECT_EQ(both.walls.front().name, "network.leaf_uplink");  // the nearest wall
}

// Where no link is shared (uplinks at full bisection: each flow is held by its own NIC), the
// flows take exactly the α–β closed form L + S / B_nic, with or without the other job.
TEST(TransfersWorkload, WithoutSharedLinksTheRoundIsTheAlphaBetaForm) {
  const models::RunResult r =
      models::run_scenario(two_jobs({"plant.network.scale_out.oversubscription=1"}));
  for (const char* job : {"job0", "job1"}) {
    const std::string j(job);
    EXPECT_NEAR(r.metric(j + "_round_time_mean"), kLatency + kS / kNic, 1e-9) << j;
    EXPECT_NEAR(r.metric(j + "_round_time_alone"), kLatency + kS / kNic, 1e-9) << j;
  }
}

// A tensor-parallel ring all-reduce is 2(p-1) steps in which GPU i sends S/p to GPU i+1 of
// its group. Run as flows on the plant's fabric, two TP4 groups of one DGX H100 at once, each
// takes exactly the closed form serving uses (ring_allreduce.hpp) with the route's latency
// (one NVSwitch hop, 150 ns) as its step latency and line rate (efficiency 1): an NVSwitch
// domain shares no link between groups, so the closed form stays where nothing is shared.
TEST(PlantFabric, TensorParallelRingsInAServerShareNoLinkAndTakeTheClosedForm) {
  const models::ScenarioSpec spec = load("network_rail.yaml");
  sim::Engine engine(1, "rings");
  sim::WallMonitor walls(spec.walls);
  models::Plant plant(engine, walls, spec.plant);
  const std::vector<models::GpuGroup*> groups = plant.place(models::GpuRequest{"tp", 2, 4});
  plant.start();
  const int p = 4;
  const sim::Bytes size(64e6);
  struct Ring {
    models::GpuGroup* group;
    int steps_left;
    std::optional<sim::SimTime> done;
  };
  std::vector<Ring> rings{{groups[0], 2 * (p - 1), {}}, {groups[1], 2 * (p - 1), {}}};
  std::function<void(Ring&, sim::SimTime)> step = [&](Ring& r, sim::SimTime now) {
    if (r.steps_left-- == 0) {
      r.done = now;
      return;
    }
    std::vector<models::FabricTransfer> t;
    for (int i = 0; i < p; ++i) t.push_back({r.group, i, r.group, (i + 1) % p, size / p});
    ASSERT_FALSE(r.group->fabric(models::FabricUse::all_links)->scale_out(t[0]));
    r.group->fabric(models::FabricUse::all_links)->start(t, [&r, &step](sim::SimTime at) {
      step(r, at);
    });
  };
  for (Ring& r : rings) step(r, engine.now());
  engine.run_until(sim::SimTime::zero() + sim::Duration::s(1));
  const models::RingAllReduce closed{sim::BytesPerSecond(450e9), sim::Seconds(150e-9), 1.0};
  for (const Ring& r : rings) {
    ASSERT_TRUE(r.done);
    // SimTime's 1 ns grain, once per step.
    EXPECT_NEAR(r.done->seconds(), closed.time(size, p).value(), 2 * (p - 1) * 1e-9);
  }
}

}  // namespace
