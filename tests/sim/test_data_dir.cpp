// Where the data files are found (sim/data_dir.hpp): the order --data-dir, FIRSTWALL_DATA_DIR,
// ../share/firstwall beside the executable, and the exact message when none is found. The
// installed and moved binary: tests/tools/test_install.cpp.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "sim/data_dir.hpp"

namespace sim {
namespace {

namespace fs = std::filesystem;

std::string message_of(const DataDirSources& s) {
  try {
    (void)resolve_data_dir(s);
  } catch (const DataDirError& e) {
    return e.what();
  }
  return "no error";
}

// A fresh folder with <root>/a/, <root>/b/ and <root>/install/{bin,share/firstwall}/.
class DataDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::canonical(fs::temp_directory_path()) /
            ("firstwall_data_dir_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "a");
    fs::create_directories(root_ / "b");
    fs::create_directories(root_ / "install/bin");
    fs::create_directories(root_ / "install/share/firstwall");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
};

TEST_F(DataDir, TheFlagWinsOverTheEnvironmentWhichWinsOverTheExecutable) {
  const fs::path exe = root_ / "install/bin/firstwall";
  EXPECT_EQ(resolve_data_dir({root_ / "a", (root_ / "b").string(), exe}), root_ / "a");
  EXPECT_EQ(resolve_data_dir({std::nullopt, (root_ / "b").string(), exe}), root_ / "b");
  EXPECT_EQ(resolve_data_dir({std::nullopt, std::nullopt, exe}), root_ / "install/share/firstwall");
  // An empty variable counts as not set.
  EXPECT_EQ(resolve_data_dir({std::nullopt, "", exe}), root_ / "install/share/firstwall");
}

TEST_F(DataDir, PathsAreAbsoluteAndNormal) {
  const fs::path cwd = fs::current_path();
  fs::current_path(root_);
  const fs::path from_flag = resolve_data_dir({fs::path("a/../b/."), std::nullopt, std::nullopt});
  const fs::path from_env = resolve_data_dir({std::nullopt, "./a", std::nullopt});
  fs::current_path(cwd);
  EXPECT_EQ(from_flag, root_ / "b");
  EXPECT_EQ(from_env, root_ / "a");
}

TEST_F(DataDir, AGivenDirectoryThatDoesNotExistIsAnErrorNotAFallThrough) {
  const fs::path exe = root_ / "install/bin/firstwall";
  EXPECT_EQ(message_of({root_ / "nope", (root_ / "b").string(), exe}),
            "no data directory (catalogs, calibrations) found; tried:\n"
            "  --data-dir \"" +
                (root_ / "nope").string() + "\": no such directory");
  std::ofstream(root_ / "file.txt") << "x";
  EXPECT_EQ(message_of({std::nullopt, (root_ / "file.txt").string(), exe}),
            "no data directory (catalogs, calibrations) found; tried:\n"
            "  --data-dir: not given\n"
            "  FIRSTWALL_DATA_DIR \"" +
                (root_ / "file.txt").string() + "\": not a directory");
}

TEST_F(DataDir, NothingFoundListsEveryPlaceTried) {
  const fs::path exe = root_ / "elsewhere/bin/firstwall";
  EXPECT_EQ(message_of({std::nullopt, std::nullopt, exe}),
            "no data directory (catalogs, calibrations) found; tried:\n"
            "  --data-dir: not given\n"
            "  FIRSTWALL_DATA_DIR: not set\n"
            "  \"" +
                (root_ / "elsewhere/share/firstwall").string() +
                "\" (../share/firstwall beside the executable \"" + exe.string() +
                "\"): no such directory");
  EXPECT_EQ(message_of({}),
            "no data directory (catalogs, calibrations) found; tried:\n"
            "  --data-dir: not given\n"
            "  FIRSTWALL_DATA_DIR: not set\n"
            "  ../share/firstwall beside the executable: the executable's path is unknown "
            "(/proc/self/exe unreadable)");
}

// The process-wide directory of this test program, in build/tests/, is the build tree's copy
// of the data (build/share/firstwall), unless the environment names another.
TEST(DataDirOfThisProcess, IsTheBuildTreesCopyBesideTheTestPrograms) {
  if (const char* env = std::getenv("FIRSTWALL_DATA_DIR"); env != nullptr && *env != '\0') {
    GTEST_SKIP() << "FIRSTWALL_DATA_DIR is set";
  }
  EXPECT_EQ(data_dir(), fs::canonical(fs::path(FIRSTWALL_BUILD_DIR) / "share/firstwall"));
  EXPECT_TRUE(fs::is_regular_file(data_path("scenarios/catalog/llms.yaml")));
  EXPECT_TRUE(fs::is_regular_file(data_path("kernels/calibration/gpu_vidur.yaml")));
  EXPECT_TRUE(fs::is_regular_file(data_path("models/workload/calibration/serving_overhead.yaml")));
}

TEST(DataDirOfThisProcess, SetDataDirReplacesIt) {
  const fs::path before = fs::path(FIRSTWALL_SOURCE_DIR);
  set_data_dir(before);
  EXPECT_EQ(data_dir(), before.lexically_normal());
  EXPECT_EQ(data_path("scenarios/default.yaml"),
            before.lexically_normal() / "scenarios/default.yaml");
}

}  // namespace
}  // namespace sim
