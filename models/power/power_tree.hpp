// The power delivery tree of one run: one node per (stage, scope instance) of a resolved
// chain over a hall, from the utility feed down to the servers.
//
// The parent of a node is the node of the previous stage that covers the same servers
// (HallLayout numbers servers so that a scope instance's servers are contiguous). The load at
// the bottom is each server's power at the output of the last stage; every node above it
// carries the sum of its children's inputs:
//
//   out(n) = sum of in(children)     (or of the server loads below the last stage)
//   in(n)  = stage_input(stage(n), out(n)) = (out + C) / eta(out / installed)
//   loss(n) = in(n) - out(n)
//
// Loads are piecewise constant between calls, so the energy ledger is exact: each node keeps
// its integrals of input, output and loss up to its last change, and a query at `now` adds
// the current power times the time since. Hence sum over the feed nodes of E_in = E_IT +
// sum of E_loss (up to rounding).
//
// Walls: each node is a `power` resource named power.<node name> whose limit is the stage's
// usable rating, judged on window means (Aggregation::rate: ratings are sustained limits; a
// breaker's thermal element integrates over seconds too). What an overload does (cap or
// trip) is the plant controller's decision; the tree gives it mean outputs per interval
// (IntervalMeter), the servers below each node, and set_tripped().
//
// Cost: set_server_load is O(depth) with no allocation (it runs once per GPU iteration).
// Drift of the incrementally kept sums is removed by an exact rebuild every 16384 changes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/common/hall_layout.hpp"
#include "models/power/chain.hpp"
#include "models/power/stage_spec.hpp"
#include "sim/time.hpp"
#include "sim/units.hpp"
#include "sim/wall_monitor.hpp"

namespace models::power {

// Servers [first, last).
struct ServerRange {
  int first = 0;
  int last = 0;
  int size() const { return last - first; }
  bool contains(int server) const { return server >= first && server < last; }
};

class PowerNode {
 public:
  const std::string& name() const { return name_; }  // "ups[2]": stage name[instance]
  int stage() const { return stage_; }               // index into PowerTree::stages()
  Scope scope() const { return scope_; }
  int instance() const { return instance_; }  // index among the instances of its scope
  std::optional<int> parent() const {
    return parent_ < 0 ? std::nullopt : std::optional<int>(parent_);
  }
  ServerRange servers() const { return servers_; }
  sim::Watts output() const { return output_; }
  sim::Watts input() const { return input_; }
  sim::Watts loss() const { return loss_; }
  sim::Watts usable_rating() const { return usable_; }
  sim::Watts installed_rating() const { return installed_; }
  bool tripped() const { return tripped_; }      // this node's own breaker is open
  bool energized() const { return dead_ == 0; }  // no open breaker from the feed to here
  std::optional<sim::ResourceId> wall() const { return wall_; }

 private:
  friend class PowerTree;
  std::string name_;
  int stage_ = 0;
  int instance_ = 0;
  int parent_ = -1;
  Scope scope_ = Scope::hall;
  bool room_ = true;
  bool tripped_ = false;
  int dead_ = 0;  // open breakers on the path from the feed to here, this node included
  ServerRange servers_;
  sim::Watts output_{0};
  sim::Watts input_{0};
  sim::Watts loss_{0};
  sim::Watts usable_{0};
  sim::Watts installed_{0};
  // Ledger: integrals up to `since_`.
  sim::Joules e_in_{0};
  sim::Joules e_out_{0};
  sim::Joules e_loss_{0};
  sim::SimTime since_;
  std::optional<sim::ResourceId> wall_;
};

// Totals over the instances of one stage.
struct StagePower {
  std::string_view name;
  sim::Watts output{0};
  sim::Watts input{0};
  sim::Watts loss{0};
};
struct StageEnergy {
  std::string_view name;
  sim::Joules input{0};
  sim::Joules output{0};
  sim::Joules loss{0};
};

class PowerTree {
 public:
  // `resolved`: a chain from resolve_chain (absolute ratings, no server_psu placeholder,
  // scopes from coarse to fine). Throws std::invalid_argument otherwise. Every server starts
  // at 0 W at `start`.
  PowerTree(std::vector<StageSpec> resolved, HallLayout layout,
            sim::SimTime start = sim::SimTime::zero());

