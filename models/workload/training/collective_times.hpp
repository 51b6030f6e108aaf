// What the training step model asks of the network: the time of one collective over a group
// of GPUs, uncontended. Implemented today by closed α–β forms (alpha_beta_collectives.hpp);
// the flow-level network of models/network/ can implement the same interface later, and the
// step model does not change.
//
// Sizes follow nccl-tests (NVIDIA/nccl-tests doc/PERFORMANCE.md):
//   all_reduce(S)      S = each GPU's buffer (in = out = S)
//   reduce_scatter(S)  S = each GPU's input; each keeps S / n
//   all_gather(S)      S = each GPU's output; each contributes S / n
//   all_to_all(S)      S = each GPU's buffer; S / n goes to every member
//   send_recv(S)       S bytes from one GPU to another (group: the two of them)
#pragma once

#include "sim/units.hpp"

namespace models::training {

// A group of GPUs as the fabric sees it: how many, and how many of them share a server
// (scale-up domain). The group spans size / gpus_per_node servers, one NIC rail per member.
struct CommGroup {
  int size = 1;
  int gpus_per_node = 1;
  // Rank distance between consecutive members (rank order of training_spec.hpp). The group
  // spans stride·size consecutive ranks, which tells a fabric with pods or sites
  // (cluster_collectives.hpp) whether its traffic leaves a pod or crosses between sites;
  // a flat fabric ignores it.
  int stride = 1;
  // Ranks covered by the set this group belongs to when larger than stride·size (0: none):
  // a pipeline of pp stages for the send/recv of two neighbouring stages.
  int extent = 0;
  int span() const { return extent > 0 ? extent : stride * size; }
};

class CollectiveTimes {
 public:
  virtual ~CollectiveTimes() = default;
  virtual sim::Seconds all_reduce(sim::Bytes size, CommGroup group) const = 0;
  virtual sim::Seconds reduce_scatter(sim::Bytes size, CommGroup group) const = 0;
  virtual sim::Seconds all_gather(sim::Bytes size, CommGroup group) const = 0;
  virtual sim::Seconds all_to_all(sim::Bytes size, CommGroup group) const = 0;
  virtual sim::Seconds send_recv(sim::Bytes size, CommGroup group) const = 0;
};

}  // namespace models::training
