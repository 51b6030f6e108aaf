// The scenario's `plant.power` section: which chain feeds the hall, the utility feed's
// limit, and what an overloaded stage does.
#pragma once

#include <optional>

#include "models/power/chain.hpp"
#include "sim/time.hpp"
#include "sim/units.hpp"

namespace models::power {

// What happens when a stage's mean output over a control interval exceeds its usable
// rating: `cap` lowers the servers' power limits below it (the usual rack power capping),
// `trip` opens the breaker (the stage's servers lose power). Decided by the plant's
// controller; the tree only reports loads and marks trips.
enum class Overload { cap, trip };
const char* to_string(Overload o);

struct PowerSpec {
  ChainSpec chain;                          // a catalog chain (copied) or an inline one
  std::optional<sim::Watts> grid_capacity;  // the utility feed's limit (a wall), if given
  Overload overload = Overload::cap;
  sim::Duration control_interval = sim::Duration::s(1);  // capping controller / breaker tick
};

}  // namespace models::power
