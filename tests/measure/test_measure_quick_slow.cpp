// The whole `kernels measure --quick` grid and `kernels selfcheck --quick` (label "slow": tens
// of seconds on a 2-core machine). --quick must stay under a minute so that CI can run it.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "kernels/measure/kernel_grid.hpp"
#include "kernels/measure/measure_table.hpp"
#include "tests/tools/cli_runner.hpp"

namespace fs = std::filesystem;

TEST(MeasureQuickSlow, WholeQuickGridRunsInUnderAMinute) {
  const fs::path dir =
      fs::temp_directory_path() / ("firstwall_measure_quick_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "quick.h5";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = test::run_cli("kernels measure --quick -o " + file.string());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 60.0);
  const auto table = kernels::measure::read_measure_file(file.string());
  std::set<std::string> kernels;
  for (const auto& row : table.rows) kernels.insert(row.kernel);
  for (const auto& k : kernels::measure::kernel_names()) EXPECT_TRUE(kernels.count(k)) << k;
  fs::remove_all(dir);
}

// The selfcheck's accuracy: the serving model's iteration logic, fed with this host's
// measured kernel calls, must predict the reference transformer's prefill time and decode
// rate within the project's 10 % target (kernels/measure/README.md, "kernels selfcheck").
// Measured with --quick on the README's Zen 4 guest: 1.8, 2.0, 5.0 %. On the Sapphire Rapids
// KVM guest of 2026-11-30 (L3 reported as 480 MiB, larger than the ~180 MB model the method
// needs to be ≫ LLC): 74.9 % (prefill +10.9 %, decode −74.9 %: 17.7 vs 70.6 tok/s) and
// 60.6 % (prefill +28.5 %, decode −60.6 %: 26.2 vs 66.6 tok/s) — this test fails there.
TEST(MeasureQuickSlow, SelfcheckMeetsTheTenPercentTargetAndPrintsItsVerdictLast) {
  const auto r = test::run_cli("kernels selfcheck --quick");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch prefill, decode, verdict;
  const std::regex prefill_re(
      "prefill: predicted [0-9.]+ ms, actual [0-9.]+ ms, error ([-+][0-9.]+) %");
  const std::regex decode_re(
      "decode:  predicted [0-9.]+ tokens/s, actual [0-9.]+ tokens/s, error ([-+][0-9.]+) %");
  const std::regex verdict_re("selfcheck_max_abs_pct_error=([0-9.]+)\n$");
  ASSERT_TRUE(std::regex_search(r.out, prefill, prefill_re)) << r.out;
  ASSERT_TRUE(std::regex_search(r.out, decode, decode_re)) << r.out;
  ASSERT_TRUE(std::regex_search(r.out, verdict, verdict_re)) << r.out;
  const double prefill_pct = std::stod(prefill[1].str());
  const double decode_pct = std::stod(decode[1].str());
  const double max_pct = std::stod(verdict[1].str());
  // The verdict is the larger of the two errors (each printed to 0.1).
  EXPECT_NEAR(max_pct, std::max(std::abs(prefill_pct), std::abs(decode_pct)), 0.051);
  EXPECT_LE(max_pct, 10.0) << r.out;
}
