// The network as a directed graph (Boost.Graph): nodes are GPUs, switches, hosts and site
// gateways; every cable is two links, one per direction, each with its own bandwidth and
// latency, so that traffic in one direction never slows the other (full duplex, as
// InfiniBand, Ethernet, NVLink and PCIe all are).
//
// A link's latency is its propagation (and SerDes) delay; a switch's per-hop latency is a
// property of the switch node (port-to-port, e.g. Quantum-2 under 150 ns, REFERENCE.md B.5
// [S/U]). A route's latency sums both (route.hpp). The tier says what a link is for, so that
// each tier can become a `network` wall (NVLink, leaf uplinks, spine, inter-site).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "sim/units.hpp"

namespace models::network {

using NodeId = std::uint32_t;
using LinkId = std::uint32_t;

enum class NodeKind { gpu, nvswitch, host, leaf, spine, core, site_gateway };
// nvlink: GPU to GPU or GPU to NVSwitch; pcie: GPU to its host's root complex; access: a
// GPU's NIC to its first switch; leaf_uplink: leaf (edge) to spine (aggregation);
// spine_uplink: spine (aggregation) to core; inter_site: fiber between site gateways, and
// a site's top switches to its gateway.
enum class LinkTier { nvlink, pcie, access, leaf_uplink, spine_uplink, inter_site };

std::string_view to_string(NodeKind kind);
std::string_view to_string(LinkTier tier);

struct Node {
  NodeKind kind = NodeKind::gpu;
  std::string name;
  // Port-to-port latency of a switch (0 for GPUs and hosts): paid once per traversal.
  sim::Seconds forwarding_latency{0};
};

struct Link {
  NodeId from = 0;
  NodeId to = 0;
  sim::BytesPerSecond bandwidth{0};  // one direction
  sim::Seconds latency{0};           // propagation along the cable
  LinkTier tier = LinkTier::access;
};

// A transfer's path: the links it crosses, in order.
using Route = std::vector<LinkId>;

class Topology {
 public:
  // The edge property is the LinkId, the index into links(); vecS keeps out-edges in the
  // order they were added, which makes routing's tie-breaking reproducible; bidirectional
  // so that routing can search backwards from a destination (boost::make_reverse_graph).
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                      boost::no_property, LinkId>;

  NodeId add_node(NodeKind kind, std::string name, sim::Seconds forwarding_latency = {});
  // One direction. Throws std::invalid_argument on a missing node or a bandwidth <= 0 (a
  // model bug: YAML input is validated before it gets here).
  LinkId add_link(NodeId from, NodeId to, sim::BytesPerSecond bandwidth, sim::Seconds latency,
                  LinkTier tier);
  // Both directions with the same figures; returns {a -> b, b -> a}.
  std::pair<LinkId, LinkId> add_cable(NodeId a, NodeId b, sim::BytesPerSecond bandwidth,
                                      sim::Seconds latency, LinkTier tier);

  std::size_t node_count() const { return nodes_.size(); }
  std::size_t link_count() const { return links_.size(); }
  const Node& node(NodeId id) const { return nodes_.at(id); }
  const Link& link(LinkId id) const { return links_.at(id); }
  std::span<const Node> nodes() const { return nodes_; }
  std::span<const Link> links() const { return links_; }
  const Graph& graph() const { return graph_; }
  // GPUs in the order they were added (server-major for the builders).
  std::span<const NodeId> gpus() const { return gpus_; }
  std::size_t count(NodeKind kind) const;
  std::size_t count(LinkTier tier) const;
  // The node of that name, if any (linear search: for input checking and tests).
  std::optional<NodeId> find(std::string_view name) const;

  // Route latency: sum of the links' latencies and of the forwarding latency of every
  // switch the route passes through (the nodes between its first and last link).
  sim::Seconds latency(const Route& route) const;
  // The smallest link bandwidth on the route (its bandwidth when it runs alone).
  sim::BytesPerSecond bottleneck(const Route& route) const;

 private:
  Graph graph_;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  std::vector<NodeId> gpus_;
};

}  // namespace models::network
