#include "sim/quantity.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace sim {
namespace {

struct Good {
  std::string text;
  Dim dim;
  double si;  // written as the conversion formula, not as a precomputed number
};

// clang-format off
const std::vector<Good> kGood = {
    // time: prefixes only n u µ m on s; min, h, day take none
    {"250 ms", dims::time, 250e-3},
    {"1.5 us", dims::time, 1.5e-6},
    {"1.5 µs", dims::time, 1.5e-6},
    {"1.5 \u03bcs", dims::time, 1.5e-6},
    {"20 ns", dims::time, 20e-9},
    {"1.5 s", dims::time, 1.5},
    {"2 min", dims::time, 2 * 60.0},
    {"1.5 h", dims::time, 1.5 * 3600},
    {"3 day", dims::time, 3 * 86400.0},
    // frequencies and rates
    {"10 /s", dims::frequency, 10.0},
    {"10 1/s", dims::frequency, 10.0},
    {"120 /min", dims::frequency, 120 / 60.0},
    {"7200 /h", dims::frequency, 7200 / 3600.0},
    {"50 req/s", dims::frequency, 50.0},
    {"30 req/min", dims::frequency, 30 / 60.0},
    {"1.41 GHz", dims::frequency, 1.41e9},
    {"50 Hz", dims::frequency, 50.0},
    // power and energy
    {"700 W", dims::power, 700.0},
    {"700W", dims::power, 700.0},
    {"  700 \t W  ", dims::power, 700.0},
    {"1.2 kW", dims::power, 1.2e3},
    {"20 MW", dims::power, 20e6},
    {"1.5 GW", dims::power, 1.5e9},
    {"250 mW", dims::power, 250e-3},
    {"-35 kW", dims::power, -35e3},
    {"+5 W", dims::power, 5.0},
    {"5. W", dims::power, 5.0},
    {"3 pW", dims::power, 3e-12},
    {"1e3 W", dims::power, 1e3},
    {"2.5E-3 MW", dims::power, 2.5e-3 * 1e6},
    {"0", dims::power, 0.0},
    {"0.0", dims::power, 0.0},
    {"3.6 MJ", dims::energy, 3.6e6},
    {"1 J", dims::energy, 1.0},
    {"1 kWh", dims::energy, 1e3 * 3600},
    {"2.5 MWh", dims::energy, 2.5e6 * 3600},
    {"10 Wh", dims::energy, 10 * 3600.0},
    // bytes: B byte, b bit; SI decimal vs IEC binary
    {"80 GiB", dims::bytes, 80.0 * 1024 * 1024 * 1024},
    {"80 GB", dims::bytes, 80e9},
    {"4 KiB", dims::bytes, 4.0 * 1024},
    {"4 kB", dims::bytes, 4e3},
    {"1 TiB", dims::bytes, 1024.0 * 1024 * 1024 * 1024},
    {"1.5 PB", dims::bytes, 1.5e15},
    {"2 EiB", dims::bytes, 2 * std::ldexp(1.0, 60)},
    {"64 B", dims::bytes, 64.0},
    {"8 b", dims::bytes, 8 / 8.0},
    {"1 Mb", dims::bytes, 1e6 / 8},
    // byte rates
    {"4.8 TB/s", dims::byte_rate, 4.8e12},
    {"900 GB/s", dims::byte_rate, 900e9},
    {"400 Gb/s", dims::byte_rate, 400e9 / 8},
    {"400 Gbps", dims::byte_rate, 400e9 / 8},
    {"25 GiB/s", dims::byte_rate, 25.0 * 1024 * 1024 * 1024},
    {"100 Mb/s", dims::byte_rate, 100e6 / 8},
    // FLOPs
    {"2 GFLOP", dims::flops, 2e9},
    {"1.5 PFLOP", dims::flops, 1.5e15},
    {"989.4 TFLOP/s", dims::flop_rate, 989.4e12},
    {"989.4 TFLOPS", dims::flop_rate, 989.4e12},
    {"1.98 PFLOP/s", dims::flop_rate, 1.98e15},
    // absolute temperature
    {"300 K", dims::temperature, 300.0},
    {"45 degC", dims::temperature, 45 + 273.15},
    {"45 °C", dims::temperature, 45 + 273.15},
    {"-10 degC", dims::temperature, -10 + 273.15},
    {"100 degF", dims::temperature, (100 - 32) * 5.0 / 9 + 273.15},
    {"32 °F", dims::temperature, (32 - 32) * 5.0 / 9 + 273.15},
    // thermal resistance and heat capacity (differences: no offset)
    {"0.04 K/W", dims::thermal_resistance, 0.04},
    {"0.04 degC/W", dims::thermal_resistance, 0.04},
    {"385 J/K", dims::heat_capacity, 385.0},
    {"4.2 kJ/K", dims::heat_capacity, 4.2e3},
    // volume and volume flow
    {"50 L", dims::volume, 50 / 1e3},
    {"250 mL", dims::volume, 250 / 1e6},
    {"2 m3", dims::volume, 2.0},
    {"2 m^3", dims::volume, 2.0},
    {"12 L/min", dims::volume_flow, 12 / 60e3},
    {"0.5 L/s", dims::volume_flow, 0.5 / 1e3},
    {"90 L/h", dims::volume_flow, 90 / 3600e3},
    {"500 mL/min", dims::volume_flow, 500 / 1e3 / 60e3},
    {"1.2 m3/s", dims::volume_flow, 1.2},
    {"1.2 m^3/s", dims::volume_flow, 1.2},
    {"36 m3/h", dims::volume_flow, 36 / 3600.0},
    {"36 m^3/h", dims::volume_flow, 36 / 3600.0},
    {"10 gpm", dims::volume_flow, 10 * 3.785411784 / 60e3},
    // mass and mass flow
    {"1 kg", dims::mass, 1.0},
    {"500 g", dims::mass, 500 / 1e3},
    {"2 t", dims::mass, 2 * 1e3},
    {"0.2 kg/s", dims::mass_flow, 0.2},
    {"200 g/s", dims::mass_flow, 200 / 1e3},
    {"720 kg/h", dims::mass_flow, 720 / 3600.0},
    // dimensionless
    {"95 %", dims::none, 95 / 100.0},
    {"95%", dims::none, 95 / 100.0},
    {"50 ppm", dims::none, 50 / 1e6},
    {"0.3", dims::none, 0.3},
    {"-1.5e-2", dims::none, -1.5e-2},
    {".5", dims::none, 0.5},
};
// clang-format on

TEST(ParseQuantity, GoodValues) {
  for (const Good& g : kGood) {
    SCOPED_TRACE(g.text);
    const auto r = parse_quantity(g.text, g.dim);
    ASSERT_TRUE(std::holds_alternative<double>(r)) << std::get<QuantityError>(r).message;
    EXPECT_DOUBLE_EQ(std::get<double>(r), g.si);
  }
}

TEST(ParseQuantity, ParseAnyReturnsTheUnitsDimension) {
  for (const Good& g : kGood) {
    SCOPED_TRACE(g.text);
    const auto r = parse_any_quantity(g.text);
    ASSERT_TRUE(std::holds_alternative<ParsedQuantity>(r)) << std::get<QuantityError>(r).message;
    const ParsedQuantity q = std::get<ParsedQuantity>(r);
    EXPECT_DOUBLE_EQ(q.value, g.si);
    // A bare 0 is accepted for any dimension but is itself dimensionless.
    const bool bare_zero = g.text == "0" || g.text == "0.0";
    EXPECT_EQ(q.dim, bare_zero ? dims::none : g.dim);
  }
}

TEST(ParseQuantity, TypedWrapper) {
  const auto w = parse<dims::power>("1.2 kW");
  ASSERT_TRUE(std::holds_alternative<Watts>(w));
  EXPECT_DOUBLE_EQ(std::get<Watts>(w).value(), 1.2e3);
  const auto bad = parse<dims::power>("1.2 kB");
  ASSERT_TRUE(std::holds_alternative<QuantityError>(bad));
  EXPECT_EQ(std::get<QuantityError>(bad).message,
            R"(expected a power (e.g. "700 W"), got a byte count "1.2 kB")");
}

struct Bad {
  std::string text;
  Dim dim;
  std::string message;
};

// clang-format off
const std::vector<Bad> kBad = {
    {"", dims::power, R"(expected a power (e.g. "700 W"), got an empty value)"},
    {"   \t ", dims::power, R"(expected a power (e.g. "700 W"), got an empty value)"},
    {"700", dims::power, R"(expected a power (e.g. "700 W"), got a bare number "700")"},
    {" 1e3 ", dims::byte_rate, R"(expected a byte rate (e.g. "3.35 TB/s"), got a bare number "1e3")"},
    {"abc", dims::power, R"(expected a power (e.g. "700 W"), got "abc")"},
    {"W 700", dims::power, R"(expected a power (e.g. "700 W"), got "W 700")"},
    {"nan", dims::power, R"(expected a power (e.g. "700 W"), got "nan")"},
    {"inf W", dims::power, R"(expected a power (e.g. "700 W"), got "inf W")"},
    {"-inf", dims::none, R"(expected a ratio (e.g. "95 %"), got "-inf")"},
    {". W", dims::power, R"(expected a power (e.g. "700 W"), got ". W")"},
    {"- 5 W", dims::power, R"(expected a power (e.g. "700 W"), got "- 5 W")"},
    {"700 Wt", dims::power, R"(unknown unit "Wt" in "700 Wt" (did you mean "W"?))"},
    {"700 kw", dims::power, R"(unknown unit "kw" in "700 kw" (did you mean "kW"?))"},
    {"1 tb/s", dims::byte_rate, R"(unknown unit "tb/s" in "1 tb/s" (did you mean "TB/s"?))"},
    {"3 TB/S", dims::byte_rate, R"(unknown unit "TB/S" in "3 TB/S" (did you mean "TB/s"?))"},
    {"45 degc", dims::temperature, R"(unknown unit "degc" in "45 degc" (did you mean "degC"?))"},
    {"10 Lpm", dims::volume_flow, R"(unknown unit "Lpm" in "10 Lpm" (did you mean "gpm"?))"},
    {"700 furlongs", dims::power, R"(unknown unit "furlongs" in "700 furlongs")"},
    {"5 x", dims::power, R"(unknown unit "x" in "5 x")"},
    {"1 ks", dims::time, R"(unknown unit "ks" in "1 ks" (did you mean "s"?))"},
    {"1 mB", dims::bytes, R"(unknown unit "mB" in "1 mB" (did you mean "MB"?))"},
    {"1 kK", dims::temperature, R"(unknown unit "kK" in "1 kK" (did you mean "K"?))"},
    {"4.8 TB/s", dims::power, R"(expected a power (e.g. "700 W"), got a byte rate "4.8 TB/s")"},
    {"700 W", dims::energy, R"(expected an energy (e.g. "3.6 MJ"), got a power "700 W")"},
    {"2 GFLOP", dims::flop_rate, R"(expected a FLOP rate (e.g. "989 TFLOP/s"), got a FLOP count "2 GFLOP")"},
    {"95 %", dims::power, R"(expected a power (e.g. "700 W"), got a ratio "95 %")"},
    {"700 W", dims::none, R"(expected a ratio (e.g. "95 %"), got a power "700 W")"},
    {"300 K", dims::thermal_resistance, R"(expected a thermal resistance (e.g. "0.04 K/W"), got a temperature "300 K")"},
    {"1 s", dims::frequency, R"(expected a frequency or rate (e.g. "10 /s"), got a duration "1 s")"},
    {"12 L", dims::volume_flow, R"(expected a volume flow (e.g. "12 L/min"), got a volume "12 L")"},
    {"1 kg", dims::mass_flow, R"(expected a mass flow (e.g. "0.2 kg/s"), got a mass "1 kg")"},
    {"385 J", dims::heat_capacity, R"(expected a heat capacity (e.g. "385 J/K"), got an energy "385 J")"},
    {"80 GiB", dims::time, R"(expected a duration (e.g. "1.5 s"), got a byte count "80 GiB")"},
    {"1e999 W", dims::power, R"(number out of range in "1e999 W")"},
    {"1e300 EB", dims::bytes, R"(number out of range in "1e300 EB")"},
    {"0x10 W", dims::power, R"(unknown unit "x10 W" in "0x10 W")"},
};
// clang-format on

TEST(ParseQuantity, BadValuesHaveExactMessages) {
  for (const Bad& b : kBad) {
    SCOPED_TRACE(b.text);
    const auto r = parse_quantity(b.text, b.dim);
    ASSERT_TRUE(std::holds_alternative<QuantityError>(r)) << std::get<double>(r);
    EXPECT_EQ(std::get<QuantityError>(r).message, b.message);
  }
}

TEST(ParseQuantity, ParseAnyErrors) {
  auto message = [](std::string_view text) {
    const auto r = parse_any_quantity(text);
    return std::holds_alternative<QuantityError>(r) ? std::get<QuantityError>(r).message : "";
  };
  EXPECT_EQ(message(""), R"(expected a quantity (e.g. "700 W"), got an empty value)");
  EXPECT_EQ(message("abc"), R"(expected a quantity (e.g. "700 W"), got "abc")");
  EXPECT_EQ(message("700 kw"), R"(unknown unit "kw" in "700 kw" (did you mean "kW"?))");
  // Without an expected dimension, ties go to table order: "kW" before "K".
  EXPECT_EQ(message("1 kK"), R"(unknown unit "kK" in "1 kK" (did you mean "kW"?))");
  const auto bare = parse_any_quantity("700");
  ASSERT_TRUE(std::holds_alternative<ParsedQuantity>(bare));
  EXPECT_EQ(std::get<ParsedQuantity>(bare).dim, dims::none);
  EXPECT_DOUBLE_EQ(std::get<ParsedQuantity>(bare).value, 700.0);
}

TEST(ParseQuantity, BareZeroOfUnnamedDimension) {
  const Dim odd = dims::power + dims::temperature;
  EXPECT_EQ(example_of(odd), "0");
  const auto zero = parse_quantity("0", odd);
  ASSERT_TRUE(std::holds_alternative<double>(zero));
  EXPECT_EQ(std::get<double>(zero), 0.0);
  const auto r = parse_quantity("3", odd);
  ASSERT_TRUE(std::holds_alternative<QuantityError>(r));
  EXPECT_EQ(std::get<QuantityError>(r).message,
            R"(expected a quantity of dimension J·s^-1·K (e.g. "0"), got a bare number "3")");
}

TEST(ParseQuantity, ExamplesParseAsTheirOwnDimension) {
  const std::vector<Dim> all = {dims::none,
                                dims::time,
                                dims::frequency,
                                dims::energy,
                                dims::power,
                                dims::bytes,
                                dims::byte_rate,
                                dims::flops,
                                dims::flop_rate,
                                dims::temperature,
                                dims::thermal_resistance,
                                dims::heat_capacity,
                                dims::volume,
                                dims::volume_flow,
                                dims::mass,
                                dims::mass_flow};
  for (Dim d : all) {
    SCOPED_TRACE(example_of(d));
    EXPECT_TRUE(std::holds_alternative<double>(parse_quantity(example_of(d), d)));
  }
}

TEST(FormatQuantity, ExactStrings) {
  EXPECT_EQ(format_quantity(700, dims::power), "700 W");
  EXPECT_EQ(format_quantity(1.23e6, dims::power), "1.23 MW");
  EXPECT_EQ(format_quantity(-35e3, dims::power), "-35 kW");
  EXPECT_EQ(format_quantity(0.25, dims::power), "250 mW");
  EXPECT_EQ(format_quantity(0, dims::power), "0 W");
  EXPECT_EQ(format_quantity(999.97, dims::power), "1 kW");  // rounding carries the prefix
  EXPECT_EQ(format_quantity(3.6e6, dims::energy), "3.6 MJ");
  EXPECT_EQ(format_quantity(4.8e12, dims::byte_rate), "4.8 TB/s");
  EXPECT_EQ(format_quantity(80e9, dims::bytes), "80 GB");
  EXPECT_EQ(format_quantity(0.5, dims::bytes), "0.5 B");
  EXPECT_EQ(format_quantity(2e9, dims::flops), "2 GFLOP");
  EXPECT_EQ(format_quantity(989.4e12, dims::flop_rate), "989.4 TFLOP/s");
  EXPECT_EQ(format_quantity(0.25, dims::time), "250 ms");
  EXPECT_EQ(format_quantity(20e-9, dims::time), "20 ns");
  EXPECT_EQ(format_quantity(1.5, dims::time), "1.5 s");
  EXPECT_EQ(format_quantity(90, dims::time), "1.5 min");
  EXPECT_EQ(format_quantity(7200, dims::time), "2 h");
  EXPECT_EQ(format_quantity(3 * 86400.0, dims::time), "3 day");
  EXPECT_EQ(format_quantity(10, dims::frequency), "10 /s");
  EXPECT_EQ(format_quantity(1.5e6, dims::frequency), "1.5e6 /s");
  EXPECT_EQ(format_quantity(70.3 + 273.15, dims::temperature), "70.3 degC");
  EXPECT_EQ(format_quantity(0.04, dims::thermal_resistance), "0.04 K/W");
  EXPECT_EQ(format_quantity(385, dims::heat_capacity), "385 J/K");
  EXPECT_EQ(format_quantity(4200, dims::heat_capacity), "4.2 kJ/K");
  EXPECT_EQ(format_quantity(0.05, dims::volume), "50 L");
  EXPECT_EQ(format_quantity(12 / 60e3, dims::volume_flow), "12 L/min");
  EXPECT_EQ(format_quantity(1, dims::mass), "1 kg");
  EXPECT_EQ(format_quantity(0.2, dims::mass_flow), "0.2 kg/s");
  EXPECT_EQ(format_quantity(0.95, dims::none), "95 %");
  EXPECT_EQ(format_quantity(1.23456789e6, dims::power, 2), "1.2 MW");
  EXPECT_EQ(format_quantity(1.23456789e6, dims::power, 6), "1.23457 MW");
  EXPECT_EQ(format_quantity(3, dims::power + dims::temperature), "3 J·s^-1·K");
}

TEST(FormatQuantity, RoundTripsThroughTheParser) {
  const std::vector<std::pair<double, Dim>> values = {
      {700, dims::power},          {1.23e6, dims::power},
      {-35e3, dims::power},        {2.5e-3, dims::power},
      {3.6e6, dims::energy},       {4.8e12, dims::byte_rate},
      {50e9, dims::byte_rate},     {80e9, dims::bytes},
      {123, dims::bytes},          {2e9, dims::flops},
      {989.4e12, dims::flop_rate}, {0.25, dims::time},
      {1.5e-6, dims::time},        {90, dims::time},
      {7200, dims::time},          {2.5 * 86400, dims::time},
      {10, dims::frequency},       {343.45, dims::temperature},
      {250, dims::temperature},    {0.04, dims::thermal_resistance},
      {385, dims::heat_capacity},  {0.05, dims::volume},
      {2e-4, dims::volume_flow},   {1, dims::mass},
      {0.2, dims::mass_flow},      {0.95, dims::none},
      {0, dims::byte_rate},
  };
  for (const auto& [si, dim] : values) {
    const std::string text = format_quantity(si, dim, 6);
    SCOPED_TRACE(text);
    const auto r = parse_quantity(text, dim);
    ASSERT_TRUE(std::holds_alternative<double>(r)) << std::get<QuantityError>(r).message;
    EXPECT_NEAR(std::get<double>(r), si, 1e-6 * std::fabs(si));
  }
}

}  // namespace
}  // namespace sim

