// Collective times on a cluster larger than one full-bisection fabric: pods joined by an
// oversubscribed tier, and two sites joined by fiber. Closed forms over the two-tier α–β
// fabric of alpha_beta_collectives.hpp (which stays the model inside a pod); the flow-level
// network (models/network) can replace both later behind the same CollectiveTimes.
//
// Ranks are laid out in order over the cluster: pods of `pod_gpus` consecutive ranks, and
// `sites` sites of gpus / sites consecutive ranks each. A group of `size` members at rank
// distance `stride` (CommGroup) covers stride·size ranks.
//
// Pods (above them one tier at 1 : r, e.g. Llama 3's 1:7, Dubey et al. 2024 §3.3.1): every
// GPU of a pod gets an equal share B/r of the pod's uplinks. A group covering more than a
// pod has m = max(1, pod_gpus / stride) members per pod (at most size);
//   ring collectives: each of its g rails is one ring that leaves the pod once, so per GPU
//     g/m flows share B/r: the inter-server ring runs at min(ηB, (B/r)·m/g)
//   all-to-all: (n − m)/n of each GPU's buffer leaves the pod at B/r per GPU
//   send/recv: a share f = min(1, stride / pod_gpus) of the pod's GPUs send out of it at once,
//     each at min(ηB, (B/r)/f)
// Sites (two, joined by fiber of length L; issue 9 §6): a group covering more than a site has
// n/2 members per site and runs hierarchically (within each site, then across):
//   RS(S) = RS_site(S, n/2) + [α_x + L·n_f/c + (S/n)/B_x]      each GPU sends half of its
//                                                              2S/n shard to its peer
//   AG(S) = [α_x + L·n_f/c + (S/n)/B_x] + AG_site(S, n/2)
//   AR(S) = RS(S) + AG(S)
//   A2A(S) = max(intra-site part over n/2, α_x + L·n_f/c + (S/2)/B_x)
//   SR(S)  = α_x + L·n_f/c + S/B_x
// where B_x = min(ηB_nic, B_sites / (site GPUs crossing at once)): the sites' link (per
// direction, all of it) shared by every GPU that crosses at the same time (all of them for
// the data-parallel collectives, which every rank runs together). L·n_f/c is
// models/network/propagation.hpp's fiber_delay. Uncontended otherwise; no in-network
// reduction; every group of a kind runs at the same time (they do in a training step).
#pragma once

#include "models/network/propagation.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "models/workload/training/collective_times.hpp"

namespace models::training {

struct ClusterLayout {
  int gpus = 0;                           // the job's ranks
  int pod_gpus = 0;                       // 0: no pods (one full-bisection fabric)
  double above_pod_oversubscription = 1;  // r of 1 : r
  int sites = 1;                          // 1 or 2
  sim::BytesPerSecond site_bandwidth{0};  // between the sites, per direction, in all
  network::Length fiber_length;
  double refractive_index = network::kFiberRefractiveIndex;

  int site_gpus() const { return sites > 1 ? gpus / sites : gpus; }
};

// One collective's time, and the part of it spent between the sites: on the fiber's
// bandwidth (and the NIC step latency there) and in flight (light in fiber).
struct CollectiveParts {
  sim::Seconds total{0};
  sim::Seconds cross_site{0};   // includes propagation
  sim::Seconds propagation{0};  // light in fiber
};

class ClusterCollectives final : public CollectiveTimes {
 public:
  ClusterCollectives(Fabric fabric, ClusterLayout layout);

  sim::Seconds all_reduce(sim::Bytes size, CommGroup group) const override {
    return all_reduce_parts(size, group).total;
  }
  sim::Seconds reduce_scatter(sim::Bytes size, CommGroup group) const override {
    return reduce_scatter_parts(size, group).total;
  }
  sim::Seconds all_gather(sim::Bytes size, CommGroup group) const override {
    return all_gather_parts(size, group).total;
  }
  sim::Seconds all_to_all(sim::Bytes size, CommGroup group) const override {
    return all_to_all_parts(size, group).total;
  }
  sim::Seconds send_recv(sim::Bytes size, CommGroup group) const override {
    return send_recv_parts(size, group).total;
  }

  CollectiveParts all_reduce_parts(sim::Bytes size, CommGroup group) const;
  CollectiveParts reduce_scatter_parts(sim::Bytes size, CommGroup group) const;
  CollectiveParts all_gather_parts(sim::Bytes size, CommGroup group) const;
  CollectiveParts all_to_all_parts(sim::Bytes size, CommGroup group) const;
  CollectiveParts send_recv_parts(sim::Bytes size, CommGroup group) const;

  // Per-GPU bandwidth across the sites when `crossing` GPUs of a site cross at once.
  sim::BytesPerSecond cross_site_bandwidth(double crossing) const;
  sim::Seconds fiber_delay() const {
    return network::fiber_delay(layout_.fiber_length, layout_.refractive_index);
  }
  const Fabric& fabric() const { return fabric_; }
  const ClusterLayout& layout() const { return layout_; }

 private:
  Fabric fabric_;
  ClusterLayout layout_;

  bool crosses_sites(const CommGroup& g) const;
  // The α–β fabric seen by a group inside one site (its scale-out tier slowed where the
  // group leaves its pod through the oversubscribed tier).
  AlphaBetaCollectives in_site(const CommGroup& g, bool ring) const;
  sim::Seconds cross_step(sim::Bytes bytes, double crossing) const;
};

}  // namespace models::training
