// Users far from the serving site (workload.users): light in fiber before the first token,
// TTFT and E2E at the user, and the users.propagation wall, against their closed forms.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "models/network/propagation.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/serving_workload.hpp"
#include "sim/config.hpp"

namespace {

constexpr double kC = 299'792'458.0;  // m/s, exact
constexpr double kN = 1.468;          // fiber group index, models/network/propagation.hpp

std::string fixture(const std::string& name) {
  return std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/" + name;
}

models::ScenarioSpec load(const std::string& name, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(fixture(name), o);
}

std::string errors_of(const std::string& name, std::vector<std::string> overrides) {
  try {
    load(name, std::move(overrides));
  } catch (const sim::config::InputError& e) {
    return e.what();
  }
  return "(loaded)";
}

const std::vector<models::RequestRecord>& requests(const models::RunResult& r) {
  return dynamic_cast<const models::ServingWorkload&>(r.workload()).model().requests();
}

const sim::WallResult* find_wall(const models::RunResult& r, const std::string& name) {
  for (const auto& w : r.walls)
    if (w.name == name) return &w;
  return nullptr;
}

std::string km(double kilometers) {
  return fmt::format("{:.9f} km", kilometers);
}

TEST(ServingUsers, LightIsTwoLnOverCAndTtftAtTheUserIsTheSitesPlusIt) {
  const models::RunResult here = models::run_scenario(load("single_request.yaml"));
  const models::RunResult far =
      models::run_scenario(load("single_request.yaml", {"workload.users.distance=2000 km"}));
  ASSERT_EQ(requests(far).size(), 1u);
  const models::RequestRecord& a = requests(here)[0];
  const models::RequestRecord& b = requests(far)[0];
  // The site does not see the distance: the same arrival, first token and completion.
  EXPECT_EQ(b.arrival, a.arrival);
  EXPECT_EQ(*b.first_token, *a.first_token);
  EXPECT_EQ(*b.completion, *a.completion);
  // Fiber route = 1.3 x the great-circle distance (the default path factor); one round trip.
  const double L = 2000e3 * 1.3;
  const double light = 2 * L * kN / kC;
  EXPECT_NEAR(light, 25.46295e-3, 1e-8);  // 4.897 us/km x 2,600 km x 2
  EXPECT_EQ(b.region, 0);
  EXPECT_DOUBLE_EQ(b.user_light.value(), light);
  const double site_ttft = (*b.first_token - b.arrival).seconds().value();
  EXPECT_DOUBLE_EQ(far.metric("ttft_p50"), site_ttft);
  EXPECT_DOUBLE_EQ(far.metric("ttft_user_p50"), site_ttft + light);
  EXPECT_DOUBLE_EQ(far.metric("ttft_at_slo_percentile"), site_ttft + light);
  EXPECT_DOUBLE_EQ(far.metric("e2e_user_p50"), far.metric("e2e_p50") + light);
  // TPOT is the same at both ends: every token reaches the user one way later.
  EXPECT_DOUBLE_EQ(far.metric("tpot_p50"), here.metric("tpot_p50"));
  // slo.ttft judges the user's TTFT (one sample: its peak is that sample over the 1 s target).
  EXPECT_DOUBLE_EQ(find_wall(far, "slo.ttft")->peak_utilization, (site_ttft + light) / 1.0);
  EXPECT_DOUBLE_EQ(find_wall(here, "slo.ttft")->peak_utilization, site_ttft / 1.0);
  // Users at the site: no propagation wall and no user metrics.
  EXPECT_EQ(find_wall(here, "users.propagation"), nullptr);
  EXPECT_EQ(requests(here)[0].user_light.value(), 0.0);
}

TEST(ServingUsers, HandshakesAddTheirRoundTripsAndThePathFactorScalesTheRoute) {
  const models::RunResult r =
      models::run_scenario(load("single_request.yaml", {"workload.users.distance=1000 km",
                                                        "workload.users.handshake_round_trips=2",
                                                        "workload.users.path_factor=2.1"}));
  // A new TCP + TLS 1.3 connection: 2 round trips before the request, 1 for it.
  const double one_way = 1000e3 * 2.1 * kN / kC;
  EXPECT_DOUBLE_EQ(requests(r)[0].user_light.value(), 2 * (1 + 2) * one_way);
  EXPECT_DOUBLE_EQ(r.metric("ttft_user_p50"), r.metric("ttft_p50") + 6 * one_way);
}

// users.propagation: light before the first token against the TTFT target; hit when light
// alone reaches threshold x target, i.e. from d* = threshold x TTFT x c / (2 (1 + h) f n).
// One part in a million either side of d* (the wall monitor forgives 1e-9 of the threshold).
TEST(ServingUsers, PropagationWallIsFirstHitAtTheClosedFormDistance) {
  for (double threshold : {1.0, 0.5}) {
    const double ttft = 1.0;  // single_request.yaml's target
    const double d_star = threshold * ttft * kC / (2 * 1.3 * kN) / 1e3;  // km
    EXPECT_NEAR(d_star, threshold * 78'545.498, threshold * 1e-3);
    const std::string t = fmt::format("walls.threshold={}", threshold);
    const models::RunResult below = models::run_scenario(
        load("single_request.yaml", {t, "workload.users.distance=" + km(d_star * (1 - 1e-6))}));
    const models::RunResult above = models::run_scenario(
        load("single_request.yaml", {t, "workload.users.distance=" + km(d_star * (1 + 1e-6))}));
    for (const models::RunResult* r : {&below, &above})
      EXPECT_NEAR(r->metric("propagation_wall_distance"), d_star * 1e3, 1e-6 * d_star);
    const sim::WallResult* no = find_wall(below, "users.propagation");
    const sim::WallResult* yes = find_wall(above, "users.propagation");
    ASSERT_NE(no, nullptr);
    ASSERT_NE(yes, nullptr);
    EXPECT_EQ(yes->kind, "propagation");
    EXPECT_FALSE(no->first_hit.has_value()) << threshold;
    EXPECT_TRUE(yes->first_hit.has_value()) << threshold;
    EXPECT_NEAR(yes->peak_utilization, threshold * (1 + 1e-6), 1e-12);
    EXPECT_NEAR(above.metric("propagation_share_ttft_slo"), threshold * (1 + 1e-6), 1e-12);
  }
}

TEST(ServingUsers, RegionsAreDrawnByShareOnTheirOwnStream) {
  const models::RunResult base = models::run_scenario(load("poisson_small.yaml"));
  const models::RunResult r = models::run_scenario(load("users_regions.yaml"));
  const auto& a = requests(base);
  const auto& q = requests(r);
  ASSERT_EQ(q.size(), a.size());  // arrivals and lengths do not move
  const double light[2] = {2 * 1000e3 * 2.1 * kN / kC, 2 * 8000e3 * 2.1 * kN / kC};
  std::size_t near = 0;
  for (std::size_t i = 0; i < q.size(); ++i) {
    EXPECT_EQ(q[i].arrival, a[i].arrival);
    EXPECT_EQ(q[i].prompt_tokens, a[i].prompt_tokens);
    EXPECT_EQ(q[i].output_tokens, a[i].output_tokens);
    ASSERT_TRUE(q[i].region == 0 || q[i].region == 1);
    EXPECT_DOUBLE_EQ(q[i].user_light.value(), light[q[i].region]);
    near += q[i].region == 0;
  }
  // Binomial(n, 0.3): within 4 standard deviations.
  const double n = static_cast<double>(q.size());
  EXPECT_NEAR(static_cast<double>(near), 0.3 * n, 4 * std::sqrt(n * 0.3 * 0.7));
  // The p99 light is the far region's; its share of the 1 s target is the wall's figure.
  EXPECT_DOUBLE_EQ(r.metric("user_light_at_slo_percentile"), light[1]);
  EXPECT_DOUBLE_EQ(r.metric("propagation_share_ttft_slo"), light[1] / 1.0);
  // Same seed and name (users_regions.yaml keeps poisson_small's), same regions.
  const models::RunResult again = models::run_scenario(load("users_regions.yaml"));
  for (std::size_t i = 0; i < q.size(); ++i) EXPECT_EQ(requests(again)[i].region, q[i].region);
}

TEST(ServingUsers, BadUsersAreLocatedErrorsWithExactMessages) {
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.users.distance=-3 km"}),
            "--set:1:1: workload.users.distance: must be >= 0 (got \"-3 km\")");
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.users.distance=3 miles"}),
            "--set:1:1: workload.users.distance: expected a length (e.g. \"100 km\"), got \"3 "
            "miles\"");
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.users.path_factor=1.3"}),
            "--set:1:1: workload.users: missing distance (one region) or regions (a list of "
            "{name, share, distance})");
  EXPECT_EQ(
      errors_of("users_regions.yaml", {"workload.users.distance=10 km"}),
      fixture("users_regions.yaml") + ":6:5: workload.users: give distance or regions, not both");
  EXPECT_EQ(errors_of("users_bad_shares.yaml", {}),
            fixture("users_bad_shares.yaml") +
                ":7:7: workload.users.regions: the shares sum to 0.9, not 1");
}

}  // namespace
