#include "sim/units.hpp"

#include <array>
#include <string_view>

namespace sim {

namespace {

struct NamedDim {
  Dim dim;
  std::string_view name;
};

// Ordered as in dims:: so the table reads against units.hpp.
constexpr std::array<NamedDim, 16> kNames{{
    {dims::none, "a ratio"},
    {dims::time, "a duration"},
    {dims::frequency, "a frequency or rate"},
    {dims::energy, "an energy"},
    {dims::power, "a power"},
    {dims::bytes, "a byte count"},
    {dims::byte_rate, "a byte rate"},
    {dims::flops, "a FLOP count"},
    {dims::flop_rate, "a FLOP rate"},
    {dims::temperature, "a temperature"},
    {dims::thermal_resistance, "a thermal resistance"},
    {dims::heat_capacity, "a heat capacity"},
    {dims::volume, "a volume"},
    {dims::volume_flow, "a volume flow"},
    {dims::mass, "a mass"},
    {dims::mass_flow, "a mass flow"},
}};

void append_factor(std::string& out, std::string_view symbol, int exponent) {
  if (exponent == 0) return;
  if (!out.empty()) out += "·";
  out += symbol;
  if (exponent != 1) out += "^" + std::to_string(exponent);
}

}  // namespace

std::string dimension_name(Dim d) {
  for (const NamedDim& n : kNames) {
    if (n.dim == d) return std::string(n.name);
  }
  return "a quantity of dimension " + dimension_symbol(d);
}

std::string dimension_symbol(Dim d) {
  std::string out;
  // Energy before time so that a power reads "J·s^-1", the way engineers write W.
  append_factor(out, "J", d.energy);
  append_factor(out, "s", d.time);
  append_factor(out, "B", d.bytes);
  append_factor(out, "FLOP", d.flops);
  append_factor(out, "K", d.temperature);
  // Volume's base unit is already a cube: volume^2 is m^6, not (m^3)^2.
  if (d.volume == 1) {
    append_factor(out, "m^3", 1);
  } else {
    append_factor(out, "m", 3 * d.volume);
  }
  append_factor(out, "kg", d.mass);
  return out.empty() ? "1" : out;
}

}  // namespace sim
