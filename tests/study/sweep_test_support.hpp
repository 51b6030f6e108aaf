// What the `firstwall sweep` end-to-end tests (test_sweep_cli.cpp, test_sweep_mpi.cpp) share:
// the six-point study over minimal.yaml, a scratch folder per test process, and the two ways
// they compare sweep files (root attributes but the creation time; journal records).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "h5_read.hpp"

namespace test {

inline const std::string kMinimalScenario =
    std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/minimal.yaml";
// Six points of minimal.yaml (one H100, llama-3-8b): a few seconds of traffic each.
inline const std::string kSixPointAxes =
    "--axis 'workload.arrivals.rate=2 /s,4 /s,8 /s' --axis 'workload.max_batch_requests=16,64' "
    "--axis 'simulation.duration=4 s' --seed 3";

// A fixture with a scratch folder `<tmp>/<stem>_<pid>`, removed after the test.
class ScratchDir : public ::testing::Test {
 protected:
  explicit ScratchDir(const std::string& stem)
      : dir(std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()))) {}
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string out(const std::string& name) const { return (dir / name).string(); }
  std::filesystem::path dir;
};

// Root attributes other than created_utc, the one field that differs between identical runs.
inline std::map<std::string, std::string> stable_attributes(const std::filesystem::path& f) {
  auto a = root_attributes(f);
  EXPECT_EQ(a.count("created_utc"), 1u);
  a.erase("created_utc");
  return a;
}

// Points recorded in a sweep's journal (its first line is the header).
inline std::size_t journal_records(const std::filesystem::path& journal) {
  std::ifstream in(journal);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines == 0 ? 0 : lines - 1;
}

}  // namespace test
