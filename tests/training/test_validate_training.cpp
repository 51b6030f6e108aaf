// `firstwall validate training` on the published Megatron-LM runs (Narayanan et al. SC'21
// Tables 1 and 2): the command runs, its last line is the median error, and it meets the
// issue's target of 15 %; two runs print the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../tools/cli_runner.hpp"

namespace {

const std::string kCsv = std::string(FIRSTWALL_SHARED_DATA) + "/training/megatron_sc21.csv";

double last_line_median(const std::string& out) {
  const auto end = out.find_last_not_of('\n');
  const auto start = out.rfind('\n', end);
  const std::string last = out.substr(start + 1, end - start);
  const std::string key = "median_abs_pct_error=";
  EXPECT_EQ(last.rfind(key, 0), 0u) << last;
  return std::stod(last.substr(key.size()));
}

}  // namespace

TEST(ValidateTraining, MegatronSc21MedianWithinTarget) {
  if (!std::filesystem::exists(kCsv)) GTEST_SKIP() << kCsv << " not present";
  const test::CliResult r = test::run_cli("validate training --csv '" + kCsv + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double median = last_line_median(r.out);
  EXPECT_LE(median, 15.0);
  EXPECT_GE(median, 0.0);
  EXPECT_NE(r.out.find("narayanan-sc21-table1: rows=10"), std::string::npos);
  EXPECT_NE(r.out.find("narayanan-sc21-table2: rows=3"), std::string::npos);
}

TEST(ValidateTraining, Deterministic) {
  if (!std::filesystem::exists(kCsv)) GTEST_SKIP() << kCsv << " not present";
  const auto a = test::run_cli("validate training --breakdown --csv '" + kCsv + "'");
  const auto b = test::run_cli("validate training --breakdown --csv '" + kCsv + "'");
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
}
