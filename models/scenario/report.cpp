// The printed first-wall report.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/scenario/run.hpp"
#include "models/scenario/run_state.hpp"
#include "sim/quantity.hpp"

namespace models {

namespace {

// The dimension of a wall's unit, for printing it with prefixes.
sim::Dim dim_of_unit(const std::string& unit) {
  if (unit == "FLOP/s") return sim::dims::flop_rate;
  if (unit == "B/s") return sim::dims::byte_rate;
  if (unit == "B") return sim::dims::bytes;
  if (unit == "s") return sim::dims::time;
  if (unit == "W") return sim::dims::power;
  return sim::dims::none;
}

std::string format_limit(const sim::WallResult& w) {
  if (w.unit == "degC") return fmt::format("{:.1f} degC", w.limit);
  if (w.unit.empty()) return fmt::format("{:g}", w.limit);
  return sim::format_quantity(w.limit, dim_of_unit(w.unit), 4);
}

// What reaching a wall did, from whichever half owns it.
std::string wall_effect(const sim::WallResult& w, const RunResult& r) {
  if (auto e = r.workload().wall_effect(w, r.summary)) return *e;
  if (auto e = r.plant().wall_effect(w, r.summary)) return *e;
  return fmt::format("{} reached its limit", w.name);
}

}  // namespace

void print_report(std::ostream& out, const ScenarioSpec& spec, const RunResult& r) {
  out << fmt::format("firstwall: {} — {}\n", spec.name, r.workload().headline());
  out << fmt::format("plant: {}\n", r.plant().headline());
  // Request counts where the workload has requests (a training job has steps instead, in
  // its own summary lines).
  if (std::isnan(r.metric("requests_arrived"))) {
    out << fmt::format("simulated {:.1f} s\n\n", r.metric("simulated_time"));
  } else {
    out << fmt::format(
        "simulated {:.1f} s, {} requests arrived, {} completed, {} unfinished, {} rejected, {} "
        "lost\n\n",
        r.metric("simulated_time"), static_cast<std::int64_t>(r.metric("requests_arrived")),
        static_cast<std::int64_t>(r.metric("requests_completed")),
        static_cast<std::int64_t>(r.metric("requests_unfinished")),
        static_cast<std::int64_t>(r.metric("requests_rejected")),
        static_cast<std::int64_t>(r.metric("requests_lost")));
  }
  if (const sim::WallResult* first = r.first_wall()) {
    out << fmt::format("FIRST WALL: {} ({}) reached {:.0f} % at t = {:.3f} s\n", first->name,
                       first->kind, spec.walls.threshold * 100, first->first_hit->seconds());
    out << "  effect: " << wall_effect(*first, r) << "\n";
  } else if (!r.walls.empty()) {
    const sim::WallResult& n = r.walls.front();
    out << fmt::format(
        "NO WALL HIT (threshold {:.0f} %): nearest is {} ({}) at {:.1f} % peak, {:.1f} % "
        "headroom\n",
        spec.walls.threshold * 100, n.name, n.kind, n.peak_utilization * 100,
        (1 - n.peak_utilization) * 100);
  }
  out << "\n";
  std::size_t width = 28;
  for (const sim::WallResult& w : r.walls) width = std::max(width, w.name.size());
  out << fmt::format("{:>4}  {:<{}} {:<14} {:>14} {:>8} {:>8} {:>12} {:>9}\n", "rank", "resource",
                     width, "kind", "limit", "peak", "mean", "first hit", "headroom");
  for (const sim::WallResult& w : r.walls) {
    const std::string hit = w.first_hit ? fmt::format("{:.3f} s", w.first_hit->seconds()) : "-";
    // A temperature's headroom is the kelvins left below its limit (a ratio of degrees
    // Celsius means nothing); the other walls' is the share of the limit left.
    const std::string headroom =
        w.unit == "degC"
            ? fmt::format("{:.1f} K", std::max(0.0, w.limit * (1 - w.peak_utilization)))
            : fmt::format("{:.1f}%", std::max(0.0, 1 - w.peak_utilization) * 100);
    out << fmt::format("{:>4}  {:<{}} {:<14} {:>14} {:>7.1f}% {:>7.1f}% {:>12} {:>9}\n", w.rank,
                       w.name, width, w.kind, format_limit(w), w.peak_utilization * 100,
                       w.mean_utilization * 100, hit, headroom);
  }
  out << fmt::format(
      "first hit: level walls at the instant, rate walls at the start of the first {} window at "
      "the limit, latency SLOs at the request that took the running percentile over it\n\n",
      sim::format_quantity(spec.walls.window.seconds().value(), sim::dims::time, 3));
  r.workload().print_summary(out, r.summary);
  r.plant().print_summary(out, r.summary);
}

}  // namespace models
