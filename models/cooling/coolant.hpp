// Coolant properties near room temperature, held constant over the loop's range (a
// simplification: water's c_p changes by < 0.5 % between 15 and 60 degC).
//   water:             rho 997 kg/m^3, c_p 4,180 J/(kg K)
//   50/50 glycol:      rho 1,060,      c_p 3,400
//   PG25:              rho 1,025,      c_p 3,950 [U: handbook values]
// Source: REFERENCE.md B.8 (riccardovietri/thermal-mcp-server docs/physics.md [V as used]).
#pragma once

#include <optional>
#include <string_view>

#include "sim/units.hpp"

namespace models::cooling {

// A thermal conductance (W/K): the inverse of a thermal resistance. Also the unit of a heat
// capacity rate m_dot * c_p and of a heat exchanger's UA.
using WattsPerKelvin = sim::Quantity<-sim::dims::thermal_resistance>;
// kg/m^3 and J/(kg K), so that rho * V * c_p is a heat capacity by construction.
using KilogramsPerCubicMeter = sim::Quantity<sim::dims::mass - sim::dims::volume>;
using JoulesPerKilogramKelvin =
    sim::Quantity<sim::dims::energy - sim::dims::mass - sim::dims::temperature>;

struct Coolant {
  std::string_view name;
  KilogramsPerCubicMeter density{997};
  JoulesPerKilogramKelvin specific_heat{4180};

  // Heat capacity rate m_dot * c_p of a volume flow.
  WattsPerKelvin capacity_rate(sim::CubicMetersPerSecond flow) const {
    return flow * density * specific_heat;
  }
  // Heat capacity rho * V * c_p of a volume of coolant.
  sim::JoulesPerKelvin heat_capacity(sim::CubicMeters volume) const {
    return volume * density * specific_heat;
  }
  // Temperature rise of the flow carrying `heat`: dT = Q / (m_dot c_p).
  sim::Kelvin rise(sim::Watts heat, sim::CubicMetersPerSecond flow) const {
    return heat / capacity_rate(flow);
  }
};

inline constexpr Coolant kWater{"water", KilogramsPerCubicMeter(997),
                                JoulesPerKilogramKelvin(4180)};
inline constexpr Coolant kGlycol50{"glycol50", KilogramsPerCubicMeter(1060),
                                   JoulesPerKilogramKelvin(3400)};
inline constexpr Coolant kPg25{"pg25", KilogramsPerCubicMeter(1025), JoulesPerKilogramKelvin(3950)};

std::optional<Coolant> coolant_named(std::string_view name);

}  // namespace models::cooling
