// Measured-table and composite cost models.
#include "kernels/cost/measured_table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "kernels/cost/composite.hpp"

#include "test_devices.hpp"

namespace kernels::cost {
namespace {

using test::a100;

Gemm up(std::int64_t m) {
  return Gemm{m, 22016, 4096, NumberFormat::fp16};
}

std::vector<MeasuredPoint> points() {
  return {
      {"a100-sxm-80gb", up(1), sim::Seconds(110e-6)},
      {"a100-sxm-80gb", up(64), sim::Seconds(115e-6)},
      {"a100-sxm-80gb", up(4096), sim::Seconds(2600e-6)},
      {"a100-sxm-80gb", up(4096), sim::Seconds(2700e-6)},  // a second measurement: median
      {"a100-sxm-80gb", rms_norm(16, 4096, NumberFormat::fp16), sim::Seconds(4e-6)},
      {"a100-sxm-80gb", rms_norm(32, 4096, NumberFormat::fp16), sim::Seconds(0.0)},  // dropped
      {"a100-sxm-80gb", rms_norm(1024, 4096, NumberFormat::fp16), sim::Seconds(23e-6)},
  };
}

TEST(measured_table, is_exact_at_measured_points) {
  const MeasuredTable t(points());
  EXPECT_EQ(t.duration(up(1), a100(), 1.0).value(), 110e-6);
  EXPECT_EQ(t.duration(up(64), a100(), 1.0).value(), 115e-6);
  EXPECT_EQ(t.duration(up(4096), a100(), 1.0).value(), 2650e-6);
  EXPECT_EQ(t.duration(rms_norm(1024, 4096, NumberFormat::fp16), a100(), 1.0).value(), 23e-6);
}

TEST(measured_table, interpolates_log_log_between_neighbours) {
  const MeasuredTable t(points());
  // m = 512 is the geometric midpoint of 64 and 4096: the geometric mean of their times.
  EXPECT_NEAR(t.duration(up(512), a100(), 1.0).value(), std::sqrt(115e-6 * 2650e-6), 1e-15);
  // 128 tokens is the geometric midpoint of 16 and 1024.
  EXPECT_NEAR(t.duration(rms_norm(128, 4096, NumberFormat::fp16), a100(), 1.0).value(),
              std::sqrt(4e-6 * 23e-6), 1e-15);
}

TEST(measured_table, refuses_what_it_has_not_measured) {
  const MeasuredTable t(points());
  EXPECT_FALSE(t.covers(up(8192), a100()));  // beyond the last point
  EXPECT_FALSE(t.covers(Gemm{64, 22016, 8192, NumberFormat::fp16}, a100()));  // other k
  EXPECT_FALSE(t.covers(rms_norm(8, 4096, NumberFormat::fp16), a100()));      // before the first
  Device h100 = a100();
  h100.name = "h100-sxm";
  EXPECT_FALSE(t.covers(up(64), h100));  // other device
  EXPECT_FALSE(t.covers(AttentionDecode{{32, 8, 128, 128}, {100}}, a100()));
  EXPECT_THROW(t.duration(up(8192), a100(), 1.0), std::out_of_range);
}

TEST(measured_table, interpolates_attention_along_its_pairs_or_cached_tokens) {
  const AttentionShape gqa{32, 8, 128, 128};
  const MeasuredTable t({
      {"a100-sxm-80gb", AttentionDecode{gqa, {1000}}, sim::Seconds(10e-6)},
      {"a100-sxm-80gb", AttentionDecode{gqa, {4000}}, sim::Seconds(40e-6)},
      {"a100-sxm-80gb", AttentionPrefill{gqa, {{100, 100}}}, sim::Seconds(2e-6)},
      {"a100-sxm-80gb", AttentionPrefill{gqa, {{400, 400}}}, sim::Seconds(20e-6)},
  });
  // Decode: 2000 cached tokens, the geometric midpoint of 1000 and 4000.
  EXPECT_NEAR(t.duration(AttentionDecode{gqa, {2000}}, a100(), 1.0).value(),
              std::sqrt(10e-6 * 40e-6), 1e-15);
  // A 200-token prefill: causal pairs 200·201/2 between 100·101/2 and 400·401/2.
  const double x0 = 100.0 * 101 / 2;
  const double x1 = 400.0 * 401 / 2;
  const double f = std::log(200.0 * 201 / 2 / x0) / std::log(x1 / x0);
  EXPECT_NEAR(t.duration(AttentionPrefill{gqa, {{200, 200}}}, a100(), 1.0).value(),
              std::exp(std::log(2e-6) + f * std::log(20e-6 / 2e-6)), 1e-15);
  // Two requests are another series; so are other heads.
  EXPECT_FALSE(t.covers(AttentionDecode{gqa, {1000, 1000}}, a100()));
  EXPECT_FALSE(t.covers(AttentionDecode{{16, 8, 128, 128}, {2000}}, a100()));
}

TEST(measured_table, stretches_only_compute_bound_calls_with_the_clock) {
  const MeasuredTable t(points());
  // 4096×22016×4096 fp16: ~1,500 FLOP/B, above the A100's ridge of 153 FLOP/B.
  EXPECT_DOUBLE_EQ(t.duration(up(4096), a100(), 0.5).value(), 2 * 2650e-6);
  // One token: ~1 FLOP/B, HBM-bound.
  EXPECT_DOUBLE_EQ(t.duration(up(1), a100(), 0.5).value(), 110e-6);
}

class FixedModel final : public KernelCostModel {
 public:
  sim::Seconds duration(const KernelCall&, const Device&, double) const override {
    return sim::Seconds(1.0);
  }
};

TEST(composite, uses_the_measurement_where_covered_and_the_fallback_elsewhere) {
  const Composite c(MeasuredTable(points()), std::make_shared<FixedModel>());
  EXPECT_TRUE(c.uses_measured(up(64), a100()));
  EXPECT_EQ(c.duration(up(64), a100(), 1.0).value(), 115e-6);
  EXPECT_FALSE(c.uses_measured(up(8192), a100()));
  EXPECT_EQ(c.duration(up(8192), a100(), 1.0).value(), 1.0);
  EXPECT_EQ(c.duration(AttentionDecode{{32, 8, 128, 128}, {100}}, a100(), 1.0).value(), 1.0);
  EXPECT_THROW(Composite(MeasuredTable({}), nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace kernels::cost
