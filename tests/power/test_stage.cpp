// The physics of one stage and of a chain at a design point: expected values are the
// formulas (P_in = (P_out + C) / eta(P_out / P_installed), products of stage efficiencies,
// usable = N x module), evaluated by hand from the tables.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "models/power/chain.hpp"
#include "models/power/stage_spec.hpp"

namespace models::power {
namespace {

using sim::Watts;

// A UPS-like table that falls at light load (REFERENCE.md B.9: UPSs are less efficient at or
// below 50 % load).
EfficiencyCurve falling_curve() {
  return EfficiencyCurve({{0.0, 0.90}, {0.25, 0.94}, {0.5, 0.95}, {1.0, 0.96}});
}

StageSpec stage(std::string name, Scope scope, Watts module, int modules, Redundancy r,
                EfficiencyCurve curve = falling_curve()) {
  StageSpec s;
  s.name = std::move(name);
  s.type = s.name;
  s.scope = scope;
  s.rating = Rating::absolute_per_module(module);
  s.modules = modules;
  s.redundancy = r;
  s.efficiency = std::move(curve);
  return s;
}

TEST(Redundancy, UsableIsNModulesInstalledAddsTheSpares) {
  const Watts module(250e3);
  const StageSpec n = stage("n", Scope::row, module, 4, Redundancy::n());
  const StageSpec n1 = stage("n1", Scope::row, module, 4, Redundancy::n_plus(1));
  const StageSpec two = stage("2n", Scope::row, module, 4, Redundancy::two_n());
  // What is left after one module (N+1) or one side (2N) fails is N modules.
  EXPECT_EQ(n.usable_rating(), Watts(4 * 250e3));
  EXPECT_EQ(n1.usable_rating(), Watts(4 * 250e3));
  EXPECT_EQ(two.usable_rating(), Watts(4 * 250e3));
  EXPECT_EQ(n.installed_rating(), Watts(4 * 250e3));
  EXPECT_EQ(n1.installed_rating(), Watts(5 * 250e3));
  EXPECT_EQ(two.installed_rating(), Watts(8 * 250e3));
  EXPECT_EQ(Redundancy::n().str(), "N");
  EXPECT_EQ(Redundancy::n_plus(2).str(), "N+2");
  EXPECT_EQ(Redundancy::two_n().str(), "2N");
}

TEST(StageInput, InputIsOutputOverEfficiencyAtTheInstalledLoadFraction) {
  const StageSpec s = stage("ups", Scope::row, Watts(100e3), 2, Redundancy::n());  // 200 kW
  // 120 kW on 200 kW installed = 60 %: eta = 0.95 + (0.60 - 0.50) / 0.50 * (0.96 - 0.95).
  const double eta = 0.95 + 0.1 / 0.5 * 0.01;
  EXPECT_NEAR(stage_input(s, Watts(120e3)).value(), 120e3 / eta, 1e-9);
  EXPECT_EQ(stage_input(s, Watts(0)), Watts(0));
  // Above the installed rating the efficiency holds at its 100 % value.
  EXPECT_NEAR(stage_input(s, Watts(300e3)).value(), 300e3 / 0.96, 1e-9);
}

TEST(StageInput, ConstantLossFormOfRapsPerInstalledModule) {
  // REFERENCE.md C.2 (RAPS, Frontier rectifier): P_in = (P_out + C) / eta, eta = 0.96, C = 17 W
  // per rectifier; 3 installed rectifiers (N = 2, N+1).
  StageSpec s = stage("rect", Scope::rack, Watts(15e3), 2, Redundancy::n_plus(1),
                      EfficiencyCurve({{0.0, 0.96}, {1.0, 0.96}}));
  s.no_load_loss = Watts(17);
  EXPECT_NEAR(stage_input(s, Watts(20e3)).value(), (20e3 + 3 * 17) / 0.96, 1e-9);
  // At zero output the constant loss is still drawn.
  EXPECT_NEAR(stage_input(s, Watts(0)).value(), 3 * 17 / 0.96, 1e-12);
  EXPECT_EQ(stage_efficiency(s, 0.0), 0.0);
  // Efficiency at 50 % of the 45 kW installed: P_out / P_in.
  EXPECT_NEAR(stage_efficiency(s, 0.5), 22.5e3 / ((22.5e3 + 51) / 0.96), 1e-15);
}

TEST(StageOutput, InvertsStageInput) {
  StageSpec s = stage("psu", Scope::server, Watts(3e3), 2, Redundancy::two_n());
  s.no_load_loss = Watts(10);
  for (double out : {1.0, 500.0, 2999.0, 6000.0, 15000.0}) {
    EXPECT_NEAR(stage_output(s, stage_input(s, Watts(out))).value(), out, 1e-9 * out) << out;
  }
  // Less than the constant loss delivers nothing.
  EXPECT_EQ(stage_output(s, Watts(30)), Watts(0));
}

TEST(Redundancy, TwoNAtTheSameLoadIsLessEfficientWhenTheCurveFallsAtLightLoad) {
  // Same modules, same 300 kW load: N runs at 300 / 400 = 75 % of its installed rating, 2N at
  // half that fraction, 37.5 %.
  const StageSpec n = stage("n", Scope::row, Watts(200e3), 2, Redundancy::n());
  const StageSpec two = stage("2n", Scope::row, Watts(200e3), 2, Redundancy::two_n());
  const Watts load(300e3);
  const EfficiencyCurve curve = falling_curve();
  const double eta_n = (load / stage_input(n, load)).value();
  const double eta_2n = (load / stage_input(two, load)).value();
  EXPECT_NEAR(eta_n, curve.at(0.75), 1e-15);
  EXPECT_NEAR(eta_2n, curve.at(0.375), 1e-15);
  EXPECT_LT(eta_2n, eta_n);
}

TEST(ChainEfficiency, IsTheProductOfStageEfficienciesAtTheirLoads) {
  const std::vector<StageSpec> stages{
      stage("transformer", Scope::hall, Watts(2e6), 1, Redundancy::n(),
            EfficiencyCurve({{0.0, 0.985}, {0.25, 0.985}, {0.5, 0.99}, {1.0, 0.99}})),
      stage("ups", Scope::row, Watts(500e3), 1, Redundancy::two_n()),
      stage("pdu", Scope::rack, Watts(50e3), 1, Redundancy::n(),
            EfficiencyCurve({{0.0, 0.97}, {0.5, 0.98}, {1.0, 0.98}}))};
  const std::array<double, 3> x{0.6, 0.3, 0.8};
  const double expected =
      EfficiencyCurve({{0.0, 0.985}, {0.25, 0.985}, {0.5, 0.99}, {1.0, 0.99}}).at(0.6) *
      falling_curve().at(0.3) * EfficiencyCurve({{0.0, 0.97}, {0.5, 0.98}, {1.0, 0.98}}).at(0.8);
  EXPECT_NEAR(chain_efficiency(stages, x), expected, 1e-15);
}

ChainSpec percent_chain() {
  ChainSpec c;
  c.name = "c";
  StageSpec hall = stage("transformer", Scope::hall, Watts(0), 1, Redundancy::n());
  hall.rating = Rating::of_design(1.25);
  StageSpec row = stage("ups", Scope::row, Watts(0), 4, Redundancy::n_plus(1));
  row.rating = Rating::of_design(1.25);
  StageSpec rack = stage("shelf", Scope::rack, Watts(0), 1, Redundancy::n());
  rack.rating = Rating::of_design(2.0);
  StageSpec psu;
  psu.name = "psu";
  psu.scope = Scope::server;
  psu.from_server = true;
  c.stages = {hall, row, rack, psu};
  return c;
}

TEST(ResolveChain, PercentRatingsAreAFractionOfTheDesignLoadOfEachInstance) {
  const HallLayout hall{3, 5, 4};  // 60 servers, 20 per row, 4 per rack
  const Watts nameplate(10.2e3);   // DGX H100 (REFERENCE.md B.4 [V])
  StageSpec server_psu = stage("ignored", Scope::server, Watts(5.1e3), 1, Redundancy::two_n());
  sim::config::Diagnostics d;
  const std::vector<StageSpec> r = resolve_chain(percent_chain(), hall, &server_psu, nameplate, d);
  ASSERT_TRUE(d.empty()) << d.str();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(r[0].usable_rating().value(), 1.25 * 60 * 10.2e3);
  EXPECT_DOUBLE_EQ(r[1].usable_rating().value(), 1.25 * 20 * 10.2e3);
  EXPECT_DOUBLE_EQ(r[1].rating.module.value(), 1.25 * 20 * 10.2e3 / 4);  // N = 4 modules
  EXPECT_DOUBLE_EQ(r[1].installed_rating().value(), 1.25 * 20 * 10.2e3 * 5 / 4);
  EXPECT_DOUBLE_EQ(r[2].usable_rating().value(), 2.0 * 4 * 10.2e3);
  // The server's PSU is spliced in under the chain's name for it, at server scope.
  EXPECT_EQ(r[3].name, "psu");
  EXPECT_EQ(r[3].scope, Scope::server);
  EXPECT_FALSE(r[3].from_server);
  EXPECT_EQ(r[3].usable_rating(), Watts(5.1e3));
  EXPECT_EQ(r[3].installed_rating(), Watts(10.2e3));
}

TEST(ResolveChain, AChainThatTakesTheServerPsuNeedsOne) {
  ChainSpec c = percent_chain();
  c.name = "ac_ups_2n";
  c.stages.back().where = {"chains.yaml", 12, 9};
  c.stages.back().path = "power_chains.ac_ups_2n.stages[3]";
  sim::config::Diagnostics d;
  const auto r = resolve_chain(c, HallLayout{1, 1, 1}, nullptr, Watts(1e3), d);
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(d.str(),
            "chains.yaml:12:9: power_chains.ac_ups_2n.stages[3]: chain \"ac_ups_2n\" takes the "
            "server's own PSU (server_psu), but the server has no psu\n");
}

TEST(DesignPoint, EachStageCarriesTheInputsOfTheInstancesBelowIt) {
  const HallLayout hall{2, 3, 4};  // 24 servers
  const std::vector<StageSpec> stages{
      stage("transformer", Scope::hall, Watts(400e3), 1, Redundancy::n()),
      stage("ups", Scope::row, Watts(150e3), 1, Redundancy::two_n()),
      stage("shelf", Scope::rack, Watts(30e3), 2, Redundancy::n_plus(1))};
  const Watts server(2.5e3);
  const DesignPoint p = design_point(stages, hall, server);
  // By hand, bottom up: a rack shelf carries 4 servers, a row UPS 3 shelves' inputs, the
  // transformer 2 UPSs' inputs.
  const Watts shelf_out = server * 4.0;
  const Watts shelf_in = stage_input(stages[2], shelf_out);
  const Watts ups_out = shelf_in * 3.0;
  const Watts ups_in = stage_input(stages[1], ups_out);
  const Watts tr_out = ups_in * 2.0;
  const Watts tr_in = stage_input(stages[0], tr_out);
  EXPECT_DOUBLE_EQ(p.stages[2].output.value(), shelf_out.value());
  EXPECT_DOUBLE_EQ(p.stages[1].output.value(), ups_out.value());
  EXPECT_DOUBLE_EQ(p.stages[0].input.value(), tr_in.value());
  EXPECT_DOUBLE_EQ(p.grid.value(), tr_in.value());
  EXPECT_DOUBLE_EQ(p.it.value(), 24 * 2.5e3);
  EXPECT_DOUBLE_EQ(p.stages[1].load_fraction, (ups_out / Watts(300e3)).value());
  EXPECT_DOUBLE_EQ(p.stages[2].usable_utilization, (shelf_out / Watts(60e3)).value());
  // The end-to-end efficiency is the product of the stage efficiencies at these loads.
  const std::array<double, 3> x{p.stages[0].load_fraction, p.stages[1].load_fraction,
                                p.stages[2].load_fraction};
  EXPECT_NEAR(p.efficiency(), chain_efficiency(stages, x), 1e-14);
  // Every stage is in the room here: its heat is every loss.
  EXPECT_NEAR(p.room_heat.value(), (p.grid - p.it).value(), 1e-6);
}

}  // namespace
}  // namespace models::power
