// Time series sampled once per walls window: /timeseries/<name> with time_s, value and a
// unit. A window mean of a piecewise-constant signal comes from its integral (an exact
// ledger), an instantaneous value (a temperature) is taken at the window's end.
#pragma once

#include <string>
#include <vector>

#include "sim/h5_writer.hpp"
#include "sim/time.hpp"
#include "sim/trace.hpp"

namespace models {

class SeriesSet {
 public:
  // A new series; returns its index for add().
  std::size_t define(std::string name, std::string unit);
  void add(std::size_t series, sim::SimTime t, double value);
  void write(sim::h5::ResultFile& file) const;
  std::size_t size() const { return series_.size(); }
  // Also sends every sample to `tracer` (null: none) as a counter: "<group>.<name>" is
  // counter <name> of trace group <group> ("replica[0].power_per_gpu", "facility.power").
  void trace_to(sim::Tracer* tracer);

 private:
  struct Series {
    std::string name;
    std::string unit;
    std::vector<double> time_s;
    std::vector<double> value;
    sim::Tracer::Counter counter = 0;
  };
  void define_counter(Series& s);
  std::vector<Series> series_;
  sim::Tracer* tracer_ = nullptr;
};

// The integral of a piecewise-constant signal (watts, a clock ratio), for window means.
class Integrator {
 public:
  void set(sim::SimTime now, double value) {
    integrate(now);
    value_ = value;
  }
  double value() const { return value_; }
  // Integral from the start to `now` (value x seconds).
  double integral(sim::SimTime now) const {
    return integral_ + value_ * (now - last_).seconds().value();
  }

 private:
  void integrate(sim::SimTime now) {
    integral_ += value_ * (now - last_).seconds().value();
    last_ = now;
  }
  double value_ = 0;
  double integral_ = 0;
  sim::SimTime last_;
};

}  // namespace models
