// The cooling plant against hand calculations: the steady junction temperature through
// the cold plate, the CDU loop, its heat exchanger and the dry cooler; the heat balance;
// monotonicity in the ambient; an undersized CDU; walls, ledger, ticks.
#include "models/cooling/cooling_plant.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace {

using namespace models::cooling;
using models::HallLayout;
using models::Scope;
using sim::Duration;
using sim::from_celsius;
using sim::Kelvin;
using sim::SimTime;
using sim::Watts;

constexpr double kLpm = 1.0 / 60000;  // m^3/s per L/min

GpuThermalSpec h100() {
  GpuThermalSpec g;
  g.slowdown = from_celsius(87);
  g.hw_slowdown = from_celsius(89);
  g.shutdown = from_celsius(95);
  g.cold_plate = ThermalPath{sim::KelvinPerWatt(0.06), sim::KelvinPerWatt(0.005),
                             sim::JoulesPerKelvin(17), sim::JoulesPerKelvin(190)};
  g.air = ThermalPath{sim::KelvinPerWatt(0.06), sim::KelvinPerWatt(0.05), sim::JoulesPerKelvin(17),
                      sim::JoulesPerKelvin(900)};
  return g;
}

CoolingSpec base_spec() {
  CoolingSpec s;
  CduSpec c;
  c.scope = Scope::rack;
  c.capacity = Watts(100e3);
  c.approach = Kelvin(4);
  c.flow = sim::CubicMetersPerSecond(150 * kLpm);
  c.pump_power = Watts(2e3);
  c.volume = sim::CubicMeters(0.05);
  s.cdu = c;
  s.heat_rejection.kind = HeatRejectionKind::dry_cooler;
  s.heat_rejection.cooler.kind = FreeCoolerKind::dry_cooler;
  s.heat_rejection.cooler.capacity = Watts(1e6);
  s.heat_rejection.cooler.approach = Kelvin(8);
  s.heat_rejection.cooler.fan_power = sim::Ratio(0.015);
  s.air.capacity = Watts(50e3);
  s.air.supply = from_celsius(24);
  s.air.coil_approach = Kelvin(8);
  s.air.fan_power = sim::Ratio(0.04);
  s.ambient.kind = AmbientKind::constant;
  s.ambient.constant = {from_celsius(25), from_celsius(18)};
  return s;
}

// One rack of 4 servers with 8 liquid-cooled GPUs each, warm.
struct Rack {
  CoolingPlant plant;
  std::vector<GpuHandle> gpus;
  explicit Rack(CoolingSpec spec, HallLayout layout = {1, 1, 4}, double watts = 700,
                double server_liquid = 500)
      : plant(std::move(spec), layout, SimTime::zero()) {
    for (int s = 0; s < layout.servers(); ++s) gpus.push_back(plant.add_gpus(s, h100(), 8, true));
    plant.finalize();
    for (GpuHandle h : gpus) plant.set_gpu_power(h, Watts(watts), SimTime::zero());
    for (int s = 0; s < layout.servers(); ++s)
      plant.set_server_heat(s, Watts(server_liquid), Watts(0), SimTime::zero());
    plant.settle(SimTime::zero());
  }
};