TEST(TemperatureDifference, KelvinIsTakenAsIs) {
  const auto v = sim::parse_temperature_difference("5 K");
  ASSERT_TRUE(std::holds_alternative<double>(v));
  EXPECT_EQ(std::get<double>(v), 5.0);
  EXPECT_EQ(std::get<double>(sim::parse_temperature_difference("0.5 K")), 0.5);
}

TEST(TemperatureDifference, CelsiusIsRefusedWithTheAbsoluteValue) {
  const auto v = sim::parse_temperature_difference("5 degC");
  ASSERT_TRUE(std::holds_alternative<sim::QuantityError>(v));
  EXPECT_EQ(std::get<sim::QuantityError>(v).message,
            "a temperature difference is written in K (e.g. \"5 K\"): \"5 degC\" is an absolute "
            "temperature (278.15 K)");
}

TEST(TemperatureDifference, OtherDimensionsAndBareNumbers) {
  EXPECT_EQ(std::get<sim::QuantityError>(sim::parse_temperature_difference("5 W")).message,
            "expected a temperature difference (e.g. \"5 K\"), got a power \"5 W\"");
  EXPECT_EQ(std::get<sim::QuantityError>(sim::parse_temperature_difference("5")).message,
            "expected a temperature difference (e.g. \"5 K\"), got a bare number \"5\"");
  EXPECT_EQ(std::get<double>(sim::parse_temperature_difference("0")), 0.0);
}
