// What a workload sees of the GPUs the plant gave it: a group of GPUs of one scale-up domain
// (a server, or an NVL72 rack) that run one model instance in lockstep, such as a serving
// replica with tensor parallelism. The workload describes each iteration's activity at full
// clock; the group picks the clock the plant allows and puts the power, and the heat, where
// they belong (DESIGN.md "Coupling").
#pragma once

#include <functional>
#include <string>

#include "models/gpu/gpu_power.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/plant/fabric.hpp"
#include "sim/time.hpp"

namespace models {

struct IterationRun {
  sim::Duration duration;  // the iteration's length at the clock it runs at
  double clock_ratio = 1;  // f / f_ref for this iteration
  sim::Watts power_per_gpu;
};

class GpuGroup {
 public:
  virtual ~GpuGroup() = default;

  virtual const std::string& name() const = 0;  // e.g. "replica[0]"
  virtual const GpuSpec& gpu() const = 0;
  virtual int size() const = 0;

  // Starts an iteration at `now`. Its clock is min(full clock, the clock the GPUs' power
  // limit allows for this activity, the thermal clock), held for the whole iteration (the
  // state is quasi-static within an iteration: DESIGN.md); the group draws the iteration's
  // mean power until the next call.
  virtual IterationRun begin_iteration(sim::SimTime now, const GpuActivity& activity) = 0;
  // No iteration follows the one that ended at `now`: the GPUs draw idle power from then on.
  virtual void go_idle(sim::SimTime now) = 0;

  // False once the group lost power (a breaker tripped) or a GPU shut down on temperature.
  virtual bool running() const = 0;
  // `callback(time)` runs when the group stops, at that time; an iteration in progress is
  // lost. The workload decides what happens to its work (requeue elsewhere, or lose it).
  virtual void on_stop(std::function<void(sim::SimTime)> callback) = 0;

  // The plant's network, shared by every group in the hall (fabric.hpp); null when the
  // plant has none. `use` says which links the workload's flows will cross: the network
  // walls are those of the tiers that carry them (a 0 % NVLink wall beside all-reduces
  // costed in closed form would say the opposite of the truth).
  virtual Fabric* fabric(FabricUse use) const {
    (void)use;
    return nullptr;
  }
};

// How a workload asks for GPUs: `count` groups of `size` GPUs, each group inside one
// scale-up domain. Groups are named "<prefix>[i]".
struct GpuRequest {
  std::string prefix = "replica";
  int count = 1;
  int size = 1;
};

}  // namespace models
