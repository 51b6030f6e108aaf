#include "models/plant/plant_trace.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace models {

PlantTrace::PlantTrace(sim::Tracer& tracer) : tracer_(tracer) {}

std::size_t PlantTrace::add_group(std::string_view name) {
  Group g;
  g.name = std::string(name);
  g.clock = tracer_.track(name, "clock");
  groups_.push_back(std::move(g));
  return groups_.size() - 1;
}

void PlantTrace::close(Group& g, sim::SimTime end) {
  if (!g.since) return;
  tracer_.slice(g.clock, g.cause, *g.since, end, {{"lowest_clock_ratio", g.lowest}});
  g.since.reset();
}

void PlantTrace::iteration(std::size_t group, sim::SimTime now, double clock_ratio,
                           const char* cause) {
  Group& g = groups_.at(group);
  if (clock_ratio >= 1 || !cause) {
    close(g, now);
    return;
  }
  if (g.since && std::string_view(g.cause) != cause) close(g, now);
  if (!g.since) {
    g.since = now;
    g.cause = cause;
    g.lowest = clock_ratio;
  }
  g.lowest = std::min(g.lowest, clock_ratio);
}

void PlantTrace::idle(std::size_t group, sim::SimTime now) {
  close(groups_.at(group), now);
}

void PlantTrace::thermal_event(std::size_t group, sim::SimTime now, std::string_view what) {
  Group& g = groups_.at(group);
  if (!g.thermal) g.thermal = tracer_.track(g.name, "thermal");
  tracer_.instant(*g.thermal, what, now);
}

void PlantTrace::close(Server& s, sim::SimTime end) {
  if (!s.since) return;
  tracer_.slice(*s.track, "power cap", *s.since, end, {{"lowest_gpu_power_limit_w", s.lowest}});
  s.since.reset();
}

void PlantTrace::control_tick(sim::SimTime now, const std::vector<double>& limits, double full) {
  if (servers_.size() < limits.size()) servers_.resize(limits.size());
  for (std::size_t k = 0; k < limits.size(); ++k) {
    Server& s = servers_[k];
    if (limits[k] >= full) {
      close(s, now);
      continue;
    }
    if (!s.since) {
      // Tracks only for servers that were capped: a hall of idle controllers adds nothing.
      if (!s.track) s.track = tracer_.track("power control", fmt::format("server[{}]", k));
      s.since = now;
      s.lowest = limits[k];
    }
    s.lowest = std::min(s.lowest, limits[k]);
  }
}

void PlantTrace::trip(sim::SimTime now, std::string_view point) {
  if (!breakers_) breakers_ = tracer_.track("power control", "breakers");
  tracer_.instant(*breakers_, "breaker trip", now, {{"point", point}});
}

void PlantTrace::finish(sim::SimTime end) {
  for (Group& g : groups_) close(g, end);
  for (Server& s : servers_) close(s, end);
}

}  // namespace models
