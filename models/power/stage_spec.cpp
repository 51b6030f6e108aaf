#include "models/power/stage_spec.hpp"

namespace models::power {

std::string Redundancy::str() const {
  if (kind == Kind::two_n) return "2N";
  if (spare == 0) return "N";
  return "N+" + std::to_string(spare);
}

const char* to_string(StageLocation l) {
  return l == StageLocation::outdoor ? "outdoor" : "room";
}

sim::Watts stage_input(const StageSpec& s, sim::Watts output) {
  const sim::Watts c = s.constant_loss();
  if (output.value() <= 0.0 && c.value() <= 0.0) return sim::Watts(0);
  const double eta = s.efficiency.at((output / s.installed_rating()).value());
  return (output + c) / eta;
}

sim::Watts stage_output(const StageSpec& s, sim::Watts input) {
  if (!(input > stage_input(s, sim::Watts(0)))) return sim::Watts(0);
  // P_out <= P_in since eta <= 1; halve the bracket until it stops shrinking.
  double lo = 0.0;
  double hi = input.value();
  while (true) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (stage_input(s, sim::Watts(mid)) < input ? lo : hi) = mid;
  }
  return sim::Watts(lo);
}

double stage_efficiency(const StageSpec& s, double load_fraction) {
  const sim::Watts out = s.installed_rating() * load_fraction;
  if (out.value() <= 0.0) return s.constant_loss().value() > 0.0 ? 0.0 : s.efficiency.at(0.0);
  return (out / stage_input(s, out)).value();
}

}  // namespace models::power
