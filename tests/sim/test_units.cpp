#include "sim/units.hpp"

#include <gtest/gtest.h>

#include <type_traits>

namespace sim {
namespace {

// The dimension algebra is checked by the compiler; these fail the build, not the run.
static_assert(std::is_same_v<decltype(Watts(1) * Seconds(1)), Joules>);
static_assert(std::is_same_v<decltype(Seconds(1) * Watts(1)), Joules>);
static_assert(std::is_same_v<decltype(Joules(1) / Seconds(1)), Watts>);
static_assert(std::is_same_v<decltype(Joules(1) / Watts(1)), Seconds>);
static_assert(std::is_same_v<decltype(Bytes(1) / BytesPerSecond(1)), Seconds>);
static_assert(std::is_same_v<decltype(BytesPerSecond(1) * Seconds(1)), Bytes>);
static_assert(std::is_same_v<decltype(Flops(1) / FlopsPerSecond(1)), Seconds>);
static_assert(std::is_same_v<decltype(Flops(1) / Seconds(1)), FlopsPerSecond>);
static_assert(std::is_same_v<decltype(Kelvin(1) / Watts(1)), KelvinPerWatt>);
static_assert(std::is_same_v<decltype(KelvinPerWatt(1) * Watts(1)), Kelvin>);
static_assert(std::is_same_v<decltype(Joules(1) / Kelvin(1)), JoulesPerKelvin>);
static_assert(std::is_same_v<decltype(CubicMeters(1) / Seconds(1)), CubicMetersPerSecond>);
static_assert(std::is_same_v<decltype(Kilograms(1) / Seconds(1)), KilogramsPerSecond>);
static_assert(std::is_same_v<decltype(1.0 / Seconds(1)), Hertz>);
static_assert(std::is_same_v<decltype(Hertz(1) * Seconds(1)), Ratio>);
static_assert(std::is_same_v<decltype(Watts(1) / Watts(1)), Ratio>);
static_assert(std::is_same_v<decltype(Watts(1) * 2.0), Watts>);

// Adding different dimensions must not compile.
template <typename A, typename B>
concept addable = requires(A a, B b) {
  a + b;
};
static_assert(addable<Watts, Watts>);
static_assert(!addable<Watts, Bytes>);
static_assert(!addable<Watts, double>);
static_assert(!addable<Kelvin, Seconds>);

// A raw double never becomes a quantity implicitly.
static_assert(!std::is_convertible_v<double, Watts>);
static_assert(std::is_constructible_v<Watts, double>);

// The operators are usable at compile time.
static_assert((Watts(700) * Seconds(2)).value() == 1400.0);
static_assert(Bytes(80) / BytesPerSecond(40) == Seconds(2));

TEST(Units, ArithmeticKeepsSiValues) {
  const Watts p(700);
  EXPECT_DOUBLE_EQ((p * Seconds(3600)).value(), 700.0 * 3600);
  EXPECT_DOUBLE_EQ((Bytes(80e9) / BytesPerSecond(3.35e12)).value(), 80e9 / 3.35e12);
  EXPECT_DOUBLE_EQ((Flops(2e9) / FlopsPerSecond(989e12)).value(), 2e9 / 989e12);
  EXPECT_DOUBLE_EQ((Kelvin(30) / Watts(700)).value(), 30.0 / 700);
  EXPECT_DOUBLE_EQ((p + Watts(300)).value(), 1000.0);
  EXPECT_DOUBLE_EQ((p - Watts(300)).value(), 400.0);
  EXPECT_DOUBLE_EQ((-p).value(), -700.0);
  EXPECT_DOUBLE_EQ((p * 2.0).value(), 1400.0);
  EXPECT_DOUBLE_EQ((2.0 * p).value(), 1400.0);
  EXPECT_DOUBLE_EQ((p / 7.0).value(), 100.0);
  EXPECT_DOUBLE_EQ((1.0 / Seconds(0.25)).value(), 4.0);

  Watts q(100);
  q += Watts(50);
  EXPECT_DOUBLE_EQ(q.value(), 150.0);
  q -= Watts(30);
  EXPECT_DOUBLE_EQ(q.value(), 120.0);
  q *= 3.0;
  EXPECT_DOUBLE_EQ(q.value(), 360.0);
  q /= 4.0;
  EXPECT_DOUBLE_EQ(q.value(), 90.0);

  EXPECT_DOUBLE_EQ(Watts().value(), 0.0);
}

TEST(Units, ComparisonsAndHelpers) {
  EXPECT_LT(Watts(1), Watts(2));
  EXPECT_GT(Bytes(3), Bytes(2));
  EXPECT_LE(Seconds(1), Seconds(1));
  EXPECT_EQ(Joules(5), Joules(5));
  EXPECT_NE(Joules(5), Joules(6));
  EXPECT_EQ(abs(Watts(-3)), Watts(3));
  EXPECT_EQ(abs(Watts(3)), Watts(3));
  EXPECT_EQ(min(Watts(3), Watts(4)), Watts(3));
  EXPECT_EQ(max(Watts(3), Watts(4)), Watts(4));
}

TEST(Units, LiteralsAndCelsius) {
  using namespace literals;
  EXPECT_DOUBLE_EQ((1.5_s).value(), 1.5);
  EXPECT_DOUBLE_EQ((2_s).value(), 2.0);
  EXPECT_DOUBLE_EQ((250_ms).value(), 250 * 1e-3);
  EXPECT_DOUBLE_EQ((2.5_ms).value(), 2.5 * 1e-3);
  EXPECT_DOUBLE_EQ((700_W).value(), 700.0);
  EXPECT_DOUBLE_EQ((0.5_W).value(), 0.5);
  EXPECT_DOUBLE_EQ((3_kW).value(), 3e3);
  EXPECT_DOUBLE_EQ((64_B).value(), 64.0);
  EXPECT_DOUBLE_EQ((80_GB).value(), 80e9);
  EXPECT_DOUBLE_EQ((80_GiB).value(), 80.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(from_celsius(45).value(), 45 + 273.15);
  EXPECT_DOUBLE_EQ(to_celsius(Kelvin(300)), 300 - 273.15);
}

TEST(Units, DimensionNames) {
  EXPECT_EQ(dimension_name(Ratio::dim), "a ratio");
  EXPECT_EQ(dimension_name(Seconds::dim), "a duration");
  EXPECT_EQ(dimension_name(Hertz::dim), "a frequency or rate");
  EXPECT_EQ(dimension_name(Joules::dim), "an energy");
  EXPECT_EQ(dimension_name(Watts::dim), "a power");
  EXPECT_EQ(dimension_name(Bytes::dim), "a byte count");
  EXPECT_EQ(dimension_name(BytesPerSecond::dim), "a byte rate");
  EXPECT_EQ(dimension_name(Flops::dim), "a FLOP count");
  EXPECT_EQ(dimension_name(FlopsPerSecond::dim), "a FLOP rate");
  EXPECT_EQ(dimension_name(Kelvin::dim), "a temperature");
  EXPECT_EQ(dimension_name(KelvinPerWatt::dim), "a thermal resistance");
  EXPECT_EQ(dimension_name(JoulesPerKelvin::dim), "a heat capacity");
  EXPECT_EQ(dimension_name(CubicMeters::dim), "a volume");
  EXPECT_EQ(dimension_name(CubicMetersPerSecond::dim), "a volume flow");
  EXPECT_EQ(dimension_name(Kilograms::dim), "a mass");
  EXPECT_EQ(dimension_name(KilogramsPerSecond::dim), "a mass flow");
}

TEST(Units, UnnamedDimensionsReadAsExponents) {
  EXPECT_EQ(dimension_name(dims::power + dims::temperature), "a quantity of dimension J·s^-1·K");
  EXPECT_EQ(dimension_name(dims::energy + dims::energy), "a quantity of dimension J^2");
  EXPECT_EQ(dimension_name(dims::bytes + dims::flops), "a quantity of dimension B·FLOP");
  EXPECT_EQ(dimension_name(dims::volume + dims::volume), "a quantity of dimension m^6");
  EXPECT_EQ(dimension_name(dims::mass - dims::volume), "a quantity of dimension m^-3·kg");
  EXPECT_EQ(dimension_symbol(dims::none), "1");
  EXPECT_EQ(dimension_symbol(dims::power), "J·s^-1");
  EXPECT_EQ(dimension_symbol(dims::volume_flow), "s^-1·m^3");
}

}  // namespace
}  // namespace sim
