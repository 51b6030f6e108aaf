#include "models/study/study.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <numeric>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "models/scenario/scenario.hpp"
#include "sim/random.hpp"

namespace models::study {

using sim::config::Bounds;
using sim::config::Diagnostic;
using sim::config::Diagnostics;
using sim::config::InputError;
using sim::config::Location;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

namespace {

constexpr std::string_view kModes[] = {"grid", "zip", "random", "lhs"};
// A grid beyond this is a typo in a count, not a study (and would not fit in memory).
constexpr std::int64_t kMaxPoints = 10'000'000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool same_place(const Location& a, const Location& b) {
  return a.file == b.file && a.line == b.line && a.column == b.column;
}

std::optional<Mode> mode_of(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kModes); ++i) {
    if (kModes[i] == name) return static_cast<Mode>(i);
  }
  return std::nullopt;
}

// Reads the axes of a study file: `axes:` maps PATH to VALUES text or a YAML list.
void read_file_axes(const Node* axes, std::vector<Axis>& out, Diagnostics& diags) {
  if (axes == nullptr || axes->is_null()) return;
  if (!axes->is_mapping()) {
    diags.add(
        axes->location(), "axes",
        "must be a mapping of PATH: VALUES (got " + std::string(kind_name(axes->kind())) + ")");
    return;
  }
  for (const auto& [path, value] : axes->entries()) {
    std::optional<Axis> axis;
    if (value.is_sequence()) {
      axis = list_axis(path, value, value.location(), diags);
    } else if (value.is_scalar()) {
      axis = parse_axis(path, value.scalar(), value.location(), diags);
    } else {
      diags.add(value.location(), path,
                "must be VALUES (a,b,c or from:to:count) or a list (got " +
                    std::string(kind_name(value.kind())) + ")");
    }
    if (axis) out.push_back(std::move(*axis));
  }
}

void read_flag_axes(const std::vector<std::string>& flags, std::vector<Axis>& out,
                    Diagnostics& diags) {
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const Location where{"--axis", static_cast<int>(i + 1), 1};
    const std::string_view flag = flags[i];
    const std::size_t eq = flag.find('=');
    const std::string_view path = eq == std::string_view::npos ? "" : trim(flag.substr(0, eq));
    if (path.empty()) {
      diags.add(where, "", "--axis expects PATH=VALUES (got \"" + std::string(flag) + "\")");
      continue;
    }
    if (auto axis = parse_axis(std::string(path), flag.substr(eq + 1), where, diags))
      out.push_back(std::move(*axis));
  }
}

// The scenario's own seed (the study's default master seed); 0 when absent or not a number.
std::uint64_t base_seed(const Node& base) {
  const Node* s = base.is_mapping() ? base.find("seed") : nullptr;
  if (s == nullptr || !s->is_scalar()) return 0;
  try {
    return std::stoull(s->scalar());
  } catch (const std::exception&) {
    return 0;  // the loader reports a bad seed when the points are read
  }
}

// Every value an axis can take that the loader should see before any point runs: the list,
// the range's steps, or a continuous range's two ends.
std::vector<AxisValue> values_to_check(const Axis& axis) {
  if (!axis.values.empty()) return axis.values;
  return {value_at(axis, 0.0), value_at(axis, 1.0)};
}

// Whether a loader message says the value does not fit its key whatever the other keys
// hold: the path does not exist, the unit is not the key's, the text is not of the key's
// type or not one of its names. Those make a study bad. Others -- a bound, a check across
// keys (weights that do not fit tensor_parallel GPUs, replicas the plant cannot hold) --
// are the failure of the points that have the value, recorded when they run.
bool is_form_error(std::string_view message) {
  constexpr std::string_view kForms[] = {
      "unknown ",  // key (with "did you mean"), unit, catalog name
      "not a scenario path",
      "expected ",  // the quantity parser: a unit of another dimension, a bare number
      "a temperature difference is written in K",
      "must be one of",  // a choice
      "must be an integer",
      "must be a number",
      "must be true or false",
      "must be a scalar",
      "must be a mapping",
      "integer out of range",
      "number out of range",
  };
  return std::any_of(std::begin(kForms), std::end(kForms),
                     [&](std::string_view f) { return message.starts_with(f); });
}

