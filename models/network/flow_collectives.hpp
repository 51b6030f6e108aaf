// Training's CollectiveTimes (models/workload/training/collective_times.hpp) answered by the
// flow-level collectives of this folder: each call builds the group's servers (and, across
// servers, a full-bisection rail-optimized fabric of their NICs), plans the collective with
// the calibrated protocol and runs it on the flow engine, uncontended.
//
// Algorithms: ring inside a server; across servers the calibration's multi-server all-reduce
// (reduce-scatter and all-gather follow it), direct all-to-all, one transfer for send/recv.
// Cost: one max-min solve per step; a group of thousands of GPUs is thousands of flows per
// step, so the training model's huge DP groups are better served by the α–β forms
// (collective_alpha_beta), which this equals when uncontended (tests/network).
#pragma once

#include "models/network/collective_protocol.hpp"
#include "models/workload/training/collective_times.hpp"

namespace models::network {

class FlowCollectives final : public training::CollectiveTimes {
 public:
  FlowCollectives(ServerNetwork server, CollectiveCalibration calibration)
      : server_(std::move(server)), calibration_(std::move(calibration)) {}

  sim::Seconds all_reduce(sim::Bytes size, training::CommGroup group) const override {
    return time(CollectiveOp::all_reduce, size, group);
  }
  sim::Seconds reduce_scatter(sim::Bytes size, training::CommGroup group) const override {
    return time(CollectiveOp::reduce_scatter, size, group);
  }
  sim::Seconds all_gather(sim::Bytes size, training::CommGroup group) const override {
    return time(CollectiveOp::all_gather, size, group);
  }
  sim::Seconds all_to_all(sim::Bytes size, training::CommGroup group) const override {
    return time(CollectiveOp::all_to_all, size, group);
  }
  sim::Seconds send_recv(sim::Bytes size, training::CommGroup group) const override {
    return time(CollectiveOp::send_recv, size, group);
  }

  // The collective a call runs, on `cluster` (built by build_cluster for the group).
  Collective collective(CollectiveOp op, sim::Bytes size, training::CommGroup group,
                        const Cluster& cluster) const;
  sim::Seconds time(CollectiveOp op, sim::Bytes size, training::CommGroup group) const;
  const ServerNetwork& server() const { return server_; }
  const CollectiveCalibration& calibration() const { return calibration_; }

 private:
  ServerNetwork server_;
  CollectiveCalibration calibration_;
};

}  // namespace models::network
