// Collective times from hierarchical α–β forms over a two-tier fabric: servers of g GPUs on
// a switch (NVSwitch), and one NIC per GPU into a full-bisection, rail-optimized scale-out
// network (NIC i of every server on rail i; REFERENCE.md B.5).
//
// A group of n GPUs with g per server spans N = n / g servers. With per-direction bandwidth
// B, achieved fraction η and per-step latency α of each tier (i: intra-server, x: NIC):
//
//   RS(S) = AG(S) = (g-1)·α_i + (g-1)/g · S/(η_i B_i)           ring inside the server
//                 + (N-1)·α_x + (N-1)/N · (S/g)/(η_x B_x)        g rails in parallel
//   AR(S)         = RS(S) + AG(S)                                 (NCCL's ring is RS + AG)
//   A2A(S)        = max( α_i + (g-1)/n · S/(η_i B_i),  α_x + (n-g)/n · S/(η_x B_x) )
//                   each GPU's shares to its server peers over NVLink and to the others over
//                   its own NIC, concurrently
//   SR(S)         = α + S/(η B) of the tier the two GPUs share (g >= 2: one server)
//
// With N = 1 the all-reduce is RingAllReduce's form exactly (models/network/ring_allreduce.hpp,
// Patarasuk & Yuan 2009); with g = 1 it is a ring over NICs. The hierarchy (reduce-scatter in
// the server, all-reduce across rails, all-gather in the server) is what NCCL's tree/ring
// over a rail-optimized fabric attains: a DGX-A100 node with 8 HDR NICs reaches 192 GB/s
// all-reduce bus bandwidth (REFERENCE.md B.9, NVIDIA/nccl#812) = 8 rails × 24 GB/s, i.e.
// S/g per rail. Uncontended, no congestion, no in-switch reduction (NVLS/SHARP).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "models/gpu/gpu_spec.hpp"
#include "models/workload/training/collective_times.hpp"
#include "sim/units.hpp"

namespace models::training {

struct LinkTier {
  sim::BytesPerSecond bandwidth;  // one direction, per GPU
  sim::Seconds step_latency;      // α per ring step
  double efficiency = 1;          // η: achieved fraction of bandwidth
};

struct Fabric {
  std::string name;
  std::string source;
  int gpus_per_node = 8;
  LinkTier scale_up;   // NVLink through NVSwitch
  LinkTier scale_out;  // one NIC per GPU
};

// The fabric of the DGX server of a catalog GPU (sources in the .cpp): a100-sxm-80gb -> DGX
// A100 (NVLink3, 8 x HDR 200 Gb/s), h100-sxm -> DGX H100 (NVLink4, 8 x NDR 400 Gb/s). The
// scale-up tier is the GPU's catalog ring all-reduce fit (gpus.yaml scale_up); nullopt for
// GPUs without a documented DGX fabric.
std::optional<Fabric> dgx_fabric(const GpuSpec& gpu);

// NCCL's achieved fraction of a NIC's line rate (per direction) in a ring over the rails:
// the measured generations, 200 Gb/s HDR 0.96 (NVIDIA/nccl#812: 192 GB/s per 8-NIC node) and
// 400 Gb/s NDR 0.94 (nccl-tests#290/#309: 46-48 GB/s per NIC); another line rate takes the
// nearest measured generation's (by log distance) [A: until measured].
double nic_ring_efficiency(sim::BytesPerSecond line_rate);
// α of a ring step over a NIC: 5 us (REFERENCE.md B.5 [S]; NIC, two switch hops, NCCL's proxy).
sim::Seconds nic_step_latency();

class AlphaBetaCollectives final : public CollectiveTimes {
 public:
  explicit AlphaBetaCollectives(Fabric fabric) : fabric_(std::move(fabric)) {}

  sim::Seconds all_reduce(sim::Bytes size, CommGroup group) const override;
  sim::Seconds reduce_scatter(sim::Bytes size, CommGroup group) const override;
  sim::Seconds all_gather(sim::Bytes size, CommGroup group) const override;
  sim::Seconds all_to_all(sim::Bytes size, CommGroup group) const override;
  sim::Seconds send_recv(sim::Bytes size, CommGroup group) const override;
  const Fabric& fabric() const { return fabric_; }

 private:
  Fabric fabric_;
};

}  // namespace models::training
