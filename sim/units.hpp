// Strong physical quantities with compile-time dimensions.
//
// A quantity is a double in SI base units (seconds, joules, bytes, FLOPs, kelvin, cubic
// metres, kilograms) tagged with the exponents of its dimension. Only dimensionally
// meaningful operators compile: Watts * Seconds -> Joules, Bytes / BytesPerSecond ->
// Seconds, but Watts + Bytes is a compile error. Information (bytes) and work (FLOPs) are
// base dimensions of their own because the simulator reasons about them physically.
//
// Simulated *time points* are not quantities: they are sim::SimTime (int64 ns). Seconds is
// for durations in physics formulas; converting between the two is explicit (time.hpp).
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <string>

namespace sim {

struct Dim {
  std::int8_t time = 0;
  std::int8_t energy = 0;
  std::int8_t bytes = 0;
  std::int8_t flops = 0;
  std::int8_t temperature = 0;
  std::int8_t volume = 0;
  std::int8_t mass = 0;

  friend constexpr bool operator==(const Dim&, const Dim&) = default;
  friend constexpr Dim operator+(Dim a, Dim b) {
    return {static_cast<std::int8_t>(a.time + b.time),
            static_cast<std::int8_t>(a.energy + b.energy),
            static_cast<std::int8_t>(a.bytes + b.bytes),
            static_cast<std::int8_t>(a.flops + b.flops),
            static_cast<std::int8_t>(a.temperature + b.temperature),
            static_cast<std::int8_t>(a.volume + b.volume),
            static_cast<std::int8_t>(a.mass + b.mass)};
  }
  friend constexpr Dim operator-(Dim a) {
    return {static_cast<std::int8_t>(-a.time),        static_cast<std::int8_t>(-a.energy),
            static_cast<std::int8_t>(-a.bytes),       static_cast<std::int8_t>(-a.flops),
            static_cast<std::int8_t>(-a.temperature), static_cast<std::int8_t>(-a.volume),
            static_cast<std::int8_t>(-a.mass)};
  }
  friend constexpr Dim operator-(Dim a, Dim b) { return a + (-b); }
};

namespace dims {
inline constexpr Dim none{};
inline constexpr Dim time{.time = 1};
inline constexpr Dim frequency{.time = -1};
inline constexpr Dim energy{.energy = 1};
inline constexpr Dim power{.time = -1, .energy = 1};
inline constexpr Dim bytes{.bytes = 1};
inline constexpr Dim byte_rate{.time = -1, .bytes = 1};
inline constexpr Dim flops{.flops = 1};
inline constexpr Dim flop_rate{.time = -1, .flops = 1};
inline constexpr Dim temperature{.temperature = 1};
inline constexpr Dim thermal_resistance{.time = 1, .energy = -1, .temperature = 1};  // K/W
inline constexpr Dim heat_capacity{.energy = 1, .temperature = -1};                  // J/K
inline constexpr Dim volume{.volume = 1};
inline constexpr Dim volume_flow{.time = -1, .volume = 1};
inline constexpr Dim mass{.mass = 1};
inline constexpr Dim mass_flow{.time = -1, .mass = 1};
}  // namespace dims

// Human name of a dimension for error messages ("a power", "a byte rate").
std::string dimension_name(Dim d);

// The dimension written in SI base symbols, e.g. "J·s^-1" for a power, "1" for none; for
// dimensions that have no name of their own.
std::string dimension_symbol(Dim d);

template <Dim D>
class Quantity {
 public:
  static constexpr Dim dim = D;

  constexpr Quantity() = default;
  // Explicit: a raw double becomes a quantity only where its SI unit is stated.
  constexpr explicit Quantity(double si) : value_(si) {}

  // Value in SI base units (s, J, W, B, B/s, FLOP, FLOP/s, K, K/W, m^3/s, kg/s).
  constexpr double value() const { return value_; }

  constexpr Quantity operator-() const { return Quantity(-value_); }
  constexpr Quantity& operator+=(Quantity o) {
    value_ += o.value_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    value_ -= o.value_;
    return *this;
  }
  constexpr Quantity& operator*=(double k) {
    value_ *= k;
    return *this;
  }
  constexpr Quantity& operator/=(double k) {
    value_ /= k;
    return *this;
  }

