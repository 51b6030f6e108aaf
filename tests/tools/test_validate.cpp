// `firstwall validate splitwise` on the measured Splitwise table.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

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

double last_median_error(const test::CliResult& r) {
  const auto pos = r.out.rfind("median_abs_pct_error=");
  EXPECT_NE(pos, std::string::npos) << r.out << r.err;
  return pos == std::string::npos ? std::nan("") : std::stod(r.out.substr(pos + 21));
}

// In-sample: the shipped host costs are fitted on both models of this CSV, so their error on
// all rows is not a held-out figure (EachModelHeldOut... below is).
TEST(ValidateSplitwise, ShippedOverheadOnAllRowsIsWithin10PercentInSample) {
  const auto r = test::run_cli("validate splitwise --csv '" + std::string(FIRSTWALL_SHARED_DATA) +
                               "/splitwise/perf_model_a100.csv'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LE(last_median_error(r), 10.0) << r.out;
  // The peak-rate roofline, for contrast, is far off: calibration is what brings it in.
  const auto roof =
      test::run_cli("validate splitwise --cost-model roofline --csv '" +
                    std::string(FIRSTWALL_SHARED_DATA) + "/splitwise/perf_model_a100.csv'");
  EXPECT_GT(last_median_error(roof), 30.0);
}

// Held out: each model's rows, simulated with the host costs (per iteration, per launch, per
// request) fitted on the OTHER model's rows (models/workload/calibration/
// serving_overhead.yaml, leave_one_model_out). The kernel calibration never saw Splitwise, so
// nothing of these rows went into their prediction.
//
// Bounds, against today's 8.36 % (Llama-2-70B with BLOOM's fit, which cannot see the launch
// cost: BLOOM runs only at TP8 with large kernels) and 2.85 % (BLOOM-176B with Llama's fit):
// Llama-2-70B <= 10 %, the accuracy the project claims for calibrated serving costs (the
// claim itself is what is tested); BLOOM-176B <= 3.6 %, a quarter above today, so that it
// stays a check and not a formality under the 10 % claim. The recorded held-out errors must
// also be what the command gives today (to their 2 decimals): the file is regenerated
// whenever the costs change.
TEST(ValidateSplitwise, EachModelHeldOutIsPredictedByTheOtherModelsFit) {
  const std::string source = FIRSTWALL_SOURCE_DIR;
  const YAML::Node file =
      YAML::LoadFile(source + "/models/workload/calibration/serving_overhead.yaml");
  const YAML::Node fits = file["provenance"]["leave_one_model_out"];
  ASSERT_TRUE(fits.IsSequence());
  ASSERT_EQ(fits.size(), 2u);
  const std::map<std::string, double> bound = {{"llama2-70b", 10.0}, {"bloom-176b", 3.6}};

  // The rows of the CSV, by model (its first column).
  const std::string csv = std::string(FIRSTWALL_SHARED_DATA) + "/splitwise/perf_model_a100.csv";
  std::ifstream in(csv);
  std::string header, line;
  ASSERT_TRUE(std::getline(in, header));
  ASSERT_EQ(header.substr(0, 6), "model,");
  std::map<std::string, std::vector<std::string>> rows;
  while (std::getline(in, line)) rows[line.substr(0, line.find(','))].push_back(line);
  ASSERT_EQ(rows.size(), 2u);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("firstwall_held_out_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::set<std::string> held_out_models;
  for (const YAML::Node& fit : fits) {
    const std::string fit_on = fit["fit_on"].as<std::string>();
    // "13.5 ms", "30 us", "250 us": the option takes the number in the file's unit.
    const auto number_in = [&](const char* key, const std::string& unit) {
      const std::string q = fit[key].as<std::string>();
      EXPECT_EQ(q.substr(q.size() - unit.size() - 1), " " + unit) << key;
      return q.substr(0, q.size() - unit.size() - 1);
    };
    const std::string overhead = number_in("iteration_overhead", "ms");
    const std::string launch = number_in("launch_overhead", "us");
    const std::string request = number_in("request_overhead", "us");
    ASSERT_EQ(fit["held_out_on"].size(), 1u);
    const std::string held_out = fit["held_out_on"][0].as<std::string>();
    SCOPED_TRACE("fit on " + fit_on + " (" + overhead + " ms, " + launch + " us, " + request +
                 " us), held out " + held_out);
    ASSERT_NE(fit_on, held_out);
    ASSERT_TRUE(rows.count(held_out));
    held_out_models.insert(held_out);

    const std::filesystem::path only = dir / (held_out + ".csv");
    {
      std::ofstream out(only);
      out << header << "\n";
      for (const std::string& r : rows[held_out]) out << r << "\n";
    }
    const auto r = test::run_cli(
        "validate splitwise --csv '" + only.string() + "' --iteration-overhead-ms " + overhead +
        " --launch-overhead-us " + launch + " --request-overhead-us " + request);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, ::testing::Not(::testing::HasSubstr(fit_on + " "))) << "only held-out rows";
    const double error = last_median_error(r);
    EXPECT_LE(error, bound.at(held_out)) << r.out;
    EXPECT_NEAR(error, fit["held_out_median_abs_pct_error"].as<double>(), 0.005) << r.out;
  }
  EXPECT_EQ(held_out_models, (std::set<std::string>{"llama2-70b", "bloom-176b"}));
  std::filesystem::remove_all(dir);
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
  EXPECT_THAT(r.out,
              ::testing::HasSubstr("power_median_abs_pct_error=nan (no rows with power columns)"));
  const auto bad = test::run_cli("validate splitwise --csv '" + path + "' --power-cap 170%");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "--power-cap:1:1: must be a share of TDP in (0, 100 %] (got \"170%\")\n");
  // --hardware keeps one GPU's rows.
  const auto h100 = test::run_cli("validate splitwise --csv '" + path + "' --hardware h100-80gb");
  ASSERT_EQ(h100.exit_code, 0) << h100.err;
  EXPECT_THAT(h100.out, ::testing::Not(::testing::HasSubstr("a100-80gb tp4")));
}

}  // namespace
