#include "models/network/network_power.hpp"

#include <cmath>
#include <stdexcept>

namespace models::network {

NetworkPower network_power(const Topology& topology, const PortPowerRates& rates) {
  if (!(rates.switch_port_speed.value() > 0))
    throw std::invalid_argument("network_power: switch port speed must be > 0");
  NetworkPower total;
  auto ports_for = [&](const Link& l) {
    // A merged bundle of parallel cables: one port per port_speed of bandwidth (1e-9 of
    // slack so that 4 x 400G does not become 5 ports by rounding).
    return static_cast<std::size_t>(
        std::ceil((l.bandwidth / rates.switch_port_speed).value() * (1 - 1e-9)));
  };
  auto add_switch_ports = [&](std::size_t ports) {
    total.switch_ports += ports;
    total.typical += rates.switch_port.typical * static_cast<double>(ports);
    total.max += rates.switch_port.max * static_cast<double>(ports);
  };
  for (const Link& l : topology.links()) {
    const NodeKind from = topology.node(l.from).kind;
    const NodeKind to = topology.node(l.to).kind;
    switch (l.tier) {
      case LinkTier::nvlink:
      case LinkTier::pcie:
        break;
      case LinkTier::access:
        if (from != NodeKind::gpu) break;  // the other direction of the same cable
        ++total.nic_ports;
        total.typical += rates.nic_port.typical;
        total.max += rates.nic_port.max;
        add_switch_ports(ports_for(l));
        break;
      case LinkTier::leaf_uplink:
        if (from == NodeKind::leaf) add_switch_ports(2 * ports_for(l));
        break;
      case LinkTier::spine_uplink:
        if (from == NodeKind::spine) add_switch_ports(2 * ports_for(l));
        break;
      case LinkTier::inter_site:
        if (from == NodeKind::site_gateway && to == NodeKind::site_gateway) {
          if (l.from < l.to) ++total.unpriced_cables;
        } else if (to == NodeKind::site_gateway) {
          add_switch_ports(2 * ports_for(l));
        }
        break;
    }
  }
  return total;
}

}  // namespace models::network
