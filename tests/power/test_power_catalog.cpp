// The shipped chain catalog (scenarios/catalog/power_chains.yaml): every chain reads without a
// problem, resolves onto a hall, and its design-point efficiency is the product of its stage
// tables at the loads the chain puts on them; the 800 V DC chain beats the 2N double-conversion
// AC chain, as REFERENCE.md B.6 expects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/power/power_reader.hpp"
#include "models/power/power_tree.hpp"

namespace models::power {
namespace {

const std::string kCatalog =
    std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/catalog/power_chains.yaml";

std::map<std::string, ChainSpec> catalog() {
  return sim::config::read_file(kCatalog,
                                [](const sim::config::Node& root, sim::config::Diagnostics& d) {
                                  sim::config::Reader top(&root, "", d);
                                  (void)top.node("power_chains", sim::config::Need::required);
                                  top.finish();
                                  return read_power_chains(root, d);
                                });
}

// An 80 PLUS Titanium PSU (REFERENCE.md B.6 [S]), 1+1 redundant, each side rated at the
// server's nameplate: at nameplate each side carries half, the 50 % point of the table.
StageSpec titanium_psu(sim::Watts nameplate) {
  StageSpec s;
  s.name = "psu";
  s.type = "psu";
  s.scope = Scope::server;
  s.rating = Rating::absolute_per_module(nameplate);
  s.redundancy = Redundancy::two_n();
  s.efficiency = EfficiencyCurve({{0.0, 0.90}, {0.1, 0.90}, {0.2, 0.94}, {0.5, 0.96}, {1.0, 0.91}});
  return s;
}

// The load at the bottom of the chain when every server draws `at_input` at its input (its
// PSU's input in AC chains, the 54 V / 48 V shelf output in DC ones).
sim::Watts bottom_load(const std::vector<StageSpec>& resolved, sim::Watts at_input) {
  const StageSpec& last = resolved.back();
  return last.scope == Scope::server ? stage_output(last, at_input) : at_input;
}

TEST(PowerCatalog, EveryShippedChainReadsAndResolves) {
  const auto chains = catalog();
  for (const char* name : {"ac_ups_2n", "ac_ups_eco", "dc_800v", "orv3_48v"}) {
    ASSERT_TRUE(chains.contains(name)) << name;
    EXPECT_FALSE(chains.at(name).source.empty()) << name;
  }
  EXPECT_TRUE(chains.at("ac_ups_2n").needs_server_psu());
  EXPECT_FALSE(chains.at("dc_800v").needs_server_psu());
  EXPECT_FALSE(chains.at("orv3_48v").needs_server_psu());
  const HallLayout hall{4, 8, 4};
  const sim::Watts nameplate(10.2e3);  // DGX H100 (REFERENCE.md B.4 [V])
  const StageSpec psu = titanium_psu(nameplate);
  for (const auto& [name, chain] : chains) {
    sim::config::Diagnostics d;
    const std::vector<StageSpec> r = resolve_chain(chain, hall, &psu, nameplate, d);
    ASSERT_TRUE(d.empty()) << d.str();
    const PowerTree tree(r, hall);
    // At nameplate no stage is at its wall: the sizing margins hold.
    const DesignPoint p = design_point(r, hall, bottom_load(r, nameplate));
    for (std::size_t k = 0; k < r.size(); ++k)
      EXPECT_LT(p.stages[k].usable_utilization, 1.0) << name << " " << r[k].name;
    // The design point is the product of the stage tables at the loads it puts on them.
    std::vector<double> x;
    for (const StagePoint& s : p.stages) x.push_back(s.load_fraction);
    EXPECT_NEAR(p.efficiency(), chain_efficiency(r, x), 1e-12) << name;
  }
}

TEST(PowerCatalog, DcBeatsDoubleConversionAcAsReferenceB6Expects) {
  const auto chains = catalog();
  const HallLayout hall{4, 8, 4};
  const sim::Watts nameplate(10.2e3);
  const StageSpec psu = titanium_psu(nameplate);
  auto efficiency = [&](const std::string& name, double fraction) {
    sim::config::Diagnostics d;
    const auto r = resolve_chain(chains.at(name), hall, &psu, nameplate, d);
    return design_point(r, hall, bottom_load(r, nameplate * fraction)).efficiency();
  };
  for (double f : {0.5, 1.0}) {
    const double ac = efficiency("ac_ups_2n", f);
    const double dc = efficiency("dc_800v", f);
    // B.6: conventional AC ~0.885 (0.84 at light load), 800 VDC ~0.96 before the board VRMs.
    EXPECT_GT(ac, 0.84) << f;
    EXPECT_LT(ac, 0.89) << f;
    EXPECT_NEAR(dc, 0.98 * 0.98, 1e-12) << f;  // flat SST and shelf tables, lossless bus
    EXPECT_GT(efficiency("ac_ups_eco", f), ac) << f;
    EXPECT_GT(efficiency("orv3_48v", f), ac) << f;
  }
}

}  // namespace
}  // namespace models::power
