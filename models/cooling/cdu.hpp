// A coolant distribution unit and its secondary loop, as one node of the loop's thermal
// network.
//
// The secondary loop is lumped into one node at the mean coolant temperature T_m, of heat
// capacity rho V c_p (REFERENCE C.3: the loop volume over the flow, V / V_dot, is its
// transport lag, ~17 s for 50 L at 173 L/min). The cold plates of the servers it serves
// connect to T_m (plates in parallel sharing the flow in proportion to their heat all see
// the mean of their own inlet and outlet, which is T_m; C.3's T_in + dT/2); non-GPU liquid
// heat (CPUs, NICs, switches) enters T_m directly. With Q the heat the loop carries and
// m_dot c_p its capacity rate:
//   secondary supply = T_m - Q / (2 m_dot c_p),  return = T_m + Q / (2 m_dot c_p).
//
// The heat exchanger to the facility loop has a fixed UA and fixed flows, so its approach
// (secondary supply above facility supply) is proportional to the heat it carries:
//   approach(Q) = approach_design * Q / Q_capacity = Q / UA,  UA = Q_capacity / approach_design.
// Seen from T_m the exchanger is a conductance G_hx to the facility supply T_fs:
//   Q = G_hx (T_m - T_fs),  T_m - T_fs = approach(Q) + Q / (2 m_dot c_p)
//   =>  1 / G_hx = approach_design / Q_capacity + 1 / (2 m_dot c_p)            [D]
// so in steady state the secondary supply is exactly T_fs + approach_design at capacity,
// and T_fs + approach_design * Q / Q_capacity at any load, above capacity too: an undersized
// CDU runs its secondary supply (and every GPU on it) warmer by Q / UA. Capacity is a wall.
// The loop node's time constant through the exchanger alone,
//   rho V c_p / G_hx = rho V c_p approach / Q_capacity + V / (2 V_dot),
// stands for the transport lag V / V_dot as a first-order lag (a lumped loop has no pure
// delay); with the cold plates attached the slowest mode of the network is longer.
// Pump power is constant while the CDU runs (its heat is not added to the loop).
// Source of typical figures: REFERENCE B.8 (approach 3-5 K [S], 1.0-1.5 L/min per kW [S]).
#pragma once

#include "models/common/hall_layout.hpp"
#include "models/cooling/coolant.hpp"
#include "sim/units.hpp"

namespace models::cooling {

struct CduSpec {
  Scope scope = Scope::rack;  // one CDU group per instance of the scope
  int count = 1;              // identical CDUs in parallel per instance
  // Per CDU:
  sim::Watts capacity;
  sim::Kelvin approach;  // a difference: secondary supply above facility supply at capacity
  sim::CubicMetersPerSecond flow;  // secondary
  sim::Watts pump_power;
  sim::CubicMeters volume;  // secondary loop: CDU, manifolds, hoses, plates
  Coolant coolant = kWater;
};

// The `count` CDUs of one instance, acting as one.
struct CduGroup {
  sim::Watts capacity;
  sim::Kelvin approach;
  WattsPerKelvin capacity_rate;        // m_dot c_p
  sim::JoulesPerKelvin heat_capacity;  // rho V c_p
  sim::Watts pump_power;

  static CduGroup of(const CduSpec& spec) {
    const double n = spec.count;
    return {spec.capacity * n, spec.approach, spec.coolant.capacity_rate(spec.flow * n),
            spec.coolant.heat_capacity(spec.volume * n), spec.pump_power * n};
  }
  // UA = Q_capacity / approach_design.
  WattsPerKelvin ua() const { return capacity / approach; }
  // 1 / G_hx = approach_design / Q_capacity + 1 / (2 m_dot c_p).
  WattsPerKelvin hx_conductance() const {
    return 1.0 / (approach / capacity + 0.5 / capacity_rate);
  }
  // The secondary loop's temperature rise at heat Q: Q / (m_dot c_p).
  sim::Kelvin rise(sim::Watts heat) const { return heat / capacity_rate; }
};

}  // namespace models::cooling