TEST(CoolingPlant, SteadyJunctionTemperatureByHand) {
  Rack r(base_spec());
  const double p = 700, q = 4 * 8 * p + 4 * 500;  // heat into the loop: 24.4 kW
  // Facility supply: dry bulb + approach Q / Q_capacity.
  const double t_fs = from_celsius(25).value() + 8 * q / 1e6;
  // Secondary supply: T_fs + approach_cdu Q / Q_cdu;  mean: + Q / (2 m_dot c_p).
  const double mcp = 150 * kLpm * 997 * 4180;
  const double supply = t_fs + 4 * q / 100e3;
  const double mean = supply + q / (2 * mcp);
  // T_j = T_mean + P (R_jc + R_conv)
  const double tj = mean + p * (0.06 + 0.005);
  const SimTime t = SimTime::zero() + Duration::s(1);
  EXPECT_NEAR(r.plant.facility_supply_temperature().value(), t_fs, 1e-9);
  EXPECT_NEAR(r.plant.cdu_supply_temperature(0, t).value(), supply, 1e-9);
  EXPECT_NEAR(r.plant.cdu_mean_temperature(0, t).value(), mean, 1e-9);
  EXPECT_NEAR(r.plant.cdu_return_temperature(0, t).value(), supply + q / mcp, 1e-9);
  for (GpuHandle h : r.gpus) {
    EXPECT_NEAR(r.plant.junction_temperature(h, t).value(), tj, 1e-9);
    EXPECT_NEAR(r.plant.steady_junction_temperature(h).value(), tj, 1e-9);
    EXPECT_NEAR(r.plant.coolant_temperature(h, t).value(), mean, 1e-9);
    EXPECT_NEAR(r.plant.junction_to_coolant(h).value(), 0.065, 1e-15);
  }
  EXPECT_EQ(r.plant.cdu_network_size(0), 4u * 2 + 1);
}

TEST(CoolingPlant, HeatIntoTheFacilityLoopEqualsGpuAndServerLiquidHeat) {
  CoolingSpec spec = base_spec();
  Rack r(spec, HallLayout{2, 3, 4}, 650, 420);  // 6 racks: 6 CDUs
  r.plant.set_server_heat(5, Watts(420), Watts(800), SimTime::zero());
  r.plant.set_room_heat(Watts(3000), SimTime::zero());
  r.plant.settle(SimTime::zero());
  ASSERT_EQ(r.plant.cdu_count(), 6);
  const SimTime t = SimTime::zero() + Duration::s(5);
  double exchanged = 0;
  for (int i = 0; i < r.plant.cdu_count(); ++i) {
    const double load = 4 * 8 * 650 + 4 * 420;
    EXPECT_NEAR(r.plant.cdu_heat(i).value(), load, 1e-9);
    EXPECT_NEAR(r.plant.cdu_exchanged_heat(i, t).value(), load, 1e-6);
    exchanged += r.plant.cdu_exchanged_heat(i, t).value();
  }
  EXPECT_NEAR(exchanged, 24 * 8 * 650 + 24 * 420, 1e-5);
  EXPECT_NEAR(r.plant.air_heat().value(), 3800, 1e-12);
  EXPECT_NEAR(r.plant.facility().heat.value(), exchanged + 3800, 1e-5);
}

TEST(CoolingPlant, HotterAmbientNeverGivesACoolerJunction) {
  for (const bool chiller : {false, true}) {
    double previous = 0;
    for (int db = -10; db <= 45; ++db) {
      CoolingSpec spec = base_spec();
      spec.ambient.constant = {from_celsius(db), from_celsius(db - 8)};
      if (chiller) {
        spec.heat_rejection.kind = HeatRejectionKind::chiller;
        ChillerSpec c;
        c.capacity = Watts(1e6);
        c.setpoint = from_celsius(20);
        spec.heat_rejection.chiller = c;
      }
      Rack r(spec);
      const double tj = r.plant.steady_junction_temperature(r.gpus[0]).value();
      EXPECT_GE(tj, previous) << "dry bulb " << db << " degC, chiller " << chiller;
      previous = tj;
    }
  }
}

