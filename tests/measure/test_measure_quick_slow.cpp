// The whole `kernels measure --quick` grid and `kernels selfcheck --quick` (label "slow": tens
// of seconds on a 2-core machine). --quick must stay under a minute so that CI can run it.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include <gmock/gmock.h>
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

TEST(MeasureQuickSlow, SelfcheckPrintsItsVerdictLast) {
  const auto r = test::run_cli("kernels selfcheck --quick");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("prefill: predicted"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("decode:  predicted"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("selfcheck_max_abs_pct_error=[0-9.]+\n$"));
}
