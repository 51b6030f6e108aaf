// Facility heat rejection: free coolers, the chiller's COP at the York YT rating point, the
// economizer switch, the chiller above capacity.
#include "models/cooling/heat_rejection.hpp"

#include <gtest/gtest.h>

namespace {

using namespace models::cooling;
using sim::from_celsius;
using sim::Kelvin;
using sim::Watts;

FreeCoolerSpec tower() {
  FreeCoolerSpec t;
  t.kind = FreeCoolerKind::cooling_tower;
  t.capacity = Watts(4e6);
  t.approach = Kelvin(6);
  t.fan_power = sim::Ratio(0.01);
  return t;
}

HeatRejectionSpec chiller_plant(bool economizer) {
  HeatRejectionSpec h;
  h.kind = HeatRejectionKind::chiller;
  h.cooler = tower();
  ChillerSpec c;
  c.capacity = Watts(3e6);
  c.setpoint = from_celsius(18);
  c.economizer = economizer;
  h.chiller = c;
  return h;
}

TEST(HeatRejection, CarnotFractionReproducesTheYorkRecordAtAhriConditions) {
  // York YT 1,055 kW: COP 5.96 at 6.67 degC leaving chilled water, 29.44 degC entering
  // condenser water. f = COP (T_c - T_e) / T_e.
  const double f = 5.96 * (302.59 - 279.82) / 279.82;
  EXPECT_NEAR(kYorkCarnotFraction, f, 1e-12);
  EXPECT_NEAR(kYorkCarnotFraction, 0.4850, 5e-5);
  ChillerSpec york;
  york.capacity = Watts(1.055e6);
  york.setpoint = from_celsius(6.67);
  EXPECT_NEAR(chiller_cop(york, from_celsius(29.44)).value(), 5.96, 1e-12);
  // Less lift, better COP; the minimum lift bounds it.
  EXPECT_GT(chiller_cop(york, from_celsius(25)).value(), 5.96);
  EXPECT_NEAR(chiller_cop(york, from_celsius(8)).value(), f * 279.82 / 10, 1e-12);
}

TEST(HeatRejection, DryCoolerApproachScalesWithLoad) {
  HeatRejectionSpec h;
  h.kind = HeatRejectionKind::dry_cooler;
  h.cooler.kind = FreeCoolerKind::dry_cooler;
  h.cooler.capacity = Watts(2e6);
  h.cooler.approach = Kelvin(8);
  h.cooler.fan_power = sim::Ratio(0.015);
  const AmbientConditions amb{from_celsius(30), from_celsius(20)};
  for (double q : {0.0, 0.5e6, 2e6, 3e6}) {
    const FacilityState s = facility_state(h, Watts(q), amb);
    // T_supply = T_drybulb + approach Q / Q_capacity
    EXPECT_NEAR(s.supply.value(), from_celsius(30).value() + 8 * q / 2e6, 1e-12);
    EXPECT_EQ(s.mode, FacilityMode::free_cooling);
    EXPECT_DOUBLE_EQ(s.chiller_power.value(), 0);
    EXPECT_NEAR(s.fan_power.value(), 0.015 * q, 1e-9);
    EXPECT_DOUBLE_EQ(s.rejected.value(), q);
  }
  // A setpoint is a floor: on a cold day the fans hold it.
  h.cooler.setpoint = from_celsius(20);
  EXPECT_NEAR(facility_state(h, Watts(1e6), {from_celsius(5), from_celsius(2)}).supply.value(),
              from_celsius(20).value(), 1e-12);
}

TEST(HeatRejection, TowerWorksAgainstTheWetBulb) {
  HeatRejectionSpec h;
  h.kind = HeatRejectionKind::cooling_tower;
  h.cooler = tower();
  const FacilityState s = facility_state(h, Watts(4e6), {from_celsius(35), from_celsius(24)});
  EXPECT_NEAR(s.supply.value(), from_celsius(24 + 6).value(), 1e-12);
}

TEST(HeatRejection, ChillerPowerClosesTheCondenserLoop) {
  const HeatRejectionSpec h = chiller_plant(false);
  const double q = 2e6, wb = 28;  // a lift above min_lift
  const FacilityState s = facility_state(h, Watts(q), {from_celsius(32), from_celsius(wb)});
  ASSERT_EQ(s.mode, FacilityMode::chiller);
  EXPECT_NEAR(s.supply.value(), from_celsius(18).value(), 1e-12);
  // W = Q / COP, and the COP is the one at T_cond = T_wb + approach (Q + W) / Q_cond.
  const double w = q / s.cop.value();
  EXPECT_NEAR(s.chiller_power.value(), w, 1e-6);
  const double t_cond = from_celsius(wb).value() + 6 * (q + w) / 4e6;
  const double cop =
      kYorkCarnotFraction * from_celsius(18).value() / (t_cond - from_celsius(18).value());
  EXPECT_NEAR(s.cop.value(), cop, 1e-9);
  EXPECT_NEAR(s.rejected.value(), q + w, 1e-6);
  EXPECT_NEAR(s.fan_power.value(), 0.01 * (q + w), 1e-6);
  EXPECT_NEAR(s.chiller_heat.value(), q, 1e-9);
  EXPECT_GT(t_cond - from_celsius(18).value(), 10);
  // A low lift is bounded by min_lift (10 K): COP = f T_e / 10 K.
  const FacilityState low = facility_state(h, Watts(q), {from_celsius(30), from_celsius(16)});
  EXPECT_NEAR(low.cop.value(), kYorkCarnotFraction * from_celsius(18).value() / 10, 1e-12);
}

TEST(HeatRejection, EconomizerSwitchesAtTheSetpoint) {
  const HeatRejectionSpec h = chiller_plant(true);
  const double q = 2e6;
  // Free cooling while T_wb + approach Q / Q_cond <= setpoint: T_wb <= 18 - 3 = 15 degC.
  const double switch_wb = 18 - 6 * q / 4e6;
  const auto at = [&](double wb) {
    return facility_state(h, Watts(q), {from_celsius(30), from_celsius(wb)});
  };
  const FacilityState free = at(switch_wb - 1e-9);
  EXPECT_EQ(free.mode, FacilityMode::free_cooling);
  EXPECT_NEAR(free.supply.value(), from_celsius(18).value(), 1e-12);
  EXPECT_DOUBLE_EQ(free.chiller_power.value(), 0);
  EXPECT_NEAR(free.fan_power.value(), 0.01 * q, 1e-9);
  const FacilityState chilled = at(switch_wb + 1e-6);
  EXPECT_EQ(chilled.mode, FacilityMode::chiller);
  EXPECT_GT(chilled.chiller_power.value(), 0);
  EXPECT_NEAR(chilled.supply.value(), from_celsius(18).value(), 1e-12);
  // Without the economizer the chiller runs on a cold day too.
  EXPECT_EQ(facility_state(chiller_plant(false), Watts(q), {from_celsius(5), from_celsius(2)}).mode,
            FacilityMode::chiller);
  // Hotter wet bulb, more chiller power.
  EXPECT_GT(at(26).chiller_power.value(), at(20).chiller_power.value());
}

TEST(HeatRejection, ChillerAboveCapacityLetsTheSupplyRise) {
  const HeatRejectionSpec h = chiller_plant(false);
  const AmbientConditions amb{from_celsius(32), from_celsius(22)};
  EXPECT_NEAR(facility_state(h, Watts(3e6), amb).supply.value(), from_celsius(18).value(), 1e-12);
  // supply = setpoint + evaporator_approach (Q - capacity) / capacity
  EXPECT_NEAR(facility_state(h, Watts(3.6e6), amb).supply.value(),
              from_celsius(18).value() + 3 * 0.6e6 / 3e6, 1e-12);
}

TEST(HeatRejection, SampleAndHoldKeepsTheSupplyAndScalesThePower) {
  const HeatRejectionSpec h = chiller_plant(false);
  const FacilityState s = facility_state(h, Watts(2e6), {from_celsius(32), from_celsius(22)});
  const FacilityState held = facility_state_held(h, s, Watts(1e6));
  EXPECT_EQ(held.supply, s.supply);
  EXPECT_NEAR(held.chiller_power.value(), s.chiller_power.value() / 2, 1e-6);
}

TEST(HeatRejection, LiquidClasses) {
  EXPECT_NEAR(liquid_class_limit("W32")->value(), 305.15, 1e-12);
  EXPECT_NEAR(liquid_class_limit("W17")->value(), 290.15, 1e-12);
  EXPECT_NEAR(liquid_class_limit("W45")->value(), 318.15, 1e-12);
  EXPECT_FALSE(liquid_class_limit("W5").has_value());
}

}  // namespace
