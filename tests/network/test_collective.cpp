// Collectives as flows: the uncontended flow simulation equals the α–β closed forms of every
// algorithm and op (up to SimTime's 1 ns grain per step), bytes are conserved, a shared spine
// stretches two collectives, busbw follows nccl-tests, trees are NCCL's, runs are
// deterministic.
#include <gtest/gtest.h>

#include <numeric>

#include "models/network/builders.hpp"
#include "models/network/collective.hpp"
#include "models/network/collective_protocol.hpp"

namespace models::network {
namespace {

using sim::Bytes;
using sim::BytesPerSecond;
using sim::Seconds;

// Deliberately uneven figures, so that a term in the wrong place shows.
CollectiveProtocol protocol() {
  CollectiveProtocol p;
  p.launch_latency = Seconds(7e-6);
  p.scale_up = {Seconds(3e-6), 0.8};
  p.scale_out = {Seconds(11e-6), 0.4};
  p.reduction_efficiency = 0.6;
  return p;
}

ServerNetwork server(bool reduces = false) {
  ServerNetwork s;
  s.name = "test";
  s.gpus = 8;
  s.scale_up = {ScaleUpKind::nvswitch, BytesPerSecond(300e9), Seconds(20e-9), Seconds(150e-9)};
  s.nic = {BytesPerSecond(25e9), Seconds(0)};
  s.switch_latency = Seconds(150e-9);
  s.in_switch_reduction = reduces;
  return s;
}

struct Case {
  CollectiveOp op;
  CollectiveAlgorithm algorithm;
  int servers, per_server;
  double size;
};

void expect_closed_form(const Case& k, bool reduces = false) {
  const Cluster cluster = build_cluster(server(reduces), k.servers);
  Router router(cluster.topology);
  Collective c;
  c.op = k.op;
  c.algorithm = k.algorithm;
  c.gpus = members(cluster, k.servers, k.per_server);
  c.gpus_per_server = k.op == CollectiveOp::send_recv ? 1 : k.per_server;
  c.size = Bytes(k.size);
  const CollectivePlan plan =
      plan_collective(cluster.topology, router, c, protocol(), cluster.reducing_switches);
  const sim::SimTime zero;
  const double simulated =
      run_collectives(cluster.topology, std::span(&plan, 1), std::span(&zero, 1))
          .duration(0)
          .value();
  const double closed =
      collective_alpha_beta(c, protocol(), fabric_figures(cluster.topology, router, c)).value();
  // Rounding to the 1 ns grain: the launch, and per step its α, its route latency and its end.
  const double grain = 1.5e-9 * (1 + 3 * static_cast<double>(plan.steps.size()));
  const auto fab = fabric_figures(cluster.topology, router, c);
  if (k.op == CollectiveOp::all_to_all && k.servers > 1 && k.per_server > 1) {
    // Same-rail transfers start sending L_cross - L_same before cross-rail ones and use the
    // NIC meanwhile: the form (all at L_cross) is then an upper bound by at most that.
    const double slack = (fab.cross_rail_latency - fab.same_rail_latency).value();
    EXPECT_LE(simulated, closed + grain);
    EXPECT_GE(simulated, closed - slack - grain);
    return;
  }
  EXPECT_NEAR(simulated, closed, grain)
      << to_string(k.op) << " " << to_string(k.algorithm) << " " << k.servers << "x" << k.per_server
      << " S=" << k.size << " steps=" << plan.steps.size();
  EXPECT_GT(closed, protocol().launch_latency.value());
}

TEST(Collective, UncontendedFlowsEqualTheAlphaBetaForms) {
  using enum CollectiveOp;
  using enum CollectiveAlgorithm;
  for (double size : {4096.0, 1.0e6, 64.0 * 1024 * 1024 + 3}) {
    for (int g : {2, 4, 8}) {
      expect_closed_form({all_reduce, ring, 1, g, size});
      expect_closed_form({reduce_scatter, ring, 1, g, size});
      expect_closed_form({all_gather, ring, 1, g, size});
      expect_closed_form({all_to_all, ring, 1, g, size});
      expect_closed_form({all_reduce, double_binary_tree, 1, g, size});
      expect_closed_form({all_reduce, in_switch, 1, g, size}, true);
    }
    expect_closed_form({all_reduce, double_binary_tree, 1, 6, size});
    expect_closed_form({send_recv, ring, 1, 2, size});
    expect_closed_form({send_recv, ring, 2, 1, size});
    for (auto [servers, g] : {std::pair{2, 1}, {2, 2}, {2, 8}, {4, 4}, {3, 8}}) {
      expect_closed_form({all_reduce, ring, servers, g, size});
      expect_closed_form({all_gather, ring, servers, g, size});
      expect_closed_form({all_reduce, hierarchical, servers, g, size});
      expect_closed_form({reduce_scatter, hierarchical, servers, g, size});
      expect_closed_form({all_gather, hierarchical, servers, g, size});
      expect_closed_form({all_to_all, ring, servers, g, size});
    }
  }
}

TEST(Collective, AllToAllAcrossServersIsExactWhenRoutesAreEquallyLong) {
  ServerNetwork flat = server();
  flat.switch_latency = Seconds(0);  // same-rail and cross-rail routes of equal latency
  for (auto [servers, g] : {std::pair{2, 2}, {2, 8}, {4, 4}})
    for (double size : {4096.0, 1e6, 6.4e7}) {
      const Cluster cluster = build_cluster(flat, servers);
      Router router(cluster.topology);
      Collective c;
      c.op = CollectiveOp::all_to_all;
      c.gpus = members(cluster, servers, g);
      c.gpus_per_server = g;
      c.size = Bytes(size);
      EXPECT_NEAR(
          simulate_collective(cluster.topology, router, c, protocol()).value(),
          collective_alpha_beta(c, protocol(), fabric_figures(cluster.topology, router, c)).value(),
          6e-9)
          << servers << "x" << g << " " << size;
    }
}

TEST(Collective, RingAllReduceOnOneServerIsPatarasukYuan) {
  // The textbook form by hand, η = ρ = 1: 2(n-1) (α + L) + 2(n-1)/n S/B (Patarasuk & Yuan).
  CollectiveProtocol p;
  p.scale_up = {Seconds(5e-6), 1.0};
  const Cluster cluster = build_cluster(server(), 1);
  Router router(cluster.topology);
  Collective c;
  c.gpus = members(cluster, 1, 8);
  c.gpus_per_server = 8;
  c.size = Bytes(8e6);
  const double l = 20e-9 + 150e-9 + 20e-9;
  const double expected = 14 * (5e-6 + l) + 14.0 / 8 * 8e6 / 300e9;
  EXPECT_NEAR(simulate_collective(cluster.topology, router, c, p).value(), expected, 50e-9);
}

TEST(Collective, BytesAreConserved) {
  // Ring all-reduce of S on n GPUs: every GPU sends 2(n-1)/n S of payload; on the wire
  // (n-1)/n S/(η ρ) + (n-1)/n S/η. Each transfer crosses GPU -> switch -> GPU: every byte
  // sent is carried by one GPU uplink and one switch downlink.
  const CollectiveProtocol p = protocol();
  const Cluster cluster = build_cluster(server(), 1);
  Router router(cluster.topology);
  Collective c;
  c.gpus = members(cluster, 1, 8);
  c.gpus_per_server = 8;
  c.size = Bytes(1 << 24);
  const CollectivePlan plan = plan_collective(cluster.topology, router, c, p);
  const sim::SimTime zero;
  const CollectiveRun run =
      run_collectives(cluster.topology, std::span(&plan, 1), std::span(&zero, 1));
  double up = 0, down = 0;
  for (LinkId l = 0; l < cluster.topology.link_count(); ++l) {
    const Link& link = cluster.topology.link(l);
    if (cluster.topology.node(link.from).kind == NodeKind::gpu)
      up += run.links[l].carried.value();
    else
      down += run.links[l].carried.value();
  }
  const double S = c.size.value(), n = 8;
  const double wire = n * ((n - 1) / n * S / (0.8 * 0.6) + (n - 1) / n * S / 0.8);
  EXPECT_NEAR(up, wire, wire * 1e-9);
  EXPECT_NEAR(down, wire, wire * 1e-9);

  // Hierarchical across 4 servers: each NIC sends 2(N-1)/N · S/g of payload.
  const Cluster big = build_cluster(server(), 4);
  Router r2(big.topology);
  Collective h = c;
  h.algorithm = CollectiveAlgorithm::hierarchical;
  h.gpus = members(big, 4, 8);
  CollectiveProtocol unit;  // η = ρ = 1: wire bytes = payload
  const CollectivePlan hp = plan_collective(big.topology, r2, h, unit);
  const CollectiveRun hr = run_collectives(big.topology, std::span(&hp, 1), std::span(&zero, 1));
  for (NodeId gpu : h.gpus)
    for (LinkId l = 0; l < big.topology.link_count(); ++l)
      if (big.topology.link(l).from == gpu && big.topology.link(l).tier == LinkTier::access) {
        EXPECT_NEAR(hr.links[l].carried.value(), 2.0 * 3 / 4 * S / 8, 1e-3);
      }
}

TEST(Collective, ASharedSpineStretchesBoth) {
  // Four single-GPU-rail servers on one spine with 4:1 oversubscription: each leaf uplink
  // carries one NIC's worth. Two 2-GPU all-reduces, each between rail 0 of one server and
  // rail 1 of another, both cross leaf0 <-> spine <-> leaf1. Alone each runs at the NIC's
  // rate; together they halve on the uplinks: the bandwidth term doubles, α and L do not.
  Topology topo;
  const auto gpus = add_servers(topo, "", 4, 2, server().scale_up);
  RailOptimized rail;
  rail.gpus_per_server = 2;
  rail.spines = 1;
  rail.nic = {BytesPerSecond(25e9), Seconds(0)};
  rail.oversubscription = 4.0 / 2;  // 4 servers x 25 GB/s down, 50 GB/s up per leaf
  rail.switch_latency = Seconds(150e-9);
  add_rail_optimized(topo, "", gpus, rail);
  // Uplink = servers · B / (spines · r) = 4 · 25 / 2 = 50 GB/s; two pairs of flows each way
  // per collective make 4 flows on one uplink when both run, 2 when one does.
  Router router(topo);
  CollectiveProtocol p = protocol();
  auto make = [&](NodeId a, NodeId b) {
    Collective c;
    c.gpus = {a, b};
    c.gpus_per_server = 1;
    c.size = Bytes(64e6);
    return plan_collective(topo, router, c, p);
  };
  // Each collective: s_j.gpu0 and s_k.gpu1 — different rails, so via the spine; and a
  // second pair of flows on the same uplinks from the other two GPUs of those servers.
  const std::vector<CollectivePlan> both = {make(gpus[0], gpus[3]), make(gpus[4], gpus[7])};
  const std::vector<CollectivePlan> extra = {make(gpus[1], gpus[2]), make(gpus[5], gpus[6])};
  const std::vector<sim::SimTime> starts(2);
  const double alone = run_collectives(topo, std::span(both.data(), 1), std::span(starts.data(), 1))
                           .duration(0)
                           .value();
  const CollectiveRun together = run_collectives(topo, both, starts);
  // The two collectives use leaf0 -> spine (rail 0 of s0 and s2) and leaf1 -> spine: 2 flows
  // on a 50 GB/s uplink: 25 GB/s each, the NIC's rate: no stretch yet.
  EXPECT_NEAR(together.duration(0).value(), alone, 1e-8);
  // Now four collectives: 4 flows share each uplink, 12.5 GB/s each: the bandwidth term doubles.
  std::vector<CollectivePlan> four = both;
  four.insert(four.end(), extra.begin(), extra.end());
  const std::vector<sim::SimTime> starts4(4);
  const CollectiveRun crowded = run_collectives(topo, four, starts4);
  // The bandwidth term of one 2-GPU all-reduce alone: a reduce step and a copy step of S/2.
  const double bw = (64e6 / 2) / (0.4 * 25e9) * (1 / 0.6 + 1);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(crowded.duration(i).value() - alone, bw, 1e-7) << i;
  }
}

TEST(Collective, BusBandwidthFollowsNcclTests) {
  // doc/PERFORMANCE.md: 8 GPUs, 1 GB in 10 ms: algbw 100 GB/s.
  const Bytes s(1e9);
  const Seconds t(0.01);
  EXPECT_DOUBLE_EQ(bus_bandwidth(CollectiveOp::all_reduce, 8, s, t).value(), 100e9 * 2 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_bandwidth(CollectiveOp::reduce_scatter, 8, s, t).value(), 100e9 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_bandwidth(CollectiveOp::all_gather, 8, s, t).value(), 100e9 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_bandwidth(CollectiveOp::all_to_all, 8, s, t).value(), 100e9 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_bandwidth(CollectiveOp::send_recv, 2, s, t).value(), 100e9);
  // A ring at line rate with no latency has busbw = the link's bandwidth: the point of the
  // definition ("bus bandwidth ... comparable to the hardware peak").
  CollectiveProtocol ideal;
  Topology topo;
  ScaleUpFabric f{ScaleUpKind::nvswitch, BytesPerSecond(300e9)};
  const auto gpus = add_scale_up_domain(topo, "", 8, f);
  Router router(topo);
  for (auto op : {CollectiveOp::all_reduce, CollectiveOp::reduce_scatter, CollectiveOp::all_gather,
                  CollectiveOp::all_to_all}) {
    Collective c;
    c.op = op;
    c.gpus = gpus;
    c.gpus_per_server = 8;
    c.size = Bytes(1 << 26);
    const Seconds time = simulate_collective(topo, router, c, ideal);
    EXPECT_NEAR(bus_bandwidth(op, 8, c.size, time).value(), 300e9, 300e9 * 1e-6) << to_string(op);
  }
}

TEST(Collective, InSwitchReductionBeatsTheRingAndNeedsTheCapability) {
  const Cluster plain = build_cluster(server(false), 1);
  const Cluster nvls = build_cluster(server(true), 1);
  EXPECT_TRUE(plain.reducing_switches.empty());
  ASSERT_EQ(nvls.reducing_switches.size(), 1u);
  Router router(nvls.topology);
  Collective c;
  c.gpus = members(nvls, 1, 8);
  c.gpus_per_server = 8;
  c.size = Bytes(1 << 28);
  const double ring = simulate_collective(nvls.topology, router, c, protocol()).value();
  c.algorithm = CollectiveAlgorithm::in_switch;
  const double in_switch =
      simulate_collective(nvls.topology, router, c, protocol(), nvls.reducing_switches).value();
  EXPECT_LT(in_switch, ring);
  Router plain_router(plain.topology);
  c.gpus = members(plain, 1, 8);
  EXPECT_THROW(
      simulate_collective(plain.topology, plain_router, c, protocol(), plain.reducing_switches),
      std::invalid_argument);
}

TEST(Collective, NcclBinaryTrees) {
  // ncclGetBtree for 8 ranks: 0 -> 4; 4 -> 2, 6; 2 -> 1, 3; 6 -> 5, 7.
  const auto t = binary_tree(8);
  EXPECT_EQ(t[0].parent, -1);
  EXPECT_EQ(t[0].children[0], 4);
  EXPECT_EQ(t[4].parent, 0);
  EXPECT_EQ(t[2].parent, 4);
  EXPECT_EQ(t[6].parent, 4);
  EXPECT_EQ(t[7].parent, 6);
  EXPECT_EQ(t[5].parent, 6);
  for (int n = 1; n <= 64; ++n) {
    for (const auto& tree : {binary_tree(n), second_tree(n)}) {
      int roots = 0;
      for (int r = 0; r < n; ++r) {
        roots += tree[static_cast<std::size_t>(r)].parent < 0;
        // Every rank reaches the root (a tree, no cycles).
        int at = r, hops = 0;
        while (tree[static_cast<std::size_t>(at)].parent >= 0 && hops <= n)
          at = tree[static_cast<std::size_t>(at)].parent, ++hops;
        EXPECT_LE(hops, n);
      }
      EXPECT_EQ(roots, 1) << n;
    }
    if (n % 2 == 0) {  // the double tree's point: no rank is an inner node of both
      const auto a = binary_tree(n), b = second_tree(n);
      for (int r = 0; r < n; ++r) {
        const auto inner = [&](const std::vector<TreeNode>& x) {
          return x[static_cast<std::size_t>(r)].children[0] >= 0 ||
                 x[static_cast<std::size_t>(r)].children[1] >= 0;
        };
        EXPECT_FALSE(inner(a) && inner(b) && n > 2) << "n=" << n << " r=" << r;
      }
    }
  }
}

TEST(Collective, Deterministic) {
  // Two spines: ECMP chooses; the same input gives the same times and link bytes.
  Topology topo;
  const auto gpus = add_servers(topo, "", 4, 8, server().scale_up);
  RailOptimized rail;
  rail.spines = 3;
  rail.nic = {BytesPerSecond(25e9), Seconds(0)};
  add_rail_optimized(topo, "", gpus, rail);
  auto once = [&] {
    Router router(topo);
    Collective c;
    c.gpus = gpus;
    c.gpus_per_server = 8;
    c.size = Bytes(3e7);
    Collective a2a = c;
    a2a.op = CollectiveOp::all_to_all;
    const std::vector<CollectivePlan> plans = {plan_collective(topo, router, c, protocol()),
                                               plan_collective(topo, router, a2a, protocol())};
    const std::vector<sim::SimTime> starts = {sim::SimTime::zero(), sim::SimTime::from_ns(12345)};
    return run_collectives(topo, plans, starts);
  };
  const CollectiveRun a = once(), b = once();
  EXPECT_EQ(a.finish, b.finish);
  ASSERT_EQ(a.links.size(), b.links.size());
  for (std::size_t l = 0; l < a.links.size(); ++l)
    EXPECT_EQ(a.links[l].carried.value(), b.links[l].carried.value());
}

TEST(Collective, BadRequestsAreRefused) {
  const Cluster cluster = build_cluster(server(), 1);
  Router router(cluster.topology);
  Collective c;
  c.gpus = members(cluster, 1, 3);
  c.gpus_per_server = 2;
  c.size = Bytes(1);
  EXPECT_THROW(plan_collective(cluster.topology, router, c, protocol()), std::invalid_argument);
  c.gpus_per_server = 3;
  c.op = CollectiveOp::all_gather;
  c.algorithm = CollectiveAlgorithm::double_binary_tree;
  EXPECT_THROW(plan_collective(cluster.topology, router, c, protocol()), std::invalid_argument);
  c.op = CollectiveOp::send_recv;
  EXPECT_THROW(plan_collective(cluster.topology, router, c, protocol()), std::invalid_argument);
}

TEST(CollectiveCalibration, ShippedFileReadsAndBadValuesAreLocated) {
  const CollectiveCalibration c =
      read_collective_calibration(default_collective_calibration_path());
  EXPECT_GT(c.protocol.scale_up.efficiency, 0);
  EXPECT_LE(c.protocol.scale_up.efficiency, 1);
  EXPECT_FALSE(c.command.empty());
  try {
    parse_collective_calibration(
        "format: 1\nlaunch_latency: 1 us\nscale_up: {step_latency: 1 us, efficiency: 1.5}\n"
        "scale_out: {step_latency: 1 us, efficiency: 0.5}\nreduction_efficiency: 0.5\n"
        "multi_server_all_reduce: ring\nprovenance: {command: x, input: {file: f, sha256: s}}\n",
        "cal.yaml");
    FAIL() << "no error";
  } catch (const sim::config::InputError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].str(),
              "cal.yaml:3:44: scale_up.efficiency: must be > 0 and <= 1 (got \"1.5\")");
  }
}

}  // namespace
}  // namespace models::network
