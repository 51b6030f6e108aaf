// The workload seam (DESIGN.md "Plant and workload"): what runs on the plant. The run, the
// report and the results file see only these interfaces; a new workload kind is one folder
// that registers a WorkloadKind, and nothing in models/scenario changes.
//
//   scenario YAML `workload: {kind: K, ...}` --WorkloadKind K .read--> WorkloadSpec (immutable)
//   WorkloadSpec::gpus()   the GPU groups it needs (the plant places them)
//   WorkloadSpec::build()  the running Workload on the engine, given its groups
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "models/common/metric.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/plant/gpu_group.hpp"
#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/h5_writer.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

struct Catalog;
struct PlantSpec;

class Workload {
 public:
  virtual ~Workload() = default;

  // Schedules its first events. Requests (or steps) arrive until `horizon`.
  virtual void start() = 0;
  // Called once when simulated time reaches the end of the arrival window: throughput is
  // reported over that window (the drain after it would dilute it).
  virtual void mark_horizon(sim::SimTime horizon) = 0;
  // Nothing left to do: every arrival handled, nothing in flight. The workload also stops
  // the engine at the moment it becomes done.
  virtual bool done() const = 0;
  virtual void finish(sim::SimTime end) = 0;

  // Summary metrics (names and units are the workload's; see its README).
  virtual void add_metrics(Metrics& out) const = 0;
  // Its own tables in the results file (e.g. /requests).
  virtual void write_tables(sim::h5::ResultFile& file) const = 0;
  // One line for the report's header: what runs on what.
  virtual std::string headline() const = 0;
  // What reaching wall `w` did to the service, if `w` is one of this workload's walls.
  virtual std::optional<std::string> wall_effect(const sim::WallResult& w,
                                                 const Metrics& summary) const = 0;
  // Its lines of the report after the wall table (throughput, latency, ...).
  virtual void print_summary(std::ostream& out, const Metrics& summary) const = 0;
};

struct WorkloadContext {
  sim::Engine& engine;
  sim::WallMonitor& walls;
  sim::SimTime horizon;  // arrivals stop here
  // The prefix of the names of its random streams (Engine::rng): "workload" for the one
  // workload of `workload:`; the workload's name for one of `workloads:` (two serving jobs
  // draw independent arrivals).
  std::string streams = "workload";
};

class WorkloadSpec {
 public:
  virtual ~WorkloadSpec() = default;
  virtual std::string_view kind() const = 0;
  virtual GpuRequest gpus() const = 0;
  // `groups` are the plant's placement of gpus(), in order.
  virtual std::unique_ptr<Workload> build(const WorkloadContext& context,
                                          std::vector<GpuGroup*> groups) const = 0;
};

// What a workload reader may look at besides its own section.
struct WorkloadReadContext {
  const Catalog& catalog;
  sim::Duration duration;        // simulation.duration: arrivals come in [0, duration)
  const GpuSpec* gpu = nullptr;  // the plant's GPU (null when the plant section is broken)
  int gpus_per_domain = 0;       // GPUs in one scale-up domain of the plant's servers
  // The GPUs this workload may use: the plant's, less those placed for the workloads before
  // it in `workloads:` (a reader that defaults to "the plant's GPUs" takes what is left).
  int gpus_in_plant = 0;
  // The plant's server host CPU, single-thread speed relative to the host the default host
  // costs were fitted on (ServerSpec::host_speed): default costs are divided by it.
  double host_speed = 1.0;
  sim::config::Location plant_location{};
  // The plant read so far (null when its section is broken): its network (spec and built
  // topology, plant_spec.hpp) is the one description of the fabric a workload runs on.
  const PlantSpec* plant = nullptr;
};

struct WorkloadKind {
  std::string_view name;
  std::string_view help;
  // Reads `workload:` (its `kind` is already read). Problems go to the reader's diagnostics;
  // returns null only when nothing usable could be read.
  std::function<std::shared_ptr<const WorkloadSpec>(sim::config::Reader& workload,
                                                    const WorkloadReadContext& context)>
      read;
};

// Every registered workload kind (serving today; training plugs in here).
const std::vector<WorkloadKind>& workload_kinds();

}  // namespace models
