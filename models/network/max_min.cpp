#include "models/network/max_min.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace models::network {

void MaxMinSolver::solve(std::span<const double> capacity, const FlowRoutes& flows,
                         std::span<double> rates) {
  const std::size_t flow_count = flows.flow_count();
  if (rates.size() != flow_count) throw std::invalid_argument("MaxMinSolver: rates size");
  const std::size_t link_count = capacity.size();
  if (unfrozen_.size() < link_count) {
    remaining_.resize(link_count);
    unfrozen_.resize(link_count, 0);
    version_.resize(link_count, 0);
    first_flow_.resize(link_count + 1, 0);
  }

  // Link -> flows incidence by counting sort over the routes; only the links in use are
  // touched, so a solve on a small part of a large fabric stays cheap.
  used_links_.clear();
  for (LinkId l : flows.links) {
    if (l >= link_count) throw std::invalid_argument("MaxMinSolver: link id out of range");
    if (unfrozen_[l]++ == 0) used_links_.push_back(l);
  }
  std::sort(used_links_.begin(), used_links_.end());
  std::uint32_t offset = 0;
  for (LinkId l : used_links_) {
    first_flow_[l] = offset;
    offset += unfrozen_[l];
  }
  flows_on_link_.resize(offset);
  for (std::size_t f = 0; f < flow_count; ++f)
    for (std::uint32_t i = flows.offsets[f]; i < flows.offsets[f + 1]; ++i)
      flows_on_link_[first_flow_[flows.links[i]]++] = static_cast<std::uint32_t>(f);
  // first_flow_[l] now points one past link l's flows; step back to their start.
  for (LinkId l : used_links_) first_flow_[l] -= unfrozen_[l];

  frozen_.assign(flow_count, 0);
  // A binary heap on our own storage (kept between calls), smallest share on top.
  auto& heap = heap_storage_;
  heap.clear();
  auto push = [&heap](Candidate c) {
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end());
  };
  for (LinkId l : used_links_) {
    remaining_[l] = capacity[l];
    push({remaining_[l] / unfrozen_[l], l, ++version_[l]});
  }
  for (std::size_t f = 0; f < flow_count; ++f)
    if (flows.offsets[f] == flows.offsets[f + 1]) {
      rates[f] = std::numeric_limits<double>::infinity();
      frozen_[f] = 1;
    }

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const Candidate next = heap.back();
    heap.pop_back();
    const LinkId bottleneck = next.link;
    // A stale entry: the link's share changed after it was pushed, or it is already full.
    if (next.version != version_[bottleneck] || unfrozen_[bottleneck] == 0) continue;
    // Freeze every unfrozen flow on the bottleneck at its share; each frozen flow takes
    // its rate off every link of its route (routes are simple paths: no link twice).
    for (std::uint32_t i = first_flow_[bottleneck]; unfrozen_[bottleneck] > 0; ++i) {
      const std::uint32_t f = flows_on_link_[i];
      if (frozen_[f]) continue;
      frozen_[f] = 1;
      rates[f] = next.share;
      for (std::uint32_t j = flows.offsets[f]; j < flows.offsets[f + 1]; ++j) {
        const LinkId l = flows.links[j];
        remaining_[l] = std::max(0.0, remaining_[l] - next.share);
        if (--unfrozen_[l] > 0 && l != bottleneck)
          push({remaining_[l] / unfrozen_[l], l, ++version_[l]});
      }
    }
  }
}

}  // namespace models::network
