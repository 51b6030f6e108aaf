#include "models/network/topology.hpp"

#include <algorithm>
#include <stdexcept>

namespace models::network {

std::string_view to_string(NodeKind kind) {
  switch (kind) {
    case NodeKind::gpu:
      return "gpu";
    case NodeKind::nvswitch:
      return "nvswitch";
    case NodeKind::host:
      return "host";
    case NodeKind::leaf:
      return "leaf";
    case NodeKind::spine:
      return "spine";
    case NodeKind::core:
      return "core";
    case NodeKind::site_gateway:
      return "site_gateway";
  }
  return "?";
}

std::string_view to_string(LinkTier tier) {
  switch (tier) {
    case LinkTier::nvlink:
      return "nvlink";
    case LinkTier::pcie:
      return "pcie";
    case LinkTier::access:
      return "access";
    case LinkTier::leaf_uplink:
      return "leaf_uplink";
    case LinkTier::spine_uplink:
      return "spine_uplink";
    case LinkTier::inter_site:
      return "inter_site";
  }
  return "?";
}

NodeId Topology::add_node(NodeKind kind, std::string name, sim::Seconds forwarding_latency) {
  const auto id = static_cast<NodeId>(nodes_.size());
  const auto vertex = boost::add_vertex(graph_);
  if (vertex != id) throw std::logic_error("Topology: graph and node table out of step");
  nodes_.push_back(Node{kind, std::move(name), forwarding_latency});
  if (kind == NodeKind::gpu) gpus_.push_back(id);
  return id;
}

LinkId Topology::add_link(NodeId from, NodeId to, sim::BytesPerSecond bandwidth,
                          sim::Seconds latency, LinkTier tier) {
  if (from >= nodes_.size() || to >= nodes_.size())
    throw std::invalid_argument("Topology::add_link: no such node");
  if (from == to) throw std::invalid_argument("Topology::add_link: a link to itself");
  if (!(bandwidth.value() > 0))
    throw std::invalid_argument("Topology::add_link: bandwidth must be > 0 (" + nodes_[from].name +
                                " -> " + nodes_[to].name + ")");
  if (latency.value() < 0) throw std::invalid_argument("Topology::add_link: negative latency");
  const auto id = static_cast<LinkId>(links_.size());
  boost::add_edge(from, to, id, graph_);
  links_.push_back(Link{from, to, bandwidth, latency, tier});
  return id;
}

std::pair<LinkId, LinkId> Topology::add_cable(NodeId a, NodeId b, sim::BytesPerSecond bandwidth,
                                              sim::Seconds latency, LinkTier tier) {
  const LinkId forward = add_link(a, b, bandwidth, latency, tier);
  const LinkId backward = add_link(b, a, bandwidth, latency, tier);
  return {forward, backward};
}

std::size_t Topology::count(NodeKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.kind == kind; }));
}

std::size_t Topology::count(LinkTier tier) const {
  return static_cast<std::size_t>(
      std::count_if(links_.begin(), links_.end(), [&](const Link& l) { return l.tier == tier; }));
}

std::optional<NodeId> Topology::find(std::string_view name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return static_cast<NodeId>(i);
  return std::nullopt;
}

sim::Seconds Topology::latency(const Route& route) const {
  sim::Seconds total{0};
  for (std::size_t i = 0; i < route.size(); ++i) {
    const Link& l = links_.at(route[i]);
    total += l.latency;
    if (i + 1 < route.size()) total += nodes_[l.to].forwarding_latency;
  }
  return total;
}

sim::BytesPerSecond Topology::bottleneck(const Route& route) const {
  if (route.empty()) throw std::invalid_argument("Topology::bottleneck: empty route");
  sim::BytesPerSecond least = links_.at(route.front()).bandwidth;
  for (LinkId id : route) least = sim::min(least, links_.at(id).bandwidth);
  return least;
}

}  // namespace models::network
