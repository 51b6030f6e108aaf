#include "models/cooling/cooling_spec.hpp"

#include <array>
#include <filesystem>
#include <string_view>

namespace models::cooling {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Reader;

namespace {

constexpr std::array<std::string_view, 3> kScopes{"rack", "row", "hall"};
constexpr std::array<std::string_view, 3> kCoolants{"water", "glycol50", "pg25"};
constexpr std::array<std::string_view, 3> kRejection{"dry_cooler", "cooling_tower", "chiller"};
constexpr std::array<std::string_view, 2> kFreeCoolers{"dry_cooler", "cooling_tower"};
constexpr std::array<std::string_view, 3> kAmbient{"constant", "daily", "csv"};
constexpr std::array<std::string_view, 5> kLiquidClasses{"W17", "W27", "W32", "W40", "W45"};
constexpr std::array<std::string_view, 4> kAirClasses{"A1", "A2", "A3", "A4"};
constexpr double kDay = 86400;
// Cooling towers: 6 K approach to the wet bulb (Modelica Buildings example, REFERENCE C.3 [V]).
constexpr double kTowerApproach = 6;

std::string celsius(sim::Kelvin t) {
  return sim::format_quantity(t.value(), sim::dims::temperature);
}

sim::Watts power(Reader& r, std::string_view key, Bounds b = Bounds::positive()) {
  return r.quantity<sim::dims::power>(key, Need::required, b).value_or(sim::Watts(1));
}
sim::Kelvin temperature(Reader& r, std::string_view key) {
  return r.quantity<sim::dims::temperature>(key, Need::required, Bounds::positive())
      .value_or(sim::from_celsius(20));
}
sim::Kelvin difference(Reader& r, std::string_view key, Need need, Bounds b, double fallback) {
  return sim::Kelvin(r.temperature_difference(key, need, b).value_or(fallback));
}
sim::Ratio ratio(Reader& r, std::string_view key, Need need, Bounds b, double fallback) {
  return sim::Ratio(r.quantity(key, sim::dims::none, need, b).value_or(fallback));
}
sim::Duration duration(Reader& r, std::string_view key, Need need, double fallback_s) {
  const auto v = r.quantity<sim::dims::time>(key, need, Bounds::at_least(1e-3));
  return sim::Duration::from_seconds(v.value_or(sim::Seconds(fallback_s)));
}

CduSpec read_cdu(Reader& r) {
  CduSpec c;
  const std::string scope = r.choice("scope", kScopes, Need::required).value_or("rack");
  c.scope = parse_scope(scope).value_or(Scope::rack);
  c.count =
      static_cast<int>(r.integer("count", Need::optional, Bounds::between(1, 1000)).value_or(1));
  c.capacity = power(r, "capacity");
  c.approach = difference(r, "approach", Need::required, Bounds::positive(), 4);
  c.flow = r.quantity<sim::dims::volume_flow>("flow", Need::required, Bounds::positive())
               .value_or(sim::CubicMetersPerSecond(1e-3));
  c.pump_power = power(r, "pump_power", Bounds::non_negative());
  c.volume = r.quantity<sim::dims::volume>("volume", Need::required, Bounds::positive())
                 .value_or(sim::CubicMeters(0.1));
  const std::string coolant = r.choice("coolant", kCoolants, Need::optional).value_or("water");
  c.coolant = coolant_named(coolant).value_or(kWater);
  r.finish();
  return c;
}

FreeCoolerSpec read_free_cooler(Reader& r, FreeCoolerKind kind, bool with_setpoint) {
  FreeCoolerSpec f;
  f.kind = kind;
  f.capacity = power(r, "capacity");
  const bool tower = kind == FreeCoolerKind::cooling_tower;
  f.approach = difference(r, "approach", tower ? Need::optional : Need::required,
                          Bounds::positive(), kTowerApproach);
  f.fan_power = ratio(r, "fan_power", Need::required, Bounds::between(0, 1), 0);
  if (with_setpoint) {
    f.setpoint = r.quantity<sim::dims::temperature>("setpoint", Need::optional, Bounds::positive());
  }
  return f;
}

HeatRejectionSpec read_heat_rejection(Reader& r) {
  HeatRejectionSpec h;
  const std::string kind = r.choice("kind", kRejection, Need::required).value_or("dry_cooler");
  if (kind == "chiller") {
    h.kind = HeatRejectionKind::chiller;
    ChillerSpec c;
    c.capacity = power(r, "capacity");
    c.setpoint = temperature(r, "setpoint");
    c.carnot_fraction = ratio(r, "carnot_fraction", Need::optional, Bounds{0.0, false, 1.0, true},
                              kYorkCarnotFraction);
    c.min_lift = difference(r, "min_lift", Need::optional, Bounds::positive(), c.min_lift.value());
    c.evaporator_approach = difference(r, "evaporator_approach", Need::optional,
                                       Bounds::non_negative(), c.evaporator_approach.value());
    c.economizer = r.boolean("economizer", Need::optional).value_or(true);
    Reader cond = r.section("condenser", Need::required);
    const std::string ck = cond.choice("kind", kFreeCoolers, Need::required).value_or("dry_cooler");
    h.cooler = read_free_cooler(
        cond, ck == "cooling_tower" ? FreeCoolerKind::cooling_tower : FreeCoolerKind::dry_cooler,
        false);
    cond.finish();
    h.chiller = c;
  } else {
    const bool tower = kind == "cooling_tower";
    h.kind = tower ? HeatRejectionKind::cooling_tower : HeatRejectionKind::dry_cooler;
    h.cooler = read_free_cooler(
        r, tower ? FreeCoolerKind::cooling_tower : FreeCoolerKind::dry_cooler, true);
  }
  r.finish();
  return h;
}

AirSpec read_air(Reader& r) {
  AirSpec a;
  a.capacity = power(r, "capacity");
  a.supply = temperature(r, "supply");
  a.coil_approach = difference(r, "coil_approach", Need::required, Bounds::non_negative(), 5);
  a.fan_power = ratio(r, "fan_power", Need::required, Bounds::between(0, 1), 0);
  a.air_class = r.choice("class", kAirClasses, Need::optional).value_or("");
  a.inlet_limit = air_class_limit(a.air_class);
  r.finish();
  return a;
}

DailyCycle read_cycle(Reader& r) {
  DailyCycle c;
  c.mean = temperature(r, "mean");
  c.amplitude = difference(r, "amplitude", Need::required, Bounds::non_negative(), 0);
  c.peak = r.quantity<sim::dims::time>("peak", Need::required, Bounds{0.0, true, kDay, false})
               .value_or(sim::Seconds(0));
  r.finish();
  return c;
}

std::string resolve(const std::string& path, const sim::config::Location& where) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || where.file.empty() || where.file == "--set") return path;
  return (std::filesystem::path(where.file).parent_path() / p).string();
}

