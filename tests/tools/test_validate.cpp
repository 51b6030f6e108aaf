// `firstwall validate splitwise` on the measured Splitwise table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_runner.hpp"

namespace {

TEST(ValidateSplitwise, ReportsEveryGroupAndEndsWithTheMedianError) {
  const std::string csv = std::string(FIRSTWALL_SHARED_DATA) + "/splitwise/perf_model_a100.csv";
  const auto r = test::run_cli("validate splitwise --csv '" + csv + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* group : {"llama2-70b a100-80gb tp2", "llama2-70b a100-80gb tp4",
                            "llama2-70b a100-80gb tp8", "bloom-176b a100-80gb tp8"}) {
    EXPECT_THAT(r.out, ::testing::HasSubstr(group));
  }
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nmedian_abs_pct_error=[0-9]+\\.[0-9][0-9]\n$"));
}

TEST(ValidateSplitwise, CalibratedCostsPredictMeasuredTimesWithin10Percent) {
  // The kernel calibration never saw Splitwise; the host overhead per iteration (the shipped
  // models/workload/calibration/serving_overhead.yaml) was fitted leaving one model out.
  const auto r = test::run_cli("validate splitwise --csv '" + std::string(FIRSTWALL_SHARED_DATA) +
                               "/splitwise/perf_model_a100.csv'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto pos = r.out.rfind("median_abs_pct_error=");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_LE(std::stod(r.out.substr(pos + 21)), 10.0) << r.out;
  // The peak-rate roofline, for contrast, is far off: calibration is what brings it in.
  const auto roof =
      test::run_cli("validate splitwise --cost-model roofline --csv '" +
                    std::string(FIRSTWALL_SHARED_DATA) + "/splitwise/perf_model_a100.csv'");
  EXPECT_GT(std::stod(roof.out.substr(roof.out.rfind("=") + 1)), 30.0);
}

TEST(ValidateSplitwise, BadInputIsReportedWithItsPlace) {
  const auto missing = test::run_cli("validate splitwise --csv does/not/exist.csv");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "does/not/exist.csv:1:1: cannot read file\n");
  const auto hw = test::run_cli("validate splitwise --csv '" + std::string(FIRSTWALL_SHARED_DATA) +
                                "/splitwise/perf_model_a100.csv' --hardware tpu");
  EXPECT_EQ(hw.exit_code, 2);
  EXPECT_EQ(hw.err, "--hardware:1:1: unknown hardware \"tpu\" (known: a100-80gb, h100-80gb)\n");
}

TEST(ValidateSplitwise, MapsH100RowsAndSimulatesPowerCappedRowsApart) {
  // One measured A100 row, the same row on H100, and a power-capped A100 row.
  const std::string header =
      "model,hardware,prompt_size,batch_size,token_size,peak_power,average_power,prompt_time,"
      "token_time,e2e_time,tensor_parallel\n";
  const std::string tail = ",1024,4,64,0,0,300.0,40.0,3000.0,4\n";
  const std::string path = ::testing::TempDir() + "/splitwise_mixed.csv";
  {
    std::ofstream out(path);
    out << header << "llama2-70b,a100-80gb" << tail << "llama2-70b,h100-80gb" << tail
        << "llama2-70b,a100-80gb-pcap" << tail;
  }
  const auto r = test::run_cli("validate splitwise --csv '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("llama2-70b a100-80gb tp4"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("llama2-70b h100-80gb tp4"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("llama2-70b a100-80gb-pcap tp4"));
  // The capped row is reported on its own line, the uncapped ones on the last line.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\npcap_median_abs_pct_error=[0-9.]+\n"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nmedian_abs_pct_error=[0-9.]+\n$"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("power_median_abs_pct_error=nan (no rows with power columns)"));
  const auto bad = test::run_cli("validate splitwise --csv '" + path + "' --power-cap 170%");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "--power-cap:1:1: must be a share of TDP in (0, 100 %] (got \"170%\")\n");
  // --hardware keeps one GPU's rows.
  const auto h100 = test::run_cli("validate splitwise --csv '" + path + "' --hardware h100-80gb");
  ASSERT_EQ(h100.exit_code, 0) << h100.err;
  EXPECT_THAT(h100.out, ::testing::Not(::testing::HasSubstr("a100-80gb tp4")));
}

}  // namespace
