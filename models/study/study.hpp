// A study: one base scenario expanded along axes into points (DESIGN.md "Data flow").
//
// Written as a study YAML
//   base: ../scenarios/default.yaml      # relative to the study file
//   mode: grid                           # grid | zip | random | lhs
//   n: 16                                # random and lhs only
//   seed: 1                              # master seed (default: the base scenario's)
//   axes:
//     workload.arrivals.rate: log:1 /s:64 /s:7
//     workload.tensor_parallel: [1, 2, 4]
// or as a base scenario plus `--axis PATH=VALUES` flags (which may also add axes to a study
// file). read_study() checks everything before a point runs: the form of every axis, the
// mode, and each axis value applied alone to the base and read by the scenario loader, whose
// messages about the value's form (an unknown path or name, a unit that does not fit, text
// that is not of the key's type) reject the study. Other problems -- a bound, weights that do
// not fit the GPUs, more replicas than the plant holds -- are the failure of the points that
// have them, recorded with the loader's located message when they run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/study/axis.hpp"
#include "sim/config.hpp"

namespace models::study {

enum class Mode { grid, zip, random, lhs };
std::string_view to_string(Mode m);

// What the command line says.
struct StudyArgs {
  std::string file;               // a study YAML (has `base:`) or a base scenario
  std::vector<std::string> axes;  // "PATH=VALUES", in order
  std::optional<std::string> mode;
  std::optional<std::int64_t> n;
  std::optional<std::uint64_t> seed;
  int jobs = 1;  // threads for checking the values with the scenario loader
};

struct Point {
  std::int64_t id = 0;
  std::uint64_t seed = 0;
  std::vector<AxisValue> values;  // one per axis, in axis order
};

struct Study {
  std::string file;        // as given
  std::string base_file;   // the base scenario (relative to the working directory)
  sim::config::Node base;  // the base scenario's tree, includes resolved
  std::string base_yaml;   // its text, as stored with the results
  std::string study_yaml;  // the study as run: file, flags and defaults, as YAML
  Mode mode = Mode::grid;
  std::int64_t n = 0;  // random and lhs
  std::uint64_t seed = 0;
  std::vector<Axis> axes;
  std::vector<Point> points;  // ids 0, 1, ... in order
};

// Reads, expands and validates a study; throws sim::config::InputError with every problem.
Study read_study(const StudyArgs& args);

// The seed of point `id`: SplitMix64 of (master ^ id), in [0, 2^62) so that it fits the
// scenario's `seed` bounds. Independent of how many threads run the points.
std::uint64_t point_seed(std::uint64_t master, std::int64_t id);

// The base scenario with the point's values substituted at their axis paths (and its seed,
// unless an axis sets `seed`). Substitution problems (a path through a scalar) go to `diags`.
sim::config::Node point_tree(const Study& study, const Point& point,
                             sim::config::Diagnostics& diags);

// Sets `value` at a dotted path, creating mappings on the way (their keys located at
// `where`). A path through a scalar or a list is reported at `where`.
void set_path(sim::config::Node& root, const std::string& path, sim::config::Node value,
              const sim::config::Location& where, sim::config::Diagnostics& diags);

}  // namespace models::study
