#include "models/network/builders.hpp"

#include <stdexcept>
#include <string_view>

namespace models::network {

namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

std::string name(const std::string& prefix, std::string_view what, int index) {
  return prefix + std::string(what) + std::to_string(index);
}

}  // namespace

std::vector<NodeId> add_scale_up_domain(Topology& topo, const std::string& prefix, int gpus,
                                        const ScaleUpFabric& fabric) {
  require(gpus >= 1, "add_scale_up_domain: gpus must be >= 1");
  std::vector<NodeId> ids;
  ids.reserve(static_cast<std::size_t>(gpus));
  for (int g = 0; g < gpus; ++g)
    ids.push_back(topo.add_node(NodeKind::gpu, name(prefix, "gpu", g)));
  if (gpus == 1) return ids;
  if (fabric.kind == ScaleUpKind::nvswitch) {
    const NodeId nvswitch =
        topo.add_node(NodeKind::nvswitch, prefix + "nvswitch", fabric.switch_latency);
    for (NodeId gpu : ids)
      topo.add_cable(gpu, nvswitch, fabric.gpu_bandwidth, fabric.link_latency, LinkTier::nvlink);
  } else {
    const NodeId host = topo.add_node(NodeKind::host, prefix + "host");
    for (std::size_t g = 0; g + 1 < ids.size(); g += 2)
      topo.add_cable(ids[g], ids[g + 1], fabric.gpu_bandwidth, fabric.link_latency,
                     LinkTier::nvlink);
    for (NodeId gpu : ids)
      topo.add_cable(gpu, host, fabric.pcie_bandwidth, fabric.pcie_latency, LinkTier::pcie);
  }
  return ids;
}

std::vector<NodeId> add_servers(Topology& topo, const std::string& prefix, int servers,
                                int gpus_per_server, const ScaleUpFabric& fabric) {
  require(servers >= 1, "add_servers: servers must be >= 1");
  std::vector<NodeId> all;
  all.reserve(static_cast<std::size_t>(servers) * static_cast<std::size_t>(gpus_per_server));
  for (int s = 0; s < servers; ++s) {
    const auto gpus =
        add_scale_up_domain(topo, name(prefix, "s", s) + ".", gpus_per_server, fabric);
    all.insert(all.end(), gpus.begin(), gpus.end());
  }
  return all;
}

void add_rail_optimized(Topology& topo, const std::string& prefix, std::span<const NodeId> gpus,
                        const RailOptimized& spec) {
  const int rails = spec.gpus_per_server;
  require(rails >= 1, "add_rail_optimized: gpus_per_server must be >= 1");
  require(gpus.size() % static_cast<std::size_t>(rails) == 0,
          "add_rail_optimized: GPUs are not a whole number of servers");
  require(spec.spines >= 1, "add_rail_optimized: spines must be >= 1");
  require(spec.oversubscription > 0, "add_rail_optimized: oversubscription must be > 0");
  const int servers = static_cast<int>(gpus.size()) / rails;
  const int per_unit = spec.servers_per_unit > 0 ? spec.servers_per_unit : servers;
  const int units = (servers + per_unit - 1) / per_unit;

  std::vector<NodeId> spines;
  for (int j = 0; j < spec.spines; ++j)
    spines.push_back(topo.add_node(NodeKind::spine, name(prefix, "spine", j), spec.switch_latency));
  for (int u = 0; u < units; ++u) {
    const int first = u * per_unit;
    const int in_unit = std::min(per_unit, servers - first);
    // A leaf's uplinks carry its downlinks' bandwidth over the oversubscription ratio,
    // spread evenly over the spines.
    const sim::BytesPerSecond uplink =
        spec.nic.bandwidth * (static_cast<double>(in_unit) / (spec.oversubscription * spec.spines));
    for (int r = 0; r < rails; ++r) {
      const NodeId leaf = topo.add_node(
          NodeKind::leaf, name(prefix, "unit", u) + "." + name("", "leaf", r), spec.switch_latency);
      for (int s = first; s < first + in_unit; ++s)
        topo.add_cable(gpus[static_cast<std::size_t>(s * rails + r)], leaf, spec.nic.bandwidth,
                       spec.nic.latency, LinkTier::access);
      for (NodeId spine : spines)
        topo.add_cable(leaf, spine, uplink, spec.uplink_latency, LinkTier::leaf_uplink);
    }
  }
}

