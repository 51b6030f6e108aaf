// Human-readable simulated times for messages and reports.
#pragma once

#include <cstdio>
#include <string>

#include "sim/time.hpp"

namespace sim {

// "12.345678 s" (microsecond resolution is what a reader of a report wants; exact ns are
// in the data files).
inline std::string format_time(SimTime t) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6f s", t.seconds());
  return buf;
}

}  // namespace sim
