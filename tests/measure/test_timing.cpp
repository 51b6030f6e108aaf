// The timing loop: statistics, batching, time box, cold-cache mode.
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "kernels/measure/timing.hpp"

namespace km = kernels::measure;

TEST(Timing, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(km::median_of({3.0, 1.0, 2.0}), 2.0);
  EXPECT_EQ(km::median_of({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_THROW(km::median_of({}), std::invalid_argument);
}

TEST(Timing, SlowCallsGetTheMinimumRepeatsAndOrderedStatistics) {
  km::timing_options o;
  o.budget = sim::Seconds(0.0);
  o.min_repeats = 3;
  int calls = 0;
  const km::timing_result r = km::time_calls(
      [&] {
        ++calls;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      },
      o);
  EXPECT_EQ(r.repeats, 3);
  EXPECT_EQ(r.calls_per_repeat, 1);
  EXPECT_GE(calls, 4);  // warm-up + 3
  EXPECT_LE(r.min, r.median);
  EXPECT_LE(r.median, r.max);
  EXPECT_GE(r.min.value(), 0.002);
}

TEST(Timing, FastCallsAreBatchedAndTheRepeatsCapped) {
  km::timing_options o;
  o.budget = sim::Seconds(10.0);
  o.max_repeats = 7;
  volatile int sink = 0;
  const km::timing_result r = km::time_calls([&] { sink = sink + 1; }, o);
  EXPECT_EQ(r.repeats, 7);
  EXPECT_GT(r.calls_per_repeat, 1);
  EXPECT_GT(r.median.value(), 0.0);
  EXPECT_LT(r.median.value(), 1e-4);
}

TEST(Timing, FlushModeTimesOneCallPerRepeat) {
  const km::cache_flusher flusher(std::int64_t{1} << 20);
  km::timing_options o;
  o.budget = sim::Seconds(0.0);
  o.min_repeats = 4;
  o.flush = &flusher;
  int calls = 0;
  const km::timing_result r = km::time_calls([&] { ++calls; }, o);
  EXPECT_EQ(r.repeats, 4);
  EXPECT_EQ(r.calls_per_repeat, 1);
  EXPECT_EQ(calls, 5);  // one warm-up call
  EXPECT_GT(flusher.flush(), 0.0);
}

TEST(Timing, RejectsInconsistentRepeatBounds) {
  km::timing_options o;
  o.min_repeats = 5;
  o.max_repeats = 4;
  EXPECT_THROW(km::time_calls([] {}, o), std::invalid_argument);
}
