// Builds the plant and the workload a scenario describes, runs them on one engine, and
// collects the outcome: summary metrics, the ranked walls, and the finished plant and
// workload for their tables, series and report lines. Wiring only: the metrics that span
// both halves are in summary.cpp, the printed report in report.cpp, the file in
// results_file.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/common/metric.hpp"
#include "models/scenario/scenario.hpp"
#include "sim/trace.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

class Plant;
class Workload;
class WorkloadSet;
struct RunState;

struct RunResult {
  Metrics summary;
  std::vector<sim::WallResult> walls;  // ranked
  sim::SimTime end;
  std::uint64_t events = 0;
  // The finished run (engine, monitor, plant, workload), kept alive for the tables, series
  // and report lines they hold.
  std::shared_ptr<const RunState> state;

  const Plant& plant() const;
  const Workload& workload() const;
  // The workloads of `workloads:` (null for a scenario with `workload:`).
  const WorkloadSet* workload_set() const;
  // The first wall (rank 1) if any resource reached the threshold.
  const sim::WallResult* first_wall() const;
  double metric(const std::string& name) const;  // NaN if absent
};

// `progress`, if set, is called with the fraction of simulated time done (0..1), about a
// hundred times per run: for progress display, never for results. `tracer`, if set, receives
// the run's timeline (sim/trace.hpp) while it runs; it changes no result.
RunResult run_scenario(const ScenarioSpec& spec, const std::function<void(double)>& progress = {},
                       sim::Tracer* tracer = nullptr);

// Writes results.h5 atomically (see DESIGN.md, "Output contract"); results_file.cpp.
void write_results(const std::string& path, const ScenarioSpec& spec, const RunResult& result);

// The printed report (report.cpp): the walls ranked, the first one with when and its
// effect, the headroom of the others, and the headline metrics.
void print_report(std::ostream& out, const ScenarioSpec& spec, const RunResult& result);

}  // namespace models
