#include "models/study/walls.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "sim/h5_writer.hpp"

namespace models::study {

using sim::config::Diagnostics;
using sim::config::InputError;

namespace {

Evaluation evaluate(const Study& study, double u) {
  Evaluation e;
  e.u = u;
  const AxisValue v = value_at(study.axes.front(), u);
  e.value = v.number.value_or(std::numeric_limits<double>::quiet_NaN());
  e.text = v.text;
  try {
    // Common random numbers: every value runs with the study's one seed.
    const Point point{0, study.seed, {v}};
    Diagnostics diags;
    sim::config::Node tree = point_tree(study, point, diags);
    if (!diags.empty()) throw InputError(diags);
    const ScenarioSpec spec = load_scenario_tree(std::move(tree), study.base_file);
    const RunResult run = run_scenario(spec);
    e.ok = true;
    if (const sim::WallResult* w = run.first_wall()) e.first_wall = w->name;
    for (const sim::WallResult& w : run.walls)
      e.resources.push_back({w.name, w.kind, w.first_hit.has_value(), w.peak_utilization});
  } catch (const InputError& err) {
    for (const auto& d : err.diagnostics()) e.error += (e.error.empty() ? "" : "\n") + d.str();
  } catch (const std::exception& err) {
    e.error = std::string("internal error: ") + err.what();
  }
  return e;
}

// Runs the values at positions `us` on `jobs` threads, each its own engine.
std::vector<Evaluation> evaluate_all(const Study& study, const std::vector<double>& us, int jobs) {
  std::vector<Evaluation> out(us.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < us.size(); i = next.fetch_add(1))
      out[i] = evaluate(study, us[i]);
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::min<int>(jobs, static_cast<int>(us.size())); ++t)
    threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return out;
}

bool is_hit(const Evaluation& e, const std::string& name) {
  return std::any_of(e.resources.begin(), e.resources.end(),
                     [&](const Evaluation::Resource& r) { return r.name == name && r.hit; });
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

std::string with_unit(double x, const std::string& unit) {
  return fmt::format("{:.4g}", x) + (unit.empty() ? "" : " " + unit);
}

}  // namespace

std::string_view to_string(WallFound::Status s) {
  switch (s) {
    case WallFound::Status::hit:
      return "hit";
    case WallFound::Status::hit_at_start:
      return "hit_at_start";
    case WallFound::Status::not_within_range:
      return "not_within_range";
    case WallFound::Status::undetermined:
      return "undetermined";
  }
  return "undetermined";
}

WallSearch search_walls(const WallSearchArgs& args) {
  Diagnostics diags;
  if (!(args.tolerance > 0 && args.tolerance < 1))
    diags.add({"--tolerance", 0, 0}, "",
              fmt::format("must be > 0 % and < 100 % (got {:g} %)", args.tolerance * 100));
  if (args.grid_points < 2)
    diags.add({"--grid", 0, 0}, "", fmt::format("must be >= 2 (got {})", args.grid_points));
  if (!diags.empty()) throw InputError(diags);

  // The axis is read and checked as a continuous range of a one-point study: the loader says
  // whether the path exists and the units of --from and --to fit it.
  StudyArgs study_args;
  study_args.file = args.scenario;
  study_args.axes = {args.path + "=" + (args.log ? "log:" : "") + args.from + ":" + args.to};
  study_args.mode = "random";
  study_args.n = 1;
  study_args.seed = args.seed;
  study_args.jobs = args.jobs;
  WallSearch ws;
  ws.study = read_study(study_args);

  std::map<double, Evaluation> done;  // by position u
  auto run = [&](const std::vector<double>& us) {
    for (Evaluation& e : evaluate_all(ws.study, us, args.jobs)) done.emplace(e.u, std::move(e));
  };
  std::vector<double> grid;
  for (int i = 0; i < args.grid_points; ++i)
    grid.push_back(static_cast<double>(i) / static_cast<double>(args.grid_points - 1));
  run(grid);

  // Every resource any run registered, in the order the lowest values rank them.
  std::vector<WallFound> walls;
  std::set<std::string> known;
  for (const auto& [u, e] : done) {
    for (const auto& r : e.resources) {
      if (known.insert(r.name).second) {
        WallFound w;
        w.name = r.name;
        w.kind = r.kind;
        walls.push_back(std::move(w));
      }
    }
  }
  std::set<std::string> resolved;
  while (true) {
    std::set<double> mids;
    for (WallFound& w : walls) {
      if (resolved.count(w.name) != 0) continue;
      // The bracket: the first value that hits, and the last value below it that does not.
      const Evaluation* hi = nullptr;
      for (const auto& [u, e] : done) {
        if (e.ok && is_hit(e, w.name)) {
          hi = &e;
          break;
        }
      }
      const Evaluation* lo = nullptr;
      for (const auto& [u, e] : done) {
        if (hi != nullptr && u >= hi->u) break;
        if (e.ok) lo = &e;
      }
      if (hi == nullptr) {
        w.status = WallFound::Status::not_within_range;
        resolved.insert(w.name);
        continue;
      }
      w.value = hi->value;
      if (lo == nullptr) {
        w.status = hi->u == 0.0 ? WallFound::Status::hit_at_start : WallFound::Status::undetermined;
        resolved.insert(w.name);
        continue;
      }
      w.below = lo->value;
      w.status = WallFound::Status::hit;
      if (std::abs(hi->value - lo->value) <= args.tolerance * std::abs(hi->value)) {
        resolved.insert(w.name);
        continue;
      }
      const double mid = 0.5 * (lo->u + hi->u);
      const auto it = done.find(mid);
      if ((it != done.end() && !it->second.ok) || mid <= lo->u || mid >= hi->u) {
        // The run at the midpoint failed (or the positions cannot be split further).
        w.status = WallFound::Status::undetermined;
        resolved.insert(w.name);
        continue;
      }
      mids.insert(mid);
    }
    if (mids.empty()) break;
    run(std::vector<double>(mids.begin(), mids.end()));
  }

  // Peak utilization at the largest value that ran: the headroom of walls never hit.
  const Evaluation* last = nullptr;
  for (const auto& [u, e] : done) {
    if (e.ok) last = &e;
  }
  for (WallFound& w : walls) {
    if (last == nullptr) break;
    for (const auto& r : last->resources) {
      if (r.name == w.name) w.peak_at_end = r.peak;
    }
  }
  const auto is_found = [](const WallFound& w) {
    return w.status == WallFound::Status::hit || w.status == WallFound::Status::hit_at_start;
  };
  std::stable_sort(walls.begin(), walls.end(), [&](const WallFound& a, const WallFound& b) {
    if (is_found(a) != is_found(b)) return is_found(a);
    if (is_found(a)) return a.value < b.value;
    const bool au = a.status == WallFound::Status::undetermined;
    const bool bu = b.status == WallFound::Status::undetermined;
    if (au != bu) return !au;
    return a.peak_at_end > b.peak_at_end;
  });
  int rank = 0;
  for (WallFound& w : walls) {
    if (is_found(w)) w.rank = ++rank;
  }
  ws.walls = std::move(walls);
  for (auto& [u, e] : done) ws.evaluations.push_back(std::move(e));
  return ws;
}

std::string wall_report(const WallSearch& search, const WallSearchArgs& args) {
  const Axis& axis = search.study.axes.front();
  const std::string& unit = axis.unit;
  std::size_t failed = 0;
  for (const Evaluation& e : search.evaluations) failed += e.ok ? 0 : 1;
  std::string out = fmt::format(
      "walls along {} from {} to {} ({} steps, tolerance {:g} %, seed {}, {} runs{})\n", axis.path,
      args.from, args.to, args.log ? "log" : "linear", args.tolerance * 100, search.study.seed,
      search.evaluations.size(), failed > 0 ? fmt::format(", {} failed", failed) : "");
  std::size_t width = 4;
  for (const WallFound& w : search.walls) width = std::max(width, w.name.size());
  out += fmt::format("{:<5} {:<{}}  {:<14} {:<18} {}\n", "rank", "wall", width, "kind",
                     "first hit at", "vs first");
  const WallFound* first =
      search.walls.empty() || search.walls.front().rank != 1 ? nullptr : &search.walls.front();
  for (const WallFound& w : search.walls) {
    std::string at, vs;
    switch (w.status) {
      case WallFound::Status::hit:
        at = with_unit(w.value, unit);
        if (first != nullptr && &w != first && first->value != 0)
          vs = fmt::format("{:+.0f} %", (w.value / first->value - 1) * 100);
        break;
      case WallFound::Status::hit_at_start:
        at = "<= " + with_unit(w.value, unit);
        break;
      case WallFound::Status::not_within_range:
        at = "not within range";
        vs = fmt::format("peak {:.0f} % at {}", w.peak_at_end * 100, args.to);
        break;
      case WallFound::Status::undetermined:
        at = "undetermined";
        vs = "a run in its bracket failed, or it was hit at a value but not above it";
        break;
    }
    out += fmt::format("{:<5} {:<{}}  {:<14} {:<18} {}\n",
                       w.rank > 0 ? std::to_string(w.rank) : "-", w.name, width, w.kind, at, vs);
  }
  if (first != nullptr) {
    out += fmt::format("first wall: {} at {}{}\n", first->name,
                       first->status == WallFound::Status::hit_at_start ? "<= " : "",
                       with_unit(first->value, unit));
  } else {
    out += "first wall: none within range\n";
  }
  for (const Evaluation& e : search.evaluations) {
    if (!e.ok)
      out += fmt::format("run at {} failed: {}\n", e.text, e.error.substr(0, e.error.find('\n')));
  }
  return out;
}

void write_wall_search(const std::string& path, const WallSearch& search,
                       const WallSearchArgs& args) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const Axis& axis = search.study.axes.front();
  sim::h5::ResultFile f(path);
  f.set_attribute("firstwall_version", std::string(FIRSTWALL_VERSION_STRING));
  f.set_attribute("scenario_yaml", search.study.base_yaml);
  f.set_attribute("scenario_file", search.study.base_file);
  f.set_attribute("axis", axis.path);
  f.set_attribute("unit", axis.unit);
  f.set_attribute("from", args.from);
  f.set_attribute("to", args.to);
  f.set_attribute("steps", std::string(args.log ? "log" : "linear"));
  f.set_attribute("tolerance", args.tolerance);
  f.set_attribute("seed", static_cast<std::int64_t>(search.study.seed));
  f.set_attribute("created_utc", utc_now());

