// results.h5 (DESIGN.md "Output contract"): written to a temporary name, then renamed.
#include <chrono>
#include <ctime>
#include <limits>

#include <fmt/format.h>

#include "models/scenario/run.hpp"
#include "models/scenario/run_state.hpp"
#include "sim/h5_writer.hpp"

namespace models {

void write_results(const std::string& path, const ScenarioSpec& spec, const RunResult& result) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  sim::h5::ResultFile f(path);
  f.set_attribute("firstwall_version", std::string(FIRSTWALL_VERSION_STRING));
  f.set_attribute("scenario_yaml", spec.resolved_yaml);
  f.set_attribute("scenario_file", spec.file);
  f.set_attribute("scenario_name", spec.name);
  f.set_attribute("seed", static_cast<std::int64_t>(spec.seed));
  {
    // created_utc is the one field that differs between identical runs.
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    f.set_attribute("created_utc", std::string(buf));
  }

  sim::h5::Table summary;
  summary.add("scenario", std::vector<std::string>{spec.name});
  for (const Metric& m : result.summary) summary.add(m.name, m.unit, std::vector<double>{m.value});
  const sim::WallResult* first = result.first_wall();
  summary.add("first_wall", std::vector<std::string>{first ? first->name : std::string()});
  summary.add("first_wall_kind", std::vector<std::string>{first ? first->kind : std::string()});
  summary.add(
      "nearest_wall",
      std::vector<std::string>{result.walls.empty() ? std::string() : result.walls.front().name});
  f.write_table("/summary", summary);

  sim::h5::Table walls;
  std::vector<std::string> name, kind, unit, aggregation;
  std::vector<double> limit, peak, mean, hit;
  std::vector<std::int64_t> rank;
  for (const sim::WallResult& w : result.walls) {
    name.push_back(w.name);
    kind.push_back(w.kind);
    unit.push_back(w.unit);
    aggregation.push_back(sim::to_string(w.aggregation));
    limit.push_back(w.limit);
    peak.push_back(w.peak_utilization);
    mean.push_back(w.mean_utilization);
    hit.push_back(w.first_hit ? w.first_hit->seconds() : kNaN);
    rank.push_back(w.rank);
  }
  walls.add("name", name)
      .add("kind", kind)
      .add("limit", "", limit)
      .add("unit", unit)
      .add("aggregation", aggregation)
      .add("peak_utilization", "", peak)
      .add("mean_utilization", "", mean)
      .add("first_hit_time", "s", hit)
      .add("rank", "", rank);
  f.write_table("/walls", walls,
                {{"threshold", fmt::format("{}", spec.walls.threshold)},
                 {"window_s", fmt::format("{}", spec.walls.window.seconds().value())},
                 {"first_hit_timing",
                  "level: the instant the load reached the threshold; rate: the start of the "
                  "first window whose mean reached it; sample: the observation after which the "
                  "running quantile reached it"}});

  for (const sim::WallResult& w : result.walls) {
    f.write_series("/timeseries/" + w.name + ".utilization", w.series_time_s, w.series_utilization,
                   "");
  }
  result.plant().write_series(f);
  result.workload().write_tables(f);
  f.commit();
}

}  // namespace models
