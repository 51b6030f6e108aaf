// The hall's air path: CRAHs or a fan wall with a capacity and a supply air setpoint.
// Air-cooled GPUs, the air share of every server and the power-conversion losses in the
// room are its heat. Its coil has a fixed UA, sized to deliver the setpoint at capacity
// (the same reasoning as the CDU heat exchanger, cdu.hpp): below capacity the valve
// throttles and the supply holds the setpoint; above it the coil's approach grows with the
// heat and the supply air warms:
//   T_supply = setpoint + coil_approach * max(0, Q - Q_capacity) / Q_capacity
// where coil_approach is the coil's approach (supply air above coil water) at capacity.
// The coil's water is held at its design temperature (its own source is not modelled);
// the heat joins the facility heat rejection load. Fan power = fan_power * Q.
// ASHRAE air classes give the allowable inlet maximum (REFERENCE B.8 [S]): A1 32, A2 35,
// A3 40, A4 45 degC; a level wall on the supply air when a class is given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sim/units.hpp"

namespace models::cooling {

struct AirSpec {
  sim::Watts capacity;
  sim::Kelvin supply;         // setpoint
  sim::Kelvin coil_approach;  // a difference, at capacity
  sim::Ratio fan_power;       // W of fan per W of heat
  std::string air_class;      // "" or A1..A4
  std::optional<sim::Kelvin> inlet_limit;
};

inline sim::Kelvin air_supply_temperature(const AirSpec& air, sim::Watts heat) {
  const sim::Watts over = sim::max(heat - air.capacity, sim::Watts(0));
  return air.supply + air.coil_approach * (over / air.capacity).value();
}

// A1 -> 32 degC, A2 -> 35, A3 -> 40, A4 -> 45 (allowable maxima); nullopt otherwise.
inline std::optional<sim::Kelvin> air_class_limit(std::string_view name) {
  if (name == "A1") return sim::from_celsius(32);
  if (name == "A2") return sim::from_celsius(35);
  if (name == "A3") return sim::from_celsius(40);
  if (name == "A4") return sim::from_celsius(45);
  return std::nullopt;
}

}  // namespace models::cooling
