// The scenario's cooling plant (`plant.cooling`), read and validated into an immutable spec.
//
//   cooling:
//     liquid_class: W32            # optional: max facility supply (wall), W17 W27 W32 W40 W45
//     facility_tick: 10 s          # optional: recompute the facility supply on this tick
//                                  # instead of at every heat change (see cooling_plant.hpp)
//     cdu:                         # optional (an all-air hall has none)
//       scope: rack                # rack | row | hall: one CDU group per instance
//       count: 1                   # identical CDUs in parallel per instance (default 1)
//       capacity: 250 kW           # per CDU, heat at the design approach
//       approach: 4 K              # secondary supply above facility supply at capacity
//       flow: 375 L/min            # secondary flow per CDU
//       pump_power: 3 kW           # per CDU
//       volume: 150 L              # secondary loop volume per CDU
//       coolant: water             # water | glycol50 | pg25 (default water)
//     heat_rejection:
//       kind: dry_cooler           # dry_cooler | cooling_tower | chiller
//       capacity: 2 MW
//       approach: 8 K              # over dry bulb (wet bulb for a tower) at capacity;
//                                  # optional for a tower: 6 K [V]
//       fan_power: 1.5 %           # of the heat rejected
//       setpoint: 20 degC          # optional floor of the supply temperature
//     # or
//     heat_rejection:
//       kind: chiller
//       capacity: 3 MW
//       setpoint: 18 degC          # chilled-water supply
//       carnot_fraction: 0.485     # optional (York YT at AHRI 550/590, heat_rejection.hpp)
//       min_lift: 10 K             # optional
//       evaporator_approach: 3 K   # optional: supply rise per 100 % over capacity
//       economizer: true           # optional: free cooling when the condenser reaches setpoint
//       condenser: {kind: cooling_tower, capacity: 4 MW, approach: 6 K, fan_power: 1 %}
//     air:
//       capacity: 400 kW
//       supply: 24 degC
//       coil_approach: 8 K         # supply-air rise per 100 % over capacity
//       fan_power: 4 %
//       class: A2                  # optional: allowable inlet maximum (wall), A1..A4
//     ambient:
//       kind: constant             # constant | daily | csv
//       dry_bulb: 30 degC
//       wet_bulb: 21 degC
//     # or kind: daily with dry_bulb/wet_bulb: {mean: 25 degC, amplitude: 7 K, peak: 15 h},
//     #    start: 0 h (time of day at t = 0), tick: 60 s
//     # or kind: csv with path: weather.csv (relative to this file), tick: 60 s
#pragma once

#include <optional>
#include <string>

#include "models/cooling/air_path.hpp"
#include "models/cooling/ambient.hpp"
#include "models/cooling/cdu.hpp"
#include "models/cooling/heat_rejection.hpp"
#include "sim/config.hpp"
#include "sim/time.hpp"

namespace models::cooling {

struct CoolingSpec {
  std::optional<CduSpec> cdu;
  HeatRejectionSpec heat_rejection;
  AirSpec air;
  AmbientSpec ambient;
  std::string liquid_class;                   // "" when not given
  std::optional<sim::Kelvin> facility_limit;  // from liquid_class
  std::optional<sim::Duration> facility_tick;
};

// Reads `plant.cooling` (r is the reader over that mapping); the ambient CSV, if any, is
// loaded here. Every problem goes to r's diagnostics with its location.
CoolingSpec read_cooling(sim::config::Reader& r);

}  // namespace models::cooling
