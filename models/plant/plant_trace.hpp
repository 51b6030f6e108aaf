// What the plant shows in a trace (`firstwall run --trace`, sim/trace.hpp), kept apart from
// the coupling code so that plant.cpp only reports what happened:
//
//   <group>        lane "clock":   a slice per period the group ran below full clock, named
//                                  by what set the clock (power cap, power limit, thermal
//                                  slowdown, hardware slowdown); periods split where the cause
//                                  changes. Their total is the group's throttled busy time,
//                                  the numerator of the summary's throttled_share.
//                  lane "thermal": instants: slowdown / hardware slowdown / shutdown reached
//   power control  lane "server[k]": a slice per period the capping controller held the
//                                  server's GPU power limit below the full limit, from the
//                                  tick that lowered it to the tick that gave it all back
//                  lane "breakers": instants: a breaker opened
//   counters       every window series of the results file (models/plant/series.hpp)
//
// Built only when the engine has a tracer.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"
#include "sim/trace.hpp"

namespace models {

class PlantTrace {
 public:
  explicit PlantTrace(sim::Tracer& tracer);

  // A GPU group, in placement order; returns its id for the calls below.
  std::size_t add_group(std::string_view name);
  // At an iteration's start: its clock ratio and, below full clock, what set it.
  void iteration(std::size_t group, sim::SimTime now, double clock_ratio, const char* cause);
  // The group stopped being busy (idle, or stopped): a throttled period ends.
  void idle(std::size_t group, sim::SimTime now);
  void thermal_event(std::size_t group, sim::SimTime now, std::string_view what);
  // At a control tick: each server's GPU power limit (W per GPU) against the full limit.
  void control_tick(sim::SimTime now, const std::vector<double>& limits, double full);
  void trip(sim::SimTime now, std::string_view point);
  // Closes what is still open at the run's end.
  void finish(sim::SimTime end);

 private:
  struct Group {
    std::string name;
    sim::Tracer::Track clock;
    std::optional<sim::Tracer::Track> thermal;
    std::optional<sim::SimTime> since;  // an open throttled period
    const char* cause = nullptr;
    double lowest = 1;
  };
  struct Server {
    std::optional<sim::Tracer::Track> track;
    std::optional<sim::SimTime> since;  // an open capped period
    double lowest = 0;
  };
  void close(Group& g, sim::SimTime end);
  void close(Server& s, sim::SimTime end);

  sim::Tracer& tracer_;
  std::vector<Group> groups_;
  std::vector<Server> servers_;
  std::optional<sim::Tracer::Track> breakers_;
};

}  // namespace models
