// The wall monitor judges level, rate and sample resources. Expected values are the
// integrals and means worked out by hand from the piecewise-constant loads in each test.
#include "sim/wall_monitor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/random.hpp"

namespace sim {
namespace {

SimTime at_ms(std::int64_t ms) {
  return SimTime::zero() + Duration::ms(ms);
}

const WallResult& find(const std::vector<WallResult>& results, const std::string& name) {
  for (const WallResult& r : results) {
    if (r.name == name) return r;
  }
  throw std::runtime_error("no result named " + name);
}

TEST(WallMonitor, LevelFirstHitPeakAndTimeWeightedMean) {
  WallMonitor monitor;  // threshold 1.0, window 1 s
  const ResourceId hbm =
      monitor.add("replica[0].hbm", "hbm_capacity", 100, "GB", Aggregation::level);
  monitor.set_load(hbm, at_ms(0), 50);
  monitor.set_load(hbm, at_ms(1500), 100);  // reaches the limit exactly here
  monitor.set_load(hbm, at_ms(2500), 120);
  monitor.set_load(hbm, at_ms(3000), 0);
  monitor.finish(at_ms(4000));

  const WallResult r = monitor.results().at(0);
  EXPECT_EQ(r.name, "replica[0].hbm");
  EXPECT_EQ(r.kind, "hbm_capacity");
  EXPECT_EQ(r.unit, "GB");
  EXPECT_EQ(r.limit, 100);
  EXPECT_EQ(r.aggregation, Aggregation::level);
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(1500));
  EXPECT_DOUBLE_EQ(r.peak_utilization, 1.2);
  // ∫ load dt = 50·1.5 + 100·1 + 120·0.5 + 0·1 = 235 GB·s over T = 4 s, limit 100 GB.
  EXPECT_NEAR(r.mean_utilization, 235.0 / (4 * 100), 1e-12);
  // Per-window time means: [0,1) 50; [1,2) (50+100)/2; [2,3) (100+120)/2; [3,4) 0.
  ASSERT_EQ(r.series_utilization.size(), 4u);
  EXPECT_NEAR(r.series_utilization[0], 0.50, 1e-12);
  EXPECT_NEAR(r.series_utilization[1], 0.75, 1e-12);
  EXPECT_NEAR(r.series_utilization[2], 1.10, 1e-12);
  EXPECT_NEAR(r.series_utilization[3], 0.00, 1e-12);
  EXPECT_EQ(r.rank, 1);
}

TEST(WallMonitor, LevelBelowThresholdIsNotHit) {
  WallMonitor monitor;
  const ResourceId power = monitor.add("rack.power", "power", 40'000, "W", Aggregation::level);
  monitor.set_load(power, at_ms(100), 39'999);
  monitor.finish(at_ms(1000));
  const WallResult r = monitor.results().at(0);
  EXPECT_FALSE(r.first_hit.has_value());
  EXPECT_DOUBLE_EQ(r.peak_utilization, 39'999.0 / 40'000);
  EXPECT_NEAR(r.mean_utilization, 39'999.0 * 0.9 / 40'000, 1e-12);
}

TEST(WallMonitor, RateIsJudgedOnWindowMeansNotInstants) {
  WallMonitor monitor;
  const ResourceId link = monitor.add("nvlink", "link_bandwidth", 100, "GB/s", Aggregation::rate);
  // 100 % busy for the first half of every 1-s window: saturated at every busy instant,
  // but only 50 % used.
  for (int w = 0; w < 3; ++w) {
    monitor.set_load(link, at_ms(1000 * w), 100);
    monitor.set_load(link, at_ms(1000 * w + 500), 0);
  }
  monitor.finish(at_ms(3000));
  const WallResult r = monitor.results().at(0);
  EXPECT_FALSE(r.first_hit.has_value());
  EXPECT_NEAR(r.peak_utilization, 0.5, 1e-12);
  EXPECT_NEAR(r.mean_utilization, 0.5, 1e-12);
  ASSERT_EQ(r.series_utilization.size(), 3u);
  for (double u : r.series_utilization) EXPECT_NEAR(u, 0.5, 1e-12);
}

TEST(WallMonitor, RateFirstHitIsTheStartOfTheFirstFullyBusyWindow) {
  WallMonitor monitor;
  const ResourceId aligned = monitor.add("aligned", "compute", 100, "FLOP/s", Aggregation::rate);
  const ResourceId shifted = monitor.add("shifted", "compute", 100, "FLOP/s", Aggregation::rate);
  monitor.set_load(aligned, at_ms(2000), 100);  // busy from a window start
  monitor.set_load(shifted, at_ms(2500), 100);  // [2,3) is half busy, [3,4) full
  monitor.finish(at_ms(5000));
  const auto results = monitor.results();
  const WallResult& a = find(results, "aligned");
  const WallResult& s = find(results, "shifted");
  ASSERT_TRUE(a.first_hit.has_value());
  EXPECT_EQ(*a.first_hit, at_ms(2000));
  EXPECT_NEAR(a.peak_utilization, 1.0, 1e-12);
  EXPECT_NEAR(a.mean_utilization, 3.0 / 5.0, 1e-12);
  ASSERT_TRUE(s.first_hit.has_value());
  EXPECT_EQ(*s.first_hit, at_ms(3000));  // within one window of when it began to bind
  EXPECT_NEAR(s.series_utilization.at(2), 0.5, 1e-12);
  EXPECT_NEAR(s.mean_utilization, 2.5 / 5.0, 1e-12);
}

TEST(WallMonitor, CustomThresholdAndWindow) {
  WallMonitor monitor(WallOptions{.threshold = 0.8, .window = Duration::ms(250)});
  const ResourceId rate = monitor.add("rate", "compute", 100, "FLOP/s", Aggregation::rate);
  const ResourceId level = monitor.add("level", "hbm_capacity", 100, "B", Aggregation::level);
  const ResourceId low = monitor.add("low", "hbm_capacity", 100, "B", Aggregation::level);
  monitor.set_load(rate, at_ms(0), 80);
  monitor.set_load(level, at_ms(100), 80);
  monitor.set_load(low, at_ms(100), 79);
  monitor.finish(at_ms(1000));
  const auto results = monitor.results();

  const WallResult& r = find(results, "rate");
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(0));
  ASSERT_EQ(r.series_time_s.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(r.series_time_s[i], 0.25 * (i + 1));

  const WallResult& l = find(results, "level");
  ASSERT_TRUE(l.first_hit.has_value());
  EXPECT_EQ(*l.first_hit, at_ms(100));
  // The first window is covered 150 of 250 ms at 80.
  EXPECT_NEAR(l.series_utilization.at(0), 0.8 * 150.0 / 250.0, 1e-12);

  EXPECT_FALSE(find(results, "low").first_hit.has_value());
}

// Default quantile 1: every observation is judged, and the running quantile is the maximum.
TEST(WallMonitor, SampleResource) {
  WallMonitor monitor;
  const ResourceId ttft = monitor.add("ttft", "latency_slo", 2.0, "s", Aggregation::sample);
  monitor.observe(ttft, at_ms(1200), 1.0);
  monitor.observe(ttft, at_ms(1700), 1.5);
  monitor.observe(ttft, at_ms(3300), 2.5);  // over the SLO: the wall is hit here
  monitor.observe(ttft, at_ms(3400), 0.5);
  monitor.finish(at_ms(4500));
  const WallResult r = monitor.results().at(0);
  EXPECT_EQ(r.quantile, 1.0);
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(3300));
  EXPECT_DOUBLE_EQ(r.peak_utilization, 2.5 / 2.0);
  EXPECT_NEAR(r.mean_utilization, (1.0 + 1.5 + 2.5 + 0.5) / 4 / 2.0, 1e-12);
  // The running quantile at each window's end: NaN before the first sample, then it carries
  // over windows without samples (incl. the partial last one).
  ASSERT_EQ(r.series_utilization.size(), 5u);
  EXPECT_TRUE(std::isnan(r.series_utilization[0]));
  EXPECT_DOUBLE_EQ(r.series_utilization[1], 1.5 / 2.0);
  EXPECT_DOUBLE_EQ(r.series_utilization[2], 1.5 / 2.0);
  EXPECT_DOUBLE_EQ(r.series_utilization[3], 2.5 / 2.0);
  EXPECT_DOUBLE_EQ(r.series_utilization[4], 2.5 / 2.0);
  EXPECT_EQ(r.series_time_s, (std::vector<double>{1.0, 2.0, 3.0, 4.0, 4.5}));
}

// p90: one slow request among the first ten is not a p90 violation; two among eleven are.
TEST(WallMonitor, SampleQuantileIsJudgedOnceThereAreEnoughObservations) {
  WallMonitor monitor;
  const ResourceId ttft = monitor.add("ttft", "latency_slo", 1.0, "s", Aggregation::sample, 0.9);
  monitor.observe(ttft, at_ms(50), 5.0);  // alone, it would be the p90 of one sample
  for (int i = 1; i < 10; ++i) monitor.observe(ttft, at_ms(50 + 100 * i), 0.1);
  monitor.observe(ttft, at_ms(1050), 5.0);  // ceil(0.9 * 11) = 10th smallest of 11 is 5.0
  monitor.finish(at_ms(2000));
  const WallResult r = monitor.results().at(0);
  EXPECT_EQ(r.quantile, 0.9);
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(1050));
  EXPECT_DOUBLE_EQ(r.peak_utilization, 5.0);
  EXPECT_NEAR(r.mean_utilization, (5.0 + 9 * 0.1 + 5.0) / 11, 1e-12);
  // At 1 s the ten samples' p90 is their 9th smallest, 0.1.
  ASSERT_EQ(r.series_utilization.size(), 2u);
  EXPECT_DOUBLE_EQ(r.series_utilization[0], 0.1);
  EXPECT_DOUBLE_EQ(r.series_utilization[1], 5.0);
}

// A p90 is first judged at the 10th observation (1 / (1 - 0.9)), not earlier, not later.
TEST(WallMonitor, SampleQuantileIsFirstJudgedAtOneOverOneMinusQObservations) {
  WallMonitor monitor;
  const ResourceId ttft = monitor.add("ttft", "latency_slo", 1.0, "s", Aggregation::sample, 0.9);
  monitor.observe(ttft, at_ms(50), 5.0);
  monitor.observe(ttft, at_ms(150), 5.0);
  // From the 2nd to the 9th observation the running p90 is the maximum, 5.0, but too few
  // observations have been made to judge it. At the 10th it is the 9th smallest: still 5.0.
  for (int i = 2; i < 10; ++i) monitor.observe(ttft, at_ms(50 + 100 * i), 0.1);
  monitor.finish(at_ms(1000));
  const WallResult r = monitor.results().at(0);
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(950));
}

