// ThermalNetwork against closed forms: one-node and two-node step responses, threshold
// crossing times, and random networks against an independent matrix exponential.
#include "models/cooling/thermal_network.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <unsupported/Eigen/MatrixFunctions>

namespace {

using models::cooling::BoundaryId;
using models::cooling::Crossing;
using models::cooling::NodeId;
using models::cooling::RcTopology;
using models::cooling::ThermalNetwork;
using sim::Duration;
using sim::JoulesPerKelvin;
using sim::Kelvin;
using sim::KelvinPerWatt;
using sim::SimTime;
using sim::Watts;

SimTime at_s(double s) {
  return SimTime::zero() + Duration::from_seconds(sim::Seconds(s));
}

// One node, C = 100 J/K, R = 0.05 K/W to a 300 K boundary: tau = RC = 5 s.
struct OneNode {
  static constexpr double c = 100, r = 0.05, t0 = 300, tb = 300, p = 200;
  RcTopology topo;
  NodeId node;
  BoundaryId boundary;
  OneNode() {
    node = topo.add_node(JoulesPerKelvin(c), Kelvin(t0));
    boundary = topo.add_boundary(Kelvin(tb));
    topo.connect(node, boundary, KelvinPerWatt(r));
  }
};

TEST(ThermalNetwork, OneNodeStepResponseIsTheExponential) {
  OneNode s;
  ThermalNetwork net(s.topo, SimTime::zero());
  net.set_heat(s.node, Watts(OneNode::p), SimTime::zero());
  const double t_ss = OneNode::tb + OneNode::p * OneNode::r;  // 310 K
  EXPECT_NEAR(net.steady_state(s.node).value(), t_ss, 1e-12);
  for (double t : {0.001, 0.5, 1.0, 5.0, 12.5, 60.0}) {
    net.advance(at_s(t));
    const double expected = t_ss + (OneNode::t0 - t_ss) * std::exp(-t / (OneNode::r * OneNode::c));
    EXPECT_NEAR(net.temperature(s.node).value(), expected, 1e-9) << "t = " << t;
  }
  ASSERT_EQ(net.time_constants().size(), 1u);
  EXPECT_NEAR(net.time_constants()[0].value(), 5.0, 1e-12);
}

TEST(ThermalNetwork, ManySmallStepsEqualOneBigStep) {
  OneNode a, b;
  ThermalNetwork one(a.topo, SimTime::zero()), many(b.topo, SimTime::zero());
  one.set_heat(a.node, Watts(150), SimTime::zero());
  many.set_heat(b.node, Watts(150), SimTime::zero());
  for (int i = 1; i <= 1000; ++i) many.advance(SimTime::from_ns(std::int64_t{i} * 7'000'000));
  one.advance(SimTime::from_ns(7'000'000'000));
  EXPECT_NEAR(one.temperature(a.node).value(), many.temperature(b.node).value(), 1e-10);
}

TEST(ThermalNetwork, OneNodeCrossingTimeIsAnalytic) {
  OneNode s;
  ThermalNetwork net(s.topo, SimTime::zero());
  net.set_heat(s.node, Watts(OneNode::p), SimTime::zero());
  const double t_ss = 310, t_th = 307.5;
  // t = RC ln((T_ss - T0) / (T_ss - T_th))
  const double expected = OneNode::r * OneNode::c * std::log((t_ss - OneNode::t0) / (t_ss - t_th));
  const auto d = net.time_to_reach(s.node, Kelvin(t_th), Duration::s(3600));
  ASSERT_TRUE(d.has_value());
  EXPECT_NEAR(d->seconds().value(), expected, 1e-6);
  // It is the first whole nanosecond at or above the threshold.
  ThermalNetwork probe(s.topo, SimTime::zero());
  probe.set_heat(s.node, Watts(OneNode::p), SimTime::zero());
  EXPECT_GE(net.temperature(s.node).value(), OneNode::t0);
  ThermalNetwork at(s.topo, SimTime::zero());
  at.set_heat(s.node, Watts(OneNode::p), SimTime::zero());
  at.advance(SimTime::zero() + *d);
  EXPECT_GE(at.temperature(s.node).value(), t_th);
  probe.advance(SimTime::zero() + *d - Duration::ns(1));
  EXPECT_LT(probe.temperature(s.node).value(), t_th);
}

TEST(ThermalNetwork, CrossingEdgeCases) {
  OneNode s;
  ThermalNetwork net(s.topo, SimTime::zero());
  net.set_heat(s.node, Watts(OneNode::p), SimTime::zero());
  // Steady state (310 K) below the threshold: never.
  EXPECT_FALSE(net.time_to_reach(s.node, Kelvin(311), Duration::s(1'000'000)).has_value());
  // Already above: now.
  EXPECT_EQ(net.time_to_reach(s.node, Kelvin(299), Duration::s(10)), Duration::ns(0));
  // Beyond the horizon: not reported.
  EXPECT_FALSE(net.time_to_reach(s.node, Kelvin(309.9), Duration::s(10)).has_value());
  // Falling: heat off after warming up; crossing 305 K from above at t = RC ln(10/5).
  net.advance(at_s(100));
  net.set_heat(s.node, Watts(0), at_s(100));
  const auto d = net.time_to_reach(s.node, Kelvin(305), Duration::s(3600), Crossing::falling);
  ASSERT_TRUE(d.has_value());
  const double t_start = net.temperature(s.node).value();  // ~310 K
  const double expected = OneNode::r * OneNode::c * std::log((t_start - 300) / (305 - 300.0));
  EXPECT_NEAR(d->seconds().value(), expected, 1e-6);
  // Rising to 305 K: already above it.
  EXPECT_EQ(net.time_to_reach(s.node, Kelvin(305), Duration::s(3600)), Duration::ns(0));
  // Falling below the steady state (300 K): never.
  EXPECT_FALSE(
      net.time_to_reach(s.node, Kelvin(299.9), Duration::s(3600), Crossing::falling).has_value());
}

// Die (C1) -R1- plate (C2) -R2- coolant at Tb; heat P into the die from t = 0, both nodes
// at Tb initially. x = T - T_ss obeys dx/dt = -K x with
//   K = [[g1/C1, -g1/C1], [-g1/C2, (g1+g2)/C2]],
// whose eigenvalues s1,2 = (tr -+ sqrt(tr^2 - 4 det)) / 2, tr = g1/C1 + (g1+g2)/C2,
// det = g1 g2 / (C1 C2). The die: x1(t) = A e^{-s1 t} + B e^{-s2 t}, with
// A + B = x1(0) and -(s1 A + s2 B) = x1'(0) = -(K11 x1(0) + K12 x2(0)).
TEST(ThermalNetwork, TwoNodeStepResponseIsTheTwoExponentialSolution) {
  const double c1 = 60, c2 = 250, r1 = 0.04, r2 = 0.025, tb = 308.15, p = 700;
  RcTopology topo;
  const NodeId die = topo.add_node(JoulesPerKelvin(c1), Kelvin(tb));
  const NodeId plate = topo.add_node(JoulesPerKelvin(c2), Kelvin(tb));
  const BoundaryId coolant = topo.add_boundary(Kelvin(tb));
  topo.connect(die, plate, KelvinPerWatt(r1));
  topo.connect(plate, coolant, KelvinPerWatt(r2));
  ThermalNetwork net(topo, SimTime::zero());
  net.set_heat(die, Watts(p), SimTime::zero());

  const double g1 = 1 / r1, g2 = 1 / r2;
  const double k11 = g1 / c1, k12 = -g1 / c1, k21 = -g1 / c2, k22 = (g1 + g2) / c2;
  const double tr = k11 + k22, det = k11 * k22 - k12 * k21;
  const double s1 = (tr - std::sqrt(tr * tr - 4 * det)) / 2;
  const double s2 = (tr + std::sqrt(tr * tr - 4 * det)) / 2;
  const double plate_ss = tb + p * r2, die_ss = plate_ss + p * r1;
  const double x10 = tb - die_ss, x20 = tb - plate_ss;
  const double dx10 = -(k11 * x10 + k12 * x20);
  // A + B = x10, s1 A + s2 B = -dx10
  const double b_coef = (-dx10 - s1 * x10) / (s2 - s1);
  const double a_coef = x10 - b_coef;
  const double dx20 = -(k21 * x10 + k22 * x20);
  const double d_coef = (-dx20 - s1 * x20) / (s2 - s1);
  const double c_coef = x20 - d_coef;

  EXPECT_NEAR(net.steady_state(die).value(), die_ss, 1e-9);
  EXPECT_NEAR(net.steady_state(plate).value(), plate_ss, 1e-9);
  const auto taus = net.time_constants();
  ASSERT_EQ(taus.size(), 2u);
  EXPECT_NEAR(taus[0].value(), 1 / s2, 1e-12);
  EXPECT_NEAR(taus[1].value(), 1 / s1, 1e-12);
  for (double t : {0.01, 0.3, 1.0, 2.5, 7.0, 20.0, 120.0}) {
    net.advance(at_s(t));
    const double die_t = die_ss + a_coef * std::exp(-s1 * t) + b_coef * std::exp(-s2 * t);
    const double plate_t = plate_ss + c_coef * std::exp(-s1 * t) + d_coef * std::exp(-s2 * t);
    EXPECT_NEAR(net.temperature(die).value(), die_t, 1e-9) << "t = " << t;
    EXPECT_NEAR(net.temperature(plate).value(), plate_t, 1e-9) << "t = " << t;
  }
}

// A die that first warms (its plate is hot) and then cools (no heat): the first of two
// crossings is reported, and the result agrees with a dense scan.
TEST(ThermalNetwork, FirstOfSeveralCrossings) {
  RcTopology topo;
  const NodeId die = topo.add_node(JoulesPerKelvin(20), Kelvin(300));
  const NodeId plate = topo.add_node(JoulesPerKelvin(400), Kelvin(340));
  const BoundaryId coolant = topo.add_boundary(Kelvin(300));
  topo.connect(die, plate, KelvinPerWatt(0.02));
  topo.connect(plate, coolant, KelvinPerWatt(0.05));
  ThermalNetwork net(topo, SimTime::zero());
  // The die peaks somewhere in the first seconds; find the peak by scanning.
  ThermalNetwork scan(topo, SimTime::zero());
  double peak = 0, t_peak = 0;
  for (int i = 1; i <= 200000; ++i) {
    scan.advance(SimTime::from_ns(static_cast<std::int64_t>(i) * 100'000));
    const double v = scan.temperature(die).value();
    if (v > peak) {
      peak = v;
      t_peak = i * 1e-4;
    }
  }
  const double threshold = 300 + 0.8 * (peak - 300);
  const auto up = net.time_to_reach(die, Kelvin(threshold), Duration::s(100));
  ASSERT_TRUE(up.has_value());
  EXPECT_LT(up->seconds().value(), t_peak);
  ThermalNetwork check(topo, SimTime::zero());
  check.advance(SimTime::zero() + *up - Duration::ns(1));
  EXPECT_LT(check.temperature(die).value(), threshold);
  check.advance(SimTime::zero() + *up);
  EXPECT_GE(check.temperature(die).value(), threshold);
  // Above the peak: never.
  EXPECT_FALSE(net.time_to_reach(die, Kelvin(peak + 1e-3), Duration::s(100)).has_value());
  // The falling crossing comes after the peak.
  net.advance(SimTime::zero() + *up);
  const auto down =
      net.time_to_reach(die, Kelvin(threshold - 1e-6), Duration::s(100), Crossing::falling);
  ASSERT_TRUE(down.has_value());
  EXPECT_GT((*up + *down).seconds().value(), t_peak);
}

// Random networks in random states (several inputs switched at random times), random
// thresholds both ways: the reported crossing is the first whole nanosecond at or beyond the
// threshold, and a dense scan finds nothing earlier; "never" means the scan finds nothing.
TEST(ThermalNetwork, CrossingsAgreeWithADenseScanOnRandomNetworks) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  int found = 0, never = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 2 + trial % 12;
    RcTopology topo;
    std::vector<NodeId> nodes;
    for (int i = 0; i < n; ++i)
      nodes.push_back(topo.add_node(JoulesPerKelvin(2 + 2000 * u(rng)), Kelvin(300 + 20 * u(rng))));
    const BoundaryId b = topo.add_boundary(Kelvin(300));
    for (int i = 1; i < n; ++i)
      topo.connect(nodes[static_cast<std::size_t>(i - 1)], nodes[static_cast<std::size_t>(i)],
                   KelvinPerWatt(0.005 + 0.1 * u(rng)));
    topo.connect(nodes[0], b, KelvinPerWatt(0.005 + 0.05 * u(rng)));
    ThermalNetwork net(topo, SimTime::zero());
    SimTime t = SimTime::zero();
    for (int e = 0; e < 3; ++e) {
      t = t + Duration::from_seconds(sim::Seconds(5 * u(rng)));
      net.set_heat(nodes[static_cast<std::size_t>(u(rng) * n)], Watts(1000 * u(rng)), t);
    }
    const NodeId probe = nodes[static_cast<std::size_t>(u(rng) * n)];
    const double now_t = net.temperature(probe).value();
    const double ss = net.steady_state(probe).value();
    const bool rising = u(rng) < 0.7;
    const Crossing dir = rising ? Crossing::rising : Crossing::falling;
    const double sign = rising ? 1 : -1;
    // A threshold between now and a bit past the steady state, or past both.
    const double lo = std::min(now_t, ss), hi = std::max(now_t, ss);
    const double threshold = lo + (hi - lo) * (1.2 * u(rng)) + (u(rng) < 0.2 ? 2 : 0) * sign;
    const Duration horizon = Duration::s(600);
    const auto d = net.time_to_reach(probe, Kelvin(threshold), horizon, dir);
    const auto beyond = [&](Duration at) {
      ThermalNetwork copy = net;
      copy.advance(t + at);
      return sign * (copy.temperature(probe).value() - threshold) >= 0;
    };
    // One copy walked forward through the scan points.
    const auto scan_until = [&](double end_s) {
      ThermalNetwork walk = net;
      for (int i = 0; i < 5000; ++i) {
        const double s = end_s * i / 5000.0;
        if (s >= end_s) break;
        walk.advance(t + Duration::from_seconds(sim::Seconds(s)));
        if (sign * (walk.temperature(probe).value() - threshold) >= 0) return s;
      }
      return -1.0;
    };
    if (d) {
      ++found;
      EXPECT_TRUE(beyond(*d)) << "trial " << trial;
      if (*d > Duration::ns(0)) {
        EXPECT_FALSE(beyond(*d - Duration::ns(1))) << "trial " << trial;
      }
      EXPECT_LT(scan_until(d->seconds().value()), 0) << "trial " << trial;
    } else {
      ++never;
      EXPECT_LT(scan_until(600), 0) << "trial " << trial;
    }
  }
  EXPECT_GT(found, 20);
  EXPECT_GT(never, 5);
}

// Identical GPU groups on one loop give degenerate modes (time_to_reach merges them): the
// crossing still agrees with the closed form advanced by advance() and with a dense scan.
TEST(ThermalNetwork, CrossingsWithIdenticalGroupsOnOneLoop) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  RcTopology topo;
  const NodeId loop = topo.add_node(JoulesPerKelvin(400e3), Kelvin(308));
  const BoundaryId facility = topo.add_boundary(Kelvin(303));
  topo.connect(loop, facility, KelvinPerWatt(1.0 / 20e3));
  std::vector<NodeId> dies;
  for (int g = 0; g < 12; ++g) {
    const NodeId die = topo.add_node(JoulesPerKelvin(8 * 17), Kelvin(308));
    const NodeId plate = topo.add_node(JoulesPerKelvin(8 * 190), Kelvin(308));
    topo.connect(die, plate, KelvinPerWatt(0.06 / 8));
    topo.connect(plate, loop, KelvinPerWatt(0.005 / 8));
    dies.push_back(die);
  }
  ThermalNetwork net(topo, SimTime::zero());
  SimTime t = SimTime::zero();
  int found = 0;
  for (int round = 0; round < 40; ++round) {
    t = t + Duration::from_seconds(sim::Seconds(0.05 + 0.3 * u(rng)));
    const NodeId die = dies[static_cast<std::size_t>(u(rng) * static_cast<double>(dies.size()))];
    net.set_heat(die, Watts(8 * (200 + 1000 * u(rng))), t);
    const double now_t = net.temperature(die).value();
    const double threshold = now_t + (net.steady_state(die).value() - now_t) * 1.1 * u(rng);
    const Crossing dir = threshold >= now_t ? Crossing::rising : Crossing::falling;
    const double sign = dir == Crossing::rising ? 1 : -1;
    const auto d = net.time_to_reach(die, Kelvin(threshold), Duration::s(100), dir);
    const auto beyond = [&](Duration at) {
      ThermalNetwork copy = net;
      copy.advance(t + at);
      return sign * (copy.temperature(die).value() - threshold) >= 0;
    };
    // One copy walked forward through the scan points: none may be beyond the threshold.
    const auto scan_clear = [&](double end_s) {
      ThermalNetwork walk = net;
      for (int i = 0; i < 4000 && end_s * i / 4000 < end_s; ++i) {
        walk.advance(t + Duration::from_seconds(sim::Seconds(end_s * i / 4000)));
        if (sign * (walk.temperature(die).value() - threshold) >= 0) return false;
      }
      return true;
    };
    if (!d) {
      EXPECT_TRUE(scan_clear(100)) << "round " << round;
      continue;
    }
    ++found;
    EXPECT_TRUE(beyond(*d)) << "round " << round;
    if (*d > Duration::ns(0)) {
      EXPECT_FALSE(beyond(*d - Duration::ns(1))) << "round " << round;
    }
    EXPECT_TRUE(scan_clear(d->seconds().value())) << "round " << round;
  }
  EXPECT_GT(found, 20);
}

TEST(ThermalNetwork, RandomNetworksMatchTheMatrixExponential) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> cap(5, 5000), res(0.002, 0.2), temp(290, 320),
      heat(0, 1000), u(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 3 + trial * 5;
    RcTopology topo;
    std::vector<NodeId> nodes;
    std::vector<double> c(static_cast<std::size_t>(n)), t0(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      c[static_cast<std::size_t>(i)] = cap(rng);
      t0[static_cast<std::size_t>(i)] = temp(rng);
      nodes.push_back(topo.add_node(JoulesPerKelvin(c[static_cast<std::size_t>(i)]),
                                    Kelvin(t0[static_cast<std::size_t>(i)])));
    }
    const BoundaryId b0 = topo.add_boundary(Kelvin(temp(rng)));
    const BoundaryId b1 = topo.add_boundary(Kelvin(temp(rng)));
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
    // A chain keeps everything connected; extra random links and boundary links.
    auto link = [&](int i, int j, double r) {
      topo.connect(nodes[static_cast<std::size_t>(i)], nodes[static_cast<std::size_t>(j)],
                   KelvinPerWatt(r));
      g(i, i) += 1 / r;
      g(j, j) += 1 / r;
      g(i, j) -= 1 / r;
      g(j, i) -= 1 / r;
    };
    for (int i = 1; i < n; ++i) link(i - 1, i, res(rng));
    for (int e = 0; e < n; ++e) {
      const int i = static_cast<int>(u(rng) * n), j = static_cast<int>(u(rng) * n);
      if (i != j) link(i, j, res(rng));
    }
    std::vector<std::pair<int, int>> blinks{{0, 0}, {n - 1, 1}};
    for (int e = 0; e < n / 4; ++e) blinks.emplace_back(static_cast<int>(u(rng) * n), e % 2);
    std::vector<double> r_b;
    for (auto [i, k] : blinks) {
      const double r = res(rng);
      r_b.push_back(r);
      topo.connect(nodes[static_cast<std::size_t>(i)], k == 0 ? b0 : b1, KelvinPerWatt(r));
      g(i, i) += 1 / r;
    }
    ThermalNetwork net(topo, SimTime::zero());
    const double tb0 = net.boundary(b0).value(), tb1 = net.boundary(b1).value();
    for (std::size_t e = 0; e < blinks.size(); ++e) {
      b(blinks[e].first) += (blinks[e].second == 0 ? tb0 : tb1) / r_b[e];
    }
    for (int i = 0; i < n; i += 2) {
      const double q = heat(rng);
      net.set_heat(nodes[static_cast<std::size_t>(i)], Watts(q), SimTime::zero());
      b(i) += q;
    }
    Eigen::VectorXd cinv(n), tinit(n);
    for (int i = 0; i < n; ++i) {
      cinv(i) = 1 / c[static_cast<std::size_t>(i)];
      tinit(i) = t0[static_cast<std::size_t>(i)];
    }
    const Eigen::VectorXd tss = g.ldlt().solve(b);
    const double time = 0.37 + trial;
    const Eigen::MatrixXd e = (-(cinv.asDiagonal() * g) * time).exp();
    const Eigen::VectorXd expected = tss + e * (tinit - tss);
    net.advance(at_s(time));
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(net.steady_state(nodes[static_cast<std::size_t>(i)]).value(), tss(i), 1e-8);
      EXPECT_NEAR(net.temperature(nodes[static_cast<std::size_t>(i)]).value(), expected(i), 1e-7)
          << "trial " << trial << " node " << i;
    }
  }
}

