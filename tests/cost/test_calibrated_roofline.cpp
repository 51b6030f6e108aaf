// The calibrated roofline's limits, with hand-set parameters: the formula is the oracle.
#include "kernels/cost/calibrated_roofline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "test_devices.hpp"

namespace kernels::cost {
namespace {

using test::h100;

ClassParams gemm_params() {
  ClassParams p;
  p.compute_efficiency = 0.75;
  p.memory_efficiency = 0.85;
  p.overhead = sim::Seconds(4e-6);
  p.blend_exponent = 2.0;
  p.wave_weight = 0.5;
  return p;
}

Calibration calibration() {
  Calibration c;
  c.defaults[KernelClass::gemm] = gemm_params();
  ClassParams add;
  add.memory_efficiency = 0.9;
  add.overhead = sim::Seconds(1e-6);
  c.defaults[KernelClass::residual_add] = add;
  ClassParams norm;
  norm.memory_efficiency = 0.8;
  norm.overhead = sim::Seconds(1e-6);
  norm.row_bytes_per_cycle = 4.0;
  norm.rows_per_sm = 2.0;
  norm.blend_exponent = 4.0;
  c.defaults[KernelClass::rms_norm] = norm;
  return c;
}

TEST(calibrated_roofline, huge_gemm_is_compute_bound_at_the_fitted_efficiency) {
  const CalibratedRoofline model(calibration());
  // 132·128 tiles of 128×128: exactly 128 waves, so no quantization loss.
  const Gemm g{128 * 132, 16384, 16384, NumberFormat::bf16};
  const double flops = 2.0 * 16896 * 16384 * 16384;
  const double expected = flops / (989.4e12 * 0.75);
  const RooflineParts parts = model.parts(g, h100());
  EXPECT_NEAR(parts.compute.value(), expected, expected * 1e-12);
  EXPECT_GT(parts.compute.value(), 20 * parts.memory.value());
  // What is left of the memory term at p = 2: (tm/tc)²/2 < 0.13 %.
  const double t = model.duration(g, h100(), 1.0).value() - 4e-6;
  EXPECT_NEAR(t / expected, 1.0, 1.3e-3);
}

TEST(calibrated_roofline, half_clock_doubles_compute_bound_time_not_memory_bound) {
  const CalibratedRoofline model(calibration());
  const Device d = h100();
  const Gemm big{128 * 132, 16384, 16384, NumberFormat::bf16};
  const RooflineParts p = model.parts(big, d);
  const double t1 = model.duration(big, d, 1.0).value() - 4e-6;
  const double t05 = model.duration(big, d, 0.5).value() - 4e-6;
  EXPECT_NEAR(t05, std::hypot(2 * p.compute.value(), p.memory.value()), 1e-15);
  EXPECT_NEAR(t05 / t1, 2.0, 5e-3);
  // A GEMV at 1 FLOP/B, 300x below the H100's ridge, is HBM-bound: the clock does not matter.
  const Gemm gemv{1, 16384, 16384, NumberFormat::bf16};
  const double m1 = model.duration(gemv, d, 1.0).value();
  const double m05 = model.duration(gemv, d, 0.5).value();
  EXPECT_NEAR(m05 / m1, 1.0, 2e-3);
  EXPECT_NEAR(m1 - 4e-6, 2.0 * 16384 * 16386 / (3.35e12 * 0.85), 1e-7);
  // A residual add is all HBM.
  const Elementwise add = residual_add(32768, 8192, 2, NumberFormat::bf16);
  EXPECT_DOUBLE_EQ(model.duration(add, d, 0.5).value(), model.duration(add, d, 1.0).value());
  EXPECT_NEAR(model.duration(add, d, 1.0).value(), 1e-6 + add.bytes.value() / (3.35e12 * 0.9),
              1e-12);
}

TEST(calibrated_roofline, a_partial_wave_costs_its_weighted_share) {
  const CalibratedRoofline model(calibration());
  const Device d = h100();
  // 133 tiles on 132 SMs: 2 waves, the second with one tile. w = 133/132, ω = 0.5:
  // q = (w + 0.5·(2 - w)) / w.
  const Gemm g{128 * 7, 128 * 19, 8192, NumberFormat::bf16};
  const double w = 133.0 / 132.0;
  const double q = (w + 0.5 * (2.0 - w)) / w;
  const double tc = 2.0 * 896 * 2432 * 8192 / (989.4e12 * 0.75);
  EXPECT_NEAR(model.parts(g, d).compute.value(), q * tc, tc * 1e-12);
  // Without an SM count there is no quantization.
  Device unknown = d;
  unknown.sm_count.reset();
  EXPECT_NEAR(model.parts(g, unknown).compute.value(), tc, tc * 1e-12);
}

TEST(calibrated_roofline, a_row_wise_kernel_is_limited_by_one_block_per_row) {
  const CalibratedRoofline model(calibration());
  const Device d = h100();
  // One token of an 8192-wide RMSNorm: one block moves all (2·8192 + 8192)·2 bytes at 4 B per
  // cycle; HBM would take a fraction of that.
  const Elementwise one = rms_norm(1, 8192, NumberFormat::bf16);
  const RooflineParts p = model.parts(one, d);
  EXPECT_NEAR(p.sm.value(), one.bytes.value() / (4.0 * 1.98e9), 1e-15);
  EXPECT_GT(p.sm.value(), 10 * p.memory.value());
  // Up to S·k = 264 rows run in one wave: the same time for 264 rows as for 1.
  const double per_row_264 = (264.0 * 2 * 8192 + 8192) / 264;
  EXPECT_NEAR(model.parts(rms_norm(264, 8192, NumberFormat::bf16), d).sm.value(),
              p.sm.value() * per_row_264 / (2.0 * 8192 + 8192), 1e-15);
  // Beyond one wave, time grows with the rows.
  const double per_row_2640 = (2640.0 * 2 * 8192 + 8192) / 2640;
  EXPECT_NEAR(model.parts(rms_norm(2640, 8192, NumberFormat::bf16), d).sm.value(),
              10 * p.sm.value() * per_row_2640 / (2.0 * 8192 + 8192), 1e-14);
  // The row limit is SM-side: it stretches with a lower clock.
  const double t1 = model.duration(one, d, 1.0).value() - 1e-6;
  const double t05 = model.duration(one, d, 0.5).value() - 1e-6;
  EXPECT_NEAR(t05 / t1, 2.0, 1e-3);
}

TEST(calibrated_roofline, blend_is_a_p_norm_and_max_without_an_exponent) {
  ClassParams p;
  RooflineParts parts{sim::Seconds(3e-6), sim::Seconds(4e-6), sim::Seconds(0), sim::Seconds(1e-6)};
  EXPECT_DOUBLE_EQ(combine(parts, p, 1.0).value(), 5e-6);  // 1 + max(3, 4) µs
  p.blend_exponent = 2.0;
  EXPECT_NEAR(combine(parts, p, 1.0).value(), 6e-6, 1e-18);  // 1 + sqrt(9 + 16) µs
}

TEST(calibrated_roofline, clock_ratio_outside_0_1_is_rejected) {
  const CalibratedRoofline model(calibration());
  EXPECT_THROW(model.duration(Gemm{1, 1, 1}, h100(), 0.0), std::invalid_argument);
  EXPECT_THROW(model.duration(Gemm{1, 1, 1}, h100(), 1.5), std::invalid_argument);
}

TEST(calibrated_roofline, device_parameters_win_and_stand_ins_fill_gaps) {
  Calibration c = calibration();
  ClassParams own = gemm_params();
  own.compute_efficiency = 0.5;
  c.devices["h100-sxm"][KernelClass::gemm] = own;
  EXPECT_EQ(c.find(KernelClass::gemm, "h100-sxm")->compute_efficiency, 0.5);
  EXPECT_EQ(c.find(KernelClass::gemm, "b200")->compute_efficiency, 0.75);
  // No layer_norm in this calibration: the rms_norm parameters stand in; nothing for RoPE.
  EXPECT_EQ(c.find(KernelClass::layer_norm, "b200"), c.find(KernelClass::rms_norm, "b200"));
  EXPECT_EQ(c.find_exact(KernelClass::layer_norm, "b200"), nullptr);
  const CalibratedRoofline model(c);
  EXPECT_THROW(model.duration(rope(1, 8, 8, 128, NumberFormat::bf16), h100(), 1.0),
               std::out_of_range);
}

}  // namespace
}  // namespace kernels::cost

namespace kernels::cost {
namespace {

TEST(device, catalog_devices_get_sm_count_clock_and_l2_from_the_tables) {
  const Device h =
      catalog_device("h100-sxm", sim::FlopsPerSecond(989.4e12), sim::BytesPerSecond(3.35e12));
  EXPECT_EQ(h.sm_count, 132);
  EXPECT_EQ(h.sm_clock, sim::Hertz(1.98e9));
  EXPECT_EQ(h.l2_cache, sim::Bytes(50e6));
  const Device a =
      catalog_device("a100-sxm-80gb", sim::FlopsPerSecond(312e12), sim::BytesPerSecond(2.039e12));
  EXPECT_EQ(a.sm_count, 108);
  const Device m =
      catalog_device("mi300x", sim::FlopsPerSecond(1307.4e12), sim::BytesPerSecond(5.3e12));
  EXPECT_FALSE(m.sm_count || m.sm_clock || m.l2_cache);
}

}  // namespace
}  // namespace kernels::cost
