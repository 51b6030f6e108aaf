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

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return path.string();
}

}  // namespace

// Every row is an A100 row: its DGX A100 plant network gives dgx_fabric()'s figures, so the
// default run prints what the same figures given as a `fabric:` file print, row for row.
TEST(ValidateTraining, TheDefaultPlantNetworkIsTheDgxA100Fabric) {
  if (!std::filesystem::exists(kCsv)) GTEST_SKIP() << kCsv << " not present";
  const std::string fabric =
      write_temp("firstwall_dgx_a100_fabric.yaml",
                 "fabric:\n  gpus_per_node: 8\n"
                 "  scale_up: {bandwidth: 300 GB/s, step_latency: 3.37 us, efficiency: 47.62 %}\n"
                 "  scale_out: {bandwidth: 200 Gb/s, step_latency: 5 us, efficiency: 96 %}\n");
  const auto a = test::run_cli("validate training --breakdown --csv '" + kCsv + "'");
  const auto b =
      test::run_cli("validate training --breakdown --csv '" + kCsv + "' --plant '" + fabric + "'");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
}

// `--plant` with a `network:` whose servers cannot reach each other: exit 2, located.
TEST(ValidateTraining, APlantNetworkThatCannotCarryARowIsALocatedError) {
  if (!std::filesystem::exists(kCsv)) GTEST_SKIP() << kCsv << " not present";
  const std::string plant =
      write_temp("firstwall_no_scale_out.yaml", "network:\n  scale_out: {kind: none}\n");
  const auto r = test::run_cli("validate training --csv '" + kCsv + "' --plant '" + plant + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find(plant + ":2:3: network.scale_out: the training job's 32 GPUs span 4 servers of 8 "
                         "GPUs, but the plant's network has no scale-out between servers"),
      std::string::npos)
      << r.err;
}
