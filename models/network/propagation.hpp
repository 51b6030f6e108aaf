// Light in fiber: the speed-of-light wall between sites.
//
//   t = L n / c
//
// L: fiber length (m); n: group index of the fiber (≈ 1.468 for standard single-mode fiber
// at 1,550 nm); c = 299,792,458 m/s (exact, SI definition of the metre). With n = 1.468,
// t ≈ 4.897 µs per km (REFERENCE.md B.5 and C.4: "≈ 4.9 µs/km (n ≈ 1.468)" [D]). Valid for
// any length; the route the fiber takes (longer than the great circle) is the user's to
// give, as the cable length.
#pragma once

#include "sim/units.hpp"

namespace models::network {

// sim/units.hpp has no length dimension (the simulator had no distances until now), so a
// length is its own small strong type here.
class Length {
 public:
  constexpr Length() = default;
  static constexpr Length meters(double m) { return Length(m); }
  static constexpr Length kilometers(double km) { return Length(km * 1e3); }
  constexpr double meters() const { return meters_; }
  constexpr double kilometers() const { return meters_ * 1e-3; }

 private:
  constexpr explicit Length(double m) : meters_(m) {}
  double meters_ = 0;
};

inline constexpr double kSpeedOfLightMetersPerSecond = 299'792'458.0;
inline constexpr double kFiberRefractiveIndex = 1.468;

constexpr sim::Seconds fiber_delay(Length length, double refractive_index = kFiberRefractiveIndex) {
  return sim::Seconds(length.meters() * refractive_index / kSpeedOfLightMetersPerSecond);
}

}  // namespace models::network
