// NCCL's protocols (LL, LL128, Simple) in the collective layer: a collective runs under the
// protocol with the least time, the switch between two protocols falls at the size their
// closed forms cross, the calibration file holds the three (format 2) and still reads format
// 1 as Simple alone; and the pairwise-NVLink server (NVLink bridges over PCIe) puts a ring of
// four GPUs at the pace of PCIe.
#include <gtest/gtest.h>

#include <string>

#include "models/network/builders.hpp"
#include "models/network/collective.hpp"
#include "models/network/collective_protocol.hpp"
#include "sim/config.hpp"

namespace models::network {
namespace {

using sim::Bytes;
using sim::BytesPerSecond;
using sim::Seconds;

ServerNetwork dgx_like() {
  ServerNetwork s;
  s.name = "test";
  s.gpus = 8;
  s.scale_up = {ScaleUpKind::nvswitch, BytesPerSecond(300e9), Seconds(20e-9), Seconds(150e-9)};
  s.nic = {BytesPerSecond(25e9), Seconds(0)};
  s.switch_latency = Seconds(150e-9);
  return s;
}

// LL: quick to start, a quarter of Simple's rate; Simple: slower to start, full rate.
ProtocolSet two_protocols() {
  CollectiveProtocol ll, simple;
  ll.launch_latency = Seconds(5e-6);
  ll.scale_up = {Seconds(1e-6), 0.2};
  ll.scale_out = {Seconds(4e-6), 0.1};
  simple.launch_latency = Seconds(9e-6);
  simple.scale_up = {Seconds(6e-6), 0.8};
  simple.scale_out = {Seconds(15e-6), 0.4};
  ll.reduction_efficiency = simple.reduction_efficiency = 0.6;
  return ProtocolSet{{{NcclProtocol::ll, ll}, {NcclProtocol::simple, simple}}};
}

TEST(CollectiveProtocols, TheChoiceIsTheLeastTimeAndSwitchesWhereTheClosedFormsCross) {
  const Cluster cluster = build_cluster(dgx_like(), 1);
  Router router(cluster.topology);
  Collective c;
  c.op = CollectiveOp::all_reduce;
  c.gpus = members(cluster, 1, 8);
  c.gpus_per_server = 8;
  const ProtocolSet set = two_protocols();
  const CollectiveProtocol& ll = set.protocols[0].second;
  const CollectiveProtocol& simple = set.protocols[1].second;
  // One-server ring all-reduce: t_p(S) = A_p + S K / η_p with
  //   A_p = launch_p + 2 (n - 1)(α_p + L),  K = (n - 1)/n (1/ρ + 1) / B,
  // so LL gives way to Simple at S* = (A_simple - A_ll) / (K (1/η_ll - 1/η_simple)).
  const double n = 8, L = 2 * 20e-9 + 150e-9, B = 300e9, rho = 0.6;
  const double K = (n - 1) / n * (1 / rho + 1) / B;
  auto A = [&](const CollectiveProtocol& p) {
    return p.launch_latency.value() + 2 * (n - 1) * (p.scale_up.step_latency.value() + L);
  };
  const double s_star =
      (A(simple) - A(ll)) / (K * (1 / ll.scale_up.efficiency - 1 / simple.scale_up.efficiency));
  EXPECT_NEAR(s_star, 2'537'142.857, 1e-3);  // 2.42 MiB
  for (double f : {0.5, 0.99, 1.01, 2.0}) {
    c.size = Bytes(f * s_star);
    const FabricFigures fig = fabric_figures(cluster.topology, router, c);
    const double t_ll = collective_alpha_beta(c, ll, fig).value();
    const double t_simple = collective_alpha_beta(c, simple, fig).value();
    EXPECT_NEAR(t_ll, A(ll) + f * s_star * K / ll.scale_up.efficiency, 1e-12);
    const ProtocolChoice choice = choose_protocol(cluster.topology, router, c, set);
    EXPECT_EQ(choice.protocol, f < 1 ? NcclProtocol::ll : NcclProtocol::simple) << f;
    // The chosen time is the least of the two, as simulated (1 ns grain per step).
    EXPECT_NEAR(choice.time.value(), std::min(t_ll, t_simple), 2 * (n - 1) * 1e-9 + 1e-9) << f;
    EXPECT_EQ(simulate_collective(cluster.topology, router, c, set).value(), choice.time.value());
    EXPECT_EQ(choice.parameters, f < 1 ? &ll : &simple);
  }
  EXPECT_THROW(choose_protocol(cluster.topology, router, c, ProtocolSet{}), std::invalid_argument);
}

TEST(CollectiveProtocols, ShippedCalibrationHoldsLlLl128AndSimple) {
  const CollectiveCalibration c =
      read_collective_calibration(default_collective_calibration_path());
  ASSERT_EQ(c.protocols.protocols.size(), 3u);
  EXPECT_EQ(c.protocols.protocols[0].first, NcclProtocol::ll);
  EXPECT_EQ(c.protocols.protocols[1].first, NcclProtocol::ll128);
  EXPECT_EQ(c.protocols.protocols[2].first, NcclProtocol::simple);
  const CollectiveProtocol& simple = c.protocols.protocols[2].second;
  EXPECT_EQ(c.protocol.launch_latency.value(), simple.launch_latency.value());
  EXPECT_EQ(c.protocol.scale_up.efficiency, simple.scale_up.efficiency);
  for (const auto& [name, p] : c.protocols.protocols) {
    EXPECT_EQ(p.reduction_efficiency, c.protocol.reduction_efficiency) << to_string(name);
    // LL and LL128 carry flags in their lines: never more payload per wire byte than Simple.
    EXPECT_LE(p.scale_up.efficiency, simple.scale_up.efficiency) << to_string(name);
    EXPECT_LE(p.scale_out.efficiency, simple.scale_out.efficiency) << to_string(name);
  }
}

TEST(CollectiveProtocols, FormatOneIsSimpleAloneAndSimpleIsRequired) {
  const std::string tail =
      "multi_server_all_reduce: ring\nprovenance: {command: x, input: {file: f, sha256: s}}\n";
  const CollectiveCalibration one = parse_collective_calibration(
      "format: 1\nlaunch_latency: 2 us\nscale_up: {step_latency: 1 us, efficiency: 0.9}\n"
      "scale_out: {step_latency: 3 us, efficiency: 0.5}\nreduction_efficiency: 0.5\n" +
          tail,
      "cal.yaml");
  ASSERT_EQ(one.protocols.protocols.size(), 1u);
  EXPECT_EQ(one.protocols.protocols[0].first, NcclProtocol::simple);
  EXPECT_EQ(one.protocols.protocols[0].second.scale_up.efficiency, 0.9);
  EXPECT_EQ(one.protocols.protocols[0].second.reduction_efficiency, 0.5);
  try {
    parse_collective_calibration(
        "format: 2\nreduction_efficiency: 0.5\nprotocols:\n  ll: {launch_latency: 1 us, "
        "scale_up: {step_latency: 1 us, efficiency: 0.2}, scale_out: {step_latency: 1 us, "
        "efficiency: 0.1}}\n" +
            tail,
        "cal.yaml");
    FAIL() << "no error";
  } catch (const sim::config::InputError& e) {
    EXPECT_STREQ(e.what(), "cal.yaml:4:3: protocols.simple: missing required key");
  }
}

// Azure NC A100 v4 (networks.yaml azure-nc-a100-v4): GPUs 0-1 and 2-3 bridged by NVLink, the
// ring's other hops (1 -> 2, 3 -> 0) through the host over PCIe. Ideal protocol (no latency,
// full rate): each step lasts as long as its PCIe transfer, S/n over 31.5 GB/s, plus the two
// PCIe links' latency; 2 (n - 1) steps.
TEST(CollectiveProtocols, ARingOverNvlinkPairsGoesAtThePaceOfPcie) {
  const NetworkCatalog catalog =
      load_network_catalog(std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/catalog/networks.yaml");
  const ServerNetwork s = server_network(catalog, {}, "azure-nc-a100-v4", 4, {});
  ASSERT_EQ(s.scale_up.kind, ScaleUpKind::nvlink_pairs);
  EXPECT_EQ(s.scale_up.gpu_bandwidth.value(), 300e9);
  EXPECT_EQ(s.scale_up.pcie_bandwidth.value(), 31.5e9);
  EXPECT_EQ(s.nic.bandwidth.value(), 20e9 / 8);
  const Cluster cluster = build_cluster(s, 1);
  Router router(cluster.topology);
  Collective c;
  c.op = CollectiveOp::all_reduce;
  c.gpus = members(cluster, 1, 4);
  c.gpus_per_server = 4;
  c.size = Bytes(64.0 * (1 << 20));
  const CollectiveProtocol ideal;
  const double n = 4;
  const double pcie_hop = 2 * s.scale_up.pcie_latency.value();
  const double expected = 2 * (n - 1) * (pcie_hop + c.size.value() / n / 31.5e9);
  EXPECT_NEAR(simulate_collective(cluster.topology, router, c, ideal).value(), expected,
              2 * (n - 1) * 1e-9);
  // Two GPUs of one pair stay on their bridge: NVLink's pace.
  c.gpus = members(cluster, 1, 2);
  c.gpus_per_server = 2;
  EXPECT_NEAR(simulate_collective(cluster.topology, router, c, ideal).value(),
              2 * (c.size.value() / 2 / 300e9), 2e-9);
}

}  // namespace
}  // namespace models::network
