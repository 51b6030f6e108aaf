#include "models/cooling/coolant.hpp"

namespace models::cooling {

std::optional<Coolant> coolant_named(std::string_view name) {
  for (const Coolant& c : {kWater, kGlycol50, kPg25}) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

}  // namespace models::cooling
