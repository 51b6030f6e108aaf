#include "models/cooling/heat_rejection.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace models::cooling {

sim::Kelvin ambient_bulb(FreeCoolerKind kind, const AmbientConditions& ambient) {
  return kind == FreeCoolerKind::cooling_tower ? ambient.wet_bulb : ambient.dry_bulb;
}

sim::Kelvin free_cooler_supply(const FreeCoolerSpec& cooler, sim::Watts heat,
                               const AmbientConditions& ambient) {
  return ambient_bulb(cooler.kind, ambient) + cooler.approach * (heat / cooler.capacity).value();
}

sim::Ratio chiller_cop(const ChillerSpec& chiller, sim::Kelvin condenser_entering) {
  const sim::Kelvin lift = sim::max(condenser_entering - chiller.setpoint, chiller.min_lift);
  return chiller.carnot_fraction * (chiller.setpoint / lift);
}

namespace {

FacilityState free_cooling(const FreeCoolerSpec& cooler, sim::Kelvin supply, sim::Watts heat) {
  FacilityState s;
  s.supply = supply;
  s.mode = FacilityMode::free_cooling;
  s.heat = heat;
  s.rejected = heat;
  s.fan_power = heat * cooler.fan_power.value();
  return s;
}

}  // namespace

FacilityState facility_state(const HeatRejectionSpec& spec, sim::Watts heat,
                             const AmbientConditions& ambient) {
  const FreeCoolerSpec& cooler = spec.cooler;
  const sim::Kelvin free_supply = free_cooler_supply(cooler, heat, ambient);
  if (!spec.chiller) {
    const sim::Kelvin supply =
        cooler.setpoint ? sim::max(free_supply, *cooler.setpoint) : free_supply;
    return free_cooling(cooler, supply, heat);
  }
  const ChillerSpec& chiller = *spec.chiller;
  if (chiller.economizer && free_supply <= chiller.setpoint) {
    return free_cooling(cooler, chiller.setpoint, heat);
  }
  // Condenser entering temperature with the chiller's own work rejected too:
  //   T_c = T0 + k (Q + W),  W = Q (T_c - T_e) / (f T_e),  k = approach / Q_cond
  //   => T_c = (T0 + k Q - k Q / f) / (1 - k Q / (f T_e))
  // alpha = kQ/(f T_e) is the fraction by which the chiller's work feeds back into its own
  // lift; it is ~0.03 for a condenser sized for the chiller, and near 1 only with heat far
  // beyond the condenser's capacity (its wall long hit), where it is capped.
  const double t0 = ambient_bulb(cooler.kind, ambient).value();
  const double k = cooler.approach.value() / cooler.capacity.value();
  const double q = heat.value();
  const double f = chiller.carnot_fraction.value();
  const double te = chiller.setpoint.value();
  const double alpha = std::min(k * q / (f * te), 0.5);
  double tc = (t0 + k * q - k * q / f) / (1 - alpha);
  if (tc - te < chiller.min_lift.value()) {
    // At the minimum lift the work no longer depends on T_c.
    tc = t0 + k * q * (1 + chiller.min_lift.value() / (f * te));
  }
  FacilityState s;
  s.mode = FacilityMode::chiller;
  s.heat = heat;
  s.cop = chiller_cop(chiller, sim::Kelvin(tc));
  s.chiller_heat = heat;
  s.chiller_power = heat / s.cop.value();
  s.rejected = heat + s.chiller_power;
  s.fan_power = s.rejected * cooler.fan_power.value();
  const sim::Watts over = sim::max(heat - chiller.capacity, sim::Watts(0));
  s.supply = chiller.setpoint + chiller.evaporator_approach * (over / chiller.capacity).value();
  return s;
}

FacilityState facility_state_held(const HeatRejectionSpec& spec, const FacilityState& held,
                                  sim::Watts heat) {
  FacilityState s = held;
  s.heat = heat;
  if (held.mode == FacilityMode::chiller && held.cop.value() > 0) {
    s.chiller_heat = heat;
    s.chiller_power = heat / held.cop.value();
  } else {
    s.chiller_heat = sim::Watts(0);
    s.chiller_power = sim::Watts(0);
  }
  s.rejected = heat + s.chiller_power;
  s.fan_power = s.rejected * spec.cooler.fan_power.value();
  return s;
}

std::optional<sim::Kelvin> liquid_class_limit(std::string_view name) {
  constexpr std::array<std::pair<std::string_view, double>, 5> kClasses{
      {{"W17", 17}, {"W27", 27}, {"W32", 32}, {"W40", 40}, {"W45", 45}}};
  for (const auto& [n, c] : kClasses) {
    if (n == name) return sim::from_celsius(c);
  }
  return std::nullopt;
}

}  // namespace models::cooling