TEST(CoolingPlant, UndersizedCduRunsWarmerByQOverUa) {
  // Same heat (4 x 8 x 700 + 4 x 500 = 24.4 kW) on a CDU sized at 100 kW and on one of 20 kW.
  CoolingSpec small = base_spec();
  small.cdu->capacity = Watts(20e3);
  Rack sized(base_spec()), undersized(small);
  const double q = 24.4e3;
  const double ua_sized = 100e3 / 4, ua_small = 20e3 / 4;  // UA = Q_capacity / approach
  const SimTime t = SimTime::zero() + Duration::s(1);
  const double diff = undersized.plant.cdu_supply_temperature(0, t).value() -
                      sized.plant.cdu_supply_temperature(0, t).value();
  EXPECT_NEAR(diff, q / ua_small - q / ua_sized, 1e-9);
  EXPECT_NEAR(undersized.plant.junction_temperature(undersized.gpus[0], t).value() -
                  sized.plant.junction_temperature(sized.gpus[0], t).value(),
              diff, 1e-9);
  // Above capacity the secondary supply is above facility + design approach.
  EXPECT_GT(undersized.plant.cdu_supply_temperature(0, t).value(),
            undersized.plant.facility_supply_temperature().value() + 4);
}

TEST(CoolingPlant, LoopTransportLagAndCrossing) {
  CoolingSpec spec = base_spec();
  CoolingPlant plant(spec, HallLayout{1, 1, 4}, SimTime::zero());
  std::vector<GpuHandle> gpus;
  for (int s = 0; s < 4; ++s) gpus.push_back(plant.add_gpus(s, h100(), 8, true));
  plant.finalize();
  // Idle: everything at the facility supply (the dry bulb: no heat, no approach).
  const SimTime t0 = SimTime::zero();
  EXPECT_NEAR(plant.junction_temperature(gpus[0], t0).value(), from_celsius(25).value(), 1e-9);
  for (GpuHandle h : gpus) plant.set_gpu_power(h, Watts(700), t0);
  const double steady = plant.steady_junction_temperature(gpus[0]).value();
  // A threshold halfway: the plant's crossing is the first nanosecond at or above it.
  const Kelvin threshold((plant.junction_temperature(gpus[0], t0).value() + steady) / 2);
  const auto when = plant.next_crossing(gpus[0], threshold, t0, Duration::s(3600));
  ASSERT_TRUE(when.has_value());
  EXPECT_GT(when->seconds(), 0.1);
  CoolingPlant twin(spec, HallLayout{1, 1, 4}, SimTime::zero());
  std::vector<GpuHandle> twins;
  for (int s = 0; s < 4; ++s) twins.push_back(twin.add_gpus(s, h100(), 8, true));
  twin.finalize();
  for (GpuHandle h : twins) twin.set_gpu_power(h, Watts(700), t0);
  EXPECT_LT(twin.junction_temperature(twins[0], *when - Duration::ns(1)).value(),
            threshold.value());
  EXPECT_GE(twin.junction_temperature(twins[0], *when).value(), threshold.value());
  // Every GPU of the loop saw its trajectory change when a neighbour's power changed.
  const auto e = plant.trajectory_epoch(gpus[3]);
  plant.set_gpu_power(gpus[0], Watts(300), *when);
  EXPECT_NE(plant.trajectory_epoch(gpus[3]), e);
  // The loop node's own time constant through the HX: rho V c_p / G_hx
  //   = rho V c_p approach / Q_capacity + V / (2 V_dot)
  // a first-order lag of the order of the transport lag V / V_dot (50 L at 150 L/min: 20 s).
  const double rho_v_cp = 0.05 * 997 * 4180;
  EXPECT_NEAR((plant.cdu(0).heat_capacity / plant.cdu(0).hx_conductance()).value(),
              rho_v_cp * 4 / 100e3 + 0.05 / (2 * 150 * kLpm), 1e-9);
}

