// A scenario: the immutable, validated description of one run, in two halves (DESIGN.md
// "Plant and workload"): the plant (servers, racks, power chain, cooling) and the workload
// (what runs on it, behind the WorkloadSpec interface).
//
// Loading is parse -> spec -> validate everything -> (later) build. load_scenario() either
// returns a complete spec or throws sim::config::InputError carrying every problem found.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/plant/plant_spec.hpp"
#include "models/scenario/workload_set.hpp"
#include "models/workload/workload.hpp"
#include "sim/config.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

struct ScenarioSpec {
  std::string file;  // as given on the command line
  std::string name;
  std::uint64_t seed = 0;
  std::string resolved_yaml;  // the whole scenario after includes, --set and --seed
  sim::Duration duration;     // requests arrive in [0, duration)
  sim::Duration drain;        // then in-flight work may run this much longer
  sim::WallOptions walls;
  PlantSpec plant;
  // `workload:` (one workload, its names as it gives them), or `workloads:` (several sharing
  // the plant, each under its name: workload_set.hpp); exactly one of the two is set.
  std::shared_ptr<const WorkloadSpec> workload;
  std::vector<NamedWorkloadSpec> workloads;
};

struct LoadOptions {
  std::vector<std::string> overrides;  // "a.b.c=value", in command-line order
  std::optional<std::uint64_t> seed;   // --seed wins over the file's seed
};

ScenarioSpec load_scenario(const std::string& path, const LoadOptions& options = {});

// The same from a tree already loaded (includes resolved), e.g. a sweep's base scenario with
// axis values substituted: each point is read without going back to the file. `file` is
// what the spec reports as its file; diagnostics carry the tree's own locations.
ScenarioSpec load_scenario_tree(sim::config::Node root, const std::string& file,
                                const LoadOptions& options = {});

}  // namespace models
