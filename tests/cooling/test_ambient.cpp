// The ambient: the daily cycle, a series, and the held value between ticks.
#include "models/cooling/ambient.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace {

using namespace models::cooling;
using sim::Duration;
using sim::from_celsius;
using sim::SimTime;

TEST(Ambient, ConstantNeverChanges) {
  AmbientSpec s;
  s.constant = {from_celsius(30), from_celsius(20)};
  const Ambient a(s);
  EXPECT_EQ(a.at(SimTime::from_ns(123'456'789'000)).dry_bulb, from_celsius(30));
  EXPECT_FALSE(a.next_change(SimTime::zero()).has_value());
}

TEST(Ambient, DailyCycleIsHeldBetweenTicks) {
  AmbientSpec s;
  s.kind = AmbientKind::daily;
  s.dry_bulb = {from_celsius(25), sim::Kelvin(7), sim::Seconds(15 * 3600)};
  s.wet_bulb = {from_celsius(18), sim::Kelvin(3), sim::Seconds(14 * 3600)};
  s.start = sim::Seconds(6 * 3600);  // the run starts at 06:00
  s.tick = Duration::s(60);
  const Ambient a(s);
  // T(t) = mean + amplitude cos(2 pi (t + start - peak) / day)
  const auto expected = [](double mean, double amp, double peak_h, double t_s) {
    return mean + amp * std::cos(2 * std::numbers::pi * (t_s + 6 * 3600 - peak_h * 3600) / 86400);
  };
  for (double t : {0.0, 600.0, 9 * 3600.0, 20 * 3600.0 + 60}) {
    const AmbientConditions c = ambient_at(s, sim::Seconds(t));
    EXPECT_NEAR(sim::to_celsius(c.dry_bulb), expected(25, 7, 15, t), 1e-9);
    EXPECT_NEAR(sim::to_celsius(c.wet_bulb), expected(18, 3, 14, t), 1e-9);
  }
  // 15:00 is 9 h after the start: the peak.
  EXPECT_NEAR(sim::to_celsius(a.at(SimTime::zero() + Duration::s(9 * 3600)).dry_bulb), 32, 1e-9);
  // Held: 30 s into a tick is the value at the tick's start.
  const SimTime t = SimTime::zero() + Duration::s(600 + 30);
  EXPECT_EQ(a.at(t).dry_bulb, ambient_at(s, sim::Seconds(600)).dry_bulb);
  EXPECT_EQ(a.next_change(t), SimTime::zero() + Duration::s(660));
  EXPECT_EQ(a.next_change(SimTime::zero() + Duration::s(660)), SimTime::zero() + Duration::s(720));
}

TEST(Ambient, SeriesIsInterpolatedAndHeldAtItsEnds) {
  AmbientSpec s;
  s.kind = AmbientKind::series;
  s.tick = Duration::s(60);
  s.series = {{sim::Seconds(0), {from_celsius(20), from_celsius(15)}},
              {sim::Seconds(600), {from_celsius(26), from_celsius(18)}}};
  const Ambient a(s);
  EXPECT_NEAR(sim::to_celsius(a.at(SimTime::zero() + Duration::s(150)).dry_bulb), 20 + 6 * 0.2,
              1e-9);
  EXPECT_NEAR(sim::to_celsius(a.at(SimTime::zero() + Duration::s(150)).wet_bulb), 15 + 3 * 0.2,
              1e-9);
  EXPECT_NEAR(sim::to_celsius(a.at(SimTime::zero() + Duration::s(5000)).dry_bulb), 26, 1e-12);
  EXPECT_EQ(a.next_change(SimTime::zero() + Duration::s(590)), SimTime::zero() + Duration::s(600));
  // Past its last row the series holds: no more changes.
  EXPECT_FALSE(a.next_change(SimTime::zero() + Duration::s(600)).has_value());
}

}  // namespace
