// `firstwall run` end to end: the report, the HDF5 layout, and byte-identical datasets for
// the same scenario and seed.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;

// Every dataset of a file as raw bytes in its stored type, keyed by path.
std::map<std::string, std::vector<unsigned char>> read_datasets(const fs::path& file) {
  std::map<std::string, std::vector<unsigned char>> out;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  if (f < 0) return out;
  H5Ovisit(
      f, H5_INDEX_NAME, H5_ITER_NATIVE,
      [](hid_t loc, const char* name, const H5O_info_t* info, void* data) -> herr_t {
        if (info->type != H5O_TYPE_DATASET) return 0;
        const hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
        const hid_t t = H5Dget_type(d);
        const hid_t s = H5Dget_space(d);
        const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(s));
        std::vector<unsigned char> buf(n * H5Tget_size(t));
        if (!buf.empty()) H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
        (*static_cast<std::map<std::string, std::vector<unsigned char>>*>(data))[name] =
            std::move(buf);
        H5Sclose(s);
        H5Tclose(t);
        H5Dclose(d);
        return 0;
      },
      &out);
  H5Fclose(f);
  return out;
}

class RunFixture : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("firstwall_run_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(RunFixture, SameScenarioAndSeedGiveIdenticalDatasets) {
  const fs::path a = dir / "a.h5", b = dir / "b.h5", c = dir / "c.h5";
  ASSERT_EQ(
      test::run_cli("run tests/fixtures/scenarios/poisson_small.yaml -o " + a.string()).exit_code,
      0);
  ASSERT_EQ(
      test::run_cli("run tests/fixtures/scenarios/poisson_small.yaml -o " + b.string()).exit_code,
      0);
  ASSERT_EQ(
      test::run_cli("run tests/fixtures/scenarios/poisson_small.yaml --seed 99 -o " + c.string())
          .exit_code,
      0);
  const auto da = read_datasets(a), db = read_datasets(b), dc = read_datasets(c);
  ASSERT_FALSE(da.empty());
  EXPECT_EQ(da, db);
  EXPECT_NE(da.at("requests"), dc.at("requests"));
}

// The coupled plant too (power limits, the power tree, the cooling networks, thermal
// crossings, control ticks): the default scenario twice gives the same bytes.
TEST_F(RunFixture, CoupledPlantRunsAreByteIdentical) {
  const fs::path a = dir / "da.h5", b = dir / "db.h5";
  ASSERT_EQ(test::run_cli("run scenarios/default.yaml -o " + a.string()).exit_code, 0);
  ASSERT_EQ(test::run_cli("run scenarios/default.yaml -o " + b.string()).exit_code, 0);
  const auto da = read_datasets(a), db = read_datasets(b);
  ASSERT_TRUE(da.count("timeseries/replica[0].junction_temperature/value"));
  ASSERT_TRUE(da.count("timeseries/power.ups.loss/value"));
  EXPECT_EQ(da, db);
}

TEST_F(RunFixture, ResultsHaveTheFourGroupsAndTheReportRanksWalls) {
  const fs::path f = dir / "r.h5";
  const auto r = test::run_cli("run tests/fixtures/scenarios/poisson_small.yaml -o " + f.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("rank  resource"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("replica[1].saturation"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("(FIRST WALL|NO WALL HIT)"));
  const auto d = read_datasets(f);
  for (const char* name : {"summary", "walls", "requests", "timeseries/slo.ttft.utilization/time_s",
                           "timeseries/replica[0].saturation.utilization/value",
                           "timeseries/replica[0].clock_ratio/value"}) {
    EXPECT_TRUE(d.count(name)) << name;
  }
  // No temporary file is left next to the result.
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "r.h5");
}

TEST_F(RunFixture, PythonReadsTheResultsIntoPandas) {
  if (std::system("/usr/bin/python3 -c 'import h5py, pandas' 2>/dev/null") != 0)
    GTEST_SKIP() << "no h5py/pandas";
  const fs::path f = dir / "p.h5";
  ASSERT_EQ(
      test::run_cli("run tests/fixtures/scenarios/poisson_small.yaml -o " + f.string()).exit_code,
      0);
  const std::string cmd =
      "/usr/bin/python3 -B -c \"import h5py, pandas as pd; f = h5py.File('" + f.string() +
      "'); w = pd.DataFrame(f['walls'][()]); s = pd.DataFrame(f['summary'][()]); "
      "r = pd.DataFrame(f['requests'][()]); "
      "assert len(w) == 6 and 'peak_utilization' in w and len(s) == 1 and len(r) > 300; "
      "assert f.attrs['seed'] == 7 and 'plant:' in f.attrs['scenario_yaml']\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
