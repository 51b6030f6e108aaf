// `firstwall kernels measure` and `kernels selfcheck` from the command line: exit codes,
// messages, the file.
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/measure/measure_table.hpp"
#include "tests/tools/cli_runner.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class MeasureCli : public ::testing::Test {
 protected:
  fs::path dir =
      fs::temp_directory_path() / ("firstwall_measure_cli_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(MeasureCli, QuickRunOfTwoKernelsWritesTheTable) {
  const fs::path file = dir / "sub" / "k.h5";
  const auto r = test::run_cli(
      "kernels measure --quick --threads 1 --kernels rms_norm,softmax "
      "--seconds-per-point 0.005 -o " +
      file.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("peak FP32 FMA"));
  EXPECT_THAT(r.out, HasSubstr("STREAM triad"));
  EXPECT_THAT(r.out, HasSubstr("rows written to"));
  EXPECT_EQ(r.err, "");  // no progress output when stderr is not a terminal
  const auto table = kernels::measure::read_measure_file(file.string());
  ASSERT_EQ(table.rows.size(),
            4u);  // the quick grid: rms_norm at 1 and 128 tokens, softmax at 32 and 256 rows
  for (const auto& row : table.rows) {
    EXPECT_TRUE(row.kernel == "rms_norm" || row.kernel == "softmax");
    EXPECT_EQ(row.threads, 1);
  }
}

TEST_F(MeasureCli, BadArgumentsExitWithCode2AndSayWhy) {
  const std::string out = " -o " + (dir / "x.h5").string();
  auto r = test::run_cli("kernels measure --quick --threads 0" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--threads: thread counts must be integers from 1 to 4096"));
  EXPECT_THAT(r.err, HasSubstr("(got \"0\")"));
  r = test::run_cli("kernels measure --quick --threads 1,x" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--threads:"));
  r = test::run_cli("kernels measure --quick --kernels gemm,warp_drive" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--kernels: unknown kernel \"warp_drive\" (known: embedding"));
  r = test::run_cli("kernels measure --quick");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--output"));
  r = test::run_cli("kernels measure --quick --seconds-per-point -1" + out);
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_cli("kernels selfcheck --threads 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--threads: must be an integer from 1 to 4096 (got 0)"));
  // Nothing was written.
  EXPECT_TRUE(fs::is_empty(dir));
}
