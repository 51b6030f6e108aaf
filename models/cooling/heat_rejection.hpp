// Facility heat rejection: what sets the facility (primary) loop's supply temperature.
//
// The facility loop is quasi-static: its supply temperature follows the hall's heat load and
// the ambient without lag (its own inertia, minutes to hours per REFERENCE C.5, is not
// modelled; the secondary loops' inertia is). Three kinds:
//
//  - dry cooler:     T_supply = T_drybulb + approach * Q / Q_capacity      [U: REFERENCE C.3]
//  - cooling tower:  T_supply = T_wetbulb + approach * Q / Q_capacity      [V: 6 K nominal]
//    Fixed UA and fixed flows (fixed effectiveness) make every temperature difference of a
//    heat exchanger proportional to the heat it carries, so the approach quoted at capacity
//    scales linearly with load; above capacity the supply gets warmer, the same law. An
//    optional setpoint is a floor: the fans throttle rather than over-cool the water.
//    Fan power = fan_power * heat rejected.
//  - chiller:        T_supply = setpoint, P = Q / COP, with a condenser-side dry cooler or
//    tower that rejects Q + P. COP is a fixed fraction f of the Carnot COP between the
//    chilled-water supply (evaporator side) and the water/air entering the condenser:
//        COP = f * T_evap / max(T_cond - T_evap, min_lift)       (temperatures in K)
//    f is fitted to the York YT 1,055 kW record (Modelica Buildings
//    ElectricEIRChiller_York_YT_1055kW_5_96COP_Vanes, REFERENCE B.8 [V]): COP 5.96 at
//    6.67 degC leaving chilled water and 29.44 degC entering condenser water, the AHRI
//    550/590 rating point (44 degF / 85 degF):
//        f = 5.96 * (302.59 - 279.82) / 279.82 = 0.4850                      [D]
//    T_cond = T_bulb + approach_cond * (Q + P) / Q_cond depends on P, which depends on
//    T_cond; solved in closed form (below). min_lift bounds the COP at low lift, where the
//    refrigerant-side approaches the water temperatures omit dominate [U].
//    Economizer: when the condenser-side cooler alone reaches the setpoint,
//    T_bulb + approach_cond * Q / Q_cond <= setpoint, the chiller is off (free cooling) and
//    the supply is the setpoint. No partial (integrated) economizer.
//    Above its capacity the chiller cannot hold the setpoint: the supply rises as through a
//    fixed-UA evaporator, by evaporator_approach * (Q - capacity) / capacity [U].
//
// ASHRAE liquid classes (5th ed., REFERENCE B.8 [S]): W17, W27, W32, W40, W45 give the
// maximum facility supply temperature in degC; a level wall.
#pragma once

#include <optional>
#include <string_view>

#include "sim/units.hpp"

namespace models::cooling {

struct AmbientConditions {
  sim::Kelvin dry_bulb;
  sim::Kelvin wet_bulb;
};

enum class FreeCoolerKind { dry_cooler, cooling_tower };

struct FreeCoolerSpec {
  FreeCoolerKind kind = FreeCoolerKind::dry_cooler;
  sim::Watts capacity;                  // heat rejected at the design approach
  sim::Kelvin approach;                 // a difference: supply above the bulb at capacity
  sim::Ratio fan_power;                 // W of fan per W of heat rejected
  std::optional<sim::Kelvin> setpoint;  // lowest supply the fans let through
};

// f of the York YT 1,055 kW record at AHRI 550/590 conditions (see above) [D].
inline constexpr double kYorkCop = 5.96;
inline constexpr double kYorkEvaporatorLeaving = 273.15 + 6.67;   // K
inline constexpr double kYorkCondenserEntering = 273.15 + 29.44;  // K
inline constexpr double kYorkCarnotFraction =
    kYorkCop * (kYorkCondenserEntering - kYorkEvaporatorLeaving) / kYorkEvaporatorLeaving;

struct ChillerSpec {
  sim::Watts capacity;
  sim::Kelvin setpoint;  // chilled (facility) water supply
  sim::Ratio carnot_fraction{kYorkCarnotFraction};
  sim::Kelvin min_lift{10};            // [U]
  sim::Kelvin evaporator_approach{3};  // above capacity [U: CDU HX approach, B.8, as proxy]
  bool economizer = true;
};

enum class HeatRejectionKind { dry_cooler, cooling_tower, chiller };

struct HeatRejectionSpec {
  HeatRejectionKind kind = HeatRejectionKind::dry_cooler;
  FreeCoolerSpec cooler;  // the dry cooler or tower; with a chiller, its condenser side
  std::optional<ChillerSpec> chiller;
};

enum class FacilityMode { free_cooling, chiller };

struct FacilityState {
  sim::Kelvin supply;  // facility supply temperature
  FacilityMode mode = FacilityMode::free_cooling;
  sim::Ratio cop;            // chiller COP; 0 in free cooling
  sim::Watts heat;           // heat from the hall
  sim::Watts chiller_heat;   // heat the chiller lifts; 0 in free cooling
  sim::Watts chiller_power;  // compressor
  sim::Watts rejected;       // heat the dry cooler / tower rejects (incl. chiller work)
  sim::Watts fan_power;      // dry cooler / tower fans
};

// The bulb a free cooler works against: dry bulb for a dry cooler, wet bulb for a tower.
sim::Kelvin ambient_bulb(FreeCoolerKind kind, const AmbientConditions& ambient);

// T_bulb + approach * Q / Q_capacity (no setpoint floor).
sim::Kelvin free_cooler_supply(const FreeCoolerSpec& cooler, sim::Watts heat,
                               const AmbientConditions& ambient);

// COP = f * T_evap / max(T_cond - T_evap, min_lift).
sim::Ratio chiller_cop(const ChillerSpec& chiller, sim::Kelvin condenser_entering);

// The facility loop at a heat load and an ambient.
FacilityState facility_state(const HeatRejectionSpec& spec, sim::Watts heat,
                             const AmbientConditions& ambient);

// Sample and hold: the supply, mode and COP of `held` kept, the powers at `heat`.
FacilityState facility_state_held(const HeatRejectionSpec& spec, const FacilityState& held,
                                  sim::Watts heat);

// W17 -> 17 degC, ..., W45 -> 45 degC; nullopt for anything else.
std::optional<sim::Kelvin> liquid_class_limit(std::string_view name);

}  // namespace models::cooling
