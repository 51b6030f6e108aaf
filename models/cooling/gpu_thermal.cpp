#include "models/cooling/gpu_thermal.hpp"

#include <string>

namespace models::cooling {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Reader;

namespace {

ThermalPath read_path(Reader& r, std::string_view r_in, std::string_view r_out,
                      std::string_view c_spreader) {
  ThermalPath p;
  const auto resistance = [&](std::string_view key) {
    return r.quantity<sim::dims::thermal_resistance>(key, Need::required, Bounds::positive())
        .value_or(sim::KelvinPerWatt(1));
  };
  const auto capacity = [&](std::string_view key) {
    return r.quantity<sim::dims::heat_capacity>(key, Need::required, Bounds::positive())
        .value_or(sim::JoulesPerKelvin(1));
  };
  p.junction_to_spreader = resistance(r_in);
  p.spreader_to_fluid = resistance(r_out);
  p.die = capacity("c_die");
  p.spreader = capacity(c_spreader);
  r.finish();
  return p;
}

}  // namespace

GpuThermalSpec read_gpu_thermal(Reader& r) {
  GpuThermalSpec g;
  const auto temperature = [&](std::string_view key) {
    return r.quantity<sim::dims::temperature>(key, Need::required, Bounds::positive());
  };
  const auto slowdown = temperature("slowdown");
  const auto hw = temperature("hw_slowdown");
  const auto shutdown = temperature("shutdown");
  // Each threshold above the one before: a hardware slowdown below the software one would
  // never let the software one act.
  const auto above = [&](std::string_view key, const std::optional<sim::Kelvin>& v,
                         std::string_view lower_key, const std::optional<sim::Kelvin>& lower) {
    if (v && lower && !(*v > *lower)) {
      r.diagnostics().add(r.node(key, Need::optional)->location(), r.path_of(key),
                          "must be above " + std::string(lower_key) + " (" +
                              sim::format_quantity(lower->value(), sim::dims::temperature) + ")");
    }
  };
  above("hw_slowdown", hw, "slowdown", slowdown);
  above("shutdown", shutdown, "hw_slowdown", hw);
  g.slowdown = slowdown.value_or(sim::Kelvin(1));
  g.hw_slowdown = hw.value_or(sim::Kelvin(1));
  g.shutdown = shutdown.value_or(sim::Kelvin(1));

  const bool plate = r.has("cold_plate"), air = r.has("air");
  if (plate) {
    Reader p = r.section("cold_plate", Need::optional);
    g.cold_plate = read_path(p, "r_junction_to_plate", "r_plate_to_coolant", "c_plate");
  } else {
    (void)r.node("cold_plate", Need::optional);
  }
  if (air) {
    Reader a = r.section("air", Need::optional);
    g.air = read_path(a, "r_junction_to_sink", "r_sink_to_air", "c_sink");
  } else {
    (void)r.node("air", Need::optional);
  }
  if (!plate && !air) {
    r.diagnostics().add(r.location(), r.path(), "needs cold_plate, air or both");
  }
  r.finish();
  return g;
}

}  // namespace models::cooling
