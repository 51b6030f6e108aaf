// The outdoor air the heat rejection works against: dry bulb (dry coolers) and wet bulb
// (cooling towers).
//
// Three sources:
//  - constant;
//  - a daily cycle per bulb: T(t) = mean + amplitude cos(2 pi (t + start - peak) / 1 day),
//    where `peak` is the time of day of the maximum and `start` the time of day at t = 0;
//  - a CSV series (columns time_s, dry_bulb_degC, wet_bulb_degC; time_s from the start of
//    the run), interpolated linearly, held at its first / last row outside its span.
// The ambient is sampled on a tick (e.g. 60 s): between ticks it is held constant, so the
// facility supply temperature stays piecewise constant and the caller schedules one event
// per tick (next_change) instead of the model ticking on its own. Weather moves over hours
// (REFERENCE C.5), so a one-minute hold costs nothing in accuracy.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "models/cooling/heat_rejection.hpp"
#include "sim/time.hpp"
#include "sim/units.hpp"

namespace models::cooling {

struct DailyCycle {
  sim::Kelvin mean;
  sim::Kelvin amplitude;  // a difference
  sim::Seconds peak;      // time of day of the maximum
};

struct AmbientSample {
  sim::Seconds time;  // since the start of the run
  AmbientConditions conditions;
};

enum class AmbientKind { constant, daily, series };

struct AmbientSpec {
  AmbientKind kind = AmbientKind::constant;
  AmbientConditions constant{sim::from_celsius(25), sim::from_celsius(18)};
  DailyCycle dry_bulb;
  DailyCycle wet_bulb;
  sim::Seconds start{0};  // time of day at t = 0 (daily)
  std::vector<AmbientSample> series;
  std::string series_path;
  sim::Duration tick = sim::Duration::s(60);
};

// The ambient as an unsampled function of time.
AmbientConditions ambient_at(const AmbientSpec& spec, sim::Seconds t);

class Ambient {
 public:
  explicit Ambient(AmbientSpec spec);
  // Held value: the function at the start of the tick holding `now`.
  AmbientConditions at(sim::SimTime now) const;
  // When the held value next changes after `now`: nullopt for a constant ambient and past
  // the end of a series.
  std::optional<sim::SimTime> next_change(sim::SimTime now) const;
  const AmbientSpec& spec() const { return spec_; }

 private:
  sim::SimTime tick_start(sim::SimTime now) const;
  AmbientSpec spec_;
};

// Reads a weather CSV. Errors read "path:line:col: message".
std::variant<std::vector<AmbientSample>, std::string> read_ambient_csv(const std::string& path);

}  // namespace models::cooling
