// The GPU catalog's thermal block: reading, and exact messages for bad values.
#include "models/cooling/gpu_thermal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using models::cooling::GpuThermalSpec;
using models::cooling::read_gpu_thermal;
using sim::config::Need;
using sim::config::Reader;

struct Read {
  GpuThermalSpec spec;
  std::string errors;
};

Read read(const std::string& text) {
  sim::config::Diagnostics diags;
  const sim::config::Node root = sim::config::load_string(text, "gpus.yaml", diags);
  Read out;
  if (diags.empty()) {
    Reader top(&root, "gpus.h100", diags);
    Reader r = top.section("thermal", Need::required);
    out.spec = read_gpu_thermal(r);
    top.finish();
  }
  out.errors = diags.str();
  return out;
}

const char* const kGood = R"(thermal:
  slowdown: 87 degC
  hw_slowdown: 89 degC
  shutdown: 95 degC
  cold_plate: {r_junction_to_plate: 0.06 K/W, r_plate_to_coolant: 0.005 K/W, c_die: 17 J/K, c_plate: 190 J/K}
  air: {r_junction_to_sink: 0.06 K/W, r_sink_to_air: 0.05 K/W, c_die: 17 J/K, c_sink: 900 J/K}
)";

TEST(GpuThermal, ReadsThresholdsAndBothPaths) {
  const Read r = read(kGood);
  ASSERT_EQ(r.errors, "");
  EXPECT_NEAR(r.spec.slowdown.value(), 360.15, 1e-9);
  EXPECT_NEAR(r.spec.hw_slowdown.value(), 362.15, 1e-9);
  EXPECT_NEAR(r.spec.shutdown.value(), 368.15, 1e-9);
  ASSERT_TRUE(r.spec.cold_plate.has_value());
  EXPECT_DOUBLE_EQ(r.spec.cold_plate->junction_to_spreader.value(), 0.06);
  EXPECT_DOUBLE_EQ(r.spec.cold_plate->spreader_to_fluid.value(), 0.005);
  EXPECT_DOUBLE_EQ(r.spec.cold_plate->die.value(), 17);
  EXPECT_DOUBLE_EQ(r.spec.cold_plate->spreader.value(), 190);
  EXPECT_NEAR(r.spec.cold_plate->total().value(), 0.065, 1e-15);
  ASSERT_TRUE(r.spec.air.has_value());
  EXPECT_DOUBLE_EQ(r.spec.air->spreader.value(), 900);
  // T_j = T_fluid + P (R_js + R_sf)
  EXPECT_NEAR(
      models::cooling::steady_junction(*r.spec.cold_plate, sim::Watts(700), sim::from_celsius(35))
          .value(),
      sim::from_celsius(35 + 700 * 0.065).value(), 1e-9);
}

TEST(GpuThermal, NegativeResistanceIsAnError) {
  const Read r = read(R"(thermal:
  slowdown: 87 degC
  hw_slowdown: 89 degC
  shutdown: 95 degC
  cold_plate: {r_junction_to_plate: -0.06 K/W, r_plate_to_coolant: 0.005 K/W, c_die: 0 J/K, c_plate: 190 J/K}
)");
  EXPECT_EQ(r.errors,
            "gpus.yaml:5:37: gpus.h100.thermal.cold_plate.r_junction_to_plate: must be > 0 "
            "(got \"-0.06 K/W\")\n"
            "gpus.yaml:5:86: gpus.h100.thermal.cold_plate.c_die: must be > 0 (got \"0 J/K\")\n");
}

TEST(GpuThermal, ThresholdsMustIncrease) {
  const Read r = read(R"(thermal:
  slowdown: 87 degC
  hw_slowdown: 85 degC
  shutdown: 85 degC
  air: {r_junction_to_sink: 0.06 K/W, r_sink_to_air: 0.05 K/W, c_die: 17 J/K, c_sink: 900 J/K}
)");
  EXPECT_EQ(r.errors,
            "gpus.yaml:3:16: gpus.h100.thermal.hw_slowdown: must be above slowdown (87 degC)\n"
            "gpus.yaml:4:13: gpus.h100.thermal.shutdown: must be above hw_slowdown (85 degC)\n");
}

TEST(GpuThermal, NeedsAPathAndKnownKeys) {
  const Read r = read(R"(thermal:
  slowdown: 87 degC
  hw_slowdown: 89 degC
  shutdown: 92 degC
  cold_plat: {}
)");
  EXPECT_EQ(r.errors,
            "gpus.yaml:2:3: gpus.h100.thermal: needs cold_plate, air or both\n"
            "gpus.yaml:5:3: gpus.h100.thermal.cold_plat: unknown key \"cold_plat\" (did you "
            "mean \"cold_plate\"?)\n");
}

TEST(GpuThermal, MissingResistanceIsReportedAtItsMapping) {
  const Read r = read(R"(thermal:
  slowdown: 87 degC
  hw_slowdown: 89 degC
  shutdown: 92 degC
  air: {r_junction_to_sink: 0.06 K/W, c_die: 17 J/K, c_sink: 900 J/K}
)");
  EXPECT_EQ(r.errors, "gpus.yaml:5:8: gpus.h100.thermal.air.r_sink_to_air: missing required key\n");
}

}  // namespace
