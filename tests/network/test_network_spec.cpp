// The network catalog and the `network:` section: the shipped figures, a good plant built
// and powered, and each bad input's exact message.
#include <gtest/gtest.h>

#include "models/network/network_spec.hpp"
#include "models/network/routing.hpp"

namespace models::network {
namespace {

const std::string kFixtures = std::string(FIRSTWALL_SOURCE_DIR) + "/tests/network/fixtures/";

const NetworkCatalog& catalog() {
  static const NetworkCatalog c =
      load_network_catalog(std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/catalog/networks.yaml");
  return c;
}

std::vector<std::string> errors_of(const std::string& fixture) {
  try {
    (void)load_network(kFixtures + fixture, catalog());
  } catch (const sim::config::InputError& e) {
    std::vector<std::string> lines;
    for (const auto& d : e.diagnostics()) lines.push_back(d.str());
    return lines;
  }
  return {};
}

TEST(NetworkCatalog, DgxA100AndDgxH100MatchTheReference) {
  const auto& c = catalog();
  const auto& a100 = c.servers.at("dgx-a100");
  // NVLink3 600 GB/s both ways = 300 GB/s per direction; HDR 200 Gb/s = 25 GB/s.
  EXPECT_DOUBLE_EQ(c.scale_up_fabrics.at(a100.scale_up).gpu_bandwidth.value(), 600e9 / 2);
  EXPECT_DOUBLE_EQ(c.nics.at(a100.nic).bandwidth.value(), 200e9 / 8);
  const auto& h100 = c.servers.at("dgx-h100");
  EXPECT_DOUBLE_EQ(c.scale_up_fabrics.at(h100.scale_up).gpu_bandwidth.value(), 900e9 / 2);
  EXPECT_DOUBLE_EQ(c.nics.at(h100.nic).bandwidth.value(), 400e9 / 8);
  // REFERENCE.md B.5: scale-out is 1/9 of NVLink on H100; B.5: NVL72's step down is 18x.
  EXPECT_DOUBLE_EQ(c.scale_up_fabrics.at(h100.scale_up).gpu_bandwidth.value() /
                       c.nics.at(h100.nic).bandwidth.value(),
                   9.0);
  const auto& nvl72 = c.servers.at("gb200-nvl72");
  EXPECT_DOUBLE_EQ(c.scale_up_fabrics.at(nvl72.scale_up).gpu_bandwidth.value() /
                       c.nics.at(nvl72.nic).bandwidth.value(),
                   18.0);
  EXPECT_EQ(c.switches.at("quantum-2").ports, 64);
}

TEST(NetworkSection, RailOptimizedDgxH100BuildsAndDrawsPortPower) {
  const BuiltNetwork built = load_network(kFixtures + "rail_dgx_h100.yaml", catalog());
  const Topology& topo = built.topology;
  const int servers = 4, rails = 8, spines = 2;
  EXPECT_EQ(topo.gpus().size(), static_cast<std::size_t>(servers * rails));
  EXPECT_EQ(topo.count(NodeKind::leaf), static_cast<std::size_t>(rails));
  EXPECT_EQ(topo.count(NodeKind::spine), static_cast<std::size_t>(spines));
  Router router(topo);
  EXPECT_EQ(router.hops(topo.gpus()[0], topo.gpus()[rails]), 2);  // rail 0 of servers 0 and 1

  // Optics: one NIC port per GPU at 8 W; switch ports at 7.5 W: one per NIC, and each leaf's
  // uplink to a spine carries servers x 400G / spines = 2 ports at each end.
  const NetworkPower power = network_power(topo, built.spec.port_power());
  const int nic_ports = servers * rails;
  const int uplink_ports = rails * spines * (servers / spines) * 2;
  EXPECT_EQ(power.nic_ports, static_cast<std::size_t>(nic_ports));
  EXPECT_EQ(power.switch_ports, static_cast<std::size_t>(nic_ports + uplink_ports));
  EXPECT_DOUBLE_EQ(power.typical.value(), nic_ports * 8.0 + (nic_ports + uplink_ports) * 7.5);
  EXPECT_DOUBLE_EQ(power.max.value(), nic_ports * 9.0 + (nic_ports + uplink_ports) * 7.5);
}

TEST(NetworkSection, TwoSitesAreJoinedByFiberOfTheGivenLength) {
  const BuiltNetwork built = load_network(kFixtures + "two_sites.yaml", catalog());
  const Topology& topo = built.topology;
  EXPECT_EQ(topo.count(NodeKind::site_gateway), 2u);
  Router router(topo);
  const auto route = router.route(topo.gpus().front(), topo.gpus().back());
  ASSERT_TRUE(route);
  // gpu, leaf, spine, gateway | fiber | gateway, spine, leaf, gpu: 5 switch hops at 150 ns.
  EXPECT_NEAR(topo.latency(*route).value(),
              fiber_delay(Length::kilometers(100)).value() + 6 * 150e-9, 1e-15);
  const NetworkPower power = network_power(topo, built.spec.port_power());
  EXPECT_EQ(power.unpriced_cables, 1u);
}

TEST(NetworkSection, ZeroBandwidth) {
  EXPECT_EQ(errors_of("bad_zero_bandwidth.yaml"),
            (std::vector<std::string>{kFixtures +
                                      "bad_zero_bandwidth.yaml:8:36: "
                                      "network.links[1].bandwidth: must be > 0 (got \"0 Gb/s\")"}));
}

TEST(NetworkSection, LinkToAMissingNode) {
  EXPECT_EQ(
      errors_of("bad_missing_node.yaml"),
      (std::vector<std::string>{kFixtures + "bad_missing_node.yaml:8:21: network.links[1].to: "
                                            "no node named \"leaf9\" (did you mean \"leaf0\"?)"}));
}

TEST(NetworkSection, NegativeFiberLength) {
  EXPECT_EQ(errors_of("bad_negative_length.yaml"),
            (std::vector<std::string>{kFixtures +
                                      "bad_negative_length.yaml:9:19: "
                                      "network.sites.fiber_length: must be >= 0 (got \"-5 km\")"}));
}

TEST(NetworkSection, DisconnectedGpus) {
  EXPECT_EQ(errors_of("bad_disconnected.yaml"),
            (std::vector<std::string>{
                kFixtures + "bad_disconnected.yaml:3:3: network: GPU "
                            "\"s1.gpu0\" cannot reach GPU \"s0.gpu0\" (8 GPUs are disconnected)"}));
}

}  // namespace
}  // namespace models::network
