#include "models/workload/training/alpha_beta_collectives.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace models::training {

namespace {

// Large-message NCCL ring all-reduce bus bandwidth inside an 8-GPU server, and the
// per-direction line rate it runs on (REFERENCE.md B.9 [V]):
//   A100: 231.6 GB/s at 8 GB (Azure ND A100 v4, nccl-tests) of 300 GB/s NVLink3
//   H100: ~370 GB/s (NVIDIA maintainer, nccl-tests#212) of 450 GB/s NVLink4
// The catalog's fitted η (gpus.yaml: 47.62 %, Vidur's DGX-A100 NCCL times, 2 KB - 100s of MB)
// is an A100 measurement; H100 keeps its ratio to the large-message efficiency:
//   η_H100 = 0.4762 · (370/450) / (231.6/300) = 0.507 [D], gpus.yaml's h100-sxm figure.

// Scale-out NICs (REFERENCE.md B.5, B.9 [V]):
//   HDR 200 Gb/s = 25 GB/s per direction; DGX A100 8 x HDR all-reduce bus bandwidth 192 GB/s
//   per node (NVIDIA/nccl#812) -> 24 GB/s per NIC, η = 0.96.
//   NDR 400 Gb/s = 50 GB/s per direction; 46-48 GB/s per NIC measured (nccl-tests#290, #309)
//   -> η = 47 / 50 = 0.94.
// Step latency: 5 us inter-rack (AISimulate GB200 descriptor via blis-catalog, REFERENCE.md
// B.5 [S]); it covers NIC, two switch hops (~0.15 us each, C.4) and NCCL's proxy.
constexpr double kHdrBytesPerSecond = 200e9 / 8;
constexpr double kNdrBytesPerSecond = 400e9 / 8;
constexpr double kHdrEfficiency = 192.0 / 200.0;
constexpr double kNdrEfficiency = 47.0 / 50.0;
constexpr double kNicStepLatency = 5e-6;

sim::Seconds ring_part(const LinkTier& t, int members, sim::Bytes size) {
  if (members <= 1) return sim::Seconds(0);
  const double n = members;
  return (n - 1) * t.step_latency + ((n - 1) / n) * size / (t.bandwidth * t.efficiency);
}

struct Split {
  int g;      // members per server
  int nodes;  // servers
};

Split split(CommGroup group) {
  if (group.size < 1 || group.gpus_per_node < 1 || group.size % group.gpus_per_node != 0)
    throw std::invalid_argument("CommGroup: size must be a positive multiple of gpus_per_node");
  return {group.gpus_per_node, group.size / group.gpus_per_node};
}

}  // namespace

double nic_ring_efficiency(sim::BytesPerSecond line_rate) {
  const double b = line_rate.value();
  if (!(b > 0)) throw std::invalid_argument("nic_ring_efficiency: line rate must be > 0");
  return std::abs(std::log(b / kHdrBytesPerSecond)) <= std::abs(std::log(b / kNdrBytesPerSecond))
             ? kHdrEfficiency
             : kNdrEfficiency;
}

sim::Seconds nic_step_latency() {
  return sim::Seconds(kNicStepLatency);
}

std::optional<Fabric> dgx_fabric(const GpuSpec& gpu) {
  Fabric f;
  f.gpus_per_node = 8;
  f.scale_up = {gpu.scale_up_one_direction(), gpu.scale_up_step_latency, gpu.scale_up_efficiency};
  f.scale_out.step_latency = sim::Seconds(kNicStepLatency);
  if (gpu.name == "a100-sxm-80gb") {
    f.name = "dgx-a100";
    f.source =
        "DGX A100: NVSwitch, NVLink3 300 GB/s per direction, ring fit 3.37 us / 47.62 % "
        "(gpus.yaml, "
        "Vidur DGX-A100 NCCL); 8 x HDR 200 Gb/s at 96 % (NVIDIA/nccl#812: 192 GB/s per node); "
        "5 us per step (REFERENCE.md B.5)";
    f.scale_out.bandwidth = sim::BytesPerSecond(kHdrBytesPerSecond);
    f.scale_out.efficiency = kHdrEfficiency;
    return f;
  }
  if (gpu.name == "h100-sxm") {
    f.name = "dgx-h100";
    // gpus.yaml's efficiency (50.72 %) already carries NVLink4's large-message factor
    // (370/450)/(231.6/300) over the A100 fit; it was applied here a second time (54.02 %)
    // until the plant's network showed the two disagree.
    f.source =
        "DGX H100: NVSwitch, NVLink4 450 GB/s per direction, 3.37 us per step (A100 fit) and "
        "eta 0.507 = A100 fit x (370/450)/(231.6/300) (gpus.yaml, REFERENCE.md B.9); 8 x NDR "
        "400 Gb/s at 94 % (nccl-tests#290/#309: 46-48 GB/s per NIC); 5 us per step "
        "(REFERENCE.md B.5)";
    f.scale_out.bandwidth = sim::BytesPerSecond(kNdrBytesPerSecond);
    f.scale_out.efficiency = kNdrEfficiency;
    return f;
  }
  return std::nullopt;
}

sim::Seconds AlphaBetaCollectives::reduce_scatter(sim::Bytes size, CommGroup group) const {
  const Split s = split(group);
  return ring_part(fabric_.scale_up, s.g, size) +
         ring_part(fabric_.scale_out, s.nodes, size / static_cast<double>(s.g));
}

sim::Seconds AlphaBetaCollectives::all_gather(sim::Bytes size, CommGroup group) const {
  return reduce_scatter(size, group);  // the same ring steps in the other order
}

sim::Seconds AlphaBetaCollectives::all_reduce(sim::Bytes size, CommGroup group) const {
  return reduce_scatter(size, group) + all_gather(size, group);
}

sim::Seconds AlphaBetaCollectives::all_to_all(sim::Bytes size, CommGroup group) const {
  const Split s = split(group);
  if (group.size <= 1) return sim::Seconds(0);
  const double n = group.size;
  sim::Seconds intra(0), inter(0);
  if (s.g > 1)
    intra = fabric_.scale_up.step_latency +
            ((s.g - 1) / n) * size / (fabric_.scale_up.bandwidth * fabric_.scale_up.efficiency);
  if (s.nodes > 1)
    inter = fabric_.scale_out.step_latency +
            ((n - s.g) / n) * size / (fabric_.scale_out.bandwidth * fabric_.scale_out.efficiency);
  return std::max(intra, inter);
}

sim::Seconds AlphaBetaCollectives::send_recv(sim::Bytes size, CommGroup group) const {
  const LinkTier& t = group.gpus_per_node >= 2 ? fabric_.scale_up : fabric_.scale_out;
  return t.step_latency + size / (t.bandwidth * t.efficiency);
}

}  // namespace models::training
