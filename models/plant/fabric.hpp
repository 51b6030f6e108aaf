// The plant's network as a service to the workloads on it (DESIGN.md "Walls": a network wall
// is collectives that stretch). Transfers between GPUs of the plant's groups run as flows on
// one FlowNetwork shared by every job in the hall (models/network/flow_network.hpp): routed
// over the plant's topology (shortest paths, ECMP), sharing each link max-min fairly with
// whatever else crosses it, so a job whose traffic meets another's on an oversubscribed
// spine takes longer, and each link tier is a `network` wall.
//
// A workload asks its GpuGroup for the fabric (GpuGroup::fabric(); null when the plant has
// no network) and never sees the topology: it names GPUs by (group, index in the group).
#pragma once

#include <functional>
#include <span>

#include "sim/time.hpp"
#include "sim/units.hpp"

namespace models {

class GpuGroup;

// Which links a workload puts on the fabric: only traffic that leaves the scale-up domain
// (the rest costed in closed form), or any transfer between GPUs (scale-up links too); or
// no flows, only the scale-up traffic it costs in closed form (Fabric::scale_up_load), which
// registers the scale-up tier walls (network.nvlink, network.pcie) and no other.
enum class FabricUse { scale_out, all_links, scale_up_load };

// A ring of a closed-form collective inside a group (Fabric::scale_up_load): the group's GPUs
// in blocks of `gpus` x `stride` consecutive ones, each block holding `stride` rings of `gpus`
// members `stride` apart (tensor parallelism: stride 1; context parallelism: stride tp), each
// member sending `wire_bytes` to the next over the interval.
struct ScaleUpRing {
  int gpus = 1;
  int stride = 1;
  sim::Bytes wire_bytes{0};
};

struct FabricTransfer {
  const GpuGroup* from = nullptr;
  int from_gpu = 0;  // index within `from`
  const GpuGroup* to = nullptr;
  int to_gpu = 0;
  sim::Bytes bytes{0};
};

class Fabric {
 public:
  virtual ~Fabric() = default;

  // Starts `transfers` now, each a flow: its route's latency, then its bytes at the max-min
  // rate of the moment. `done(t)` runs (from the engine) when the last one has arrived.
  virtual void start(std::span<const FabricTransfer> transfers,
                     std::function<void(sim::SimTime)> done) = 0;
  // What the same transfers take alone on an idle network (sharing only among themselves):
  // when no two of them share a link, the slowest one's `L_route + S / B_bottleneck`, the
  // α–β form (flow_network.hpp: exact to SimTime's 1 ns).
  virtual sim::Seconds uncontended(std::span<const FabricTransfer> transfers) const = 0;
  // True when a transfer between these GPUs leaves the scale-up domain (crosses a NIC).
  virtual bool scale_out(const FabricTransfer& transfer) const = 0;

  // Scale-up traffic a workload costs in closed form (a tensor-parallel all-reduce's ring,
  // a context-parallel exchange): from now for `over`, over each of `rings`, each GPU of
  // `group` sends the ring's `wire_bytes` to the next GPU of its ring and receives as much
  // from the previous. No flow starts and no rate changes: the workload's time stays its
  // closed form. The scale-up tier walls read it: a scale-up link (NVLink, PCIe) crossed by
  // k_r of ring r's hops is at Σ_r k_r · wire_bytes_r / (over · its bandwidth), summed over
  // the groups that load it (with whatever flows load it too). It lasts until the group's
  // next declaration (no bytes ends it), its going idle or its stop (GpuGroup): a workload
  // declares it after each begin_iteration() for the iteration's duration. Ask the group for
  // the fabric with FabricUse::scale_up_load (before the plant starts) so that the walls are
  // registered.
  virtual void scale_up_load(const GpuGroup& group, std::span<const ScaleUpRing> rings,
                             sim::Duration over) = 0;
  // One ring kind: the group's GPUs in consecutive rings of `ring_gpus`.
  void scale_up_load(const GpuGroup& group, int ring_gpus, sim::Bytes wire_bytes,
                     sim::Duration over) {
    const ScaleUpRing ring{ring_gpus, 1, wire_bytes};
    scale_up_load(group, std::span<const ScaleUpRing>(&ring, 1), over);
  }
};

}  // namespace models
