// A power delivery chain: the stages from the utility feed down to the servers, written in
// YAML (scenarios/catalog/power_chains.yaml or inline in plant.power.chain), resolved onto a
// hall, and evaluated at a design point.
//
// Along the chain scopes go from coarse to fine (hall -> row -> rack -> server; equal scopes
// may follow each other): a stage instance feeds the instances of the next stage that cover
// the same servers. The load at the bottom is each server's power at the output of the last
// stage, i.e. on the server's DC bus (after its own PSU in AC chains, at the 54 V or 48 V
// input in DC chains).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "models/common/hall_layout.hpp"
#include "models/power/stage_spec.hpp"
#include "sim/config.hpp"
#include "sim/units.hpp"

namespace models::power {

struct ChainSpec {
  std::string name;    // catalog key, or "inline"
  std::string source;  // where its numbers come from
  std::vector<StageSpec> stages;
  sim::config::Location where;
  std::string path;

  // True when an item is the `server_psu` placeholder.
  bool needs_server_psu() const;
};

// The chain with absolute ratings for `layout`: the `server_psu` placeholder replaced by
// `server_psu` (the server catalog's PSU; its scope is server, its rating absolute; the
// stage keeps the name "psu"), and every percentage rating turned into a module rating:
//
//   usable = fraction x design load,  module = usable / N,
//   design load = servers_in(scope) x server_nameplate
//
// where server_nameplate is the servers' maximum power at their input (the sum of the
// nameplates of the servers an instance feeds, as electrical sizing does; the losses of
// the stages in between are left to the sizing margin of the fraction).
// A chain that needs the server PSU while `server_psu` is null is reported to `diags` at the
// placeholder (and the placeholder is dropped from the result).
std::vector<StageSpec> resolve_chain(const ChainSpec& chain, const HallLayout& layout,
                                     const StageSpec* server_psu, sim::Watts server_nameplate,
                                     sim::config::Diagnostics& diags);

// End-to-end efficiency of a chain of resolved stages, each at its own load fraction (of its
// installed rating):  eta_chain = prod_i P_out,i / P_in,i  (stage_efficiency). The fractions
// must be consistent with one another for the product to describe one operating point;
// design_point() finds consistent ones.
double chain_efficiency(std::span<const StageSpec> stages, std::span<const double> load_fractions);

// One stage at a design point: values per instance (all instances of a stage carry the same
// load when every server draws the same power).
struct StagePoint {
  sim::Watts output{0};
  sim::Watts input{0};
  double load_fraction = 0;       // output / installed rating
  double usable_utilization = 0;  // output / usable rating: >= 1 is the stage's wall
  double efficiency = 1;
};

struct DesignPoint {
  sim::Watts it{0};         // sum of the server loads (bottom of the chain)
  sim::Watts grid{0};       // sum of the inputs of the first stage's instances
  sim::Watts room_heat{0};  // losses of room stages
  std::vector<StagePoint> stages;
  double efficiency() const { return grid.value() > 0 ? (it / grid).value() : 0.0; }
};

// Every server of `layout` drawing `server_load` at the bottom of the resolved chain:
//   out_last = servers_in(scope_last) x server_load,
//   out_i    = in_{i+1} x count(scope_{i+1}) / count(scope_i),   in_i = stage_input(out_i),
//   grid     = count(scope_0) x in_0.
// The question "how many racks fit under the grid capacity" is answered by resolving the
// chain for each candidate layout and comparing design_point(...).grid with the capacity.
DesignPoint design_point(std::span<const StageSpec> resolved, const HallLayout& layout,
                         sim::Watts server_load);

}  // namespace models::power
