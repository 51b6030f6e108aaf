#include "models/network/routing.hpp"

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/visitors.hpp>

#include <algorithm>

namespace models::network {

namespace {

using Reversed = boost::reverse_graph<Topology::Graph, const Topology::Graph&>;

// Keeps a reversed edge when the node it leaves may forward towards `dst`: the destination
// itself, or any transit node. Default-constructible, as boost::filtered_graph requires.
struct ExpandsTowardsDestination {
  const Router* router = nullptr;
  const Reversed* reversed = nullptr;
  NodeId destination = 0;
  template <class Edge>
  bool operator()(const Edge& e) const {
    const auto from = static_cast<NodeId>(boost::source(e, *reversed));
    return from == destination || router->forwards(from);
  }
};

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t ecmp_hash(NodeId src, NodeId dst, std::uint64_t flow_key, NodeId at) {
  constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
  std::uint64_t h = mix(src + kGolden);
  h = mix(h ^ (dst + 2 * kGolden));
  h = mix(h ^ (flow_key + 3 * kGolden));
  return mix(h ^ (at + 4 * kGolden));
}

const std::vector<std::uint16_t>& Router::distances_to(NodeId dst) {
  if (auto it = distances_.find(dst); it != distances_.end()) return it->second;
  if (distances_.size() >= kMaxCached) distances_.clear();
  return distances_.emplace(dst, forwards(dst) ? search_to(dst) : composed_to(dst)).first->second;
}

std::vector<std::uint16_t> Router::search_to(NodeId dst) const {
  const Topology::Graph& graph = topology_->graph();
  std::vector<std::uint16_t> distance(boost::num_vertices(graph), kUnreachable);
  distance[dst] = 0;
  const Reversed reversed = boost::make_reverse_graph(graph);
  const ExpandsTowardsDestination keep{this, &reversed, dst};
  const boost::filtered_graph<Reversed, ExpandsTowardsDestination> searched(reversed, keep);
  auto distance_map =
      boost::make_iterator_property_map(distance.begin(), boost::get(boost::vertex_index, graph));
  boost::breadth_first_search(searched, dst,
                              boost::visitor(boost::make_bfs_visitor(
                                  boost::record_distances(distance_map, boost::on_tree_edge()))));
  return distance;
}

// A route into an endpoint ends with a link from one of its in-neighbours, and endpoints
// never transit: d(v, gpu) = 1 + min over forwarding in-neighbours n of d(v, n), and 1 from
// an endpoint linked to it directly (a pairwise NVLink peer). So the searches are per
// switch, which a leaf's or a server's GPUs share, not per GPU: a 16,384-GPU hall routes
// with ~2,000 searches instead of 16,384 (the Llama-3-405B example: 6.8 s of routing).
std::vector<std::uint16_t> Router::composed_to(NodeId dst) {
  const Topology::Graph& graph = topology_->graph();
  std::vector<std::uint16_t> distance(boost::num_vertices(graph), kUnreachable);
  for (auto [it, end] = boost::in_edges(dst, graph); it != end; ++it) {
    const auto from = static_cast<NodeId>(boost::source(*it, graph));
    if (!forwards(from)) {
      distance[from] = std::min<std::uint16_t>(distance[from], 1);
      continue;
    }
    auto cached = attachments_.find(from);
    if (cached == attachments_.end()) {
      if (attachments_.size() >= kMaxCached) attachments_.clear();
      cached = attachments_.emplace(from, search_to(from)).first;
    }
    const std::vector<std::uint16_t>& via = cached->second;
    for (std::size_t v = 0; v < distance.size(); ++v) {
      if (via[v] != kUnreachable && via[v] + 1 < distance[v])
        distance[v] = static_cast<std::uint16_t>(via[v] + 1);
    }
  }
  distance[dst] = 0;
  return distance;
}

std::optional<int> Router::hops(NodeId src, NodeId dst) {
  if (src == dst) return 0;
  const auto& distance = distances_to(dst);
  if (distance[src] == kUnreachable) return std::nullopt;
  return distance[src];
}

std::optional<Route> Router::route(NodeId src, NodeId dst, std::uint64_t flow_key) {
  if (src == dst) return Route{};
  const auto& distance = distances_to(dst);
  if (distance[src] == kUnreachable) return std::nullopt;
  const Topology::Graph& graph = topology_->graph();
  Route route;
  route.reserve(distance[src]);
  std::vector<LinkId> next_hops;
  for (NodeId at = src; at != dst;) {
    next_hops.clear();
    for (auto [it, end] = boost::out_edges(at, graph); it != end; ++it) {
      const auto to = static_cast<NodeId>(boost::target(*it, graph));
      if (distance[to] + 1 == distance[at] && can_step(to, dst)) next_hops.push_back(graph[*it]);
    }
    // Never empty: `at` got its distance from one of these neighbours.
    const LinkId chosen = next_hops[ecmp_hash(src, dst, flow_key, at) % next_hops.size()];
    route.push_back(chosen);
    at = topology_->link(chosen).to;
  }
  return route;
}

std::uint64_t Router::shortest_route_count(NodeId src, NodeId dst) {
  if (src == dst) return 1;
  const auto& distance = distances_to(dst);
  if (distance[src] == kUnreachable) return 0;
  const Topology::Graph& graph = topology_->graph();
  // Routes from a node = sum over its shortest next hops; nodes by increasing distance.
  std::unordered_map<NodeId, std::uint64_t> routes_from{{dst, 1}};
  auto count = [&](auto&& self, NodeId at) -> std::uint64_t {
    if (auto it = routes_from.find(at); it != routes_from.end()) return it->second;
    std::uint64_t total = 0;
    for (auto [it, end] = boost::out_edges(at, graph); it != end; ++it) {
      const auto to = static_cast<NodeId>(boost::target(*it, graph));
      if (distance[to] + 1 != distance[at] || !can_step(to, dst)) continue;
      const std::uint64_t more = self(self, to);
      total = more > UINT64_MAX - total ? UINT64_MAX : total + more;
    }
    routes_from.emplace(at, total);
    return total;
  };
  return count(count, src);
}

}  // namespace models::network
