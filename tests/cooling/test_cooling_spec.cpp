// Reading `plant.cooling`: a complete plant, and exact messages for bad input.
#include "models/cooling/cooling_spec.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using namespace models::cooling;
using sim::config::Need;
using sim::config::Reader;

struct Read {
  CoolingSpec spec;
  std::string errors;
};

Read read(const std::string& text, const std::string& file = "s.yaml") {
  sim::config::Diagnostics diags;
  const sim::config::Node root = sim::config::load_string(text, file, diags);
  Read out;
  if (diags.empty()) {
    Reader top(&root, "", diags);
    Reader plant = top.section("plant", Need::required);
    Reader cooling = plant.section("cooling", Need::required);
    out.spec = read_cooling(cooling);
    plant.finish();
    top.finish();
  }
  out.errors = diags.str();
  return out;
}

const char* const kDryCooler = R"(plant:
  cooling:
    liquid_class: W32
    cdu:
      scope: row
      count: 2
      capacity: 1.35 MW
      approach: 4 K
      flow: 2000 L/min
      pump_power: 15 kW
      volume: 1.5 m3
      coolant: pg25
    heat_rejection:
      kind: dry_cooler
      capacity: 6 MW
      approach: 8 K
      fan_power: 1.5 %
    air:
      capacity: 400 kW
      supply: 24 degC
      coil_approach: 8 K
      fan_power: 4 %
      class: A2
    ambient:
      kind: constant
      dry_bulb: 30 degC
      wet_bulb: 21 degC
)";

TEST(CoolingSpec, ReadsADryCoolerPlant) {
  const Read r = read(kDryCooler);
  ASSERT_EQ(r.errors, "");
  ASSERT_TRUE(r.spec.cdu.has_value());
  const CduSpec& c = *r.spec.cdu;
  EXPECT_EQ(c.scope, models::Scope::row);
  EXPECT_EQ(c.count, 2);
  EXPECT_DOUBLE_EQ(c.capacity.value(), 1.35e6);
  EXPECT_DOUBLE_EQ(c.approach.value(), 4);
  EXPECT_NEAR(c.flow.value(), 2000.0 / 60000, 1e-15);
  EXPECT_DOUBLE_EQ(c.volume.value(), 1.5);
  EXPECT_EQ(c.coolant.name, "pg25");
  const CduGroup g = CduGroup::of(c);
  EXPECT_DOUBLE_EQ(g.capacity.value(), 2.7e6);
  EXPECT_NEAR(g.capacity_rate.value(), 2 * 2000.0 / 60000 * 1025 * 3950, 1e-6);
  EXPECT_EQ(r.spec.heat_rejection.kind, HeatRejectionKind::dry_cooler);
  EXPECT_NEAR(r.spec.heat_rejection.cooler.fan_power.value(), 0.015, 1e-15);
  EXPECT_FALSE(r.spec.heat_rejection.chiller.has_value());
  EXPECT_NEAR(r.spec.facility_limit->value(), 305.15, 1e-12);
  EXPECT_NEAR(r.spec.air.inlet_limit->value(), 308.15, 1e-12);
  EXPECT_NEAR(r.spec.ambient.constant.wet_bulb.value(), 294.15, 1e-12);
  EXPECT_FALSE(r.spec.facility_tick.has_value());
}

TEST(CoolingSpec, ReadsAChillerWithATowerCondenserAndADailyAmbient) {
  const Read r = read(R"(plant:
  cooling:
    facility_tick: 30 s
    heat_rejection:
      kind: chiller
      capacity: 3 MW
      setpoint: 18 degC
      economizer: false
      condenser: {kind: cooling_tower, capacity: 4 MW, fan_power: 1 %}
    air: {capacity: 400 kW, supply: 24 degC, coil_approach: 8 K, fan_power: 4 %}
    ambient:
      kind: daily
      dry_bulb: {mean: 25 degC, amplitude: 7 K, peak: 15 h}
      wet_bulb: {mean: 18 degC, amplitude: 3 K, peak: 15 h}
      start: 6 h
      tick: 5 min
)");
  ASSERT_EQ(r.errors, "");
  EXPECT_FALSE(r.spec.cdu.has_value());
  ASSERT_TRUE(r.spec.heat_rejection.chiller.has_value());
  const ChillerSpec& c = *r.spec.heat_rejection.chiller;
  EXPECT_FALSE(c.economizer);
  EXPECT_NEAR(c.carnot_fraction.value(), kYorkCarnotFraction, 1e-15);
  EXPECT_EQ(r.spec.heat_rejection.cooler.kind, FreeCoolerKind::cooling_tower);
  EXPECT_DOUBLE_EQ(r.spec.heat_rejection.cooler.approach.value(), 6);  // tower default [V]
  EXPECT_EQ(r.spec.ambient.kind, AmbientKind::daily);
  EXPECT_EQ(r.spec.ambient.tick, sim::Duration::s(300));
  EXPECT_DOUBLE_EQ(r.spec.ambient.start.value(), 6 * 3600);
  EXPECT_EQ(r.spec.facility_tick, sim::Duration::s(30));
}

