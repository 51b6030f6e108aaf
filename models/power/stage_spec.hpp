// One conversion stage of a power delivery chain (transformer, UPS, PDU, PSU, SST,
// rectifier, 800 V bus, DC-DC shelf, ...), and the physics of one stage as pure functions.
//
// AC and DC stages are the same type: what distinguishes a UPS from an 800 V -> 54 V shelf
// is its rating, its redundancy and its efficiency table, all data (DESIGN.md, "Supply
// trees"). `type` is a free label for reports only; no code branches on it.
//
// Ratings and redundancy. A stage instance has `modules` (N) modules that carry the design
// load, plus spares: N (none), N+k (k spare modules) or 2N (a second side). The usable
// rating, what is left after one module or one side fails, is N x module rating; it is the
// stage's wall. All installed modules share the load, so the efficiency is evaluated at
// P_out / installed rating: a 2N UPS at full design load runs each side at <= 50 %, where
// UPSs are less efficient (REFERENCE.md B.9, CEC/LBNL UPS study [V]).
#pragma once

#include <string>

#include "models/common/hall_layout.hpp"
#include "models/power/efficiency_curve.hpp"
#include "sim/config.hpp"
#include "sim/units.hpp"

namespace models::power {

// Installed modules = N + spare: N+0 ("N"), N+k, or 2N.
struct Redundancy {
  enum class Kind { n_plus, two_n };
  Kind kind = Kind::n_plus;
  int spare = 0;  // k of N+k (0 for N); unused for 2N

  static Redundancy n() { return {}; }
  static Redundancy n_plus(int k) { return {Kind::n_plus, k}; }
  static Redundancy two_n() { return {Kind::two_n, 0}; }
  int installed(int modules) const { return kind == Kind::two_n ? 2 * modules : modules + spare; }
  std::string str() const;  // "N", "N+1", "2N"
  friend bool operator==(const Redundancy&, const Redundancy&) = default;
};

// Where a stage's losses go: `room` losses are heat in the room air that the cooling plant
// removes; `outdoor` ones (an MV transformer on a pad) go to the ambient directly.
enum class StageLocation { room, outdoor };
const char* to_string(StageLocation l);

// A module rating as written: an absolute real power (a rating in VA already multiplied by
// its power factor), or a fraction of the design load of the instance, resolved once the
// hall is known (resolve_chain): then the *usable* rating N x module = fraction x design.
struct Rating {
  enum class Kind { absolute, design_fraction };
  Kind kind = Kind::absolute;
  sim::Watts module{0};   // absolute: real power per module
  double fraction = 0.0;  // design_fraction: usable rating / design load (1.25 for "125 %")

  static Rating absolute_per_module(sim::Watts w) { return {Kind::absolute, w, 0.0}; }
  static Rating of_design(double f) { return {Kind::design_fraction, sim::Watts(0), f}; }
  bool is_absolute() const { return kind == Kind::absolute; }
};

struct StageSpec {
  std::string name;  // unique within a chain; node names are name[instance]
  std::string type;  // free label: transformer, ups, pdu, psu, sst, rectifier, dc_bus, shelf
  Scope scope = Scope::hall;
  Rating rating;
  int modules = 1;  // N: the modules that carry the design load
  Redundancy redundancy;
  EfficiencyCurve efficiency;
  StageLocation location = StageLocation::room;
  // RAPS constant-loss term (REFERENCE.md C.2): each installed module draws this much even
  // at zero output (fans, control, magnetizing current). 0 when the efficiency table
  // already carries the light-load behaviour.
  sim::Watts no_load_loss{0};
  // Placeholder for the server's own PSU (the `server_psu` chain item): resolve_chain
  // replaces it with the PSU of the server catalog entry.
  bool from_server = false;
  // Where the stage was written (for messages found after reading, e.g. by resolve_chain).
  sim::config::Location where;
  std::string path;

  int installed_modules() const { return redundancy.installed(modules); }
  // Absolute ratings only (a resolved stage).
  sim::Watts usable_rating() const { return rating.module * static_cast<double>(modules); }
  sim::Watts installed_rating() const {
    return rating.module * static_cast<double>(installed_modules());
  }
  // Constant loss of the whole instance at zero output: installed modules x no_load_loss.
  sim::Watts constant_loss() const {
    return no_load_loss * static_cast<double>(installed_modules());
  }
};

// Input power of one energized instance of a resolved stage delivering `output`:
//
//   P_in = (P_out + C) / eta(P_out / P_installed)          [W]
//
// eta: the stage's piecewise-linear efficiency table (held at its 100 % value above the
// installed rating: overload is a wall, not a different efficiency); C = installed modules
// x no-load loss per module (RAPS form, REFERENCE.md C.2 [V]). Valid for output >= 0.
// Efficiency depends on load only, not on voltage, temperature or power factor.
sim::Watts stage_input(const StageSpec& s, sim::Watts output);

// The inverse of stage_input: the output at which an instance draws `input` (0 when `input`
// does not even cover the constant loss). Found by bisection, exact to rounding, assuming
// P_in grows with P_out (true of every physical table). Used where a power is known at a
// stage's input, e.g. a server's nameplate at the input of its PSU.
sim::Watts stage_output(const StageSpec& s, sim::Watts input);

// Efficiency P_out / P_in of one instance at a load fraction of its installed rating
// (includes the constant loss; 0 at zero load when C > 0, eta(0) when C = 0).
double stage_efficiency(const StageSpec& s, double load_fraction);

}  // namespace models::power