// The loader's messages located at an axis value, for the base scenario with `values`
// substituted (a different value on the axis being checked).
std::vector<Diagnostic> messages_at(const Study& s, const std::vector<const AxisValue*>& values,
                                    std::size_t axis) {
  Node tree = s.base;
  Diagnostics substitution;
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    if (values[a] != nullptr)
      set_path(tree, s.axes[a].path, values[a]->node, s.axes[a].where, substitution);
  }
  std::vector<Diagnostic> found;
  for (const Diagnostic& d : substitution.sorted()) {
    if (same_place(d.where, s.axes[axis].where) && is_form_error(d.message)) found.push_back(d);
  }
  if (!substitution.empty()) return found;
  try {
    (void)load_scenario_tree(std::move(tree), s.base_file);
  } catch (const InputError& e) {
    for (const Diagnostic& d : e.diagnostics()) {
      if ((same_place(d.where, s.axes[axis].where) ||
           same_place(d.where, values[axis]->node.location())) &&
          is_form_error(d.message))
        found.push_back(d);
    }
  } catch (const std::exception&) {
    // Not a message about the value: the point that hits it records it when it runs.
  }
  return found;
}

// Each value applied alone to the base and read by the scenario loader. A message about the
// value's form located at it (is_form_error) makes the study bad -- unless the value reads
// cleanly in some combination with the other axes' values (a key that exists only for a
// workload kind another axis selects). Up to kContexts points are tried as combinations.
void check_with_loader(const Study& s, int jobs, Diagnostics& diags) {
  constexpr std::size_t kContexts = 16;
  struct Check {
    std::size_t axis;
    const AxisValue* value;
    std::vector<Diagnostic> found;
  };
  std::vector<std::vector<AxisValue>> values(s.axes.size());
  std::vector<Check> checks;
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    values[a] = values_to_check(s.axes[a]);
    std::set<std::string> tried;
    for (const AxisValue& v : values[a]) {
      if (tried.insert(v.text).second) checks.push_back({a, &v, {}});
    }
  }
  // One load per value: spread over the sweep's threads like its points (each check reads
  // the shared base and builds its own tree).
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < checks.size(); i = next.fetch_add(1)) {
      Check& c = checks[i];
      std::vector<const AxisValue*> alone(s.axes.size(), nullptr);
      alone[c.axis] = c.value;
      c.found = messages_at(s, alone, c.axis);
      if (c.found.empty()) continue;
      for (std::size_t p = 0; p < std::min(kContexts, s.points.size()); ++p) {
        std::vector<const AxisValue*> combination;
        for (const AxisValue& pv : s.points[p].values) combination.push_back(&pv);
        combination[c.axis] = c.value;
        if (messages_at(s, combination, c.axis).empty()) {
          c.found.clear();
          break;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::min<int>(jobs, static_cast<int>(checks.size())); ++t)
    threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  std::set<std::string> seen;
  for (Check& c : checks) {
    for (Diagnostic& d : c.found) {
      if (seen.insert(d.str()).second) diags.add(d.where, d.path, d.message);
    }
  }
}

std::vector<Point> expand(const Study& s) {
  std::vector<Point> points;
  const std::size_t k = s.axes.size();
  auto add = [&](std::vector<AxisValue> values) {
    const auto id = static_cast<std::int64_t>(points.size());
    points.push_back(Point{id, point_seed(s.seed, id), std::move(values)});
  };
  switch (s.mode) {
    case Mode::grid: {
      std::int64_t total = 1;
      for (const Axis& a : s.axes) total *= static_cast<std::int64_t>(a.values.size());
      // Row-major: the last axis varies fastest, as in nested loops over the axes in order.
      for (std::int64_t id = 0; id < total; ++id) {
        std::vector<AxisValue> values(k);
        std::int64_t rest = id;
        for (std::size_t a = k; a-- > 0;) {
          const auto size = static_cast<std::int64_t>(s.axes[a].values.size());
          values[a] = s.axes[a].values[static_cast<std::size_t>(rest % size)];
          rest /= size;
        }
        add(std::move(values));
      }
      break;
    }
    case Mode::zip: {
      for (std::size_t i = 0; i < s.axes.front().values.size(); ++i) {
        std::vector<AxisValue> values;
        for (const Axis& a : s.axes) values.push_back(a.values[i]);
        add(std::move(values));
      }
      break;
    }
    case Mode::random: {
      sim::RngStream rng(s.seed, "study", "random");
      for (std::int64_t i = 0; i < s.n; ++i) {
        std::vector<AxisValue> values;
        for (const Axis& a : s.axes) values.push_back(value_at(a, rng.uniform01()));
        add(std::move(values));
      }
      break;
    }
    case Mode::lhs: {
      // Latin hypercube (McKay, Beckman & Conover 1979): each axis is cut into n equal
      // strata, and a random permutation gives every point its own stratum on every axis.
      sim::RngStream rng(s.seed, "study", "lhs");
      const auto n = static_cast<std::size_t>(s.n);
      std::vector<std::vector<double>> u(k, std::vector<double>(n));
      for (std::size_t a = 0; a < k; ++a) {
        std::vector<std::size_t> perm(n);
        std::iota(perm.begin(), perm.end(), 0);
        for (std::size_t i = n; i-- > 1;) std::swap(perm[i], perm[rng.uniform_index(i + 1)]);
        for (std::size_t i = 0; i < n; ++i)
          u[a][i] = (static_cast<double>(perm[i]) + rng.uniform01()) / static_cast<double>(n);
      }
      for (std::size_t i = 0; i < n; ++i) {
        std::vector<AxisValue> values;
        for (std::size_t a = 0; a < k; ++a) values.push_back(value_at(s.axes[a], u[a][i]));
        add(std::move(values));
      }
      break;
    }
  }
  return points;
}

std::string study_as_yaml(const Study& s) {
  Node root = Node::make_mapping({});
  root.set("base", Node::make_scalar(s.base_file, {}), {});
  root.set("mode", Node::make_scalar(std::string(to_string(s.mode)), {}), {});
  if (s.mode == Mode::random || s.mode == Mode::lhs)
    root.set("n", Node::make_scalar(std::to_string(s.n), {}), {});
  root.set("seed", Node::make_scalar(std::to_string(s.seed), {}), {});
  Node axes = Node::make_mapping({});
  for (const Axis& a : s.axes) {
    if (!a.written.empty()) {
      axes.set(a.path, Node::make_scalar(a.written, {}), {});
    } else {
      Node list = Node::make_sequence({});
      for (const AxisValue& v : a.values) list.push_back(v.node);
      axes.set(a.path, std::move(list), {});
    }
  }
  root.set("axes", std::move(axes), {});
  return sim::config::to_yaml(root);
}

}  // namespace

