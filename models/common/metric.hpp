// One scalar result of a run, with its unit: a row of /summary and a line of the report.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace models {

struct Metric {
  std::string name;
  double value = 0;
  std::string unit;
};

using Metrics = std::vector<Metric>;

// The value of metric `name`, NaN if absent.
inline double metric_value(const Metrics& metrics, const std::string& name) {
  for (const Metric& m : metrics) {
    if (m.name == name) return m.value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace models
