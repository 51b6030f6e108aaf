// Reading power chains and the plant's power section from YAML, collecting every problem
// with its location (sim::config::Reader), so that `firstwall check` lists them all at once.
//
// A stage (one item of a chain's `stages` list):
//
//   - name: ups                 # unique within the chain; nodes are ups[0], ups[1], ...
//     type: ups                 # free label
//     scope: row                # hall | row | rack | server: one instance per row
//     rating: 125 %             # per module: "500 kW", "600 kVA" (needs power_factor), or a
//                               # percentage of the design load the instance feeds
//     power_factor: 0.9         # only with a rating in VA: real rating = VA x pf
//     modules: 1                # N, the modules that carry the design load (default 1)
//     redundancy: 2N            # N | N+k | 2N (default N)
//     efficiency: [[0 %, 94 %], [25 %, 94 %], [50 %, 95 %], [100 %, 96 %]]
//                               # [load % of installed rating, efficiency %], 0 % .. 100 %;
//                               # or one percentage for a flat curve
//     location: room            # room | outdoor: where the losses go (default room)
//     no_load_loss: 17 W        # per installed module, RAPS form (default 0)
//
// or the plain scalar `server_psu`: the server's own PSU from the server catalog.
#pragma once

#include <map>
#include <string>

#include "models/power/chain.hpp"
#include "models/power/power_spec.hpp"
#include "models/power/stage_spec.hpp"
#include "sim/config.hpp"

namespace models::power {

// chain: a stage of a chain (name, type and scope required, percentage ratings allowed).
// server_psu: a server catalog entry's `psu:` (name and type default to "psu", scope is
// server, the rating must be absolute).
enum class StageContext { chain, server_psu };

StageSpec read_stage(sim::config::Reader& r, StageContext context = StageContext::chain);

// The items of a `stages` list at `path`, with the checks that span stages: scopes from
// coarse to fine, unique names, at most one server_psu.
ChainSpec read_chain_stages(const sim::config::Node& list, std::string name,
                            const std::string& path, sim::config::Diagnostics& diags);

// The `power_chains` top-level section of `root` (empty map if absent): name -> chain with
// `source` (required) and `stages` (required, non-empty).
std::map<std::string, ChainSpec> read_power_chains(const sim::config::Node& root,
                                                   sim::config::Diagnostics& diags);

// The scenario's `plant.power` section:
//   chain: ac_ups_2n        # a key of power_chains, or an inline list of stages
//   grid_capacity: 2 MW     # optional
//   overload: cap           # cap | trip (default cap)
//   control_interval: 1 s   # default 1 s
// Calls finish() on `power_section`.
PowerSpec read_power(sim::config::Reader& power_section,
                     const std::map<std::string, ChainSpec>& chains);

}  // namespace models::power
