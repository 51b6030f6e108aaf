// Reading power chains, a server's PSU and the plant's power section: what a well-formed file
// gives, and the exact text and location of every message (all problems at once).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "models/power/power_reader.hpp"

namespace models::power {
namespace {

using sim::config::Diagnostics;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;
using Lines = std::vector<std::string>;

Lines lines(const Diagnostics& d) {
  Lines out;
  for (const auto& x : d.sorted()) out.push_back(x.str());
  return out;
}

// Reads whatever of power_chains, plant.power and server.psu the text has.
struct Read {
  std::map<std::string, ChainSpec> chains;
  PowerSpec power;
  StageSpec psu;
  Diagnostics diags;
};

Read read(std::string_view yaml) {
  Read r;
  const Node root = sim::config::load_string(yaml, "c.yaml", r.diags);
  EXPECT_TRUE(r.diags.empty()) << r.diags.str();
  r.chains = read_power_chains(root, r.diags);
  if (const Node* plant = root.find("plant")) {
    Reader p(plant, "plant", r.diags);
    Reader power = p.section("power", Need::required);
    r.power = read_power(power, r.chains);
  }
  if (const Node* server = root.find("server")) {
    Reader s(server, "server", r.diags);
    Reader psu = s.section("psu", Need::required);
    r.psu = read_stage(psu, StageContext::server_psu);
  }
  return r;
}

TEST(ReadPowerChains, AWellFormedChain) {
  const Read r = read(R"(power_chains:
  ac:
    source: "REFERENCE.md B.6"
    stages:
      - name: transformer
        type: transformer
        scope: hall
        rating: 2.5 MVA
        power_factor: 0.9
        efficiency: [[0 %, 98.5 %], [25 %, 98.5 %], [50 %, 99 %], [100 %, 99 %]]
        location: outdoor
      - {name: ups, type: ups, scope: row, rating: 125 %, modules: 4, redundancy: N+1,
         efficiency: 95 %, no_load_loss: 1.5 kW}
      - {name: pdu, type: pdu, scope: rack, rating: 50 kW, redundancy: 2N, efficiency: 98 %}
      - server_psu
)");
  ASSERT_TRUE(r.diags.empty()) << r.diags.str();
  ASSERT_EQ(r.chains.size(), 1u);
  const ChainSpec& c = r.chains.at("ac");
  EXPECT_EQ(c.name, "ac");
  EXPECT_EQ(c.source, "REFERENCE.md B.6");
  EXPECT_TRUE(c.needs_server_psu());
  ASSERT_EQ(c.stages.size(), 4u);
  const StageSpec& t = c.stages[0];
  EXPECT_EQ(t.scope, Scope::hall);
  EXPECT_TRUE(t.rating.is_absolute());
  EXPECT_DOUBLE_EQ(t.rating.module.value(), 2.5e6 * 0.9);  // VA x power factor
  EXPECT_EQ(t.location, StageLocation::outdoor);
  EXPECT_DOUBLE_EQ(t.efficiency.at(0.75), 0.99);
  EXPECT_DOUBLE_EQ(t.efficiency.at(0.375), 0.9875);
  const StageSpec& u = c.stages[1];
  EXPECT_FALSE(u.rating.is_absolute());
  EXPECT_DOUBLE_EQ(u.rating.fraction, 1.25);
  EXPECT_EQ(u.modules, 4);
  EXPECT_EQ(u.redundancy, Redundancy::n_plus(1));
  EXPECT_EQ(u.no_load_loss, sim::Watts(1500));
  EXPECT_EQ(u.location, StageLocation::room);
  EXPECT_DOUBLE_EQ(u.efficiency.at(0.1), 0.95);  // a flat curve
  EXPECT_EQ(c.stages[2].redundancy, Redundancy::two_n());
  EXPECT_EQ(c.stages[2].installed_rating(), sim::Watts(100e3));
  EXPECT_TRUE(c.stages[3].from_server);
  EXPECT_EQ(c.stages[3].name, "psu");
  EXPECT_EQ(c.stages[3].scope, Scope::server);
  EXPECT_EQ(c.stages[3].path, "power_chains.ac.stages[3]");
}

TEST(ReadPowerChains, StageErrorsAllAtOnceWithTheirLocations) {
  const Read r = read(R"(power_chains:
  a:
    source: x
    stages:
      - {name: t, type: transformer, scope: hall, rating: 125 %, efficiency: 99 %}
      - {name: u, type: ups, scope: rck, rating: 0 kW, efficiency: 101 %}
      - {name: p, type: pdu, scope: rack, rating: -5 kW, efficiency: 0 %}
      - {name: q, type: pdu, scope: row, rating: 0 %, efficiency: 96}
      - {name: p, type: psu, scope: server, rating: 3 kVA, efficiency: 95 %, redundancy: 3N, modles: 2}
      - servr_psu
      - server_psu
      - server_psu
)");
  EXPECT_EQ(
      lines(r.diags),
      (Lines{
          "c.yaml:6:37: power_chains.a.stages[1].scope: must be one of: hall, row, rack, server "
          "(got \"rck\") \u2014 did you mean \"rack\"?",
          "c.yaml:6:50: power_chains.a.stages[1].rating: must be > 0 (got \"0 kW\")",
          "c.yaml:6:68: power_chains.a.stages[1].efficiency: must be > 0 and <= 100 % (got "
          "\"101 %\")",
          "c.yaml:7:51: power_chains.a.stages[2].rating: must be > 0 (got \"-5 kW\")",
          "c.yaml:7:70: power_chains.a.stages[2].efficiency: must be > 0 and <= 100 % (got "
          "\"0 %\")",
          "c.yaml:8:37: power_chains.a.stages[3].scope: a row stage cannot be fed by a rack stage "
          "above it (\"p\"): scopes go from hall towards server",
          "c.yaml:8:50: power_chains.a.stages[3].rating: must be > 0 (got \"0 %\")",
          "c.yaml:8:67: power_chains.a.stages[3].efficiency: expected a percentage (e.g. \"95 "
          "%\"), got a bare number \"96\"",
          "c.yaml:9:16: power_chains.a.stages[4].name: duplicate stage name \"p\" (also "
          "stages[2])",
          "c.yaml:9:53: power_chains.a.stages[4].rating: a rating in VA (apparent power) needs "
          "power_factor (got \"3 kVA\")",
          "c.yaml:9:90: power_chains.a.stages[4].redundancy: must be N, N+k (k >= 1) or 2N (got "
          "\"3N\")",
          "c.yaml:9:94: power_chains.a.stages[4].modles: unknown key \"modles\" (did you mean "
          "\"modules\"?)",
          "c.yaml:10:9: power_chains.a.stages[5]: must be a stage (a mapping) or server_psu (got "
          "\"servr_psu\") \u2014 did you mean \"server_psu\"?",
          "c.yaml:12:9: power_chains.a.stages[7]: server_psu may appear only once (also "
          "stages[6])",
      }));
}

TEST(ReadPowerChains, EfficiencyTablesPowerFactorsAndMalformedChains) {
  const Read r = read(R"(power_chains:
  b:
    source: x
    stages:
      - name: t
        type: t
        scope: hall
        rating: 3 kVA
        power_factor: 1.2
        efficiency: [[10 %, 90 %], [50 %, 101 %], [40 %, 0 %], [90 %, 95 %]]
      - name: u
        type: u
        scope: hall
        rating: 3 kW
        power_factor: 0.9
        efficiency: [[0 %, 90 %], [50 %], [120 %, 95 %], [100 %, 95 W], [100 %, 95]]
      - name: v
        type: v
        scope: hall
        rating: 3 kVA
        power_factor: 0
        efficiency: []
      - {}
      - 5
      - [a]
  c:
    stages: {}
  d:
    source: y
    stages: []
  e: 5
)");
  EXPECT_EQ(
      lines(r.diags),
      (Lines{
          "c.yaml:9:23: power_chains.b.stages[0].power_factor: must be > 0 and <= 100 % (got "
          "\"1.2\")",
          "c.yaml:10:23: power_chains.b.stages[0].efficiency[0][0]: the table must start at 0 % "
          "load (got \"10 %\")",
          "c.yaml:10:43: power_chains.b.stages[0].efficiency[1][1]: efficiency: must be > 0 and "
          "<= 100 % (got \"101 %\")",
          "c.yaml:10:52: power_chains.b.stages[0].efficiency[2][0]: loads must increase (got "
          "\"40 %\" after \"50 %\")",
          "c.yaml:10:58: power_chains.b.stages[0].efficiency[2][1]: efficiency: must be > 0 and "
          "<= 100 % (got \"0 %\")",
          "c.yaml:10:65: power_chains.b.stages[0].efficiency[3][0]: the table must end at 100 % "
          "load (got \"90 %\")",
          "c.yaml:15:23: power_chains.b.stages[1].power_factor: applies only to a rating in VA "
          "(rating is \"3 kW\")",
          "c.yaml:16:35: power_chains.b.stages[1].efficiency[1]: must be a [load %, efficiency %] "
          "pair (got a list of 1)",
          "c.yaml:16:44: power_chains.b.stages[1].efficiency[2][0]: load: must be between 0 and "
          "100 % (got \"120 %\")",
          "c.yaml:16:66: power_chains.b.stages[1].efficiency[3][1]: efficiency: expected a ratio "
          "(e.g. \"95 %\"), got a power \"95 W\"",
          "c.yaml:16:74: power_chains.b.stages[1].efficiency[4][0]: loads must increase (got "
          "\"100 %\" after \"100 %\")",
          "c.yaml:16:81: power_chains.b.stages[1].efficiency[4][1]: efficiency: expected a "
          "percentage (e.g. \"95 %\"), got a bare number \"95\"",
          "c.yaml:21:23: power_chains.b.stages[2].power_factor: must be > 0 and <= 100 % (got "
          "\"0\")",
          "c.yaml:22:21: power_chains.b.stages[2].efficiency: needs at least 2 points, from 0 % "
          "to 100 % load",
          "c.yaml:23:9: power_chains.b.stages[3].name: missing required key",
          "c.yaml:23:9: power_chains.b.stages[3].type: missing required key",
          "c.yaml:23:9: power_chains.b.stages[3].scope: missing required key",
          "c.yaml:23:9: power_chains.b.stages[3].rating: missing required key",
          "c.yaml:23:9: power_chains.b.stages[3].efficiency: missing required key",
          "c.yaml:24:9: power_chains.b.stages[4]: must be a stage (a mapping) or server_psu (got "
          "\"5\")",
          "c.yaml:25:9: power_chains.b.stages[5]: must be a mapping (got a list)",
          "c.yaml:27:5: power_chains.c.source: missing required key",
          "c.yaml:27:13: power_chains.c.stages: must be a list of stages (got a mapping)",
          "c.yaml:30:13: power_chains.d.stages: must list at least one stage",
          "c.yaml:31:6: power_chains.e: must be a mapping (got a scalar)",
      }));
}

TEST(ReadPower, NamedChainWithItsSettings) {
  const Read r = read(R"(power_chains:
  dc_800v:
    source: x
    stages: [{name: sst, type: sst, scope: hall, rating: 125 %, efficiency: 98 %}]
plant:
  power:
    chain: dc_800v
    grid_capacity: 2 MW
    overload: trip
    control_interval: 250 ms
)");
  ASSERT_TRUE(r.diags.empty()) << r.diags.str();
  EXPECT_EQ(r.power.chain.name, "dc_800v");
  ASSERT_EQ(r.power.chain.stages.size(), 1u);
  EXPECT_EQ(r.power.chain.stages[0].name, "sst");
  ASSERT_TRUE(r.power.grid_capacity.has_value());
  EXPECT_EQ(*r.power.grid_capacity, sim::Watts(2e6));
  EXPECT_EQ(r.power.overload, Overload::trip);
  EXPECT_EQ(r.power.control_interval, sim::Duration::ms(250));
}

TEST(ReadPower, DefaultsAndAnInlineChain) {
  const Read r = read(R"(plant:
  power:
    chain:
      - {name: shelf, type: dc_dc, scope: rack, rating: 200 %, efficiency: 98 %}
)");
  ASSERT_TRUE(r.diags.empty()) << r.diags.str();
  EXPECT_EQ(r.power.chain.name, "inline");
  ASSERT_EQ(r.power.chain.stages.size(), 1u);
  EXPECT_EQ(r.power.chain.stages[0].path, "plant.power.chain[0]");
  EXPECT_FALSE(r.power.grid_capacity.has_value());
  EXPECT_EQ(r.power.overload, Overload::cap);
  EXPECT_EQ(r.power.control_interval, sim::Duration::s(1));
}

TEST(ReadPower, Errors) {
  const Read r = read(R"(power_chains:
  ac_ups_2n:
    source: x
    stages: [server_psu]
plant:
  power:
    chain: ac_ups2n
    grid_capacity: -2 MW
    overload: trp
    control_interval: 0 s
    capping: on
server:
  psu: {rating: 125 %, scope: rack, efficiency: 95 %}
)");
  EXPECT_EQ(lines(r.diags),
            (Lines{
                "c.yaml:7:12: plant.power.chain: must be one of: ac_ups_2n (got \"ac_ups2n\") "
                "\u2014 did you mean \"ac_ups_2n\"?",
                "c.yaml:8:20: plant.power.grid_capacity: must be > 0 (got \"-2 MW\")",
                "c.yaml:9:15: plant.power.overload: must be one of: cap, trip (got \"trp\") "
                "\u2014 did you mean \"trip\"?",
                "c.yaml:10:23: plant.power.control_interval: must be >= 1 ns (got \"0 s\")",
                "c.yaml:11:5: plant.power.capping: unknown key \"capping\"",
                "c.yaml:13:17: server.psu.rating: a server's PSU needs an absolute rating (e.g. "
                "\"3.3 kW\" or \"3.5 kVA\") (got \"125 %\")",
                "c.yaml:13:31: server.psu.scope: a server's PSU has scope server (got \"rack\")",
            }));
}

TEST(ReadPower, ChainMissingUnknownWithoutCatalogOrOfTheWrongKind) {
  EXPECT_EQ(lines(read("plant:\n  power:\n    chain: ac_ups_2n\n").diags),
            (Lines{"c.yaml:3:12: plant.power.chain: unknown power chain \"ac_ups_2n\": no "
                   "power_chains are defined (include catalog/power_chains.yaml)"}));
  EXPECT_EQ(lines(read("plant:\n  power:\n    chain: {a: 1}\n").diags),
            (Lines{"c.yaml:3:12: plant.power.chain: must be the name of a power chain or a list "
                   "of stages (got a mapping)"}));
  EXPECT_EQ(lines(read("plant:\n  power:\n    grid_capacity: 2 MW\n").diags),
            (Lines{"c.yaml:3:5: plant.power.chain: missing required key"}));
}

TEST(ReadPower, InlineChainScopesGoFromHallTowardsServerAndNamesAreUnique) {
  const Read r = read(R"(plant:
  power:
    chain:
      - {name: t, type: transformer, scope: rack, rating: 125 %, efficiency: 99 %}
      - {name: u, type: ups, scope: row, rating: 1 MW, efficiency: 99 %}
      - {name: t, type: ups, scope: hall, rating: 1 MW, efficiency: 99 %}
)");
  EXPECT_EQ(lines(r.diags),
            (Lines{
                "c.yaml:5:37: plant.power.chain[1].scope: a row stage cannot be fed by a rack "
                "stage above it (\"t\"): scopes go from hall towards server",
                "c.yaml:6:16: plant.power.chain[2].name: duplicate stage name \"t\" (also "
                "chain[0])",
                "c.yaml:6:37: plant.power.chain[2].scope: a hall stage cannot be fed by a row "
                "stage above it (\"u\"): scopes go from hall towards server",
            }));
}

TEST(ReadStage, AServerPsuDefaultsItsNameTypeAndScope) {
  const Read r = read(R"(server:
  psu:
    rating: 3.3 kW
    modules: 2
    redundancy: 2N
    efficiency: [[0 %, 90 %], [10 %, 90 %], [20 %, 94 %], [50 %, 96 %], [100 %, 91 %]]
)");
  ASSERT_TRUE(r.diags.empty()) << r.diags.str();
  EXPECT_EQ(r.psu.name, "psu");
  EXPECT_EQ(r.psu.type, "psu");
  EXPECT_EQ(r.psu.scope, Scope::server);
  EXPECT_EQ(r.psu.usable_rating(), sim::Watts(6.6e3));
  EXPECT_EQ(r.psu.installed_rating(), sim::Watts(13.2e3));
  EXPECT_DOUBLE_EQ(r.psu.efficiency.at(0.35), 0.95);
  EXPECT_EQ(lines(read("server:\n  psu: {name: psu, rating: 3 kW}\n").diags),
            (Lines{"c.yaml:2:8: server.psu.efficiency: missing required key"}));
}

}  // namespace
}  // namespace models::power
