// Builders of the standard AI-cluster fabrics onto a Topology. Each returns or takes the
// GPUs it connects, so that scale-up domains and a scale-out fabric compose:
//
//   auto gpus = add_servers(topo, "", servers, gpus_per_server, nvlink4);   // scale-up
//   add_rail_optimized(topo, "", gpus, rail);                                // scale-out
//
// Parallel cables between the same two switches are merged into one link of their summed
// bandwidth: a flow-level model then spreads traffic over them perfectly (as packet spraying
// or adaptive routing does), which per-flow ECMP over single ports would not.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "models/network/propagation.hpp"
#include "models/network/topology.hpp"

namespace models::network {

enum class ScaleUpKind {
  nvswitch,      // every GPU of the domain on one switch (DGX/HGX NVSwitch, NVL72 rack)
  nvlink_pairs,  // GPUs bridged in pairs by NVLink, the rest over PCIe through the host
};

struct ScaleUpFabric {
  ScaleUpKind kind = ScaleUpKind::nvswitch;
  // NVLink bandwidth of one GPU, one direction (A100 NVLink3: 300 GB/s; H100 NVLink4:
  // 450 GB/s; B200 NVLink5: 900 GB/s; REFERENCE.md B.1 quotes both directions together).
  sim::BytesPerSecond gpu_bandwidth{0};
  sim::Seconds link_latency{0};
  sim::Seconds switch_latency{0};  // NVSwitch port to port
  // nvlink_pairs: each GPU's PCIe link to the host (one direction).
  sim::BytesPerSecond pcie_bandwidth{0};
  sim::Seconds pcie_latency{0};
};

// One scale-up domain of `gpus` GPUs named "<prefix>gpu<i>" (and "<prefix>nvswitch" or
// "<prefix>host"). Returns its GPUs in order. An NVSwitch domain models the domain's
// switch chips (4 in a DGX H100, 18 in an NVL72 rack) as one non-blocking switch: each GPU
// reaches it at its full NVLink bandwidth.
std::vector<NodeId> add_scale_up_domain(Topology& topo, const std::string& prefix, int gpus,
                                        const ScaleUpFabric& fabric);

// `servers` servers "<prefix>s<j>." of `gpus_per_server` GPUs, each server one scale-up
// domain. Returns every GPU, server-major.
std::vector<NodeId> add_servers(Topology& topo, const std::string& prefix, int servers,
                                int gpus_per_server, const ScaleUpFabric& fabric);

struct Nic {
  sim::BytesPerSecond bandwidth{0};  // one direction: 400 Gb/s NDR = 50 GB/s
  sim::Seconds latency{0};
};

// Rail-optimized two-tier leaf-spine (REFERENCE.md B.5): NIC r of every server of a unit
// connects to that unit's leaf r; every leaf connects to every spine. GPUs of one rail meet
// at their leaf (2 links); GPUs of different rails meet through a spine (4 links).
struct RailOptimized {
  int gpus_per_server = 8;   // rails
  int servers_per_unit = 0;  // servers sharing one set of rail leaves; 0: all servers
  int spines = 1;
  Nic nic;
  double oversubscription = 1;  // a leaf's downlink bandwidth over its uplink bandwidth
  sim::Seconds switch_latency{0};
  sim::Seconds uplink_latency{0};
};
void add_rail_optimized(Topology& topo, const std::string& prefix, std::span<const NodeId> gpus,
                        const RailOptimized& spec);

// k-ary three-tier fat-tree (Al-Fares et al., SIGCOMM 2008; REFERENCE.md B.5): k pods of
// k/2 edge and k/2 aggregation switches, (k/2)^2 core switches; k^3/4 hosts, 5k^2/4 switches.
// Hosts are GPUs, each with one NIC at `link_bandwidth`; `pods` < k builds part of the tree
// (the core stays whole). Oversubscription per tier is down:up bandwidth at the edge and at
// the aggregation switches, applied to the uplinks' bandwidth.
struct FatTree {
  int k = 4;
  int pods = 0;  // 0: k
  sim::BytesPerSecond link_bandwidth{0};
  double edge_oversubscription = 1;
  double aggregation_oversubscription = 1;
  sim::Seconds switch_latency{0};
  sim::Seconds link_latency{0};

  int populated_pods() const { return pods > 0 ? pods : k; }
  int host_capacity() const { return populated_pods() * k * k / 4; }
};
void add_fat_tree(Topology& topo, const std::string& prefix, std::span<const NodeId> gpus,
                  const FatTree& spec);

// The switches at the top of what a builder made under `prefix` (spines, or cores): where a
// site gateway attaches.
std::vector<NodeId> top_switches(const Topology& topo, const std::string& prefix);

// A site gateway "<prefix>gateway" joined to each of `top` by a link of gateway_bandwidth /
// |top| (tier inter_site): the site's whole capacity to the outside is gateway_bandwidth.
NodeId add_site_gateway(Topology& topo, const std::string& prefix, std::span<const NodeId> top,
                        sim::BytesPerSecond gateway_bandwidth, sim::Seconds switch_latency);

// Fiber between two gateways: a cable of `bandwidth` whose latency is fiber_delay(length).
std::pair<LinkId, LinkId> add_fiber(Topology& topo, NodeId a, NodeId b, Length length,
                                    sim::BytesPerSecond bandwidth,
                                    double refractive_index = kFiberRefractiveIndex);

}  // namespace models::network