TEST(WallMonitor, SampleQuantileWithTooFewObservationsIsJudgedAtTheEnd) {
  WallMonitor monitor;
  // p99 needs 100 observations; with 3, the run is judged once, at its end, on all of them.
  const ResourceId ttft = monitor.add("ttft", "latency_slo", 1.0, "s", Aggregation::sample, 0.99);
  const ResourceId ok = monitor.add("ok", "latency_slo", 1.0, "s", Aggregation::sample, 0.99);
  monitor.observe(ttft, at_ms(100), 0.5);
  monitor.observe(ttft, at_ms(200), 3.0);
  monitor.observe(ttft, at_ms(300), 0.2);
  monitor.observe(ok, at_ms(100), 0.5);
  monitor.finish(at_ms(1500));
  const auto results = monitor.results();
  const WallResult& r = find(results, "ttft");
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(1500));
  EXPECT_DOUBLE_EQ(r.peak_utilization, 3.0);
  const WallResult& o = find(results, "ok");
  EXPECT_FALSE(o.first_hit.has_value());
  EXPECT_DOUBLE_EQ(o.peak_utilization, 0.5);
}

// The nearest-rank q-quantile, the ceil(q·n)-th smallest, against sorting after every value.
// q = k/100 so that the rank is exact integer arithmetic: ceil(k·n/100).
TEST(RunningQuantile, MatchesSortedNearestRank) {
  for (int k : {1, 50, 90, 95, 99, 100}) {
    SCOPED_TRACE(k);
    RunningQuantile running(k / 100.0);
    EXPECT_TRUE(std::isnan(running.value()));
    std::vector<double> values;
    std::uint64_t state = 12345;
    for (int n = 1; n <= 2000; ++n) {
      // Few distinct values, so that ties are common.
      const double x = static_cast<double>(splitmix64(state) % 50);
      running.add(x);
      values.push_back(x);
      std::vector<double> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      const int rank = std::max(1, (k * n + 99) / 100);
      ASSERT_EQ(running.value(), sorted[rank - 1]) << "n=" << n;
      ASSERT_EQ(running.count(), n);
    }
  }
}

