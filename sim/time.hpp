// Simulated time: an int64 count of nanoseconds since the start of the run.
//
// Why integers (as ns-3's nstime.h argues): equal times compare equal, sums are exact and
// associative, and a run is bit-for-bit reproducible. int64 ns spans +-292 years, enough for
// a year of seasonal weather or a three-month training run. A time point (SimTime) and a
// span (Duration) are different types, so "time + time" does not compile.
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/units.hpp"

namespace sim {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration ns(std::int64_t n) { return Duration(n); }
  static constexpr Duration us(std::int64_t n) { return Duration(n * 1'000); }
  static constexpr Duration ms(std::int64_t n) { return Duration(n * 1'000'000); }
  static constexpr Duration s(std::int64_t n) { return Duration(n * 1'000'000'000); }
  // Rounds to the nearest nanosecond; a physics result of a few ns rounds to 0 only if it
  // is below 0.5 ns. Out-of-range or NaN input is a programming error.
  static Duration from_seconds(Seconds s) {
    const double ns = std::round(s.value() * 1e9);
    if (!(std::fabs(ns) < 9.2e18))
      throw std::overflow_error("Duration::from_seconds: out of range");
    return Duration(static_cast<std::int64_t>(ns));
  }
  static constexpr Duration max() { return Duration(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t count_ns() const { return ns_; }
  constexpr Seconds seconds() const { return Seconds(static_cast<double>(ns_) * 1e-9); }

  friend constexpr Duration operator+(Duration a, Duration b) { return Duration(a.ns_ + b.ns_); }
  friend constexpr Duration operator-(Duration a, Duration b) { return Duration(a.ns_ - b.ns_); }
  friend constexpr Duration operator*(Duration a, std::int64_t k) { return Duration(a.ns_ * k); }
  friend constexpr auto operator<=>(Duration, Duration) = default;
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }

 private:
  constexpr explicit Duration(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

class SimTime {
 public:
  constexpr SimTime() = default;
  static constexpr SimTime zero() { return SimTime(); }
  static constexpr SimTime from_ns(std::int64_t ns) {
    SimTime t;
    t.ns_ = ns;
    return t;
  }
  static constexpr SimTime max() { return from_ns(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

  friend constexpr SimTime operator+(SimTime t, Duration d) {
    return from_ns(t.ns_ + d.count_ns());
  }
  friend constexpr SimTime operator-(SimTime t, Duration d) {
    return from_ns(t.ns_ - d.count_ns());
  }
  friend constexpr Duration operator-(SimTime a, SimTime b) { return Duration::ns(a.ns_ - b.ns_); }
  friend constexpr auto operator<=>(SimTime, SimTime) = default;

 private:
  std::int64_t ns_ = 0;
};

}  // namespace sim
