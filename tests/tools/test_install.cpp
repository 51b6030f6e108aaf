// The installed firstwall finds its data beside itself, also after the installation folder
// is moved; without it, through FIRSTWALL_DATA_DIR or --data-dir; and says where it looked
// when it finds nothing (sim/data_dir.hpp, cmake/FirstwallData.cmake).
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;
using test::CliResult;
using ::testing::HasSubstr;

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

// One test: `cmake --install` writes install_manifest.txt into the build folder, so two
// installs running in parallel (ctest -j) would race on it.
TEST(Install, RunsFromAMovedPrefixAndFindsItsDataBesideItselfOrWhereItIsTold) {
  const fs::path tmp = fs::canonical(fs::temp_directory_path()) /
                       ("firstwall_install_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  const CliResult install =
      test::run_command(std::string("'") + FIRSTWALL_CMAKE + "' --install " +
                            quoted(FIRSTWALL_BUILD_DIR) + " --prefix " + quoted(tmp / "staged"),
                        tmp);
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  fs::rename(tmp / "staged", tmp / "moved");
  const fs::path prefix = tmp / "moved";
  ASSERT_TRUE(fs::is_regular_file(prefix / "bin/firstwall"));
  // Every data file of the repository is installed under its repository path.
  const fs::path source(FIRSTWALL_SOURCE_DIR);
  std::vector<fs::path> folders = {source / "scenarios", source / "kernels/calibration"};
  for (const auto& domain : fs::directory_iterator(source / "models")) {
    if (fs::is_directory(domain.path() / "calibration"))
      folders.push_back(domain.path() / "calibration");
  }
  int files = 0;
  for (const fs::path& folder : folders) {
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      if (!e.is_regular_file()) continue;
      const fs::path rel = fs::relative(e.path(), source);
      EXPECT_TRUE(fs::is_regular_file(prefix / "share/firstwall" / rel)) << rel;
      ++files;
    }
  }
  EXPECT_GE(files, 7);  // default.yaml, 2 examples, 2 catalogs, 2 calibrations at least

  // The environment of the test run must not point the binary elsewhere.
  const std::string fw = "env -u FIRSTWALL_DATA_DIR " + quoted(prefix / "bin/firstwall");
  const fs::path scenario = prefix / "share/firstwall/scenarios/default.yaml";
  const CliResult check = test::run_command(fw + " check " + quoted(scenario), tmp);
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out, scenario.string() + ": OK\n");
  const CliResult describe = test::run_command(fw + " describe model llama-3-70b", tmp);
  EXPECT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("\nkv_cache_bytes_per_token: 327680\n"));
  // A short run reads the kernel calibration and the serving overhead too.
  const CliResult run = test::run_command(
      fw + " run " + quoted(scenario) +
          " --set simulation.duration=2s --set simulation.drain=2s -o " + quoted(tmp / "out.h5"),
      tmp);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::is_regular_file(tmp / "out.h5"));

  // The data moved away from the binary: nothing beside it, so it says where it looked.
  fs::rename(prefix / "share/firstwall", tmp / "data");
  const CliResult lost = test::run_command(fw + " describe model llama-3-70b", tmp);
  EXPECT_EQ(lost.exit_code, 2);
  EXPECT_EQ(lost.out, "");
  EXPECT_EQ(lost.err,
            "firstwall: no data directory (catalogs, calibrations) found; tried:\n"
            "  --data-dir: not given\n"
            "  FIRSTWALL_DATA_DIR: not set\n"
            "  \"" +
                (prefix / "share/firstwall").string() +
                "\" (../share/firstwall beside the executable \"" +
                (prefix / "bin/firstwall").string() + "\"): no such directory\n");

  const std::string in_env =
      "FIRSTWALL_DATA_DIR=" + quoted(tmp / "data") + " " + quoted(prefix / "bin/firstwall");
  const CliResult env = test::run_command(in_env + " describe model llama-3-70b", tmp);
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_THAT(env.out, HasSubstr("\nkv_cache_bytes_per_token: 327680\n"));

  const std::string flag = " --data-dir " + quoted(tmp / "data");
  const CliResult by_flag =
      test::run_command(fw + flag + " check " + quoted(tmp / "data/scenarios/default.yaml"), tmp);
  EXPECT_EQ(by_flag.exit_code, 0) << by_flag.err;
  // After the sub-command too; and the flag wins over the variable.
  const CliResult flag_after =
      test::run_command("FIRSTWALL_DATA_DIR=" + quoted(tmp / "nope") + " " +
                            quoted(prefix / "bin/firstwall") + " describe gpu h100-sxm" + flag,
                        tmp);
  EXPECT_EQ(flag_after.exit_code, 0) << flag_after.err;
  EXPECT_THAT(flag_after.out, HasSubstr("\nhbm_bandwidth: 3350000000000  # B/s\n"));

  // A variable naming no directory is an error, not a reason to look further.
  const CliResult bad_env =
      test::run_command("FIRSTWALL_DATA_DIR=" + quoted(tmp / "nope") + " " +
                            quoted(prefix / "bin/firstwall") + " describe model llama-3-70b",
                        tmp);
  EXPECT_EQ(bad_env.exit_code, 2);
  EXPECT_EQ(bad_env.err,
            "firstwall: no data directory (catalogs, calibrations) found; tried:\n"
            "  --data-dir: not given\n"
            "  FIRSTWALL_DATA_DIR \"" +
                (tmp / "nope").string() + "\": no such directory\n");
  const CliResult bad_flag = test::run_command(
      fw + " --data-dir " + quoted(tmp / "nope") + " describe model llama-3-70b", tmp);
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_THAT(bad_flag.err, HasSubstr("--data-dir"));

  fs::remove_all(tmp);
}

}  // namespace