TEST(WallMonitor, SampleResourceWithoutSamples) {
  WallMonitor monitor;
  monitor.add("ttft", "latency_slo", 2.0, "s", Aggregation::sample);
  monitor.finish(at_ms(2000));
  const WallResult r = monitor.results().at(0);
  EXPECT_FALSE(r.first_hit.has_value());
  EXPECT_EQ(r.peak_utilization, 0);
  EXPECT_EQ(r.mean_utilization, 0);
  ASSERT_EQ(r.series_utilization.size(), 2u);
  EXPECT_TRUE(std::isnan(r.series_utilization[0]));
  EXPECT_TRUE(std::isnan(r.series_utilization[1]));
}

TEST(WallMonitor, RankingHitByTimeThenUnhitByPeakThenRegistrationOrder) {
  WallMonitor monitor;
  const auto level = [&](const char* name) {
    return monitor.add(name, "k", 100, "u", Aggregation::level);
  };
  const ResourceId late_hit = level("late_hit");
  const ResourceId unhit_half_a = level("unhit_half_a");
  const ResourceId early_hit_a = level("early_hit_a");
  const ResourceId unhit_high = level("unhit_high");
  const ResourceId early_hit_b = level("early_hit_b");
  const ResourceId unhit_half_b = level("unhit_half_b");
  const ResourceId idle = level("idle");
  monitor.set_load(early_hit_a, at_ms(1000), 100);
  monitor.set_load(early_hit_b, at_ms(1000), 100);  // same time and peak as early_hit_a
  monitor.set_load(late_hit, at_ms(3000), 150);     // a higher peak does not rank it first
  monitor.set_load(unhit_half_a, at_ms(0), 50);
  monitor.set_load(unhit_half_b, at_ms(0), 50);
  monitor.set_load(unhit_high, at_ms(0), 90);
  (void)idle;
  monitor.finish(at_ms(4000));

  std::vector<std::string> names;
  std::vector<int> ranks;
  for (const WallResult& r : monitor.results()) {
    names.push_back(r.name);
    ranks.push_back(r.rank);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"early_hit_a", "early_hit_b", "late_hit", "unhit_high",
                                             "unhit_half_a", "unhit_half_b", "idle"}));
  EXPECT_EQ(ranks, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
}