TEST(ThermalNetwork, BoundaryChangesAndHeatToBoundary) {
  OneNode s;
  ThermalNetwork net(s.topo, SimTime::zero());
  net.set_heat(s.node, Watts(100), SimTime::zero());
  net.set_boundary(s.boundary, Kelvin(305), SimTime::zero());
  EXPECT_NEAR(net.steady_state(s.node).value(), 305 + 100 * 0.05, 1e-12);
  const auto e = net.epoch();
  net.set_heat(s.node, Watts(100), at_s(1));  // unchanged: same trajectory
  EXPECT_EQ(net.epoch(), e);
  net.settle();
  EXPECT_NEAR(net.temperature(s.node).value(), 310, 1e-12);
  EXPECT_NEAR(net.heat_to_boundary(s.node, s.boundary).value(), 100, 1e-9);
  EXPECT_THROW(net.advance(at_s(0.5)), std::logic_error);
}

TEST(ThermalNetwork, NodeWithoutPathToABoundaryIsRefused) {
  RcTopology topo;
  const NodeId a = topo.add_node(JoulesPerKelvin(1), Kelvin(300));
  const NodeId b = topo.add_node(JoulesPerKelvin(1), Kelvin(300));
  const NodeId c = topo.add_node(JoulesPerKelvin(1), Kelvin(300));
  const BoundaryId w = topo.add_boundary(Kelvin(300));
  topo.connect(a, w, KelvinPerWatt(1));
  topo.connect(b, c, KelvinPerWatt(1));
  try {
    ThermalNetwork net(topo, SimTime::zero());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "ThermalNetwork: node 1 has no path to a boundary temperature");
  }
  EXPECT_THROW(topo.connect(a, b, KelvinPerWatt(-0.1)), std::invalid_argument);
  EXPECT_THROW(topo.add_node(JoulesPerKelvin(0), Kelvin(300)), std::invalid_argument);
}

}  // namespace
