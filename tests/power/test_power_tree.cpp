// The runtime power tree: its shape over a hall, chain efficiency as the product of stage
// efficiencies, exact energy conservation over random load sequences, AC and DC chains with
// the same numbers giving the same results, breakers, interval means and walls.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "models/power/power_reader.hpp"
#include "models/power/power_tree.hpp"
#include "sim/wall_monitor.hpp"

namespace models::power {
namespace {

using sim::Duration;
using sim::Joules;
using sim::SimTime;
using sim::Watts;

EfficiencyCurve falling_curve() {
  return EfficiencyCurve({{0.0, 0.90}, {0.25, 0.94}, {0.5, 0.95}, {1.0, 0.96}});
}

StageSpec stage(std::string name, Scope scope, Watts module, Redundancy r = Redundancy::n(),
                EfficiencyCurve curve = falling_curve(),
                StageLocation where = StageLocation::room) {
  StageSpec s;
  s.name = std::move(name);
  s.type = s.name;
  s.scope = scope;
  s.rating = Rating::absolute_per_module(module);
  s.redundancy = r;
  s.efficiency = std::move(curve);
  s.location = where;
  return s;
}

// transformer (hall, outdoor) -> ups (row, 2N) -> pdu (rack) -> psu (server, with a
// constant loss): every kind of stage the tree distinguishes.
std::vector<StageSpec> four_stage_chain() {
  StageSpec psu =
      stage("psu", Scope::server, Watts(3e3), Redundancy::two_n(),
            EfficiencyCurve({{0.0, 0.90}, {0.1, 0.90}, {0.2, 0.94}, {0.5, 0.96}, {1.0, 0.91}}));
  psu.no_load_loss = Watts(5);
  return {stage("transformer", Scope::hall, Watts(200e3), Redundancy::n(),
                EfficiencyCurve({{0.0, 0.985}, {0.25, 0.985}, {0.5, 0.99}, {1.0, 0.99}}),
                StageLocation::outdoor),
          stage("ups", Scope::row, Watts(80e3), Redundancy::two_n()),
          stage("pdu", Scope::rack, Watts(25e3), Redundancy::n(),
                EfficiencyCurve({{0.0, 0.97}, {0.5, 0.98}, {1.0, 0.98}})),
          psu};
}

SimTime at_ms(std::int64_t ms) {
  return SimTime::zero() + Duration::ms(ms);
}

// Project-independent uniform doubles from a standard engine (whose output sequence the
// standard fixes; its distributions it does not).
double uniform(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

TEST(PowerTree, OneNodePerStageAndScopeInstanceWithTheParentCoveringTheSameServers) {
  const HallLayout hall{2, 3, 4};  // 2 rows x 3 racks x 4 servers
  const PowerTree t(four_stage_chain(), hall);
  EXPECT_EQ(t.nodes().size(), 1u + 2u + 6u + 24u);
  const int rack4 = t.node_of(2, 4);
  EXPECT_EQ(t.node(rack4).name(), "pdu[4]");
  EXPECT_EQ(t.node(rack4).scope(), Scope::rack);
  EXPECT_EQ(t.node(rack4).instance(), 4);
  EXPECT_EQ(t.node(rack4).servers().first, 16);
  EXPECT_EQ(t.node(rack4).servers().last, 20);
  // Rack 4 stands in row 1 (racks 3, 4, 5).
  ASSERT_TRUE(t.node(rack4).parent().has_value());
  EXPECT_EQ(t.node(*t.node(rack4).parent()).name(), "ups[1]");
  EXPECT_EQ(t.node(t.node_of(1, 1)).servers().first, 12);
  EXPECT_EQ(t.node(t.node_of(1, 1)).servers().last, 24);
  EXPECT_FALSE(t.node(0).parent().has_value());
  EXPECT_EQ(t.feeding(17, 2), rack4);
  EXPECT_EQ(t.find("psu[23]"), t.node_of(3, 23));
  EXPECT_FALSE(t.find("psu[24]").has_value());
  EXPECT_EQ(t.node(t.node_of(1, 0)).usable_rating(), Watts(80e3));
  EXPECT_EQ(t.node(t.node_of(1, 0)).installed_rating(), Watts(160e3));
}

TEST(PowerTree, ChainEfficiencyIsTheProductOfStageEfficienciesAtTheirLoads) {
  // One server, one instance of each stage: the chain is a line.
  const std::vector<StageSpec> chain{
      stage("a", Scope::hall, Watts(10e3), Redundancy::n(),
            EfficiencyCurve({{0.0, 0.97}, {0.5, 0.99}, {1.0, 0.98}})),
      stage("b", Scope::hall, Watts(6e3), Redundancy::two_n()),
      stage("c", Scope::server, Watts(7e3))};
  PowerTree t(chain, HallLayout{1, 1, 1});
  const Watts load(4e3);
  t.set_server_load(0, load, SimTime::zero());
  // Bottom up, each stage at its own load fraction of its installed rating.
  const double eta_c = falling_curve().at(4e3 / 7e3);
  const double in_c = 4e3 / eta_c;
  const double eta_b = falling_curve().at(in_c / 12e3);
  const double in_b = in_c / eta_b;
  const double eta_a = EfficiencyCurve({{0.0, 0.97}, {0.5, 0.99}, {1.0, 0.98}}).at(in_b / 10e3);
  EXPECT_NEAR((t.it_power() / t.grid_input()).value(), eta_a * eta_b * eta_c, 1e-15);
  EXPECT_NEAR(t.grid_input().value(), 4e3 / (eta_a * eta_b * eta_c), 1e-9);
  // The design-point helper agrees with the runtime tree at a uniform load.
  EXPECT_NEAR(t.design_point(load).efficiency(), eta_a * eta_b * eta_c, 1e-15);
}

TEST(PowerTree, UniformLoadMatchesTheDesignPoint) {
  const HallLayout hall{3, 4, 2};
  PowerTree t(four_stage_chain(), hall);
  for (int s = 0; s < hall.servers(); ++s) t.set_server_load(s, Watts(1.7e3), at_ms(10));
  const DesignPoint p = t.design_point(Watts(1.7e3));
  EXPECT_NEAR(t.grid_input().value(), p.grid.value(), 1e-9 * p.grid.value());
  EXPECT_NEAR(t.room_heat().value(), p.room_heat.value(), 1e-9 * p.grid.value());
  EXPECT_NEAR(t.stage_power(1).output.value(), 3 * p.stages[1].output.value(), 1e-6);
}

// Drives `t` with `steps` random load changes at random times; returns the IT energy the
// test integrated itself (sum of load x duration per server, loads piecewise constant).
Joules drive_randomly(PowerTree& t, int steps, std::uint64_t seed, SimTime& now) {
  std::mt19937_64 g(seed);
  const int servers = t.layout().servers();
  std::vector<double> load(static_cast<std::size_t>(servers), 0.0);
  double it_energy = 0;
  for (int i = 0; i < steps; ++i) {
    const auto dt = Duration::ns(static_cast<std::int64_t>(uniform(g) * 5e6));  // < 5 ms
    double total = 0;
    for (double l : load) total += l;
    it_energy += total * dt.seconds().value();
    now = now + dt;
    const int s = static_cast<int>(uniform(g) * servers);
    // Idle now and then, as GPUs between batches; else anything up to above the PSU rating.
    const double w = uniform(g) < 0.1 ? 0.0 : uniform(g) * 7e3;
    load[static_cast<std::size_t>(s)] = w;
    t.set_server_load(s, Watts(w), now);
  }
  const auto tail = Duration::ms(250);
  double total = 0;
  for (double l : load) total += l;
  it_energy += total * tail.seconds().value();
  now = now + tail;
  return Joules(it_energy);
}

TEST(PowerTree, EnergyIsConservedOverARandomLoadSequence) {
  const HallLayout hall{2, 4, 4};
  PowerTree t(four_stage_chain(), hall);
  SimTime now = SimTime::zero();
  // More changes than the rebuild period, so the exact rebuild is crossed too.
  const Joules it = drive_randomly(t, 40'000, 7, now);
  const double grid = t.grid_energy(now).value();
  const double losses = t.loss_energy(now).value();
  EXPECT_NEAR(t.it_energy(now).value(), it.value(), 1e-9 * it.value());
  EXPECT_NEAR(grid, it.value() + losses, 1e-9 * grid);
  // Losses split into room heat and outdoor (transformer) losses; per stage they add up.
  const std::vector<StageEnergy> per_stage = t.stage_energies(now);
  ASSERT_EQ(per_stage.size(), 4u);
  EXPECT_EQ(per_stage[0].name, "transformer");
  double sum = 0;
  for (const StageEnergy& e : per_stage) sum += e.loss.value();
  EXPECT_NEAR(sum, losses, 1e-9 * losses);
  EXPECT_NEAR(t.room_heat_energy(now).value() + per_stage[0].loss.value(), losses, 1e-9 * losses);
  // Each stage passes on what the next one draws.
  for (std::size_t k = 0; k + 1 < per_stage.size(); ++k)
    EXPECT_NEAR(per_stage[k].output.value(), per_stage[k + 1].input.value(), 1e-9 * grid) << k;
  EXPECT_NEAR(per_stage[0].input.value(), grid, 1e-9 * grid);
}

TEST(PowerTree, ConstantLossesFlowFromTheStartAndStopWhenABreakerOpens) {
  const HallLayout hall{2, 1, 2};
  PowerTree t(four_stage_chain(), hall, at_ms(100));
  // 4 idle PSUs, 2 installed modules each x 5 W, at eta(0) = 0.90.
  const double psu_idle = 2 * 5 / 0.90;
  EXPECT_NEAR(t.stage_power(3).input.value(), 4 * psu_idle, 1e-12);
  EXPECT_GT(t.grid_input().value(), 4 * psu_idle);
  EXPECT_NEAR(t.it_power().value(), 0.0, 0.0);
  EXPECT_NEAR(t.grid_energy(at_ms(1100)).value(), t.grid_input().value() * 1.0, 1e-9);
}

TEST(PowerTree, AnOpenBreakerDeEnergizesItsSubtreeAndItsServersDrawNothing) {
  const HallLayout hall{2, 2, 2};  // row 1 feeds servers 4..7
  PowerTree t(four_stage_chain(), hall);
  for (int s = 0; s < 8; ++s) t.set_server_load(s, Watts(2e3), at_ms(0));
  const Watts grid_before = t.grid_input();
  const int row1 = t.node_of(1, 1);
  t.set_tripped(row1, true, at_ms(1000));
  EXPECT_TRUE(t.node(row1).tripped());
  EXPECT_FALSE(t.node(row1).energized());
  EXPECT_FALSE(t.node(t.node_of(3, 5)).energized());
  EXPECT_FALSE(t.node(t.node_of(3, 5)).tripped());
  EXPECT_TRUE(t.is_fed(3));
  EXPECT_FALSE(t.is_fed(4));
  EXPECT_EQ(t.server_load(4), Watts(0));
  EXPECT_EQ(t.node(row1).input(), Watts(0));
  EXPECT_EQ(t.node(row1).output(), Watts(0));
  EXPECT_EQ(t.node(t.node_of(3, 6)).input(), Watts(0));  // no constant loss either
  EXPECT_EQ(t.it_power(), Watts(4 * 2e3));
  EXPECT_LT(t.grid_input(), grid_before * 0.55);
  // Loads of unfed servers are ignored.
  t.set_server_load(5, Watts(3e3), at_ms(1500));
  EXPECT_EQ(t.server_load(5), Watts(0));
  EXPECT_EQ(t.node(row1).output(), Watts(0));
  // Reclosed: the subtree draws its constant losses again; servers restart at 0 W.
  t.set_tripped(row1, false, at_ms(2000));
  EXPECT_TRUE(t.is_fed(5));
  EXPECT_EQ(t.server_load(5), Watts(0));
  EXPECT_NEAR(t.node(t.node_of(3, 5)).input().value(), 2 * 5 / 0.90, 1e-12);
  t.set_server_load(5, Watts(1e3), at_ms(2500));
  EXPECT_EQ(t.server_load(5), Watts(1e3));
  // Conservation holds across the trip: IT energy 8 x 2 kW for 1 s, then 4 x 2 kW for 1.5 s,
  // then 4 x 2 kW + 1 kW for 0.5 s.
  const SimTime end = at_ms(3000);
  const double it = 8 * 2e3 * 1.0 + 4 * 2e3 * 1.5 + (4 * 2e3 + 1e3) * 0.5;
  EXPECT_NEAR(t.it_energy(end).value(), it, 1e-9 * it);
  EXPECT_NEAR(t.grid_energy(end).value(), it + t.loss_energy(end).value(), 1e-9 * it);
}

TEST(PowerTree, AcAndDcChainsWithTheSameNumbersGiveTheSameResults) {
  // The same stages, written once as an AC chain (with the server's PSU from the server
  // catalog) and once as an 800 V DC chain: no code path depends on which.
  constexpr std::string_view kYaml = R"(
power_chains:
  ac:
    source: test
    stages:
      - {name: transformer, type: transformer, scope: hall, rating: 150 %, location: outdoor,
         efficiency: [[0 %, 98.5 %], [25 %, 98.5 %], [50 %, 99 %], [100 %, 99 %]]}
      - {name: ups, type: ups, scope: row, rating: 125 %, redundancy: 2N,
         efficiency: [[0 %, 94 %], [25 %, 94 %], [50 %, 95 %], [100 %, 96 %]]}
      - {name: pdu, type: pdu, scope: rack, rating: 40 kW, modules: 2, redundancy: N+1,
         efficiency: [[0 %, 97 %], [50 %, 98 %], [100 %, 98 %]], no_load_loss: 20 W}
      - server_psu
  dc:
    source: test
    stages:
      - {name: sst, type: sst, scope: hall, rating: 150 %, location: outdoor,
         efficiency: [[0 %, 98.5 %], [25 %, 98.5 %], [50 %, 99 %], [100 %, 99 %]]}
      - {name: dc_bus, type: dc_bus, scope: row, rating: 125 %, redundancy: 2N,
         efficiency: [[0 %, 94 %], [25 %, 94 %], [50 %, 95 %], [100 %, 96 %]]}
      - {name: shelf, type: dc_dc, scope: rack, rating: 40 kW, modules: 2, redundancy: N+1,
         efficiency: [[0 %, 97 %], [50 %, 98 %], [100 %, 98 %]], no_load_loss: 20 W}
      - {name: vrm, type: dc_dc, scope: server, rating: 3.3 kVA, power_factor: 0.97,
         redundancy: 2N, efficiency: [[0 %, 90 %], [20 %, 94 %], [50 %, 96 %], [100 %, 91 %]]}
server:
  psu: {rating: 3.3 kVA, power_factor: 0.97, redundancy: 2N,
        efficiency: [[0 %, 90 %], [20 %, 94 %], [50 %, 96 %], [100 %, 91 %]]}
)";
  sim::config::Diagnostics d;
  const sim::config::Node root = sim::config::load_string(kYaml, "acdc.yaml", d);
  const auto chains = read_power_chains(root, d);
  sim::config::Reader server(root.find("server"), "server", d);
  sim::config::Reader psu_reader = server.section("psu", sim::config::Need::required);
  const StageSpec psu = read_stage(psu_reader, StageContext::server_psu);
  ASSERT_TRUE(d.empty()) << d.str();

  const HallLayout hall{2, 3, 4};
  const Watts nameplate(6e3);
  PowerTree ac(resolve_chain(chains.at("ac"), hall, &psu, nameplate, d), hall);
  PowerTree dc(resolve_chain(chains.at("dc"), hall, nullptr, nameplate, d), hall);
  ASSERT_TRUE(d.empty()) << d.str();
  SimTime t_ac = SimTime::zero();
  SimTime t_dc = SimTime::zero();
  drive_randomly(ac, 3'000, 11, t_ac);
  drive_randomly(dc, 3'000, 11, t_dc);
  ASSERT_EQ(t_ac, t_dc);
  EXPECT_EQ(ac.grid_input(), dc.grid_input());
  EXPECT_EQ(ac.room_heat(), dc.room_heat());
  EXPECT_EQ(ac.grid_energy(t_ac), dc.grid_energy(t_dc));
  EXPECT_EQ(ac.loss_energy(t_ac), dc.loss_energy(t_dc));
  ASSERT_EQ(ac.nodes().size(), dc.nodes().size());
  for (std::size_t i = 0; i < ac.nodes().size(); ++i) {
    EXPECT_EQ(ac.nodes()[i].input(), dc.nodes()[i].input()) << i;
    EXPECT_EQ(ac.nodes()[i].usable_rating(), dc.nodes()[i].usable_rating()) << i;
  }
  EXPECT_EQ(ac.design_point(Watts(4e3)).grid, dc.design_point(Watts(4e3)).grid);
}

TEST(IntervalMeter, MeanOutputOverEachIntervalFromTheEnergyIntegrals) {
  PowerTree t(four_stage_chain(), HallLayout{1, 1, 2});
  IntervalMeter meter(t, SimTime::zero());
  t.set_server_load(0, Watts(1e3), at_ms(0));
  t.set_server_load(0, Watts(3e3), at_ms(250));  // 1 kW for 1/4 s, 3 kW for 3/4 s
  const int rack = t.node_of(2, 0);
  const int psu0 = t.node_of(3, 0);
  std::span<const Watts> mean = meter.close(at_ms(1000));
  EXPECT_NEAR(mean[static_cast<std::size_t>(psu0)].value(), 0.25 * 1e3 + 0.75 * 3e3, 1e-9);
  const double rack_in_1 =
      stage_input(t.stages()[3], Watts(1e3)).value() + stage_input(t.stages()[3], Watts(0)).value();
  const double rack_in_3 =
      stage_input(t.stages()[3], Watts(3e3)).value() + stage_input(t.stages()[3], Watts(0)).value();
  EXPECT_NEAR(mean[static_cast<std::size_t>(rack)].value(), 0.25 * rack_in_1 + 0.75 * rack_in_3,
              1e-9);
  // Next interval: constant 3 kW.
  mean = meter.close(at_ms(1500));
  EXPECT_NEAR(mean[static_cast<std::size_t>(psu0)].value(), 3e3, 1e-9);
}

TEST(PowerWalls, OneRateResourcePerNodeLimitedByItsUsableRating) {
  PowerTree t(four_stage_chain(), HallLayout{1, 2, 2});
  sim::WallMonitor m;
  t.register_walls(m);
  m.finish(at_ms(1000));
  const std::vector<sim::WallResult> r = m.results();
  ASSERT_EQ(r.size(), t.nodes().size());
  bool found = false;
  for (const sim::WallResult& w : r) {
    if (w.name != "power.ups[0]") continue;
    found = true;
    EXPECT_EQ(w.kind, "power");
    EXPECT_EQ(w.unit, "W");
    EXPECT_EQ(w.limit, 80e3);  // usable: one side of the 2N UPS
    EXPECT_EQ(w.aggregation, sim::Aggregation::rate);
  }
  EXPECT_TRUE(found);
}

// A rack (usable 25 kW) whose two servers draw `first` for the first half of each 1 s window
// and `second` for the other half, over two windows.
std::vector<sim::WallResult> drive_rack(Watts first, Watts second) {
  PowerTree t(four_stage_chain(), HallLayout{1, 2, 2});
  sim::WallMonitor m(sim::WallOptions{1.0, Duration::s(1)});
  t.register_walls(m);
  for (int w = 0; w < 2; ++w) {
    for (int s = 0; s < 2; ++s) t.set_server_load(s, first / 2.0, at_ms(1000 * w));
    for (int s = 0; s < 2; ++s) t.set_server_load(s, second / 2.0, at_ms(1000 * w + 500));
  }
  m.finish(at_ms(2000));
  return m.results();
}

const sim::WallResult& named(const std::vector<sim::WallResult>& r, const std::string& name) {
  for (const sim::WallResult& w : r) {
    if (w.name == name) return w;
  }
  throw std::runtime_error("no wall " + name);
}

TEST(PowerWalls, ANodeAboveItsUsableRatingForAFullWindowIsHit) {
  // The rack's PDU output is its servers' PSU inputs: 26 kW of server load plus the PSUs'
  // losses is above 25 kW.
  const auto r = drive_rack(Watts(26e3), Watts(26e3));
  const sim::WallResult& pdu = named(r, "power.pdu[0]");
  ASSERT_TRUE(pdu.first_hit.has_value());
  // Within the first window (whether the monitor dates a hit at the window's start or end
  // is its own business).
  EXPECT_LE(*pdu.first_hit, at_ms(1000));
  EXPECT_GT(pdu.peak_utilization, 1.0);
  // The other rack carries nothing; the row and the hall have room.
  EXPECT_FALSE(named(r, "power.pdu[1]").first_hit.has_value());
  EXPECT_FALSE(named(r, "power.ups[0]").first_hit.has_value());
}

TEST(PowerWalls, ABriefExcursionWhoseWindowMeanStaysBelowTheRatingIsNotHit) {
  // 30 kW for half a second, 10 kW for the other half: the window means stay below 25 kW.
  const auto r = drive_rack(Watts(30e3), Watts(10e3));
  const sim::WallResult& pdu = named(r, "power.pdu[0]");
  EXPECT_FALSE(pdu.first_hit.has_value());
  EXPECT_LT(pdu.peak_utilization, 1.0);
  EXPECT_GT(pdu.peak_utilization, 0.8);
}

TEST(PowerTree, RejectsWhatOnlyAProgrammingErrorProduces) {
  std::vector<StageSpec> unresolved = four_stage_chain();
  unresolved[1].rating = Rating::of_design(1.25);
  EXPECT_THROW(PowerTree(unresolved, HallLayout{1, 1, 1}), std::invalid_argument);
  std::vector<StageSpec> upside_down = four_stage_chain();
  std::swap(upside_down[1], upside_down[2]);
  EXPECT_THROW(PowerTree(upside_down, HallLayout{1, 1, 1}), std::invalid_argument);

  PowerTree t(four_stage_chain(), HallLayout{1, 1, 2});
  t.set_server_load(0, Watts(1e3), at_ms(10));
  EXPECT_THROW(t.set_server_load(0, Watts(1e3), at_ms(9)), std::logic_error);
  EXPECT_THROW(t.set_server_load(0, Watts(-1), at_ms(10)), std::invalid_argument);
  EXPECT_THROW(t.set_server_load(2, Watts(1), at_ms(10)), std::out_of_range);
  EXPECT_THROW((void)t.grid_energy(at_ms(5)), std::logic_error);
}

}  // namespace
}  // namespace models::power
