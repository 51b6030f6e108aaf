// Max-min sharing and the flow engine: textbook examples, the fairness condition on a
// random instance, α–β exactness when alone, halving on a shared link, bytes conserved,
// one pending engine event, determinism.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/network/builders.hpp"
#include "models/network/flow_network.hpp"
#include "models/network/routing.hpp"
#include "sim/random.hpp"

namespace models::network {
namespace {

using sim::Bytes;
using sim::BytesPerSecond;
using sim::Seconds;
using sim::SimTime;

std::vector<double> solve(std::vector<double> capacity, std::vector<std::vector<LinkId>> routes) {
  FlowRoutes flows;
  for (const auto& r : routes) flows.add(r);
  std::vector<double> rates(routes.size());
  MaxMinSolver().solve(capacity, flows, rates);
  return rates;
}

TEST(MaxMin, ParkingLotGivesEveryFlowHalf) {
  // Links 0 and 1 of capacity 1; flow 0 crosses both, flow 1 only link 0, flow 2 only link 1
  // (the "parking lot" of progressive filling, Bertsekas & Gallager §6.5.2): every flow is
  // bottlenecked at 1/2.
  const auto rates = solve({1, 1}, {{0, 1}, {0}, {1}});
  for (double r : rates) EXPECT_DOUBLE_EQ(r, 1.0 / 2);
}

TEST(MaxMin, LeftoverCapacityGoesToTheFlowsNotYetBottlenecked) {
  // Link 0 of capacity 10, link 1 of capacity 4. Flow A crosses both, B link 0, C link 1.
  // Link 1 fills first at 4/2 = 2 (A and C); B then takes what A leaves on link 0: 10 - 2.
  const auto rates = solve({10, 4}, {{0, 1}, {0}, {1}});
  EXPECT_DOUBLE_EQ(rates[0], 4.0 / 2);
  EXPECT_DOUBLE_EQ(rates[1], 10.0 - 4.0 / 2);
  EXPECT_DOUBLE_EQ(rates[2], 4.0 / 2);
}

TEST(MaxMin, ThreeLevelsOfBottleneck) {
  // Link 0 (capacity 1) carries flows 0, 1, 2: each 1/3. Link 1 (capacity 1) carries flows
  // 0 and 3: flow 3 gets 1 - 1/3. Link 2 (capacity 10) carries flows 3 and 4: flow 4 gets
  // 10 - 2/3. A flow with no link of its own is bounded by its tightest link only.
  const auto rates = solve({1, 1, 10}, {{0, 1}, {0}, {0}, {1, 2}, {2}});
  EXPECT_DOUBLE_EQ(rates[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(rates[1], 1.0 / 3);
  EXPECT_DOUBLE_EQ(rates[2], 1.0 / 3);
  EXPECT_DOUBLE_EQ(rates[3], 1.0 - 1.0 / 3);
  EXPECT_DOUBLE_EQ(rates[4], 10.0 - (1.0 - 1.0 / 3));
}

TEST(MaxMin, RandomInstanceMeetsTheFairnessCondition) {
  // The definition as the oracle: rates are feasible, and every flow crosses a saturated
  // link on which no flow has a higher rate (Bertsekas & Gallager, Proposition in §6.5.2).
  sim::RngStream rng(7, "maxmin", "instance");
  const std::size_t links = 60, flow_count = 400;
  std::vector<double> capacity(links);
  for (double& c : capacity) c = rng.uniform(1, 100);
  std::vector<std::vector<LinkId>> routes(flow_count);
  for (auto& r : routes) {
    const auto length = 1 + rng.uniform_index(5);
    while (r.size() < length) {
      const auto l = static_cast<LinkId>(rng.uniform_index(links));
      if (std::find(r.begin(), r.end(), l) == r.end()) r.push_back(l);
    }
  }
  const auto rates = solve(capacity, routes);
  std::vector<double> load(links, 0), highest(links, 0);
  for (std::size_t f = 0; f < flow_count; ++f)
    for (LinkId l : routes[f]) {
      load[l] += rates[f];
      highest[l] = std::max(highest[l], rates[f]);
    }
  for (std::size_t l = 0; l < links; ++l) EXPECT_LE(load[l], capacity[l] * (1 + 1e-12));
  for (std::size_t f = 0; f < flow_count; ++f) {
    EXPECT_GT(rates[f], 0);
    const bool bottlenecked = std::any_of(routes[f].begin(), routes[f].end(), [&](LinkId l) {
      return load[l] >= capacity[l] * (1 - 1e-9) && rates[f] >= highest[l] * (1 - 1e-12);
    });
    EXPECT_TRUE(bottlenecked) << "flow " << f;
  }
}

// Two GPUs each send to a third through one switch: s0.gpu0 -> sw -> gpu2 and
// gpu1 -> sw -> gpu2 share the switch's link to gpu2.
struct Star {
  Topology topo;
  NodeId a, b, c, sw;
  Star(double bandwidth, Seconds link_latency, Seconds hop) {
    a = topo.add_node(NodeKind::gpu, "a");
    b = topo.add_node(NodeKind::gpu, "b");
    c = topo.add_node(NodeKind::gpu, "c");
    sw = topo.add_node(NodeKind::leaf, "sw", hop);
    for (NodeId g : {a, b, c})
      topo.add_cable(g, sw, BytesPerSecond(bandwidth), link_latency, LinkTier::access);
  }
  Route route(NodeId from, NodeId to) { return *Router(topo).route(from, to); }
};

TEST(FlowEngine, AloneTheAlphaBetaFormIsExact) {
  // t = L + S / B with L = 2 links x 0.5 us + one switch hop of 0.15 us.
  const double bandwidth = 50e9;
  Star star(bandwidth, Seconds(0.5e-6), Seconds(0.15e-6));
  const Route route = star.route(star.a, star.c);
  for (double size : {0.0, 1.0, 4096.0, 1e6, 1e9, 12345678.9}) {
    const TimedFlow flow{SimTime::from_ns(1000), route, Bytes(size)};
    const FlowRun run = run_flows(star.topo, std::span(&flow, 1));
    const double expected = 1e-6 + 2 * 0.5e-6 + 0.15e-6 + size / bandwidth;
    EXPECT_NEAR(run.flows[0].finish.seconds(), expected, 1e-9) << size;  // 1 ns: SimTime's grain
    EXPECT_EQ(run.flows[0].sending_from, SimTime::from_ns(1000 + 1150));
  }
}

TEST(FlowEngine, OneContendedLinkHalvesTwoFlows) {
  const double bandwidth = 50e9, size = 1e9;
  Star star(bandwidth, Seconds(0), Seconds(0));
  const std::vector<TimedFlow> flows{{SimTime{}, star.route(star.a, star.c), Bytes(size)},
                                     {SimTime{}, star.route(star.b, star.c), Bytes(size)}};
  const FlowRun run = run_flows(star.topo, flows);
  for (const auto& f : run.flows) EXPECT_NEAR(f.finish.seconds(), size / (bandwidth / 2), 1e-9);
  // Flows into different receivers do not contend.
  const std::vector<TimedFlow> apart{{SimTime{}, star.route(star.a, star.c), Bytes(size)},
                                     {SimTime{}, star.route(star.c, star.b), Bytes(size)}};
  for (const auto& f : run_flows(star.topo, apart).flows)
    EXPECT_NEAR(f.finish.seconds(), size / bandwidth, 1e-9);
}

TEST(FlowEngine, RatesChangeWhenAFlowJoinsAndWhenOneLeaves) {
  // A (1 GB) starts at 0, B (0.25 GB) at t1 = 10 ms, both into c over one 50 GB/s link.
  // A alone until t1: 0.5 GB sent. Shared: B needs 0.25 GB at 25 GB/s -> ends at t1 + 10 ms;
  // A has sent 0.25 GB more by then, and its last 0.25 GB alone takes 5 ms.
  const double bandwidth = 50e9;
  Star star(bandwidth, Seconds(0), Seconds(0));
  const std::vector<TimedFlow> flows{
      {SimTime{}, star.route(star.a, star.c), Bytes(1e9)},
      {SimTime::from_ns(10'000'000), star.route(star.b, star.c), Bytes(0.25e9)}};
  const FlowRun run = run_flows(star.topo, flows);
  const double t1 = 0.010;
  const double b_end = t1 + 0.25e9 / (bandwidth / 2);
  const double a_end = b_end + (1e9 - bandwidth * t1 - (bandwidth / 2) * (b_end - t1)) / bandwidth;
  EXPECT_NEAR(run.flows[1].finish.seconds(), b_end, 1e-9);
  EXPECT_NEAR(run.flows[0].finish.seconds(), a_end, 1e-9);
  // The shared link was busy from 0 to A's end and carried both flows' bytes.
  const LinkUsage& into_c = run.links[star.route(star.a, star.c).back()];
  EXPECT_NEAR(into_c.busy.value(), a_end, 1e-9);
  EXPECT_NEAR(into_c.carried.value(), 1.25e9, 1e-3);
}

TEST(FlowEngine, OnePendingEventWhateverTheNumberOfFlows) {
  Star star(50e9, Seconds(1e-6), Seconds(0));
  sim::Engine engine;
  FlowScheduler flows(engine, star.topo);
  int completed = 0;
  for (int i = 0; i < 5; ++i)
    flows.start(star.route(i % 2 ? star.a : star.b, star.c), Bytes(1e6 * (i + 1)),
                [&](FlowId, SimTime) { ++completed; });
  EXPECT_EQ(engine.pending(), 1u);
  while (engine.step()) EXPECT_LE(engine.pending(), 1u);
  EXPECT_EQ(completed, 5);
  EXPECT_EQ(flows.network().unfinished_count(), 0u);
}

// Random flows with random starts on a k = 8 fat-tree, routed with ECMP.
std::vector<TimedFlow> random_flows(const Topology& topo, std::size_t count) {
  sim::RngStream rng(11, "flows", "conservation");
  Router router(topo);
  const auto gpus = topo.gpus();
  std::vector<TimedFlow> flows;
  for (std::size_t i = 0; i < count; ++i) {
    const NodeId src = gpus[rng.uniform_index(gpus.size())];
    const NodeId dst = gpus[rng.uniform_index(gpus.size())];
    flows.push_back({SimTime::from_ns(static_cast<std::int64_t>(rng.uniform_index(2'000'000))),
                     *router.route(src, dst, i), Bytes(std::floor(rng.uniform(0, 64e6)))});
  }
  return flows;
}

Topology fat_tree_k8() {
  Topology topo;
  std::vector<NodeId> gpus;
  for (int i = 0; i < 128; ++i)
    gpus.push_back(topo.add_node(NodeKind::gpu, "h" + std::to_string(i)));
  FatTree spec;
  spec.k = 8;
  spec.link_bandwidth = BytesPerSecond(50e9);
  spec.edge_oversubscription = 2;  // contention in the middle too
  spec.switch_latency = Seconds(150e-9);
  add_fat_tree(topo, "", gpus, spec);
  return topo;
}

TEST(FlowEngine, BytesAreConservedOnEveryLink) {
  const Topology topo = fat_tree_k8();
  const auto flows = random_flows(topo, 600);
  const FlowRun run = run_flows(topo, flows);
  std::vector<double> expected(topo.link_count(), 0);
  for (const auto& f : flows) {
    for (LinkId l : f.route) expected[l] += f.size.value();
  }
  for (std::size_t l = 0; l < topo.link_count(); ++l)
    EXPECT_NEAR(run.links[l].carried.value(), expected[l], 1e-9 * std::max(1.0, expected[l])) << l;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const auto& f = flows[i];
    // Never faster than alone: start + latency + size / bottleneck (less SimTime rounding).
    const double alone = f.start.seconds() + topo.latency(f.route).value() +
                         (f.route.empty() ? 0 : f.size.value() / topo.bottleneck(f.route).value());
    EXPECT_GE(run.flows[i].finish.seconds(), alone - 1e-9) << i;
  }
  // A link is busy at most from the first start to the last end.
  for (const auto& usage : run.links) EXPECT_LE(usage.busy.value(), run.end.seconds() + 1e-12);
}

TEST(FlowEngine, SameFlowsSameResultBitForBit) {
  const Topology topo = fat_tree_k8();
  const auto flows = random_flows(topo, 300);
  const FlowRun first = run_flows(topo, flows), second = run_flows(topo, flows);
  for (std::size_t i = 0; i < flows.size(); ++i)
    EXPECT_EQ(first.flows[i].finish, second.flows[i].finish);
  for (std::size_t l = 0; l < topo.link_count(); ++l)
    EXPECT_EQ(first.links[l].carried.value(), second.links[l].carried.value());
}

}  // namespace
}  // namespace models::network
