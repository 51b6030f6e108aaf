// Routes over a Topology: shortest paths (fewest links) with equal-cost multi-path (ECMP)
// among the next hops that keep a path shortest, chosen by a deterministic hash of
// (source, destination, flow key, current node) as switches hash a packet's header, each
// with its own seed. The same input gives the same route on every run, every thread count
// and every machine: the hash is our own (splitmix64 finalizer), never std::hash.
//
// GPUs are endpoints, never transit: a route does not pass through a third GPU (NCCL's PXN
// forwards through another GPU's memory, but that is the collective's choice, made above
// this layer). Hosts forward (a PCIe root complex between GPUs not joined by NVLink).
//
// Shortest paths come from a breadth-first search (Boost.Graph's BFS is Dijkstra with unit
// weights) backwards from the destination over the reversed graph, restricted to transit
// nodes; the distance vectors are cached per destination (bounded, see kMaxCached). A GPU's
// vector is composed from those of the switches linked into it (routing.cpp composed_to).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "models/network/topology.hpp"

namespace models::network {

// The ECMP hash: a 64-bit mix of its four inputs (splitmix64's finalizer on a running sum).
std::uint64_t ecmp_hash(NodeId src, NodeId dst, std::uint64_t flow_key, NodeId at);

class Router {
 public:
  explicit Router(const Topology& topology) : topology_(&topology) {}

  // The route of flow `flow_key` from `src` to `dst`: empty when src == dst, nullopt when
  // dst cannot be reached.
  std::optional<Route> route(NodeId src, NodeId dst, std::uint64_t flow_key = 0);
  // Links on a shortest route, nullopt when unreachable.
  std::optional<int> hops(NodeId src, NodeId dst);
  // How many distinct shortest routes lead from src to dst (ECMP's choice set), saturating
  // at UINT64_MAX.
  std::uint64_t shortest_route_count(NodeId src, NodeId dst);

  bool forwards(NodeId node) const { return topology_->node(node).kind != NodeKind::gpu; }

 private:
  static constexpr std::uint16_t kUnreachable = UINT16_MAX;
  // Destinations (and, apart, switches GPUs hang from) whose distance vectors are kept; past
  // it a cache starts over. 1,024 vectors of 2 bytes per node: 10 MB for a 5,000-node fabric,
  // each cache.
  static constexpr std::size_t kMaxCached = 1024;

  const std::vector<std::uint16_t>& distances_to(NodeId dst);
  // Breadth-first search backwards from `dst` (any node).
  std::vector<std::uint16_t> search_to(NodeId dst) const;
  // An endpoint's (GPU's) distances from its in-neighbours' searches (routing.cpp).
  std::vector<std::uint16_t> composed_to(NodeId dst);
  bool can_step(NodeId to, NodeId dst) const { return to == dst || forwards(to); }

  const Topology* topology_;
  std::unordered_map<NodeId, std::vector<std::uint16_t>> distances_;
  // The searches of the switches GPUs hang from, kept apart so that a full `distances_`
  // does not evict them (same bound).
  std::unordered_map<NodeId, std::vector<std::uint16_t>> attachments_;
};

}  // namespace models::network
