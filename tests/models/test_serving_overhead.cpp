// The shipped serving overhead file: it parses, it is what the cost model uses by default,
// it was fitted to the measured CSV the tree ships beside it, and bad files are reported.
#include "models/workload/serving_overhead.hpp"

#include "models/scenario/catalog.hpp"
#include "models/workload/cost_model_choice.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "models/workload/cost_model_choice.hpp"
#include "sim/config.hpp"

namespace {

// SHA-256 hex digest of a file, by coreutils' sha256sum (on every Debian system): the project
// links no hash library, and one check does not warrant writing one.
std::string sha256_of_file(const std::string& path) {
  const std::string command = "sha256sum '" + path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "popen failed";
  std::array<char, 65> digest{};
  const std::size_t n = std::fread(digest.data(), 1, 64, pipe);
  pclose(pipe);
  return std::string(digest.data(), n);
}

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string messages(const std::string& text) {
  try {
    (void)models::parse_serving_overhead(text, "overhead.yaml");
  } catch (const sim::config::InputError& e) {
    std::string out;
    for (const auto& d : e.diagnostics()) out += d.str() + "\n";
    return out;
  }
  return "no error";
}

TEST(serving_overhead, the_shipped_file_is_the_cost_models_default) {
  const models::ServingOverhead f =
      models::read_serving_overhead(models::default_serving_overhead_path());
  EXPECT_GT(f.iteration_overhead.value(), 0.0);
  EXPECT_EQ(models::CostModelSpec{}.iteration_overhead, f.iteration_overhead);
  EXPECT_EQ(models::shipped_iteration_overhead(), f.iteration_overhead);
  EXPECT_EQ(models::CostModelSpec{}.launch_overhead, f.launch_overhead);
  EXPECT_EQ(models::CostModelSpec{}.request_overhead, f.request_overhead);
  EXPECT_EQ(f.command,
            "/usr/bin/python3 tools/analysis/fit_iteration_overhead.py build/tools/firstwall "
            "../shared/data/splitwise/perf_model_a100.csv --write "
            "models/workload/calibration/serving_overhead.yaml");
}

TEST(serving_overhead, was_fitted_to_the_measured_csv_shipped_beside_the_tree) {
  const models::ServingOverhead f =
      models::read_serving_overhead(models::default_serving_overhead_path());
  // Recorded relative to the repository root, whose ../shared/data the build knows as
  // FIRSTWALL_SHARED_DATA.
  const std::string prefix = "../shared/data/";
  ASSERT_EQ(f.input_file.rfind(prefix, 0), 0u) << f.input_file;
  const std::string csv =
      std::string(FIRSTWALL_SHARED_DATA) + "/" + f.input_file.substr(prefix.size());
  ASSERT_FALSE(file_contents(csv).empty()) << "cannot read " << csv;
  EXPECT_EQ(sha256_of_file(csv), f.input_sha256)
      << csv << " changed since the overhead was fitted: regenerate the file with its "
      << "provenance.command";
}

TEST(serving_overhead, reports_every_problem_with_its_place) {
  EXPECT_EQ(messages("format: 1\n"
                     "iteration_overhead: 15.5 W\n"
                     "provenance:\n"
                     "  comand: \"x\"\n"
                     "  input: {file: a.csv}\n"),
            "overhead.yaml:2:21: iteration_overhead: expected a duration (e.g. \"1.5 s\"), got a "
            "power \"15.5 W\"\n"
            "overhead.yaml:4:3: provenance.command: missing required key\n"
            "overhead.yaml:4:3: provenance.comand: unknown key \"comand\" (did you mean "
            "\"command\"?)\n"
            "overhead.yaml:5:10: provenance.input.sha256: missing required key\n");
  EXPECT_EQ(messages("format: 1\n"
                     "iteration_overhead: -2 ms\n"
                     "provenance: {command: c, input: {file: a.csv, sha256: ab}}\n"),
            "overhead.yaml:2:21: iteration_overhead: must be >= 0 (got \"-2 ms\")\n");
  EXPECT_EQ(messages("format: 1\n"
                     "provenance: {command: c, input: {file: a.csv, sha256: ab}}\n"),
            "overhead.yaml:1:1: iteration_overhead: missing required key\n");
  // Format 2 needs the launch and request terms; format 1 reads them as 0.
  EXPECT_EQ(messages("format: 2\n"
                     "iteration_overhead: 14 ms\n"
                     "provenance: {command: c, input: {file: a.csv, sha256: ab}}\n"),
            "overhead.yaml:1:1: launch_overhead: missing required key\n"
            "overhead.yaml:1:1: request_overhead: missing required key\n");
  const models::ServingOverhead v1 = models::parse_serving_overhead(
      "format: 1\niteration_overhead: 2 ms\n"
      "provenance: {command: c, input: {file: a.csv, sha256: ab}}\n",
      "v1.yaml");
  EXPECT_EQ(v1.launch_overhead.value(), 0.0);
  EXPECT_EQ(v1.request_overhead.value(), 0.0);
}

}  // namespace

namespace {

// Host costs on another host CPU: each term divided by its single-thread speed relative to
// the DGX-A100's host they were fitted on; the DGX-A100 itself is the reference (1.0) and the
// catalog's Sapphire Rapids hosts are faster (servers.yaml, host_cpu).
TEST(serving_overhead, host_costs_scale_with_the_servers_host_cpu) {
  models::CostModelSpec c;
  c.iteration_overhead = sim::Seconds(0.014);
  c.launch_overhead = sim::Seconds(30e-6);
  c.request_overhead = sim::Seconds(240e-6);
  const models::CostModelSpec h = c.on_host(1.56);
  EXPECT_DOUBLE_EQ(h.iteration_overhead.value(), 0.014 / 1.56);
  EXPECT_DOUBLE_EQ(h.launch_overhead.value(), 30e-6 / 1.56);
  EXPECT_DOUBLE_EQ(h.request_overhead.value(), 240e-6 / 1.56);
  const std::string dir = std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/catalog/";
  const models::Catalog catalog =
      models::load_catalog_files({dir + "llms.yaml", dir + "gpus.yaml", dir + "servers.yaml"});
  EXPECT_EQ(catalog.servers.at("dgx-a100").host_speed, 1.0);
  EXPECT_GT(catalog.servers.at("dgx-h100").host_speed, 1.0);
  EXPECT_EQ(catalog.servers.at("dgx-h100").host_cpu, "2 x Intel Xeon Platinum 8480C");
}

}  // namespace