AmbientSpec read_ambient(Reader& r) {
  AmbientSpec a;
  const std::string kind = r.choice("kind", kAmbient, Need::required).value_or("constant");
  if (kind == "constant") {
    a.kind = AmbientKind::constant;
    a.constant.dry_bulb = temperature(r, "dry_bulb");
    a.constant.wet_bulb = temperature(r, "wet_bulb");
    if (a.constant.wet_bulb > a.constant.dry_bulb && r.has("wet_bulb")) {
      r.diagnostics().add(r.node("wet_bulb", Need::optional)->location(), r.path_of("wet_bulb"),
                          "must not be above dry_bulb (" + celsius(a.constant.dry_bulb) + ")");
    }
  } else if (kind == "daily") {
    a.kind = AmbientKind::daily;
    const std::size_t problems = r.diagnostics().size();
    Reader dry = r.section("dry_bulb", Need::required);
    a.dry_bulb = read_cycle(dry);
    Reader wet = r.section("wet_bulb", Need::required);
    a.wet_bulb = read_cycle(wet);
    a.start = r.quantity<sim::dims::time>("start", Need::optional, Bounds{0.0, true, kDay, false})
                  .value_or(sim::Seconds(0));
    a.tick = duration(r, "tick", Need::optional, 60);
    // The wet bulb never exceeds the dry bulb: checked minute by minute over a day.
    if (r.diagnostics().size() == problems) {
      for (int minute = 0; minute < 1440; ++minute) {
        const AmbientConditions c = ambient_at(a, sim::Seconds(minute * 60.0));
        if (c.wet_bulb > c.dry_bulb) {
          r.diagnostics().add(r.node("wet_bulb", Need::optional)->location(), r.path_of("wet_bulb"),
                              "rises above dry_bulb at " + std::to_string(minute / 60) + ":" +
                                  (minute % 60 < 10 ? "0" : "") + std::to_string(minute % 60) +
                                  " after the start (" + celsius(c.wet_bulb) + " > " +
                                  celsius(c.dry_bulb) + ")");
          break;
        }
      }
    }
  } else {
    a.kind = AmbientKind::series;
    const auto path = r.string("path", Need::required);
    a.tick = duration(r, "tick", Need::optional, 60);
    if (path) {
      const sim::config::Node* node = r.node("path", Need::required);
      a.series_path = resolve(*path, node->location());
      auto loaded = read_ambient_csv(a.series_path);
      if (auto* error = std::get_if<std::string>(&loaded)) {
        r.diagnostics().add(node->location(), r.path_of("path"), *error);
      } else {
        a.series = std::move(std::get<std::vector<AmbientSample>>(loaded));
      }
    }
  }
  r.finish();
  return a;
}

}  // namespace

CoolingSpec read_cooling(Reader& r) {
  CoolingSpec s;
  if (r.has("cdu")) {
    Reader c = r.section("cdu", Need::optional);
    s.cdu = read_cdu(c);
  } else {
    (void)r.node("cdu", Need::optional);
  }
  {
    Reader h = r.section("heat_rejection", Need::required);
    s.heat_rejection = read_heat_rejection(h);
  }
  {
    Reader a = r.section("air", Need::required);
    s.air = read_air(a);
  }
  {
    Reader a = r.section("ambient", Need::required);
    s.ambient = read_ambient(a);
  }
  s.liquid_class = r.choice("liquid_class", kLiquidClasses, Need::optional).value_or("");
  s.facility_limit = liquid_class_limit(s.liquid_class);
  if (r.has("facility_tick")) {
    s.facility_tick = duration(r, "facility_tick", Need::optional, 10);
  } else {
    (void)r.node("facility_tick", Need::optional);
  }
  r.finish();
  return s;
}

}  // namespace models::cooling
