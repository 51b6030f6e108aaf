// Topology builders and routing: counts against the closed forms, hop counts of the
// standard fabrics, ECMP determinism and spread, and light in fiber.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "models/network/builders.hpp"
#include "models/network/routing.hpp"

namespace models::network {
namespace {

using sim::BytesPerSecond;
using sim::Seconds;

constexpr double kGB = 1e9;

std::vector<NodeId> add_gpus(Topology& topo, int count) {
  std::vector<NodeId> gpus;
  for (int i = 0; i < count; ++i)
    gpus.push_back(topo.add_node(NodeKind::gpu, "h" + std::to_string(i)));
  return gpus;
}

// A route is a chain of links from src to dst.
void expect_chain(const Topology& topo, const Route& route, NodeId src, NodeId dst) {
  ASSERT_FALSE(route.empty());
  EXPECT_EQ(topo.link(route.front()).from, src);
  EXPECT_EQ(topo.link(route.back()).to, dst);
  for (std::size_t i = 1; i < route.size(); ++i)
    EXPECT_EQ(topo.link(route[i - 1]).to, topo.link(route[i]).from);
}

FatTree fat_tree(int k) {
  FatTree spec;
  spec.k = k;
  spec.link_bandwidth = BytesPerSecond(50 * kGB);
  return spec;
}

class FatTreeCounts : public ::testing::TestWithParam<int> {};

TEST_P(FatTreeCounts, HostsSwitchesAndLinksFollowTheClosedForms) {
  const int k = GetParam();
  Topology topo;
  const auto gpus = add_gpus(topo, k * k * k / 4);
  add_fat_tree(topo, "", gpus, fat_tree(k));
  EXPECT_EQ(fat_tree(k).host_capacity(), k * k * k / 4);
  EXPECT_EQ(topo.count(NodeKind::gpu), static_cast<std::size_t>(k * k * k / 4));
  // k pods x (k/2 edge + k/2 aggregation) + (k/2)^2 core = 5k^2/4.
  const std::size_t switches =
      topo.count(NodeKind::leaf) + topo.count(NodeKind::spine) + topo.count(NodeKind::core);
  EXPECT_EQ(switches, static_cast<std::size_t>(5 * k * k / 4));
  EXPECT_EQ(topo.count(NodeKind::core), static_cast<std::size_t>(k * k / 4));
  // k^3/4 cables per tier (host-edge, edge-aggregation, aggregation-core), two links each.
  const auto per_tier = static_cast<std::size_t>(2 * k * k * k / 4);
  EXPECT_EQ(topo.count(LinkTier::access), per_tier);
  EXPECT_EQ(topo.count(LinkTier::leaf_uplink), per_tier);
  EXPECT_EQ(topo.count(LinkTier::spine_uplink), per_tier);
  EXPECT_EQ(topo.link_count(), 3 * per_tier);
}

INSTANTIATE_TEST_SUITE_P(Radix, FatTreeCounts, ::testing::Values(2, 4, 8, 16));

TEST(FatTreeRouting, HopsAndEqualCostChoicesByDistance) {
  const int k = 8;
  Topology topo;
  const auto gpus = add_gpus(topo, k * k * k / 4);
  add_fat_tree(topo, "", gpus, fat_tree(k));
  Router router(topo);
  const int per_edge = k / 2, per_pod = k * k / 4;
  // Same edge switch: up and down (2); same pod: through an aggregation switch (4), one of
  // k/2; other pod: through a core (6), one of (k/2)^2.
  EXPECT_EQ(router.hops(gpus[0], gpus[1]), 2);
  EXPECT_EQ(router.shortest_route_count(gpus[0], gpus[1]), 1u);
  EXPECT_EQ(router.hops(gpus[0], gpus[per_edge]), 4);
  EXPECT_EQ(router.shortest_route_count(gpus[0], gpus[per_edge]),
            static_cast<std::uint64_t>(k / 2));
  EXPECT_EQ(router.hops(gpus[0], gpus[per_pod]), 6);
  EXPECT_EQ(router.shortest_route_count(gpus[0], gpus[per_pod]),
            static_cast<std::uint64_t>(k * k / 4));
  const auto route = router.route(gpus[0], gpus[per_pod], 7);
  ASSERT_TRUE(route);
  expect_chain(topo, *route, gpus[0], gpus[per_pod]);
  EXPECT_EQ(topo.node(topo.link((*route)[2]).to).kind, NodeKind::core);
}

TEST(Ecmp, SameInputSameRouteOnFreshRouters) {
  const int k = 8;
  Topology topo;
  const auto gpus = add_gpus(topo, k * k * k / 4);
  add_fat_tree(topo, "", gpus, fat_tree(k));
  Router first(topo), second(topo);
  for (std::uint64_t key = 0; key < 500; ++key) {
    const NodeId src = gpus[key % gpus.size()];
    const NodeId dst = gpus[(key * 37 + 11) % gpus.size()];
    const auto a = first.route(src, dst, key);
    const auto b = second.route(src, dst, key);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(*first.route(src, dst, key), *a);  // and from the cache
  }
  // The hash itself is pinned: a change to it changes every route in every stored result.
  EXPECT_EQ(ecmp_hash(1, 2, 3, 4), ecmp_hash(1, 2, 3, 4));
  EXPECT_NE(ecmp_hash(1, 2, 3, 4), ecmp_hash(1, 2, 4, 4));
  EXPECT_NE(ecmp_hash(1, 2, 3, 4), ecmp_hash(2, 1, 3, 4));
}

TEST(Ecmp, FlowKeysSpreadOverEveryCore) {
  const int k = 8;
  Topology topo;
  const auto gpus = add_gpus(topo, k * k * k / 4);
  add_fat_tree(topo, "", gpus, fat_tree(k));
  Router router(topo);
  const NodeId src = gpus[0], dst = gpus.back();  // first and last pod
  const int flows = 4000;
  std::map<NodeId, int> per_core;
  for (int key = 0; key < flows; ++key) {
    const auto route = router.route(src, dst, static_cast<std::uint64_t>(key));
    ASSERT_TRUE(route);
    ++per_core[topo.link((*route)[2]).to];
  }
  const int cores = k * k / 4;
  ASSERT_EQ(per_core.size(), static_cast<std::size_t>(cores));
  // Binomial(4000, 1/16): mean 250, sd 15.3; a fair hash stays well inside +-25 %.
  const double mean = static_cast<double>(flows) / cores;
  for (const auto& [core, count] : per_core) {
    EXPECT_GT(count, 0.75 * mean) << topo.node(core).name;
    EXPECT_LT(count, 1.25 * mean) << topo.node(core).name;
  }
}

ScaleUpFabric nvlink4() {
  ScaleUpFabric f;
  f.gpu_bandwidth = BytesPerSecond(450 * kGB);
  f.switch_latency = Seconds(150e-9);
  return f;
}

TEST(RailOptimized, SameRailMeetsAtItsLeafOtherRailsThroughASpine) {
  Topology topo;
  const int servers = 4, rails = 8;
  const auto gpus = add_servers(topo, "", servers, rails, nvlink4());
  RailOptimized rail;
  rail.gpus_per_server = rails;
  rail.spines = 2;
  rail.nic.bandwidth = BytesPerSecond(50 * kGB);
  add_rail_optimized(topo, "", gpus, rail);
  EXPECT_EQ(topo.count(NodeKind::leaf), static_cast<std::size_t>(rails));
  EXPECT_EQ(topo.count(LinkTier::access), static_cast<std::size_t>(2 * servers * rails));
  Router router(topo);
  auto gpu = [&](int server, int index) {
    return gpus[static_cast<std::size_t>(server * rails + index)];
  };

  const auto same_rail = router.route(gpu(0, 3), gpu(2, 3), 1);
  ASSERT_TRUE(same_rail);
  ASSERT_EQ(same_rail->size(), 2u);
  EXPECT_EQ(topo.node(topo.link(same_rail->front()).to).name, "unit0.leaf3");
  EXPECT_EQ(topo.link(same_rail->front()).tier, LinkTier::access);

  const auto other_rail = router.route(gpu(0, 3), gpu(2, 5), 1);
  ASSERT_TRUE(other_rail);
  ASSERT_EQ(other_rail->size(), 4u);
  expect_chain(topo, *other_rail, gpu(0, 3), gpu(2, 5));
  EXPECT_EQ(topo.node(topo.link((*other_rail)[1]).to).kind, NodeKind::spine);
  EXPECT_EQ(router.shortest_route_count(gpu(0, 3), gpu(2, 5)), 2u);  // one per spine

  // Inside a server, NVLink through the NVSwitch; never a detour through another GPU.
  const auto inside = router.route(gpu(1, 0), gpu(1, 7), 1);
  ASSERT_TRUE(inside);
  ASSERT_EQ(inside->size(), 2u);
  EXPECT_EQ(topo.link(inside->front()).tier, LinkTier::nvlink);
  EXPECT_EQ(topo.node(topo.link(inside->front()).to).kind, NodeKind::nvswitch);

  // Full bisection by default: a leaf's uplinks carry what its downlinks can.
  for (const Link& link : topo.links()) {
    if (link.tier == LinkTier::leaf_uplink) {
      EXPECT_DOUBLE_EQ(link.bandwidth.value(), 50 * kGB * servers / rail.spines);
    }
  }
}

TEST(ScaleUp, PairwiseBridgesAndPcieThroughTheHost) {
  Topology topo;
  ScaleUpFabric pairs = nvlink4();
  pairs.kind = ScaleUpKind::nvlink_pairs;
  pairs.gpu_bandwidth = BytesPerSecond(300 * kGB);
  pairs.pcie_bandwidth = BytesPerSecond(32 * kGB);
  const auto gpus = add_scale_up_domain(topo, "", 4, pairs);
  Router router(topo);
  const auto bridged = router.route(gpus[0], gpus[1]);
  ASSERT_TRUE(bridged);
  ASSERT_EQ(bridged->size(), 1u);
  EXPECT_EQ(topo.link(bridged->front()).tier, LinkTier::nvlink);
  const auto over_pcie = router.route(gpus[1], gpus[2]);
  ASSERT_TRUE(over_pcie);
  ASSERT_EQ(over_pcie->size(), 2u);
  EXPECT_EQ(topo.node(topo.link(over_pcie->front()).to).kind, NodeKind::host);
  EXPECT_EQ(topo.bottleneck(*over_pcie), BytesPerSecond(32 * kGB));
}

TEST(ScaleUp, Nvl72IsOneSwitchDomainOfSeventyTwoGpus) {
  Topology topo;
  const auto gpus = add_scale_up_domain(topo, "rack0.", 72, nvlink4());
  EXPECT_EQ(topo.count(NodeKind::nvswitch), 1u);
  EXPECT_EQ(topo.count(LinkTier::nvlink), 2u * 72);
  Router router(topo);
  EXPECT_EQ(router.hops(gpus[0], gpus[71]), 2);
}

TEST(Propagation, LightInFiberIsAboutFourPointNineMicrosecondsPerKilometre) {
  // t = L n / c with n = 1.468, c = 299,792,458 m/s.
  const double per_km = 1e3 * 1.468 / 299'792'458.0;
  EXPECT_DOUBLE_EQ(fiber_delay(Length::kilometers(1)).value(), per_km);
  EXPECT_NEAR(per_km, 4.9e-6, 0.05e-6);
  EXPECT_DOUBLE_EQ(fiber_delay(Length::kilometers(1000)).value(), 1000 * per_km);
  EXPECT_DOUBLE_EQ(fiber_delay(Length::meters(0)).value(), 0.0);
}

TEST(Sites, RouteLatencyAddsLinksSwitchesAndFiber) {
  Topology topo;
  const Seconds hop(150e-9), cable(25e-9);
  std::vector<NodeId> gateways;
  for (int site = 0; site < 2; ++site) {
    const std::string prefix = "site" + std::to_string(site) + ".";
    const auto gpus = add_servers(topo, prefix, 2, 1, nvlink4());
    RailOptimized rail;
    rail.gpus_per_server = 1;
    rail.spines = 1;
    rail.nic = {BytesPerSecond(50 * kGB), cable};
    rail.switch_latency = hop;
    rail.uplink_latency = cable;
    add_rail_optimized(topo, prefix, gpus, rail);
    gateways.push_back(
        add_site_gateway(topo, prefix, top_switches(topo, prefix), BytesPerSecond(100 * kGB), hop));
  }
  add_fiber(topo, gateways[0], gateways[1], Length::kilometers(100), BytesPerSecond(100 * kGB));
  Router router(topo);
  const auto gpus = topo.gpus();
  const auto route = router.route(gpus[0], gpus[2]);
  ASSERT_TRUE(route);
  // gpu -> leaf -> spine -> gateway => gateway -> spine -> leaf -> gpu: 7 links, 6 switches.
  ASSERT_EQ(route->size(), 7u);
  EXPECT_EQ(topo.link((*route)[3]).tier, LinkTier::inter_site);
  const double expected =
      4 * cable.value() + 6 * hop.value() + fiber_delay(Length::kilometers(100)).value();
  EXPECT_NEAR(topo.latency(*route).value(), expected, 1e-15);
}

// Fewest links from every node to `dst` where every node in between forwards (GPUs are
// endpoints, never transit): a plain breadth-first search over the links, backwards, written
// independently of Router as the oracle for its (composed) distance vectors.
std::vector<int> oracle_hops_to(const Topology& topo, NodeId dst) {
  std::vector<int> hops(topo.node_count(), -1);
  hops[dst] = 0;
  std::vector<NodeId> frontier{dst};
  for (int d = 1; !frontier.empty(); ++d) {
    std::vector<NodeId> next;
    for (NodeId at : frontier) {
      if (at != dst && topo.node(at).kind == NodeKind::gpu) continue;  // does not forward
      for (const Link& link : topo.links()) {
        if (link.to != at || hops[link.from] >= 0) continue;
        hops[link.from] = d;
        next.push_back(link.from);
      }
    }
    frontier = std::move(next);
  }
  return hops;
}

// Every pair of nodes of a hall that mixes the scale-up kinds (NVSwitch servers, pairwise
// bridges over a PCIe host), a 2:1 rail-optimized leaf-spine and two sites joined by fiber:
// Router's hops (composed per GPU from its switches' searches) equal the oracle's.
TEST(Routing, HopsToEveryNodeEqualAPlainBreadthFirstSearch) {
  Topology topo;
  std::vector<NodeId> gateways;
  ScaleUpFabric pairs = nvlink4();
  pairs.kind = ScaleUpKind::nvlink_pairs;
  pairs.pcie_bandwidth = BytesPerSecond(32 * kGB);
  for (int site = 0; site < 2; ++site) {
    const std::string prefix = "site" + std::to_string(site) + ".";
    auto gpus = add_servers(topo, prefix, 3, 4, site == 0 ? nvlink4() : pairs);
    RailOptimized rail;
    rail.gpus_per_server = 4;
    rail.spines = 2;
    rail.servers_per_unit = 2;
    rail.oversubscription = 2;
    rail.nic.bandwidth = BytesPerSecond(50 * kGB);
    add_rail_optimized(topo, prefix, gpus, rail);
    gateways.push_back(add_site_gateway(topo, prefix, top_switches(topo, prefix),
                                        BytesPerSecond(100 * kGB), Seconds(150e-9)));
  }
  add_fiber(topo, gateways[0], gateways[1], Length::kilometers(10), BytesPerSecond(100 * kGB));
  Router router(topo);
  std::size_t gpu_pairs = 0;
  for (NodeId dst = 0; dst < topo.node_count(); ++dst) {
    const std::vector<int> expected = oracle_hops_to(topo, dst);
    for (NodeId src = 0; src < topo.node_count(); ++src) {
      const std::optional<int> got = router.hops(src, dst);
      if (expected[src] < 0) {
        EXPECT_FALSE(got) << topo.node(src).name << " -> " << topo.node(dst).name;
      } else {
        ASSERT_TRUE(got) << topo.node(src).name << " -> " << topo.node(dst).name;
        EXPECT_EQ(*got, expected[src]) << topo.node(src).name << " -> " << topo.node(dst).name;
        if (auto r = router.route(src, dst, src * 31 + dst); r && src != dst) {
          EXPECT_EQ(r->size(), static_cast<std::size_t>(expected[src]));
          expect_chain(topo, *r, src, dst);
        }
      }
      if (topo.node(src).kind == NodeKind::gpu && topo.node(dst).kind == NodeKind::gpu) ++gpu_pairs;
    }
  }
  EXPECT_EQ(gpu_pairs, 24u * 24u);
}

TEST(Topology, RejectsModelBugs) {
  Topology topo;
  const NodeId a = topo.add_node(NodeKind::gpu, "a");
  const NodeId b = topo.add_node(NodeKind::leaf, "b");
  EXPECT_THROW(topo.add_link(a, 9, BytesPerSecond(1), Seconds(0), LinkTier::access),
               std::invalid_argument);
  EXPECT_THROW(topo.add_link(a, b, BytesPerSecond(0), Seconds(0), LinkTier::access),
               std::invalid_argument);
  EXPECT_THROW(topo.add_link(a, a, BytesPerSecond(1), Seconds(0), LinkTier::access),
               std::invalid_argument);
  Router router(topo);
  EXPECT_FALSE(router.route(a, b).has_value());
  EXPECT_EQ(router.route(a, a)->size(), 0u);
}

}  // namespace
}  // namespace models::network
