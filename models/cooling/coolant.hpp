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

struct Coolant {
  std::string_view name;
  double density = 997;         // kg/m^3
  double specific_heat = 4180;  // J/(kg K)

  // Heat capacity rate m_dot * c_p of a volume flow (W/K).
  double capacity_rate(sim::CubicMetersPerSecond flow) const {
    return flow.value() * density * specific_heat;
  }
  // Temperature rise of the flow carrying `heat`: dT = Q / (m_dot c_p).
  sim::Kelvin rise(sim::Watts heat, sim::CubicMetersPerSecond flow) const {
    return sim::Kelvin(heat.value() / capacity_rate(flow));
  }
};

inline constexpr Coolant kWater{"water", 997, 4180};
inline constexpr Coolant kGlycol50{"glycol50", 1060, 3400};
inline constexpr Coolant kPg25{"pg25", 1025, 3950};

std::optional<Coolant> coolant_named(std::string_view name);

}  // namespace models::cooling
