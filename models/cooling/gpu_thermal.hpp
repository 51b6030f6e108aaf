// The thermal side of a GPU: throttle thresholds and the two-node RC path from the die to
// the coolant (cold plate) or to the air (heatsink). REFERENCE.md C.3 "Dynamic two-node RC":
//
//   C_die    dT_j/dt  = P - (T_j - T_s)/R_js
//   C_spread dT_s/dt  = (T_j - T_s)/R_js - (T_s - T_fluid)/R_sf
//
// where s is the cold plate (R_js = R_jc + R_TIM, R_sf = plate-to-coolant convection) or
// the heatsink (R_sf = sink-to-air). In steady state T_j = T_fluid + P (R_js + R_sf).
// Thresholds follow nvidia-smi (REFERENCE B.2, B.9): software thermal slowdown at the
// maximum operating temperature, hardware slowdown above it, shutdown above that.
#pragma once

#include <optional>

#include "sim/config.hpp"
#include "sim/units.hpp"

namespace models::cooling {

struct ThermalPath {
  sim::KelvinPerWatt junction_to_spreader;  // junction to cold plate / heatsink, incl. TIM
  sim::KelvinPerWatt spreader_to_fluid;     // cold plate to coolant / heatsink to air
  sim::JoulesPerKelvin die;                 // die and package
  sim::JoulesPerKelvin spreader;            // cold plate / heatsink

  sim::KelvinPerWatt total() const { return junction_to_spreader + spreader_to_fluid; }
};

struct GpuThermalSpec {
  sim::Kelvin slowdown;     // software thermal slowdown (maximum operating temperature)
  sim::Kelvin hw_slowdown;  // hardware slowdown (the clock may halve)
  sim::Kelvin shutdown;     // the GPU trips
  std::optional<ThermalPath> cold_plate;
  std::optional<ThermalPath> air;
};

// Steady junction temperature over a fluid at `fluid`: T_j = T_fluid + P (R_js + R_sf).
inline sim::Kelvin steady_junction(const ThermalPath& path, sim::Watts power, sim::Kelvin fluid) {
  return fluid + power * path.total();
}

// Reads a GPU catalog entry's `thermal:` mapping:
//   thermal:
//     slowdown: 87 degC      # software thermal slowdown (max operating)
//     hw_slowdown: 89 degC   # must be above slowdown
//     shutdown: 95 degC      # must be above hw_slowdown
//     cold_plate: {r_junction_to_plate: 0.06 K/W, r_plate_to_coolant: 0.005 K/W,
//                  c_die: 17 J/K, c_plate: 190 J/K}
//     air: {r_junction_to_sink: 0.06 K/W, r_sink_to_air: 0.05 K/W, c_die: 17 J/K,
//           c_sink: 900 J/K}
// At least one of cold_plate and air. Resistances and capacities must be > 0. Problems go to
// r's diagnostics, with locations; the returned spec is then incomplete.
GpuThermalSpec read_gpu_thermal(sim::config::Reader& r);

}  // namespace models::cooling
