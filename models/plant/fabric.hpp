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
// (the rest costed in closed form), or any transfer between GPUs (scale-up links too).
enum class FabricUse { scale_out, all_links };

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
};

}  // namespace models