  sim::h5::Table walls;
  std::vector<std::int64_t> rank;
  std::vector<std::string> name, kind, status;
  std::vector<double> value, below, peak;
  for (const WallFound& w : search.walls) {
    rank.push_back(w.rank);
    name.push_back(w.name);
    kind.push_back(w.kind);
    status.emplace_back(to_string(w.status));
    const bool found =
        w.status == WallFound::Status::hit || w.status == WallFound::Status::hit_at_start;
    value.push_back(found ? w.value : kNaN);
    below.push_back(w.below.value_or(kNaN));
    peak.push_back(w.peak_at_end);
  }
  walls.add("rank", "", std::move(rank))
      .add("name", std::move(name))
      .add("kind", std::move(kind))
      .add("status", std::move(status))
      .add("value", axis.unit, std::move(value))
      .add("below", axis.unit, std::move(below))
      .add("peak_utilization_at_to", "", std::move(peak));
  f.write_table("/walls", walls,
                {{"axis", axis.path},
                 {"meaning",
                  "value: the smallest axis value found to hit the resource (within the "
                  "tolerance of below, the largest found not to); rank orders hit walls by it"}});

  sim::h5::Table ev;
  std::vector<double> evalue;
  std::vector<std::string> estatus, error, first_wall, hits;
  for (const Evaluation& e : search.evaluations) {
    evalue.push_back(e.value);
    estatus.emplace_back(e.ok ? "ok" : "failed");
    error.push_back(e.error);
    first_wall.push_back(e.first_wall);
    std::string h;
    for (const auto& r : e.resources) {
      if (r.hit) h += (h.empty() ? "" : ",") + r.name;
    }
    hits.push_back(h);
  }
  ev.add("value", axis.unit, std::move(evalue))
      .add("status", std::move(estatus))
      .add("error", std::move(error))
      .add("first_wall", std::move(first_wall))
      .add("walls_hit", std::move(hits));
  f.write_table("/evaluations", ev, {{"axis", axis.path}});
  f.commit();
}

}  // namespace models::study