  friend constexpr Quantity operator+(Quantity a, Quantity b) {
    return Quantity(a.value_ + b.value_);
  }
  friend constexpr Quantity operator-(Quantity a, Quantity b) {
    return Quantity(a.value_ - b.value_);
  }
  friend constexpr Quantity operator*(Quantity a, double k) { return Quantity(a.value_ * k); }
  friend constexpr Quantity operator*(double k, Quantity a) { return Quantity(a.value_ * k); }
  friend constexpr Quantity operator/(Quantity a, double k) { return Quantity(a.value_ / k); }
  friend constexpr auto operator<=>(Quantity a, Quantity b) { return a.value_ <=> b.value_; }
  friend constexpr bool operator==(Quantity a, Quantity b) { return a.value_ == b.value_; }

 private:
  double value_ = 0.0;
};

// A dimensionless result collapses to a plain Ratio quantity (still explicit to read).
template <Dim A, Dim B>
constexpr Quantity<A + B> operator*(Quantity<A> a, Quantity<B> b) {
  return Quantity<A + B>(a.value() * b.value());
}
template <Dim A, Dim B>
constexpr Quantity<A - B> operator/(Quantity<A> a, Quantity<B> b) {
  return Quantity<A - B>(a.value() / b.value());
}
template <Dim A>
constexpr Quantity<-A> operator/(double k, Quantity<A> a) {
  return Quantity<-A>(k / a.value());
}

template <Dim D>
constexpr Quantity<D> abs(Quantity<D> q) {
  return Quantity<D>(q.value() < 0 ? -q.value() : q.value());
}
template <Dim D>
constexpr Quantity<D> min(Quantity<D> a, Quantity<D> b) {
  return a < b ? a : b;
}
template <Dim D>
constexpr Quantity<D> max(Quantity<D> a, Quantity<D> b) {
  return a < b ? b : a;
}

using Ratio = Quantity<dims::none>;
using Seconds = Quantity<dims::time>;
using Hertz = Quantity<dims::frequency>;  // also "per second" rates (requests/s)
using Joules = Quantity<dims::energy>;
using Watts = Quantity<dims::power>;
using Bytes = Quantity<dims::bytes>;
using BytesPerSecond = Quantity<dims::byte_rate>;
using Flops = Quantity<dims::flops>;
using FlopsPerSecond = Quantity<dims::flop_rate>;
using Kelvin = Quantity<dims::temperature>;
using KelvinPerWatt = Quantity<dims::thermal_resistance>;
using JoulesPerKelvin = Quantity<dims::heat_capacity>;
using CubicMeters = Quantity<dims::volume>;
using CubicMetersPerSecond = Quantity<dims::volume_flow>;
using Kilograms = Quantity<dims::mass>;
using KilogramsPerSecond = Quantity<dims::mass_flow>;

namespace literals {
constexpr Seconds operator""_s(long double v) {
  return Seconds(static_cast<double>(v));
}
constexpr Seconds operator""_s(unsigned long long v) {
  return Seconds(static_cast<double>(v));
}
constexpr Seconds operator""_ms(long double v) {
  return Seconds(static_cast<double>(v) * 1e-3);
}
constexpr Seconds operator""_ms(unsigned long long v) {
  return Seconds(static_cast<double>(v) * 1e-3);
}
constexpr Watts operator""_W(long double v) {
  return Watts(static_cast<double>(v));
}
constexpr Watts operator""_W(unsigned long long v) {
  return Watts(static_cast<double>(v));
}
constexpr Watts operator""_kW(unsigned long long v) {
  return Watts(static_cast<double>(v) * 1e3);
}
constexpr Bytes operator""_B(unsigned long long v) {
  return Bytes(static_cast<double>(v));
}
constexpr Bytes operator""_GB(unsigned long long v) {
  return Bytes(static_cast<double>(v) * 1e9);
}
constexpr Bytes operator""_GiB(unsigned long long v) {
  return Bytes(static_cast<double>(v) * 1073741824.0);
}
}  // namespace literals

// Absolute temperatures in degrees Celsius, for reading and printing only.
constexpr Kelvin from_celsius(double c) {
  return Kelvin(c + 273.15);
}
constexpr double to_celsius(Kelvin k) {
  return k.value() - 273.15;
}

}  // namespace sim
