// The plant against conservation laws and what its controllers must achieve: energy is
// conserved from the feed to the servers, a capped stage is held under its rating, a tripped
// breaker takes its servers' work away, and the run stays deterministic.
#include <cmath>

#include <gtest/gtest.h>

#include "models/plant/plant.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/serving_workload.hpp"

namespace {

models::ScenarioSpec load(const std::string& file, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(std::string(FIRSTWALL_FIXTURES_DIR) + "/plant/" + file, o);
}

const sim::WallResult& wall(const models::RunResult& r, const std::string& name) {
  for (const auto& w : r.walls) {
    if (w.name == name) return w;
  }
  throw std::runtime_error("no wall " + name);
}

// Every joule drawn from the feed reaches the servers or is lost in a stage on the way (or
// runs the cooling plant): E_grid = E_IT + sum of stage losses + E_cooling.
TEST(Plant, EnergyIsConservedFromTheFeedToTheServers) {
  const models::RunResult r = models::run_scenario(load("rack_capped.yaml"));
  const double facility = r.metric("energy_facility");
  const double parts = r.metric("energy_it") + r.metric("energy_conversion_losses") +
                       r.metric("energy_cooling");
  ASSERT_GT(facility, 0);
  EXPECT_NEAR(parts / facility, 1.0, 1e-9);
  // PUE is facility over IT energy, and losses make it > 1.
  EXPECT_NEAR(r.metric("pue"), facility / r.metric("energy_it"), 1e-12);
  EXPECT_GT(r.metric("pue"), 1.0);
}

// The PDU (8 kW) is below what eight H100s draw under compute-bound prefills: the wall is
// hit in the first window, and from the second control tick on the capping controller holds
// the PDU's window means within 5 % of its rating (Poisson bursts between ticks), with GPUs
// slowed below full clock.
TEST(Plant, CappingHoldsAnOverloadedStageAtItsRating) {
  const models::RunResult r = models::run_scenario(load("rack_capped.yaml"));
  const sim::WallResult& pdu = wall(r, "power.pdu[0]");
  ASSERT_TRUE(pdu.first_hit.has_value());
  EXPECT_EQ(pdu.first_hit->seconds(), 0.0);
  EXPECT_GT(pdu.series_utilization.front(), 1.05);  // before the controller acted
  double sum = 0;
  int n = 0;
  for (std::size_t i = 2; i + 1 < pdu.series_utilization.size(); ++i) {
    EXPECT_LT(pdu.series_utilization[i], 1.05) << "window " << i;
    sum += pdu.series_utilization[i];
    ++n;
  }
  EXPECT_LT(sum / n, 1.0);
  EXPECT_GT(r.metric("power_capped_ticks"), 0);
  EXPECT_GT(r.metric("throttled_share"), 0.5);
  EXPECT_EQ(r.metric("requests_lost"), 0);
}

// With `trip`, the overloaded PDU opens at the first control tick: the server loses power,
// the requests it held are lost (there is no other server to take them), later arrivals are
// lost too, and the plant draws nothing more through the PDU.
TEST(Plant, ATrippedBreakerStopsItsServersAndTheirWork) {
  const models::RunResult r =
      models::run_scenario(load("rack_capped.yaml", {"plant.power.overload=trip"}));
  EXPECT_EQ(r.metric("power_trips"), 1);
  EXPECT_GT(r.metric("requests_lost"), 0);
  EXPECT_EQ(r.metric("requests_lost") + r.metric("requests_completed") +
                r.metric("requests_unfinished") + r.metric("requests_rejected"),
            r.metric("requests_arrived"));
  // Energy still balances, and nearly all of it was drawn in the first second.
  const double facility = r.metric("energy_facility");
  EXPECT_NEAR((r.metric("energy_it") + r.metric("energy_conversion_losses") +
               r.metric("energy_cooling")) /
                  facility,
              1.0, 1e-9);
  EXPECT_LT(facility, 1.2 * 10.2e3 * 1.0);  // at most one second of a DGX H100's nameplate
}

TEST(Plant, SameSeedGivesIdenticalSummaryAndSeries) {
  const models::RunResult a = models::run_scenario(load("rack_capped.yaml"));
  const models::RunResult b = models::run_scenario(load("rack_capped.yaml"));
  ASSERT_EQ(a.summary.size(), b.summary.size());
  for (std::size_t i = 0; i < a.summary.size(); ++i) {
    if (std::isnan(a.summary[i].value)) {
      EXPECT_TRUE(std::isnan(b.summary[i].value)) << a.summary[i].name;
    } else {
      EXPECT_EQ(a.summary[i].value, b.summary[i].value) << a.summary[i].name;
    }
  }
  EXPECT_EQ(wall(a, "power.pdu[0]").series_utilization, wall(b, "power.pdu[0]").series_utilization);
}

}  // namespace
