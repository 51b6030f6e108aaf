#include "models/scenario/summary.hpp"

#include <cmath>
#include <limits>

#include "models/scenario/run.hpp"
#include "models/scenario/run_state.hpp"

namespace models {

Metrics summarize(const RunResult& run) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Metrics out;
  out.push_back({"simulated_time", (run.end - sim::SimTime::zero()).seconds().value(), "s"});
  run.workload().add_metrics(out);
  run.plant().add_metrics(out);
  if (const WorkloadSet* set = run.workload_set()) {
    // Each workload's share of the GPUs' draw: the plant's energy is not split otherwise.
    for (const WorkloadSet::Member& m : set->members()) {
      double joules = 0;
      for (std::size_t g = m.first_group; g < m.first_group + m.groups; ++g)
        joules += run.plant().group_stats(g).energy_per_gpu.value() * m.group_size;
      out.push_back({m.scope.prefix + "energy_gpus", joules, "J"});
    }
  }
  // Facility energy over the whole run (idle drain included) per token generated.
  const double tokens = metric_value(out, "output_tokens");
  const double facility = metric_value(out, "energy_facility");
  out.push_back({"energy_per_output_token", tokens > 0 ? facility / tokens : kNaN, "J/token"});
  const sim::WallResult* first = run.first_wall();
  out.push_back({"first_wall_time", first ? first->first_hit->seconds() : kNaN, "s"});
  out.push_back({"nearest_wall_peak_utilization",
                 run.walls.empty() ? kNaN : run.walls.front().peak_utilization, ""});
  out.push_back({"events", static_cast<double>(run.events), ""});
  return out;
}

}  // namespace models