std::string_view to_string(Mode m) {
  return kModes[static_cast<std::size_t>(m)];
}

std::uint64_t point_seed(std::uint64_t master, std::int64_t id) {
  std::uint64_t state = master ^ static_cast<std::uint64_t>(id);
  return sim::splitmix64(state) >> 2;
}

void set_path(Node& root, const std::string& path, Node value, const Location& where,
              Diagnostics& diags) {
  if (!sim::config::valid_path(path)) {
    diags.add(where, path,
              "not a scenario path (write keys separated by dots: a.b.c, list items as "
              "key[0])");
    return;
  }
  if (!root.is_mapping()) {
    diags.add(where, path, "the base scenario's top level is not a mapping");
    return;
  }
  const sim::config::PathSlot slot = sim::config::slot_at(root, path, where);
  if (!slot) {
    diags.add(where, path,
              "not a scenario path: \"" + slot.prefix + "\" " +
                  (slot.problem.empty()
                       ? "is " + std::string(kind_name(slot.kind)) + " in the base scenario"
                       : slot.problem + " in the base scenario"));
    return;
  }
  slot.assign(std::move(value), where);
}

Node point_tree(const Study& study, const Point& point, Diagnostics& diags) {
  Node tree = study.base;
  bool seed_axis = false;
  for (std::size_t a = 0; a < study.axes.size(); ++a) {
    set_path(tree, study.axes[a].path, point.values[a].node, study.axes[a].where, diags);
    seed_axis = seed_axis || study.axes[a].path == "seed";
  }
  // An axis over `seed` (replications) sets the seed itself.
  if (!seed_axis)
    set_path(tree, "seed", Node::make_scalar(std::to_string(point.seed), {study.file, 0, 0}),
             {study.file, 0, 0}, diags);
  return tree;
}

