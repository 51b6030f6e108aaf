// Training's fabric read off the plant's network (models/network, `plant.network:`): the one
// description of the cluster a training job runs on. The α–β collectives
// (alpha_beta_collectives.hpp, cluster_collectives.hpp) need per tier a bandwidth, a
// per-step latency α and an achieved fraction η; and pods, their oversubscription and the
// sites above them. What the wire is comes from the built topology and its NetworkSpec; what
// NCCL's software makes of it (α, η) from calibrations with a provenance, never per scenario:
//
//   figure                 from
//   scale-up B             the topology: the slowest hop of the ring over one server's GPUs
//                          (NVSwitch: a GPU's NVLink; NVLink pairs: the PCIe hop between pairs)
//   scale-up α, η          the GPU's ring all-reduce fit (gpus.yaml scale_up: Vidur's DGX-A100
//                          NCCL times; NVLink4 scaled by its large-message busbw, REFERENCE.md
//                          B.9)
//   NIC B                  the topology: the access link (GPU to leaf, one NIC per GPU) on the
//                          route between two servers' GPU 0; the links above it are the pods'
//                          tier (below)
//   NIC α                  5 µs per ring step (REFERENCE.md B.5 [S]: NIC, two switch hops of
//                          ~0.15 µs and NCCL's proxy; the topology's hop latencies are inside it)
//   NIC η                  measured all-reduce bus bandwidth over line rate of the NIC's
//                          generation: 200 Gb/s HDR 0.96 (NVIDIA/nccl#812), 400 Gb/s NDR 0.94
//                          (nccl-tests#290/#309); another line rate takes the nearest measured
//                          generation's (log distance) [A]
//   pods, 1 : r            rail_optimized: a unit of `servers_per_unit` servers on its rail
//                          leaves is a pod, r = the leaves' `oversubscription` (down : up);
//                          fat_tree: a pod of k²/4 hosts above which r = aggregation
//                          oversubscription, or, with edge oversubscription, an edge switch's
//                          k/2 hosts with r = edge × aggregation (an upper bound: traffic that
//                          stays in the pod sees only the edge's); r = 1: no pods
//   sites                  `sites.count` 2 with the job over both whole sites: the gateways'
//                          bandwidth, the fiber's length and refractive index; a job inside
//                          one site sees one site
//
// With the DGX defaults this is dgx_fabric() (A100 and H100; tests/training/
// test_plant_fabric.cpp): both take the scale-up η from gpus.yaml.
#pragma once

#include <stdexcept>
#include <string>

#include "models/gpu/gpu_spec.hpp"
#include "models/network/network_spec.hpp"
#include "models/network/topology.hpp"
#include "models/workload/training/cluster_collectives.hpp"

namespace models::training {

struct PlantFabric {
  Fabric fabric;
  ClusterLayout layout;
};

// A job the plant's network cannot carry: `key` is the key of `plant.network` it is about
// ("scale_out", "sites.count").
class PlantFabricError : public std::invalid_argument {
 public:
  PlantFabricError(std::string key, const std::string& message)
      : std::invalid_argument(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// The per-tier figures of the plant's network (the table above) for any job on it: scale-up
// B the slowest hop of the ring over a server's first `ring_gpus` GPUs (serving: its scale-up
// domain; training: the whole server); the NIC read off the route between two servers when
// `nic_from_route` and the plant has one (else the NIC's own figure). gpus_per_node is the
// server's GPUs. Serving takes its fabric from here too (serving_workload.cpp), so the fabric
// is described once, in `plant.network`.
Fabric plant_link_tiers(const network::NetworkSpec& spec, const network::Topology& topology,
                        const GpuSpec& gpu, int ring_gpus, bool nic_from_route);

// The fabric and layout of a job of `job_gpus` GPUs placed from the plant's GPU `first_gpu`
// on (the GPUs earlier workloads of the scenario left). Throws PlantFabricError when the
// network cannot carry it.
PlantFabric plant_fabric(const network::NetworkSpec& spec, const network::Topology& topology,
                         const GpuSpec& gpu, int job_gpus, int first_gpu = 0);

}  // namespace models::training