void add_fat_tree(Topology& topo, const std::string& prefix, std::span<const NodeId> gpus,
                  const FatTree& spec) {
  require(spec.k >= 2 && spec.k % 2 == 0, "add_fat_tree: k must be even and >= 2");
  require(spec.populated_pods() <= spec.k, "add_fat_tree: pods must be <= k");
  require(gpus.size() <= static_cast<std::size_t>(spec.host_capacity()),
          "add_fat_tree: more GPUs than the tree has host ports");
  require(spec.edge_oversubscription > 0 && spec.aggregation_oversubscription > 0,
          "add_fat_tree: oversubscription must be > 0");
  const int half = spec.k / 2;
  const sim::BytesPerSecond edge_up = spec.link_bandwidth / spec.edge_oversubscription;
  const sim::BytesPerSecond aggregation_up =
      spec.link_bandwidth / spec.aggregation_oversubscription;

  // Core (i, j) joins aggregation switch i of every pod.
  std::vector<NodeId> cores;
  for (int c = 0; c < half * half; ++c)
    cores.push_back(topo.add_node(NodeKind::core, name(prefix, "core", c), spec.switch_latency));
  std::size_t next_gpu = 0;
  for (int p = 0; p < spec.populated_pods(); ++p) {
    const std::string pod = name(prefix, "pod", p) + ".";
    std::vector<NodeId> aggregation;
    for (int a = 0; a < half; ++a) {
      aggregation.push_back(
          topo.add_node(NodeKind::spine, name(pod, "agg", a), spec.switch_latency));
      for (int j = 0; j < half; ++j)
        topo.add_cable(aggregation.back(), cores[static_cast<std::size_t>(a * half + j)],
                       aggregation_up, spec.link_latency, LinkTier::spine_uplink);
    }
    for (int e = 0; e < half; ++e) {
      const NodeId edge = topo.add_node(NodeKind::leaf, name(pod, "edge", e), spec.switch_latency);
      for (NodeId agg : aggregation)
        topo.add_cable(edge, agg, edge_up, spec.link_latency, LinkTier::leaf_uplink);
      for (int h = 0; h < half && next_gpu < gpus.size(); ++h)
        topo.add_cable(gpus[next_gpu++], edge, spec.link_bandwidth, spec.link_latency,
                       LinkTier::access);
    }
  }
}

std::vector<NodeId> top_switches(const Topology& topo, const std::string& prefix) {
  for (NodeKind kind : {NodeKind::core, NodeKind::spine, NodeKind::leaf, NodeKind::nvswitch}) {
    std::vector<NodeId> found;
    for (std::size_t i = 0; i < topo.node_count(); ++i) {
      const Node& n = topo.node(static_cast<NodeId>(i));
      if (n.kind == kind && n.name.starts_with(prefix)) found.push_back(static_cast<NodeId>(i));
    }
    if (!found.empty()) return found;
  }
  return {};
}

NodeId add_site_gateway(Topology& topo, const std::string& prefix, std::span<const NodeId> top,
                        sim::BytesPerSecond gateway_bandwidth, sim::Seconds switch_latency) {
  require(!top.empty(), "add_site_gateway: no switch to attach the gateway to");
  const NodeId gateway = topo.add_node(NodeKind::site_gateway, prefix + "gateway", switch_latency);
  const sim::BytesPerSecond each = gateway_bandwidth / static_cast<double>(top.size());
  for (NodeId sw : top) topo.add_cable(sw, gateway, each, sim::Seconds(0), LinkTier::inter_site);
  return gateway;
}

std::pair<LinkId, LinkId> add_fiber(Topology& topo, NodeId a, NodeId b, Length length,
                                    sim::BytesPerSecond bandwidth, double refractive_index) {
  require(length.meters() >= 0, "add_fiber: negative length");
  return topo.add_cable(a, b, bandwidth, fiber_delay(length, refractive_index),
                        LinkTier::inter_site);
}

}  // namespace models::network