Study read_study(const StudyArgs& args) {
  Diagnostics diags;
  Node root = sim::config::load_file(args.file, diags);
  if (!diags.empty()) throw InputError(diags);

  Study s;
  s.file = args.file;
  std::optional<std::string> mode_name;
  Location mode_where{args.file, 0, 0};
  std::optional<std::int64_t> n;
  std::optional<std::uint64_t> seed;
  const bool is_study_file = root.is_mapping() && root.find("base") != nullptr;
  if (is_study_file) {
    Reader top(&root, "", diags);
    const auto base = top.string("base", Need::required);
    if (const Node* m = root.find("mode")) mode_where = m->location();
    mode_name = top.choice("mode", kModes, Need::optional);
    n = top.integer("n", Need::optional, Bounds::at_least(1));
    if (auto v = top.integer("seed", Need::optional, Bounds::between(0, 9.2e18)))
      seed = static_cast<std::uint64_t>(*v);
    read_file_axes(top.node("axes", Need::optional), s.axes, diags);
    top.finish();
    if (!base) throw InputError(diags);
    namespace fs = std::filesystem;
    const fs::path p(*base);
    s.base_file = p.is_absolute()
                      ? p.string()
                      : (fs::path(args.file).parent_path() / p).lexically_normal().string();
    std::error_code ec;
    if (!fs::is_regular_file(s.base_file, ec)) {
      // Said at the study's `base:` line, where the path was written.
      diags.add(
          root.find("base")->location(), "base",
          "no scenario file \"" + s.base_file + "\" (the path is relative to the study file)");
      throw InputError(diags);
    }
    s.base = sim::config::load_file(s.base_file, diags);
  } else {
    s.base_file = args.file;
    s.base = std::move(root);
  }
  read_flag_axes(args.axes, s.axes, diags);

  if (args.mode) {
    mode_name = *args.mode;
    mode_where = {"--mode", 0, 0};
  }
  s.mode = Mode::grid;
  if (mode_name) {
    if (auto m = mode_of(*mode_name)) {
      s.mode = *m;
    } else {
      diags.add(mode_where, "mode",
                "must be one of: grid, zip, random, lhs (got \"" + *mode_name + "\")");
    }
  }
  Location n_where{args.file, 0, 0};
  if (args.n) {
    n = *args.n;
    n_where = {"-n", 0, 0};
    if (*n < 1) diags.add(n_where, "n", fmt::format("must be >= 1 (got {})", *n));
  } else if (const Node* nn = root.is_mapping() && is_study_file ? root.find("n") : nullptr) {
    n_where = nn->location();
  }
  const bool sampled = s.mode == Mode::random || s.mode == Mode::lhs;
  // (An `n:` the reader refused was reported already.)
  const bool n_written = is_study_file && root.find("n") != nullptr;
  if (sampled && !n && !n_written) {
    diags.add(mode_where, "n",
              fmt::format("{} mode needs the number of points (-n N, or n: in a study file)",
                          to_string(s.mode)));
  }
  if (!sampled && n) {
    diags.add(
        n_where, "n",
        fmt::format("n is used only in random and lhs modes (the mode is {})", to_string(s.mode)));
  }
  s.n = sampled && n ? std::min(*n, kMaxPoints) : 0;
  s.seed = args.seed ? *args.seed : seed ? *seed : base_seed(s.base);

  // (Axes that were given but malformed are reported as such, not as missing.)
  if (s.axes.empty() && diags.empty()) {
    diags.add({args.file, 0, 0}, "",
              "no axes: give --axis PATH=VALUES, or axes: in a study file with base:");
  }
  for (std::size_t i = 0; i < s.axes.size(); ++i) {
    Axis& a = s.axes[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (s.axes[j].path == a.path) {
        const Location& w = s.axes[j].where;
        diags.add(a.where, a.path,
                  fmt::format("axis given twice (first at {}:{}:{})", w.file, w.line, w.column));
      }
    }
    if (!a.range) continue;
    if (!sampled && !a.range->count) {
      diags.add(a.where, a.path,
                fmt::format("a range needs a count in {} mode: from:to:count", to_string(s.mode)));
    }
    if (sampled && a.range->count) {
      diags.add(a.where, a.path,
                fmt::format("a range takes no count in {} mode (n sets the number of points): "
                            "write from:to",
                            to_string(s.mode)));
    }
  }
  if (s.mode == Mode::zip && diags.empty()) {
    const Axis& first = s.axes.front();
    for (const Axis& a : s.axes) {
      if (a.values.size() != first.values.size()) {
        diags.add(a.where, a.path,
                  fmt::format("zip mode needs as many values on every axis: this one has {}, "
                              "{} has {}",
                              a.values.size(), first.path, first.values.size()));
      }
    }
  }
  if (s.mode == Mode::grid && diags.empty()) {
    double total = 1;
    for (const Axis& a : s.axes) total *= static_cast<double>(a.values.size());
    if (total > static_cast<double>(kMaxPoints)) {
      diags.add(s.axes.front().where, "",
                fmt::format("the grid has {:.0f} points, more than {}", total, kMaxPoints));
    }
  }
  if (!diags.empty()) throw InputError(diags);

  s.base_yaml = sim::config::to_yaml(s.base);
  s.points = expand(s);
  check_with_loader(s, std::max(1, args.jobs), diags);
  if (!diags.empty()) throw InputError(diags);
  s.study_yaml = study_as_yaml(s);
  return s;
}

}  // namespace models::study