  const std::vector<StageSpec>& stages() const { return stages_; }
  const HallLayout& layout() const { return layout_; }
  std::span<const PowerNode> nodes() const { return nodes_; }
  const PowerNode& node(int id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  int node_of(int stage, int instance) const;
  // The node of `stage` on the path that feeds `server`.
  int feeding(int server, int stage) const;
  std::optional<int> find(std::string_view node_name) const;

  // ---- loads (calls in non-decreasing time; std::logic_error otherwise)
  // The power `server` draws at the output of the last stage from `now` on. O(depth).
  // A server that is not fed (an open breaker above it) draws nothing: the call is ignored,
  // and the server restarts at 0 W when fed again.
  void set_server_load(int server, sim::Watts load, sim::SimTime now);
  sim::Watts server_load(int server) const {
    return server_load_.at(static_cast<std::size_t>(server));
  }
  bool is_fed(int server) const {
    return nodes_[static_cast<std::size_t>(leaf_.at(static_cast<std::size_t>(server)))].dead_ == 0;
  }
  // Opens (true) or recloses (false) the breaker of `node`: its whole subtree is
  // de-energized (no output, no constant loss) and its servers drop to 0 W. O(nodes).
  void set_tripped(int node, bool tripped, sim::SimTime now);

  // ---- current powers
  sim::Watts grid_input() const { return grid_; }      // sum of the feed nodes' inputs
  sim::Watts it_power() const { return it_; }          // sum of the server loads
  sim::Watts room_heat() const { return room_heat_; }  // losses of room stages
  sim::Watts total_loss() const { return loss_; }      // losses of every stage
  StagePower stage_power(int stage) const;             // O(instances)

  // ---- energy ledger: exact integrals from the start to `now` (now >= the last change)
  sim::Joules energy_in(int node, sim::SimTime now) const;
  sim::Joules energy_out(int node, sim::SimTime now) const;
  sim::Joules energy_loss(int node, sim::SimTime now) const;
  sim::Joules grid_energy(sim::SimTime now) const;
  sim::Joules it_energy(sim::SimTime now) const;
  sim::Joules loss_energy(sim::SimTime now) const;
  sim::Joules room_heat_energy(sim::SimTime now) const;
  std::vector<StageEnergy> stage_energies(sim::SimTime now) const;

  // ---- walls
  // Adds one resource per node: "power.<node name>", kind "power", unit "W", limit = usable
  // rating, Aggregation::rate; from then on every change of a node's output is reported.
  // `monitor` must outlive the tree's updates. Call once.
  void register_walls(sim::WallMonitor& monitor);

  // ---- design point of this tree's chain and hall (see design_point in chain.hpp)
  DesignPoint design_point(sim::Watts server_load) const {
    return power::design_point(stages_, layout_, server_load);
  }

 private:
  void check_time(sim::SimTime now) const;
  static void integrate(PowerNode& n, sim::SimTime now);
  // Recomputes every node from the server loads (bottom-up) after integrating to `now`.
  void rebuild(sim::SimTime now);
  void set_output(PowerNode& n, sim::Watts output, sim::SimTime now);

  std::vector<StageSpec> stages_;
  HallLayout layout_;
  std::vector<PowerNode> nodes_;
  std::vector<int> stage_offset_;  // first node of each stage; nodes are stage-major
  std::vector<int> leaf_;          // per server: its node of the last stage
  std::vector<sim::Watts> server_load_;
  std::vector<sim::Watts> scratch_;  // per node, for rebuild()
  sim::Watts grid_{0};
  sim::Watts it_{0};
  sim::Watts room_heat_{0};
  sim::Watts loss_{0};
  sim::SimTime now_;
  std::uint32_t changes_since_rebuild_ = 0;
  sim::WallMonitor* monitor_ = nullptr;
};

// Mean output of every node over consecutive intervals, from the energy integrals: what a
// capping controller or a breaker's thermal element compares with the rating each tick.
class IntervalMeter {
 public:
  IntervalMeter(const PowerTree& tree, sim::SimTime start);
  // Mean output of each node (indexed like tree.nodes()) over [previous close, now]; for an
  // empty interval, the current outputs. The span stays valid until the next call.
  std::span<const sim::Watts> close(sim::SimTime now);

 private:
  const PowerTree* tree_;
  sim::SimTime last_;
  std::vector<sim::Joules> energy_;
  std::vector<sim::Watts> mean_;
};

}  // namespace models::power