// Enough resources that std::sort would not fall back to (stable) insertion sort.
TEST(WallMonitor, RankingTiesKeepRegistrationOrderAmongManyResources) {
  WallMonitor monitor;
  constexpr int kCount = 60;
  for (int i = 0; i < kCount; ++i) {
    const ResourceId id = monitor.add("r" + std::to_string(i), "k", 100, "u", Aggregation::level);
    monitor.set_load(id, at_ms(0), 10.0 * (i % 3));  // peaks 0, 0.1, 0.2
  }
  monitor.finish(at_ms(1000));
  std::vector<std::string> expected;
  for (int peak : {2, 1, 0}) {
    for (int i = 0; i < kCount; ++i) {
      if (i % 3 == peak) expected.push_back("r" + std::to_string(i));
    }
  }
  std::vector<std::string> names;
  for (const WallResult& r : monitor.results()) names.push_back(r.name);
  EXPECT_EQ(names, expected);
}

TEST(WallMonitor, SeriesLengthsAndWindowEnds) {
  {
    WallMonitor monitor;
    monitor.add("r", "k", 1, "u", Aggregation::rate);
    monitor.finish(at_ms(2500));  // two full windows and a partial one
    const WallResult r = monitor.results().at(0);
    EXPECT_EQ(r.series_time_s, (std::vector<double>{1.0, 2.0, 2.5}));
    EXPECT_EQ(r.series_utilization.size(), 3u);
  }
  {
    WallMonitor monitor;
    monitor.add("r", "k", 1, "u", Aggregation::level);
    monitor.finish(at_ms(3000));  // ends on a window boundary: no empty extra window
    const WallResult r = monitor.results().at(0);
    EXPECT_EQ(r.series_time_s, (std::vector<double>{1.0, 2.0, 3.0}));
  }
  {
    WallMonitor monitor(WallOptions{}, SimTime::zero() + Duration::s(10));  // later start
    const ResourceId id = monitor.add("r", "k", 10, "u", Aggregation::level);
    monitor.set_load(id, SimTime::zero() + Duration::ms(10'500), 10);
    monitor.finish(SimTime::zero() + Duration::ms(11'750));
    const WallResult r = monitor.results().at(0);
    EXPECT_EQ(r.series_time_s, (std::vector<double>{11.0, 11.75}));
    ASSERT_EQ(r.series_utilization.size(), 2u);
    EXPECT_NEAR(r.series_utilization[0], 0.5, 1e-12);
    EXPECT_NEAR(r.series_utilization[1], 1.0, 1e-12);  // partial window: mean over its 0.75 s
    EXPECT_NEAR(r.mean_utilization, 1.25 / 1.75, 1e-12);
  }
}

TEST(WallMonitor, PartialLastRateWindowCountsForItsCoveredTime) {
  WallMonitor monitor;
  const ResourceId id = monitor.add("r", "k", 100, "u", Aggregation::rate);
  monitor.set_load(id, at_ms(1000), 100);
  monitor.finish(at_ms(1400));
  const WallResult r = monitor.results().at(0);
  ASSERT_TRUE(r.first_hit.has_value());
  EXPECT_EQ(*r.first_hit, at_ms(1000));  // the start of the (partial) window at the limit
  EXPECT_NEAR(r.series_utilization.at(1), 1.0, 1e-12);
}

TEST(WallMonitor, InvalidLimitThrows) {
  WallMonitor monitor;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (double limit : {0.0, -1.0, nan, inf}) {
    EXPECT_THROW(monitor.add("r", "k", limit, "u", Aggregation::level), std::invalid_argument)
        << limit;
  }
  for (double q : {0.0, -0.1, 1.1, nan}) {
    EXPECT_THROW(monitor.add("r", "k", 1, "u", Aggregation::sample, q), std::invalid_argument) << q;
  }
  EXPECT_EQ(monitor.size(), 0u);
  EXPECT_THROW(WallMonitor(WallOptions{.threshold = 0}), std::invalid_argument);
  EXPECT_THROW(WallMonitor(WallOptions{.window = Duration::ns(0)}), std::invalid_argument);
}

TEST(WallMonitor, LoadsGoingBackInTimeThrow) {
  WallMonitor monitor;
  const ResourceId level = monitor.add("level", "k", 1, "u", Aggregation::level);
  const ResourceId sample = monitor.add("sample", "k", 1, "u", Aggregation::sample);
  monitor.set_load(level, at_ms(2000), 0.5);
  EXPECT_THROW(monitor.set_load(level, at_ms(1999), 0.5), std::logic_error);
  monitor.observe(sample, at_ms(2000), 0.5);
  EXPECT_THROW(monitor.observe(sample, at_ms(1000), 0.5), std::logic_error);
  EXPECT_THROW(monitor.finish(at_ms(1000)), std::logic_error);
}

TEST(WallMonitor, MisuseThrows) {
  WallMonitor monitor;
  const ResourceId level = monitor.add("level", "k", 1, "u", Aggregation::level);
  const ResourceId sample = monitor.add("sample", "k", 1, "u", Aggregation::sample);
  EXPECT_THROW(monitor.observe(level, at_ms(0), 1), std::logic_error);
  EXPECT_THROW(monitor.set_load(sample, at_ms(0), 1), std::logic_error);
  EXPECT_THROW(monitor.results(), std::logic_error);
  monitor.finish(at_ms(10));
  EXPECT_THROW(monitor.finish(at_ms(20)), std::logic_error);
}

}  // namespace
}  // namespace sim