TEST(CoolingSpec, ZeroFlowAndAnApproachInDegCAreErrors) {
  std::string text = kDryCooler;
  text.replace(text.find("flow: 2000 L/min"), 16, "flow: 0 L/min");
  text.replace(text.find("approach: 4 K"), 13, "approach: 4 degC");
  const Read r = read(text);
  EXPECT_EQ(r.errors,
            "s.yaml:8:17: plant.cooling.cdu.approach: a temperature difference is written in K "
            "(e.g. \"5 K\"): \"4 degC\" is an absolute temperature (277.15 K)\n"
            "s.yaml:9:13: plant.cooling.cdu.flow: must be > 0 (got \"0 L/min\")\n");
}

TEST(CoolingSpec, EveryProblemAtOnce) {
  const Read r = read(R"(plant:
  cooling:
    liquid_class: W30
    cdu: {scope: server, capacity: -5 kW, approach: 4 K, flow: 10 L/min, pump_power: 1 kW, volume: 5 L, coolent: water}
    heat_rejection: {kind: dry_cooler, capacity: 1 MW, fan_power: 2 %}
    air: {capacity: 400 kW, supply: 24 degC, coil_approach: 8 K, fan_power: 4 %}
    ambient: {kind: constant, dry_bulb: 20 degC, wet_bulb: 22 degC}
)");
  EXPECT_EQ(r.errors,
            "s.yaml:3:19: plant.cooling.liquid_class: must be one of: W17, W27, W32, W40, W45 "
            "(got \"W30\") \u2014 did you mean \"W32\"?\n"
            "s.yaml:4:18: plant.cooling.cdu.scope: must be one of: rack, row, hall (got "
            "\"server\")\n"
            "s.yaml:4:36: plant.cooling.cdu.capacity: must be > 0 (got \"-5 kW\")\n"
            "s.yaml:4:105: plant.cooling.cdu.coolent: unknown key \"coolent\" (did you mean "
            "\"coolant\"?)\n"
            "s.yaml:5:21: plant.cooling.heat_rejection.approach: missing required key\n"
            "s.yaml:7:60: plant.cooling.ambient.wet_bulb: must not be above dry_bulb (20 degC)\n");
}

class CoolingSpecCsv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("firstwall_cooling_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string yaml(const std::string& csv_path) {
    return std::string(R"(plant:
  cooling:
    heat_rejection: {kind: cooling_tower, capacity: 1 MW, fan_power: 1 %}
    air: {capacity: 400 kW, supply: 24 degC, coil_approach: 8 K, fan_power: 4 %}
    ambient:
      kind: csv
      path: )") +
           csv_path + "\n      tick: 60 s\n";
  }
  std::filesystem::path dir_;
};

TEST_F(CoolingSpecCsv, ReadsASeriesRelativeToTheScenario) {
  write("weather.csv", "time_s,dry_bulb_degC,wet_bulb_degC\n0,20,15\n3600,30,20\n");
  const std::string file = (dir_ / "s.yaml").string();
  const Read r = read(yaml("weather.csv"), file);
  ASSERT_EQ(r.errors, "");
  ASSERT_EQ(r.spec.ambient.series.size(), 2u);
  EXPECT_NEAR(r.spec.ambient.series[1].conditions.dry_bulb.value(), 303.15, 1e-12);
  EXPECT_DOUBLE_EQ(r.spec.ambient.series[1].time.value(), 3600);
}

TEST_F(CoolingSpecCsv, MalformedCsvIsReportedWithItsLineAndColumnAtThePath) {
  const std::string csv =
      write("weather.csv", "time_s,dry_bulb_degC,wet_bulb_degC\n0,20,15\n60, 2x ,15\n");
  const std::string file = (dir_ / "s.yaml").string();
  const Read r = read(yaml("weather.csv"), file);
  EXPECT_EQ(r.errors, file + ":7:13: plant.cooling.ambient.path: " + csv +
                          ":3:4: dry_bulb_degC: expected a number (got \"2x\")\n");
}

TEST_F(CoolingSpecCsv, TimesMustIncreaseAndWetBulbStayBelowDryBulb) {
  const std::string back =
      write("back.csv", "time_s,dry_bulb_degC,wet_bulb_degC\n0,20,15\n60,21,15\n60,22,15\n");
  const std::string wet = write("wet.csv", "time_s,dry_bulb_degC,wet_bulb_degC\n0,20,25\n");
  const std::string cols = write("cols.csv", "time_s,dry_bulb_degC\n0,20\n");
  const std::string file = (dir_ / "s.yaml").string();
  EXPECT_EQ(read(yaml("back.csv"), file).errors,
            file + ":7:13: plant.cooling.ambient.path: " + back +
                ":4:1: time_s must increase (got \"60\" after \"60\")\n");
  EXPECT_EQ(read(yaml("wet.csv"), file).errors,
            file + ":7:13: plant.cooling.ambient.path: " + wet +
                ":2:6: wet bulb (25 degC) above dry bulb (20 degC)\n");
  EXPECT_EQ(read(yaml("cols.csv"), file).errors,
            file + ":7:13: plant.cooling.ambient.path: " + cols +
                ":1:1: missing column \"wet_bulb_degC\" (expected time_s, dry_bulb_degC, "
                "wet_bulb_degC)\n");
  EXPECT_EQ(read(yaml("missing.csv"), file).errors,
            file + ":7:13: plant.cooling.ambient.path: " + (dir_ / "missing.csv").string() +
                ":1:1: cannot read file\n");
}

}  // namespace
