// One axis of a study: a scenario path and the values it takes.
//
// Written as `PATH=VALUES` on the command line (`--axis`) or as `PATH: VALUES` under `axes:`
// of a study YAML. VALUES is
//   - a comma-separated list:      "2 /s,4 /s,8 /s"   (a study YAML may also give a YAML list)
//   - a range from:to:count:       "1 /s:64 /s:7"     (count values, both ends included)
//   - a log range:                 "log:1 /s:64 /s:7" (equal ratios: 1, 2, 4, ... 64 /s)
// In random and lhs modes a range is sampled continuously and takes no count.
//
// Values are substituted as YAML scalars at PATH; whether PATH exists and the unit fits is
// the scenario loader's to say (study.cpp validates every value that way before a point
// runs). Here only the form is checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config.hpp"

namespace models::study {

// One value of an axis: the node substituted at the axis path, and how /points shows it.
struct AxisValue {
  sim::config::Node node;        // a scalar, or any node from a study file's YAML list
  std::string text;              // the scalar's text (non-scalars: their YAML)
  std::optional<double> number;  // the value in the axis unit, when it is a number
};

struct Range {
  double from = 0;  // in the axis unit
  double to = 0;
  std::optional<std::int64_t> count;
  bool log = false;
};

struct Axis {
  std::string path;
  sim::config::Location where;    // the --axis flag or the key under `axes:`
  std::string written;            // VALUES as written (scalar form), for the stored study
  std::string unit;               // "" when the values are bare numbers or not numbers
  bool numeric = false;           // every value is a number (in `unit`)
  std::vector<AxisValue> values;  // the list, or the range's steps once it has a count
  std::optional<Range> range;     // set when written as a range
};

// Parses VALUES written as one scalar. Problems are added to `diags` at `where` with the
// axis path; returns nullopt then.
std::optional<Axis> parse_axis(std::string path, std::string_view values,
                               const sim::config::Location& where, sim::config::Diagnostics& diags);

// An axis from a YAML list of values (a study file): each item keeps its own location.
std::optional<Axis> list_axis(std::string path, const sim::config::Node& list,
                              const sim::config::Location& where, sim::config::Diagnostics& diags);

// The range's `count` values, both ends included; log ranges by equal ratios. Generated
// values are rounded to 12 significant digits, so 1:64:7 in log steps gives 2, not
// 1.9999999999999998. Requires range->count.
void expand_range(Axis& axis);

// The value at fraction u in [0, 1) of an axis: a range continuously (log: log-uniformly),
// a list by index floor(u * size).
AxisValue value_at(const Axis& axis, double u);

// Splits "2.5 /s" into (2.5, "/s"); "8" into (8, ""). nullopt when the text does not start
// with a number or what follows is not a unit the quantity parser knows.
std::optional<std::pair<double, std::string>> number_and_unit(std::string_view text);

// Shortest text that reads back as `x` ("2", "0.1", "3.3333333333333335", "1e+20").
std::string format_number(double x);

}  // namespace models::study
