// `firstwall kernels fit|validate` through the binary: output contract, exit codes, messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/tools/cli_runner.hpp"

namespace {

using test::run_cli;

std::string h100_llama() {
  return (std::filesystem::path(FIRSTWALL_SHARED_DATA) /
          "vidur/data/profiling/compute/h100/meta-llama/Llama-2-7b-hf/mlp.csv")
      .string();
}

std::string last_line(const std::string& s) {
  std::string t = s;
  if (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') + 1);
}

TEST(kernels_cli, validate_prints_a_table_and_ends_with_the_median_error) {
  const auto r = run_cli("kernels validate --vidur '" + h100_llama() + "' --device h100-sxm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(last_line(r.out), std::regex(R"(median_abs_pct_error=\d+\.\d\d)")))
      << r.out;
  for (const char* op : {"emb ", "attn_pre_proj ", "mlp_down_proj ", "add ", "all "}) {
    EXPECT_NE(r.out.find(std::string("\n") + op), std::string::npos) << op;
  }
}

TEST(kernels_cli, validate_rejects_bad_input_with_exit_2) {
  const auto dir = std::filesystem::temp_directory_path() / "firstwall_kernels_cli";
  std::filesystem::create_directories(dir);
  const auto bad = dir / "mlp.csv";
  std::ofstream(bad) << "time_stats.emb.median,n_head\n0.1,32\n";

  auto r = run_cli("kernels validate --vidur '" + bad.string() + "' --device h100-sxm");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(bad.string() + ":1:1: missing column \"n_kv_head\"\n"), std::string::npos)
      << r.err;

  r = run_cli("kernels validate --vidur '" + (dir / "none.csv").string() + "' --device h100-sxm");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, (dir / "none.csv").string() + ":1:1: cannot read file: no such file\n");

  r = run_cli("kernels validate --vidur '" + h100_llama() + "' --device h100-sxn");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("<command line>:1:1: --device: unknown GPU \"h100-sxn\" (did you mean "
                        "\"h100-sxm\"?); known: ",
                        0),
            0u)
      << r.err;
  std::filesystem::remove_all(dir);
}

TEST(kernels_cli, fit_writes_a_calibration_with_its_provenance) {
  const auto dir = std::filesystem::temp_directory_path() / "firstwall_kernels_fit";
  std::filesystem::remove_all(dir);
  const auto out = dir / "cal.yaml";
  const std::string phi = (std::filesystem::path(FIRSTWALL_SHARED_DATA) /
                           "vidur/data/profiling/compute/h100/microsoft/phi-2/mlp.csv")
                              .string();
  const auto r = run_cli("kernels fit --vidur '" + phi + "' --vidur '" + h100_llama() +
                         "' --exclude-model Llama-2-7b-hf --out '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      std::regex_match(last_line(r.out), std::regex(R"(fit_median_abs_pct_error=\d+\.\d\d)")));
  const std::string text = test::slurp(out);
  EXPECT_NE(text.find("command: \"firstwall kernels fit --vidur " + phi), std::string::npos);
  EXPECT_NE(text.find("excluded_models: [\"Llama-2-7b-hf\"]"), std::string::npos);
  EXPECT_NE(text.find("rows: 261"), std::string::npos);
  EXPECT_NE(text.find("median_abs_pct_error:"), std::string::npos);
  // The file it wrote is a calibration validate accepts.
  const auto v = run_cli("kernels validate --vidur '" + phi +
                         "' --device h100-sxm --calibration '" + out.string() + "'");
  EXPECT_EQ(v.exit_code, 0) << v.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
