// The one parser for quantities written in scenario files: "700 W", "4.8 TB/s", "80 GiB",
// "400 Gb/s", "45 degC", "12 L/min", "0.04 K/W", "95 %", "250 ms", "3 day".
//
// Table-driven: a unit symbol has a dimension, a scale to SI and (temperatures only) an
// offset; SI prefixes (p n u µ m k M G T P E) and IEC prefixes (Ki Mi Gi Ti Pi Ei) apply to
// the units that accept them. "b" is a bit (1/8 byte), "B" a byte. A bare number is
// accepted only for dimensionless quantities, or when it is exactly 0.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "sim/units.hpp"

namespace sim {

struct QuantityError {
  std::string message;  // e.g. `expected a power (e.g. "700 W"), got a bare number "700"`
};

struct ParsedQuantity {
  double value = 0;  // in SI base units of `dim` (not "si_value": <signal.h> defines that macro)
  Dim dim;
};

// Parses `text` as a quantity of dimension `expected`; the result is in SI base units.
// Absolute temperatures: "45 degC" -> 318.15 K. Percent: "95 %" -> 0.95 (dimensionless).
std::variant<double, QuantityError> parse_quantity(std::string_view text, Dim expected);

// Parses `text` as a temperature *difference* (an approach, a rise, a margin), in K. Only
// units without an offset are accepted: "5 degC" is an absolute temperature (278.15 K), so
// reading it as a difference of 5 K would be wrong by 273.15 K; it is an error that says so.
std::variant<double, QuantityError> parse_temperature_difference(std::string_view text);

// Parses `text` with whatever dimension its unit has (for `firstwall describe`, --set).
std::variant<ParsedQuantity, QuantityError> parse_any_quantity(std::string_view text);

template <Dim D>
std::variant<Quantity<D>, QuantityError> parse(std::string_view text) {
  auto r = parse_quantity(text, D);
  if (auto* e = std::get_if<QuantityError>(&r)) return *e;
  return Quantity<D>(std::get<double>(r));
}

// An example of a well-formed value of a dimension, for error messages ("700 W").
std::string example_of(Dim d);

// Formats an SI value with an engineering prefix and the dimension's unit: "1.23 MW",
// "4.8 TB/s", "70.3 degC" (temperatures are shown in degC).
std::string format_quantity(double si, Dim d, int significant = 4);

}  // namespace sim
