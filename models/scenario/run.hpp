// Builds the plant a scenario describes, runs it, and turns the outcome into results:
// summary metrics, the ranked walls, time series and the per-request table.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "models/scenario/scenario.hpp"
#include "models/workload/serving.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

struct Metric {
  std::string name;
  double value = 0;
  std::string unit;
};

struct RunResult {
  std::vector<Metric> summary;
  std::vector<sim::WallResult> walls;  // ranked
  std::vector<RequestRecord> requests;
  sim::SimTime end;
  std::uint64_t events = 0;
  // The first wall (rank 1) if any resource reached the threshold.
  const sim::WallResult* first_wall() const;
  double metric(const std::string& name) const;  // NaN if absent
};

// `progress`, if set, is called with the fraction of simulated time done (0..1), about a
// hundred times per run: for progress display, never for results.
RunResult run_scenario(const ScenarioSpec& spec, const std::function<void(double)>& progress = {});

// Writes results.h5 atomically (see DESIGN.md, "Output contract").
void write_results(const std::string& path, const ScenarioSpec& spec, const RunResult& result);

// The printed report: the walls ranked, the first one with when and its effect, the
// headroom of the others, and the headline metrics.
void print_report(std::ostream& out, const ScenarioSpec& spec, const RunResult& result);

}  // namespace models
