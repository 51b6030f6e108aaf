// Max-min fair rates of flows sharing links, by progressive filling (Bertsekas & Gallager,
// "Data Networks", 2nd ed., §6.5.2): raise every flow's rate together until a link is
// full; freeze the flows crossing it at that rate; repeat with the capacity left.
//
// Implemented bottleneck first: the next link to fill is the one with the least fair share
// (remaining capacity / unfrozen flows), taken from a binary heap with lazy invalidation.
// Freezing a flow updates the links on its route only, so one solve costs
// O(sum of route lengths · log) rather than the textbook rounds' O(links · flows). Ties
// (equal shares) go to the lower link id, so the result is reproducible bit for bit.
//
// Result: each flow's rate; every flow crosses at least one link that it saturates and on
// which no other flow has a higher rate (the max-min fairness condition).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "models/network/topology.hpp"

namespace models::network {

// The flows as routes in compressed form: flow f crosses
// links[offsets[f]] .. links[offsets[f + 1] - 1]; offsets has one entry more than flows.
struct FlowRoutes {
  std::vector<std::uint32_t> offsets{0};
  std::vector<LinkId> links;

  std::size_t flow_count() const { return offsets.size() - 1; }
  void clear() {
    offsets.assign(1, 0);
    links.clear();
  }
  void add(std::span<const LinkId> route) {
    links.insert(links.end(), route.begin(), route.end());
    offsets.push_back(static_cast<std::uint32_t>(links.size()));
  }
};

class MaxMinSolver {
 public:
  // `capacity` in bytes/s by link id (at least as many as the largest id used); `rates`
  // receives one rate per flow in bytes/s. A flow with an empty route has no bottleneck:
  // its rate is +infinity. Scratch space is kept between calls.
  void solve(std::span<const double> capacity, const FlowRoutes& flows, std::span<double> rates);

 private:
  struct Candidate {
    double share;
    LinkId link;
    std::uint32_t version;
    // std::push_heap keeps the largest on top: "less" means a larger share (then a larger
    // link id), so the top is the least share, ties to the lowest link id.
    friend bool operator<(const Candidate& a, const Candidate& b) {
      return a.share != b.share ? a.share > b.share : a.link > b.link;
    }
  };
  std::vector<double> remaining_;          // by link
  std::vector<std::uint32_t> unfrozen_;    // by link
  std::vector<std::uint32_t> version_;     // by link
  std::vector<std::uint32_t> first_flow_;  // by link + 1: link -> flows incidence (CSR)
  std::vector<std::uint32_t> flows_on_link_;
  std::vector<LinkId> used_links_;
  std::vector<char> frozen_;  // by flow
  std::vector<Candidate> heap_storage_;
};

}  // namespace models::network
