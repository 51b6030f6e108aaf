// What a finished run keeps alive: the engine and the wall monitor the plant and the
// workload refer to, then the plant and the workload themselves (declared in the order
// they are built, so they are destroyed in reverse).
#pragma once

#include <memory>

#include "models/plant/plant.hpp"
#include "models/workload/workload.hpp"
#include "sim/engine.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

struct RunState {
  RunState(std::uint64_t seed, const std::string& name, sim::WallOptions options)
      : engine(seed, name), walls(options) {}
  sim::Engine engine;
  sim::WallMonitor walls;
  std::unique_ptr<Plant> plant;
  std::unique_ptr<Workload> workload;
};

}  // namespace models
