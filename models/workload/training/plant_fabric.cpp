#include "models/workload/training/plant_fabric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "models/network/routing.hpp"

namespace models::training {

namespace {

// The pods of the plant's scale-out fabric and the oversubscription above them (r = 1: none).
struct Pods {
  int gpus = 0;
  double oversubscription = 1;
};

Pods pods_of(const network::NetworkSpec& spec) {
  const int g = spec.gpus_per_server;
  switch (spec.scale_out) {
    case network::ScaleOutKind::rail_optimized: {
      const int unit = spec.rail.servers_per_unit > 0 ? spec.rail.servers_per_unit : spec.servers;
      if (unit >= spec.servers || spec.rail.oversubscription <= 1) return {};
      return {unit * g, spec.rail.oversubscription};
    }
    case network::ScaleOutKind::fat_tree: {
      const network::FatTree& f = spec.fat_tree;
      if (f.edge_oversubscription > 1)
        return {f.k / 2, f.edge_oversubscription * std::max(1.0, f.aggregation_oversubscription)};
      if (f.aggregation_oversubscription > 1)
        return {f.k * f.k / 4, f.aggregation_oversubscription};
      return {};
    }
    case network::ScaleOutKind::none:
      return {};
  }
  return {};
}

}  // namespace

Fabric plant_link_tiers(const network::NetworkSpec& spec, const network::Topology& topology,
                        const GpuSpec& gpu, int ring_gpus, bool nic_from_route) {
  const int g = std::max(1, spec.gpus_per_server);
  const std::span<const network::NodeId> gpus = topology.gpus();
  if (static_cast<long>(gpus.size()) < static_cast<long>(spec.sites) * spec.servers * g)
    throw std::invalid_argument("plant_fabric: the topology has fewer GPUs than its spec");
  network::Router router(topology);
  auto route = [&](int a, int b) {
    return router.route(gpus[static_cast<std::size_t>(a)], gpus[static_cast<std::size_t>(b)]);
  };

  Fabric f;
  f.name = "plant network";
  f.gpus_per_node = g;

  // Scale-up: the ring over one server's first `ring_gpus` GPUs runs at its slowest hop.
  const int ring = std::clamp(ring_gpus, 1, g);
  f.scale_up = {gpu.scale_up_one_direction(), gpu.scale_up_step_latency, gpu.scale_up_efficiency};
  if (ring >= 2) {
    double slowest = std::numeric_limits<double>::infinity();
    for (int i = 0; i < ring; ++i) {
      const auto r = route(i, (i + 1) % ring);
      if (!r) throw std::invalid_argument("plant_fabric: a server's GPUs do not reach each other");
      slowest = std::min(slowest, topology.bottleneck(*r).value());
    }
    f.scale_up.bandwidth = sim::BytesPerSecond(slowest);
  }

  // Scale-out: one NIC per GPU, read off the route between two servers (collective.hpp's
  // fabric_figures); the NIC's own figure when the job stays in one server. The NIC is the
  // route's access link (GPU to leaf); the links above it belong to the pods' tier, which the
  // layout accounts for (its oversubscription would otherwise count twice).
  f.scale_out = {spec.nic.bandwidth, nic_step_latency(), 1.0};
  if (nic_from_route && spec.servers > 1 && spec.scale_out != network::ScaleOutKind::none) {
    if (const std::optional<network::Route> between = route(0, g)) {
      double nic = std::numeric_limits<double>::infinity();
      for (network::LinkId l : *between)
        if (topology.link(l).tier == network::LinkTier::access)
          nic = std::min(nic, topology.link(l).bandwidth.value());
      if (std::isfinite(nic)) f.scale_out.bandwidth = sim::BytesPerSecond(nic);
    }
  }
  if (f.scale_out.bandwidth.value() > 0)
    f.scale_out.efficiency = nic_ring_efficiency(f.scale_out.bandwidth);
  f.source = fmt::format(
      "plant network: scale-up {:.0f} GB/s per GPU (topology), α {:.2f} us, η {:.2f} % "
      "({} scale_up fit, gpus.yaml); NIC {:.1f} GB/s (topology), α {:.0f} us, η {:.0f} % "
      "(nccl#812 / nccl-tests#290)",
      f.scale_up.bandwidth.value() / 1e9, f.scale_up.step_latency.value() * 1e6,
      f.scale_up.efficiency * 100, gpu.name, f.scale_out.bandwidth.value() / 1e9,
      f.scale_out.step_latency.value() * 1e6, f.scale_out.efficiency * 100);
  return f;
}

PlantFabric plant_fabric(const network::NetworkSpec& spec, const network::Topology& topology,
                         const GpuSpec& gpu, int job_gpus, int first_gpu) {
  const int g = std::max(1, spec.gpus_per_server);
  const int site_gpus = spec.servers * g;
  const std::span<const network::NodeId> gpus = topology.gpus();
  if (static_cast<long>(gpus.size()) < static_cast<long>(spec.sites) * site_gpus)
    throw std::invalid_argument("plant_fabric: the topology has fewer GPUs than its spec");
  network::Router router(topology);
  auto route = [&](int a, int b) {
    return router.route(gpus[static_cast<std::size_t>(a)], gpus[static_cast<std::size_t>(b)]);
  };

  const bool spans_servers = job_gpus > g;
  const int job_site_gpus = std::min(job_gpus, site_gpus);
  const bool nic_from_route = spans_servers && job_site_gpus > g;
  if (nic_from_route && (spec.scale_out == network::ScaleOutKind::none || !route(0, g))) {
    throw PlantFabricError(
        "scale_out",
        fmt::format("the training job's {} GPUs span {} servers of {} GPUs, but the plant's "
                    "network has no scale-out between servers: give plant.network.scale_out "
                    "(rail_optimized or fat_tree)",
                    job_gpus, (job_gpus + g - 1) / g, g));
  }
  PlantFabric out;
  out.fabric = plant_link_tiers(spec, topology, gpu, g, nic_from_route);

  // Pods and the oversubscription above them.
  const Pods pods = pods_of(spec);
  out.layout.gpus = job_gpus;
  if (pods.gpus > 0 && pods.gpus < job_site_gpus) {
    out.layout.pod_gpus = pods.gpus;
    out.layout.above_pod_oversubscription = pods.oversubscription;
  }

  // Sites: a job over more than one site covers exactly two whole ones.
  const bool one_site = first_gpu / site_gpus == (first_gpu + job_gpus - 1) / site_gpus;
  if (spec.sites > 1 && !one_site) {
    if (spec.sites != 2 || job_gpus != 2 * site_gpus) {
      throw PlantFabricError(
          "sites.count",
          fmt::format("the training job's {} GPUs span sites of {} GPUs; a job is split over "
                      "exactly two whole sites ({} GPUs) or stays in one",
                      job_gpus, site_gpus, 2 * site_gpus));
    }
    if (!route(0, site_gpus))
      throw PlantFabricError("sites", "the plant's two sites do not reach each other");
    out.layout.sites = 2;
    out.layout.site_bandwidth = spec.gateway_bandwidth;
    out.layout.fiber_length = spec.fiber_length;
    out.layout.refractive_index = spec.refractive_index;
  }
  return out;
}

}  // namespace models::training