TEST(CoolingPlant, AirCooledGpusAndTheAirPath) {
  CoolingSpec spec = base_spec();
  CoolingPlant plant(spec, HallLayout{1, 1, 2}, SimTime::zero());
  const GpuHandle a = plant.add_gpus(0, h100(), 8, false);
  plant.finalize();
  plant.set_gpu_power(a, Watts(400), SimTime::zero());
  plant.settle(SimTime::zero());
  EXPECT_FALSE(plant.liquid(a));
  // T_j = T_supply_air + P (R_js + R_sa), below the air capacity the supply holds.
  EXPECT_NEAR(plant.junction_temperature(a, SimTime::zero()).value(),
              from_celsius(24).value() + 400 * 0.11, 1e-9);
  // Above capacity (50 kW): supply = setpoint + coil_approach (Q - cap) / cap.
  plant.set_room_heat(Watts(56.8e3), SimTime::zero());  // 3.2 kW of GPUs + 56.8 kW = 60 kW
  EXPECT_NEAR(plant.air_supply_temperature().value(), from_celsius(24).value() + 8 * 0.2, 1e-9);
  plant.settle(SimTime::zero());
  EXPECT_NEAR(plant.junction_temperature(a, SimTime::zero()).value(),
              from_celsius(24).value() + 1.6 + 400 * 0.11, 1e-9);
  EXPECT_THROW(plant.add_gpus(1, h100(), 1, true), std::logic_error);
}

TEST(CoolingPlant, EnergyLedgerIntegratesPiecewiseConstantPower) {
  Rack r(base_spec());
  const CoolingPower p0 = r.plant.power();
  // pumps 2 kW; fans: 1.5 % of the rejected heat (24.4 kW); no chiller.
  EXPECT_NEAR(p0.pumps.value(), 2e3, 1e-9);
  EXPECT_NEAR(p0.fans.value(), 0.015 * 24.4e3, 1e-9);
  EXPECT_DOUBLE_EQ(p0.chiller.value(), 0);
  const SimTime t1 = SimTime::zero() + Duration::s(100);
  r.plant.set_gpu_power(r.gpus[0], Watts(200), t1);
  const CoolingPower p1 = r.plant.power();
  const SimTime t2 = t1 + Duration::ms(2500);
  const CoolingEnergy e = r.plant.energy(t2);
  EXPECT_NEAR(e.total().value(), p0.total().value() * 100 + p1.total().value() * 2.5, 1e-6);
  EXPECT_NEAR(e.pumps.value(), 2e3 * 102.5, 1e-6);
}

TEST(CoolingPlant, WallsReportLoadsAndLimits) {
  CoolingSpec spec = base_spec();
  spec.cdu->capacity = Watts(20e3);          // 24.4 kW on it: over capacity
  spec.facility_limit = from_celsius(25.1);  // the dry cooler's approach pushes above it
  spec.liquid_class = "W27";
  sim::WallMonitor monitor;
  CoolingPlant plant(spec, HallLayout{1, 1, 4}, SimTime::zero());
  std::vector<GpuHandle> gpus;
  for (int s = 0; s < 4; ++s) gpus.push_back(plant.add_gpus(s, h100(), 8, true));
  plant.finalize();
  plant.register_walls(monitor);
  const SimTime t = SimTime::zero() + Duration::s(10);
  for (GpuHandle h : gpus) plant.set_gpu_power(h, Watts(700), t);
  for (int s = 0; s < 4; ++s) plant.set_server_heat(s, Watts(500), Watts(0), t);
  monitor.finish(t + Duration::s(20));
  bool cdu = false, supply = false;
  for (const sim::WallResult& w : monitor.results()) {
    if (w.name == "cdu[0].heat") {
      cdu = true;
      EXPECT_EQ(w.kind, "cooling");
      EXPECT_EQ(w.unit, "W");
      EXPECT_EQ(w.aggregation, sim::Aggregation::rate);
      EXPECT_DOUBLE_EQ(w.limit, 20e3);
      EXPECT_NEAR(w.peak_utilization, 24.4e3 / 20e3, 1e-9);
      ASSERT_TRUE(w.first_hit.has_value());
    }
    if (w.name == "facility.supply_temperature") {
      supply = true;
      EXPECT_EQ(w.unit, "degC");
      EXPECT_EQ(w.aggregation, sim::Aggregation::level);
      EXPECT_NEAR(w.limit, 25.1, 1e-9);
      ASSERT_TRUE(w.first_hit.has_value());
      EXPECT_GT(*w.first_hit, SimTime::zero());
    }
  }
  EXPECT_TRUE(cdu);
  EXPECT_TRUE(supply);
  EXPECT_EQ(monitor.size(), 4u);  // cdu[0], facility supply, heat rejection, air
}

