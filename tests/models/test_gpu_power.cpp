// The GPU power model against the closed forms of its law (models/gpu/gpu_power.hpp).
#include "models/gpu/gpu_power.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace {

using models::GpuActivity;
using models::GpuPowerCoefficients;
using models::GpuPowerLimits;
using models::GpuPowerModel;

// H100-like figures: idle 75 W, TDP 700 W, 989.4 TFLOP/s, 3.35 TB/s.
GpuPowerLimits h100() {
  GpuPowerLimits g;
  g.idle = sim::Watts(75);
  g.tdp = sim::Watts(700);
  g.peak_flops = sim::FlopsPerSecond(989.4e12);
  g.hbm_bandwidth = sim::BytesPerSecond(3.35e12);
  g.min_clock_ratio = 0.2;
  return g;
}

constexpr GpuPowerCoefficients kK{0.4, 0.7, 0.6};

// A kernel that runs at efficiency e of the peak for `seconds`, all SM-bound.
GpuActivity compute_bound(double seconds, double e) {
  GpuActivity a;
  a.clocked = sim::Seconds(seconds);
  a.flops = sim::Flops(seconds * e * 989.4e12);
  return a;
}

TEST(gpu_power, idle_activity_draws_idle_power) {
  const GpuPowerModel m(h100(), kK);
  GpuActivity a;
  a.idle = sim::Seconds(0.016);
  EXPECT_DOUBLE_EQ(m.power(a, 1.0).value(), 75.0);
}

TEST(gpu_power, compute_bound_power_goes_as_the_cube_of_the_clock) {
  const GpuPowerModel m(h100(), kK);
  const GpuActivity a = compute_bound(0.1, 0.6);
  for (double r : {1.0, 0.8, 0.5}) {
    // T = t/r, E = idle t/r + dP (k_busy r^2 t + k_flop r^2 e t): P = idle + dP (k_busy + k_flop e) r^3
    const double expected = 75 + 625 * (0.4 + 0.7 * 0.6) * r * r * r;
    EXPECT_NEAR(m.power(a, r).value(), expected, 1e-9) << r;
  }
}

TEST(gpu_power, memory_bound_work_does_not_stretch_and_its_byte_power_does_not_scale) {
  const GpuPowerModel m(h100(), kK);
  GpuActivity a;
  a.unclocked_busy = sim::Seconds(0.02);
  a.hbm_bytes = sim::Bytes(0.02 * 0.8 * 3.35e12);
  a.idle = sim::Seconds(0.01);
  for (double r : {1.0, 0.5}) {
    EXPECT_DOUBLE_EQ(a.duration(r).value(), 0.03);
    const double expected = 75 + 625 * (0.4 * r * r * r * 0.02 + 0.6 * 0.02 * 0.8) / 0.03;
    EXPECT_NEAR(m.power(a, r).value(), expected, 1e-9) << r;
  }
}

TEST(gpu_power, cap_gives_the_closed_form_clock_and_stays_at_or_below_it) {
  const GpuPowerModel m(h100(), kK);
  const GpuActivity a = compute_bound(0.1, 0.6);
  const sim::Watts cap(490);  // 70 % of TDP, as Splitwise's capped DGX-H100
  const double r = m.clock_for_limit(a, cap);
  const double expected = std::cbrt((490.0 - 75) / (625 * (0.4 + 0.7 * 0.6)));
  EXPECT_NEAR(r, expected, 1e-9);
  EXPECT_LE(m.power(a, r).value(), 490.0);
  EXPECT_NEAR(m.power(a, r).value(), 490.0, 1e-6);
}

TEST(gpu_power, a_limit_above_the_draw_keeps_full_clock_and_below_idle_the_lowest) {
  const GpuPowerModel m(h100(), kK);
  const GpuActivity a = compute_bound(0.1, 0.6);
  EXPECT_EQ(m.clock_for_limit(a, sim::Watts(2000)), 1.0);
  EXPECT_EQ(m.clock_for_limit(a, sim::Watts(50)), 0.2);
}

TEST(gpu_power, power_rises_with_the_clock_for_mixed_work) {
  const GpuPowerModel m(h100(), kK);
  GpuActivity a = compute_bound(0.03, 0.5);
  a.unclocked_busy = sim::Seconds(0.02);
  a.hbm_bytes = sim::Bytes(5e10);
  a.idle = sim::Seconds(0.016);
  double last = 0;
  for (double r = 0.2; r <= 1.0; r += 0.05) {
    const double p = m.power(a, r).value();
    EXPECT_GT(p, last);
    last = p;
  }
}

}  // namespace

namespace {

// A dense GEMM whose modelled draw at the calibration clock exceeds TDP ran at the TDP
// limit when its cost was measured: it draws TDP at r = 1, and a lower limit slows it from
// there, with the dynamic part scaled by (TDP - idle) / (P_raw(1) - idle).
TEST(gpu_power, draw_above_tdp_at_the_calibration_clock_is_the_tdp) {
  const GpuPowerModel m(h100(), GpuPowerCoefficients{0.3, 1.2, 0.5});
  const GpuActivity a = compute_bound(0.1, 0.75);
  const double raw1 = 75 + 625 * (0.3 + 1.2 * 0.75);  // 825 W
  EXPECT_NEAR(m.raw_power(a, 1.0).value(), raw1, 1e-9);
  EXPECT_NEAR(m.power(a, 1.0).value(), 700.0, 1e-9);
  EXPECT_EQ(m.clock_for_limit(a, sim::Watts(700)), 1.0);
  const double scale = 625 / (raw1 - 75);
  const double r = m.clock_for_limit(a, sim::Watts(490));
  // idle + (raw(r) - idle) s = 490 with raw(r) - idle = 750 r^3.
  EXPECT_NEAR(r, std::cbrt((490.0 - 75) / (750 * scale)), 1e-9);
}

}  // namespace
