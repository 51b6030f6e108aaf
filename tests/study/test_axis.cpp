// Axis VALUES: lists, ranges, log ranges, units, and the exact messages of malformed ones.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/study/axis.hpp"

namespace {

using models::study::Axis;
using sim::config::Diagnostics;
using sim::config::Location;

const Location kAt{"--axis", 1, 1};

Axis parse_ok(const std::string& values) {
  Diagnostics d;
  auto axis = models::study::parse_axis("workload.arrivals.rate", values, kAt, d);
  EXPECT_TRUE(d.empty()) << d.str();
  EXPECT_TRUE(axis.has_value());
  return axis.value_or(Axis{});
}

std::string parse_error(const std::string& values) {
  Diagnostics d;
  auto axis = models::study::parse_axis("workload.arrivals.rate", values, kAt, d);
  EXPECT_FALSE(axis.has_value());
  return d.str();
}

std::vector<std::string> texts(const Axis& a) {
  std::vector<std::string> out;
  for (const auto& v : a.values) out.push_back(v.text);
  return out;
}

std::vector<double> numbers(const Axis& a) {
  std::vector<double> out;
  for (const auto& v : a.values) out.push_back(v.number.value_or(NAN));
  return out;
}

TEST(Axis, ListOfQuantitiesKeepsTextAndUnit) {
  const Axis a = parse_ok("2 /s, 4 /s,8 /s");
  EXPECT_EQ(texts(a), (std::vector<std::string>{"2 /s", "4 /s", "8 /s"}));
  EXPECT_TRUE(a.numeric);
  EXPECT_EQ(a.unit, "/s");
  EXPECT_EQ(numbers(a), (std::vector<double>{2, 4, 8}));
  EXPECT_FALSE(a.range.has_value());
  // Substituted as scalars located at the flag, so the loader's messages point at it.
  EXPECT_EQ(a.values[1].node.scalar(), "4 /s");
  EXPECT_EQ(a.values[1].node.location().file, "--axis");
}

TEST(Axis, ListInMixedUnitsIsShownInTheFirstUnit) {
  const Axis a = parse_ok("500 ms,1 s,2.5 s");
  EXPECT_TRUE(a.numeric);
  EXPECT_EQ(a.unit, "ms");
  EXPECT_EQ(numbers(a), (std::vector<double>{500, 1000, 2500}));
  // The text substituted is the text written.
  EXPECT_EQ(texts(a), (std::vector<std::string>{"500 ms", "1 s", "2.5 s"}));
}

TEST(Axis, ListOfNamesIsText) {
  const Axis a = parse_ok("llama-3-8b,llama-3-70b,inf");
  EXPECT_FALSE(a.numeric);
  EXPECT_EQ(texts(a), (std::vector<std::string>{"llama-3-8b", "llama-3-70b", "inf"}));
}

TEST(Axis, BareNumbersHaveNoUnit) {
  const Axis a = parse_ok("1,2,4");
  EXPECT_TRUE(a.numeric);
  EXPECT_EQ(a.unit, "");
  EXPECT_EQ(numbers(a), (std::vector<double>{1, 2, 4}));
}

TEST(Axis, LinearRangeIncludesBothEnds) {
  const Axis a = parse_ok("1 /s:64 /s:7");
  ASSERT_TRUE(a.range.has_value());
  EXPECT_EQ(texts(a), (std::vector<std::string>{"1 /s", "11.5 /s", "22 /s", "32.5 /s", "43 /s",
                                                "53.5 /s", "64 /s"}));
  EXPECT_EQ(a.unit, "/s");
}

TEST(Axis, LogRangeStepsByEqualRatios) {
  const Axis a = parse_ok("log:1 /s:64 /s:7");
  EXPECT_EQ(numbers(a), (std::vector<double>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(texts(a).back(), "64 /s");
}

TEST(Axis, RangeEndsInDifferentUnitsUseFromsUnit) {
  const Axis a = parse_ok("500 ms:2 s:4");
  EXPECT_EQ(texts(a), (std::vector<std::string>{"500 ms", "1000 ms", "1500 ms", "2000 ms"}));
}

TEST(Axis, RangeOfOneIsItsStart) {
  const Axis a = parse_ok("3:9:1");
  EXPECT_EQ(texts(a), (std::vector<std::string>{"3"}));
}

TEST(Axis, RangeWithoutCountIsContinuous) {
  const Axis a = parse_ok("10 degC:30 degC");
  ASSERT_TRUE(a.range.has_value());
  EXPECT_FALSE(a.range->count.has_value());
  EXPECT_TRUE(a.values.empty());
  EXPECT_EQ(models::study::value_at(a, 0.25).text, "15 degC");
  EXPECT_EQ(models::study::value_at(a, 0.25).node.scalar(), "15 degC");
}

TEST(Axis, LogValueAtIsLogUniform) {
  const Axis a = parse_ok("log:1 W:100 W");
  EXPECT_EQ(models::study::value_at(a, 0.5).number, 10.0);
}

TEST(Axis, ValueAtPicksListItemsByEqualShares) {
  const Axis a = parse_ok("a,b,c,d");
  EXPECT_EQ(models::study::value_at(a, 0.0).text, "a");
  EXPECT_EQ(models::study::value_at(a, 0.2499).text, "a");
  EXPECT_EQ(models::study::value_at(a, 0.25).text, "b");
  EXPECT_EQ(models::study::value_at(a, 0.9999).text, "d");
}

TEST(Axis, ExactMessages) {
  EXPECT_EQ(parse_error(""),
            "--axis:1:1: workload.arrivals.rate: no values (write a list a,b,c or a range "
            "from:to:count)\n");
  EXPECT_EQ(parse_error("2 /s,,4 /s"),
            "--axis:1:1: workload.arrivals.rate: value 2 of the list is empty (got \"2 /s,,4 "
            "/s\")\n");
  EXPECT_EQ(parse_error("1 /s:64 /s:0"),
            "--axis:1:1: workload.arrivals.rate: count of a range must be >= 1 (got \"0\")\n");
  // The largest count there is, then one more (a typo found by fuzzing, tools/fuzz/).
  EXPECT_EQ(parse_error("1 /s:64 /s:100001"),
            "--axis:1:1: workload.arrivals.rate: count of a range must be <= 100000 (got "
            "\"100001\")\n");
  EXPECT_EQ(parse_error("1 /s:64 /s:x"),
            "--axis:1:1: workload.arrivals.rate: count of a range must be an integer (got "
            "\"x\")\n");
  EXPECT_EQ(parse_error("4 /s:4 /s:3"),
            "--axis:1:1: workload.arrivals.rate: empty range: from and to are equal (\"4 /s:4 "
            "/s:3\")\n");
  EXPECT_EQ(parse_error("log:0 /s:4 /s:3"),
            "--axis:1:1: workload.arrivals.rate: a log range needs from and to > 0 (got \"0 "
            "/s:4 /s:3\")\n");
  EXPECT_EQ(parse_error("1 /s:64 W:3"),
            "--axis:1:1: workload.arrivals.rate: from \"1 /s\" and to \"64 W\" have different "
            "units\n");
  EXPECT_EQ(parse_error("a:b:3"),
            "--axis:1:1: workload.arrivals.rate: from of a range must be a number with its unit "
            "(got \"a\")\n"
            "--axis:1:1: workload.arrivals.rate: to of a range must be a number with its unit "
            "(got \"b\")\n");
  EXPECT_EQ(parse_error("1:2:3:4"),
            "--axis:1:1: workload.arrivals.rate: a range is from:to:count (got \"1:2:3:4\")\n");
}

TEST(Axis, NumberAndUnit) {
  EXPECT_EQ(models::study::number_and_unit("2.5 /s"), (std::pair<double, std::string>{2.5, "/s"}));
  EXPECT_EQ(models::study::number_and_unit("-3"), (std::pair<double, std::string>{-3, ""}));
  EXPECT_FALSE(models::study::number_and_unit("nan").has_value());
  EXPECT_FALSE(models::study::number_and_unit("4 parsecs of doom").has_value());
  EXPECT_EQ(models::study::format_number(0.1), "0.1");
  EXPECT_EQ(models::study::format_number(1.0 / 3.0), "0.3333333333333333");
}

}  // namespace
