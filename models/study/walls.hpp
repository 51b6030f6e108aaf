// The first wall along an axis (`firstwall walls`): for each resource, the smallest axis
// value in [from, to] at which it is hit.
//
// Bracket, then bisect. A grid of `grid_points` values (log-spaced for a log axis) brackets
// each resource between the last value where it is not hit and the first where it is; then
// each bracket is halved (geometric mean on a log axis) until it is within the relative
// tolerance of its upper end. Every round evaluates the midpoints of all open brackets at
// once on `jobs` threads, and every evaluation narrows every bracket it falls in. All runs
// share one seed (common random numbers): the requests, lengths and arrival pattern are the
// same at every axis value, only the value differs, so the hit/no-hit outcome of nearby
// values is comparable. The search assumes that hitting is monotone along the axis (more
// load, more racks, hotter water); the grid shows where it is not (a hit followed by a miss)
// and the resource is then reported at its first hit on the grid's bracket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/study/study.hpp"

namespace models::study {

struct WallSearchArgs {
  std::string scenario;
  std::string path;      // the axis
  std::string from, to;  // with units
  bool log = false;
  double tolerance = 0.01;  // relative, of the found value
  int grid_points = 8;
  int jobs = 1;
  std::optional<std::uint64_t> seed;
};

struct WallFound {
  std::string name, kind;
  enum class Status {
    hit,
    hit_at_start,
    not_within_range,
    undetermined
  } status = Status::not_within_range;
  double value = 0;             // smallest value known to hit (axis unit); hit / hit_at_start
  std::optional<double> below;  // largest value known not to hit
  double peak_at_end = 0;       // peak utilization at the largest value evaluated
  int rank = 0;                 // 1.. among hit walls by value; 0 otherwise
};
std::string_view to_string(WallFound::Status s);

struct Evaluation {
  double u = 0;      // position in the range, 0 (from) .. 1 (to); log axes in log space
  double value = 0;  // axis unit
  std::string text;  // as substituted
  bool ok = false;
  std::string error;
  std::string first_wall;
  struct Resource {
    std::string name, kind;
    bool hit = false;
    double peak = 0;  // peak utilization
  };
  std::vector<Resource> resources;  // in the run's ranking
};

struct WallSearch {
  Study study;                          // one axis: the range [from, to]
  std::vector<WallFound> walls;         // ranked: hit walls by value, then the rest by peak
  std::vector<Evaluation> evaluations;  // by value
};

// Throws sim::config::InputError for a bad axis, range or tolerance before any run.
WallSearch search_walls(const WallSearchArgs& args);

// walls.h5: root attributes (scenario_yaml, axis, unit, from, to, tolerance, seed, ...),
// /walls (one row per resource) and /evaluations (one row per run), atomically.
void write_wall_search(const std::string& path, const WallSearch& search,
                       const WallSearchArgs& args);

// The ranked table as printed by the CLI.
std::string wall_report(const WallSearch& search, const WallSearchArgs& args);

}  // namespace models::study