TEST(CoolingPlant, FacilityTickHoldsTheSupplyUntilTheTick) {
  CoolingSpec spec = base_spec();
  spec.facility_tick = Duration::s(10);
  CoolingPlant plant(spec, HallLayout{1, 1, 1}, SimTime::zero());
  const GpuHandle h = plant.add_gpus(0, h100(), 8, true);
  plant.finalize();
  const double idle = plant.facility_supply_temperature().value();
  plant.set_gpu_power(h, Watts(700), SimTime::zero() + Duration::s(3));
  EXPECT_DOUBLE_EQ(plant.facility_supply_temperature().value(), idle);
  EXPECT_EQ(plant.next_event(SimTime::zero() + Duration::s(3)), SimTime::zero() + Duration::s(10));
  // The fans follow the heat at once; the supply waits for the tick.
  EXPECT_NEAR(plant.power().fans.value(), 0.015 * 5600, 1e-9);
  plant.advance(SimTime::zero() + Duration::s(10));
  EXPECT_NEAR(plant.facility_supply_temperature().value(), idle + 8 * 5600 / 1e6, 1e-12);
  EXPECT_EQ(plant.next_event(SimTime::zero() + Duration::s(10)), SimTime::zero() + Duration::s(20));
}

TEST(CoolingPlant, DailyAmbientMovesTheFacilitySupplyOnTicks) {
  CoolingSpec spec = base_spec();
  spec.ambient.kind = AmbientKind::daily;
  spec.ambient.dry_bulb = {from_celsius(25), Kelvin(8), sim::Seconds(15 * 3600)};
  spec.ambient.wet_bulb = {from_celsius(18), Kelvin(3), sim::Seconds(15 * 3600)};
  spec.ambient.tick = Duration::s(60);
  CoolingPlant plant(spec, HallLayout{1, 1, 1}, SimTime::zero());
  plant.finalize();
  // At midnight the dry bulb is 25 + 8 cos(2 pi (0 - 15 h) / 24 h).
  const double midnight = 25 + 8 * std::cos(2 * std::numbers::pi * (-15.0 / 24));
  EXPECT_NEAR(sim::to_celsius(plant.facility_supply_temperature()), midnight, 1e-9);
  const SimTime next = *plant.next_event(SimTime::zero());
  EXPECT_EQ(next, SimTime::zero() + Duration::s(60));
  plant.advance(SimTime::zero() + Duration::s(15 * 3600));
  EXPECT_NEAR(sim::to_celsius(plant.facility_supply_temperature()), 33, 1e-9);
}

TEST(CoolingPlant, MisuseIsRefused) {
  CoolingSpec spec = base_spec();
  CoolingPlant plant(spec, HallLayout{1, 1, 1}, SimTime::zero());
  GpuThermalSpec air_only = h100();
  air_only.cold_plate.reset();
  EXPECT_THROW(plant.add_gpus(0, air_only, 8, true), std::invalid_argument);
  EXPECT_THROW(plant.add_gpus(1, h100(), 8, true), std::invalid_argument);
  const GpuHandle h = plant.add_gpus(0, h100(), 8, true);
  EXPECT_THROW(plant.junction_temperature(h, SimTime::zero()), std::logic_error);
  plant.finalize();
  plant.set_gpu_power(h, Watts(100), SimTime::zero() + Duration::s(2));
  EXPECT_THROW(plant.set_gpu_power(h, Watts(100), SimTime::zero() + Duration::s(1)),
               std::logic_error);
}

}  // namespace
