#include "models/workload/training/cluster_collectives.hpp"

#include <algorithm>
#include <stdexcept>

namespace models::training {

ClusterCollectives::ClusterCollectives(Fabric fabric, ClusterLayout layout)
    : fabric_(std::move(fabric)), layout_(layout) {
  if (layout_.gpus < 1) throw std::invalid_argument("ClusterCollectives: gpus must be >= 1");
  if (layout_.sites < 1 || layout_.sites > 2)
    throw std::invalid_argument("ClusterCollectives: 1 or 2 sites");
  if (layout_.sites > 1 &&
      (layout_.gpus % layout_.sites != 0 || layout_.site_bandwidth <= sim::BytesPerSecond(0)))
    throw std::invalid_argument(
        "ClusterCollectives: sites need an even split of the GPUs and a bandwidth > 0");
  if (layout_.pod_gpus < 0 || layout_.above_pod_oversubscription < 1)
    throw std::invalid_argument("ClusterCollectives: pod_gpus >= 0, oversubscription >= 1");
}

bool ClusterCollectives::crosses_sites(const CommGroup& g) const {
  return layout_.sites > 1 && g.size > 1 && g.span() > layout_.site_gpus();
}

AlphaBetaCollectives ClusterCollectives::in_site(const CommGroup& g, bool ring) const {
  Fabric f = fabric_;
  const int pod = layout_.pod_gpus;
  if (pod > 0 && g.size > 1 && std::min(g.span(), layout_.site_gpus()) > pod) {
    // Leaves its pod: the oversubscribed tier gives each GPU B / r of the pod's uplinks.
    LinkTier& t = f.scale_out;
    const double per_gpu_up = t.bandwidth.value() / layout_.above_pod_oversubscription;
    double share = 0;
    if (ring) {
      // Each of the g rails' rings leaves the pod once; m members of the group are in it.
      const double m =
          std::clamp(static_cast<double>(pod) / g.stride, 1.0, static_cast<double>(g.size));
      share = per_gpu_up * m / g.gpus_per_node;
    } else {
      // Point to point: a share stride / pod of the pod's GPUs send out of it at once.
      const double f_out = std::min(1.0, static_cast<double>(g.stride) / pod);
      share = per_gpu_up / f_out;
    }
    const double achieved = std::min(t.bandwidth.value() * t.efficiency, share);
    t.bandwidth = sim::BytesPerSecond(achieved);
    t.efficiency = 1;
  }
  return AlphaBetaCollectives(std::move(f));
}

sim::BytesPerSecond ClusterCollectives::cross_site_bandwidth(double crossing) const {
  const LinkTier& nic = fabric_.scale_out;
  const double share = layout_.site_bandwidth.value() / std::max(1.0, crossing);
  return sim::BytesPerSecond(std::min(nic.bandwidth.value() * nic.efficiency, share));
}

sim::Seconds ClusterCollectives::cross_step(sim::Bytes bytes, double crossing) const {
  return fabric_.scale_out.step_latency + fiber_delay() + bytes / cross_site_bandwidth(crossing);
}

namespace {

// The members of a group that sit in one of two sites, as a group of its own.
CommGroup half(CommGroup g) {
  g.size /= 2;
  g.gpus_per_node = std::min(g.gpus_per_node, std::max(1, g.size));
  g.extent = 0;
  return g;
}

}  // namespace

CollectiveParts ClusterCollectives::reduce_scatter_parts(sim::Bytes size, CommGroup group) const {
  if (!crosses_sites(group)) return {in_site(group, true).reduce_scatter(size, group)};
  const CommGroup h = half(group);
  const sim::Bytes shard = size / static_cast<double>(group.size);
  const double crossing = layout_.site_gpus();  // every rank runs its group's collective
  CollectiveParts p;
  p.cross_site = cross_step(shard, crossing);
  p.propagation = fiber_delay();
  p.total = in_site(h, true).reduce_scatter(size, h) + p.cross_site;
  return p;
}

CollectiveParts ClusterCollectives::all_gather_parts(sim::Bytes size, CommGroup group) const {
  if (!crosses_sites(group)) return {in_site(group, true).all_gather(size, group)};
  const CommGroup h = half(group);
  const sim::Bytes shard = size / static_cast<double>(group.size);
  CollectiveParts p;
  p.cross_site = cross_step(shard, layout_.site_gpus());
  p.propagation = fiber_delay();
  p.total = p.cross_site + in_site(h, true).all_gather(size, h);
  return p;
}

CollectiveParts ClusterCollectives::all_reduce_parts(sim::Bytes size, CommGroup group) const {
  const CollectiveParts rs = reduce_scatter_parts(size, group);
  const CollectiveParts ag = all_gather_parts(size, group);
  return {rs.total + ag.total, rs.cross_site + ag.cross_site, rs.propagation + ag.propagation};
}

CollectiveParts ClusterCollectives::all_to_all_parts(sim::Bytes size, CommGroup group) const {
  if (group.size <= 1) return {};
  const bool cross = crosses_sites(group);
  const CommGroup local = cross ? half(group) : group;
  // Inside the site, with the pod tier's share for the bytes that leave the pod.
  const AlphaBetaCollectives fabric(fabric_);
  sim::Seconds t = fabric.all_to_all(cross ? size / 2.0 : size, local);
  const int pod = layout_.pod_gpus;
  if (pod > 0 && local.span() > pod) {
    const double n = local.size;
    const double m = std::clamp(static_cast<double>(pod) / local.stride, 1.0, n);
    const LinkTier& x = fabric_.scale_out;
    const double up = x.bandwidth.value() * x.efficiency / layout_.above_pod_oversubscription;
    const sim::Bytes out_of_pod = ((n - m) / group.size) * size;
    t = std::max(t, x.step_latency + out_of_pod / sim::BytesPerSecond(up));
  }
  if (!cross) return {t};
  CollectiveParts p;
  p.cross_site = cross_step(size / 2.0, layout_.site_gpus());
  p.propagation = fiber_delay();
  p.total = std::max(t, p.cross_site);
  return p;
}

CollectiveParts ClusterCollectives::send_recv_parts(sim::Bytes size, CommGroup group) const {
  if (!crosses_sites(group)) return {in_site(group, false).send_recv(size, group)};
  // The pairs that straddle the sites set the pace: a share stride / site of a site's GPUs
  // send across at once.
  const double f = std::min(1.0, static_cast<double>(group.stride) / layout_.site_gpus());
  CollectiveParts p;
  p.cross_site = cross_step(size, f * layout_.site_gpus());
  p.propagation = fiber_delay();
  p.total = std::max(in_site(group, false).send_recv(size, group), p.cross_site);
  return p;
}

}  // namespace models::training
