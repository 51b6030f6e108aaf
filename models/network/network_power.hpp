// Power drawn by the network's ports: the optics (transceivers) at each end of every
// scale-out cable, per port, by the port's speed. Passive copper (NVLink cables, board
// traces, PCIe) draws no port power ("All cable types except passive copper draw power from
// the QSFP port", NVIDIA DGX SuperPOD cabling guide, Port Power [V]); NVSwitch chips are in
// the servers' other_power (scenarios/catalog/servers.yaml).
//
// Transceiver power does not follow traffic (the lasers and DSPs run whether or not bytes
// flow), so there is no separate idle figure: `typical` is the draw at any load, `max` the
// datasheet's maximum (a nameplate for the power chain). Switch ASIC, NIC ASIC and fan power
// have no sourced per-port figure yet (models/network/README.md) and are not counted.
#pragma once

#include <cstddef>

#include "models/network/topology.hpp"
#include "sim/units.hpp"

namespace models::network {

struct PortPower {
  sim::Watts typical{0};
  sim::Watts max{0};
};

struct PortPowerRates {
  PortPower nic_port;  // the transceiver in a NIC's cage
  sim::BytesPerSecond switch_port_speed{
      0};  // a switch-to-switch link of bandwidth B uses ceil(B / speed) ports at each end
  PortPower switch_port;  // the transceiver in a switch's cage, per port
};

struct NetworkPower {
  sim::Watts typical{0};
  sim::Watts max{0};
  std::size_t nic_ports = 0;
  std::size_t switch_ports = 0;
  std::size_t unpriced_cables = 0;  // inter-site fiber: long-reach optics, no figure
};

// Every cable counted once (its direction away from the GPUs, or towards the gateway).
NetworkPower network_power(const Topology& topology, const PortPowerRates& rates);

}  // namespace models::network
