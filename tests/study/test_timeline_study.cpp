// The timeline study (scenarios/studies/timeline.yaml, issue 10 §7): the study files load as
// zip studies over the years with the year's server and a request rate that grows with its
// peak FLOP/s, and a short version of two years runs, names a first (or nearest) wall per
// point, and is reported as a table and a wall map by tools/studies/timeline.py.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../tools/cli_runner.hpp"
#include "h5_read.hpp"
#include "models/study/study.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kStudies = std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/studies";

models::study::Study read(const std::string& name) {
  models::study::StudyArgs a;
  a.file = kStudies + "/" + name;
  return models::study::read_study(a);
}

const models::study::Axis& axis(const models::study::Study& s, const std::string& path) {
  for (const auto& a : s.axes) {
    if (a.path == path) return a;
  }
  throw std::runtime_error("no axis " + path);
}

TEST(TimelineStudy, ZipOverTheYearsWithTheCatalogsServers) {
  const auto s = read("timeline.yaml");
  EXPECT_EQ(s.mode, models::study::Mode::zip);
  // 2022-2030, one site then spilling to far sites.
  ASSERT_EQ(s.points.size(), 18u);
  const auto& server = axis(s, "plant.server").values;
  const std::vector<std::string> expected{"dgx-a100",      "dgx-h100",      "hgx-h200",
                                          "dgx-b200",      "proj-hgx-2026", "proj-hgx-2027",
                                          "proj-hgx-2028", "proj-hgx-2029", "proj-hgx-2030"};
  for (std::size_t i = 0; i < 18; ++i) EXPECT_EQ(server[i].text, expected[i % 9]) << i;
  // The operator buys GPUs by peak FLOP/s: a slice's rate grows with the GPU's bf16 peak
  // (gpus.yaml: A100 312, H100 989.4, H200 989.5, B200 2,250 TFLOP/s).
  const auto& rate = axis(s, "workload.arrivals.rate");
  EXPECT_EQ(rate.unit, "/s");
  const double r0 = *rate.values[0].number;
  EXPECT_NEAR(*rate.values[1].number, r0 * 989.4 / 312, 1e-9 * r0);
  EXPECT_NEAR(*rate.values[2].number, r0 * 989.5 / 312, 1e-9 * r0);
  EXPECT_NEAR(*rate.values[3].number, r0 * 2250 / 312, 1e-9 * r0);
  // One site: users at the site; the spilled 2030 load reaches the antipode (pi x 6,371 km).
  // (Lengths are not among the sweep's numeric axis units: the values are read as text.)
  const auto& distance = axis(s, "workload.users.distance");
  EXPECT_EQ(distance.values[8].text, "0 km");
  EXPECT_NEAR(std::stod(distance.values[17].text), 3.14159265358979 * 6371, 1e-6);
  EXPECT_EQ(distance.values[17].text.substr(distance.values[17].text.size() - 3), " km");
}

class TimelineShort : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("firstwall_timeline_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

// 2022 and 2023 on one site, 5 s of traffic each: the study's own first two points.
TEST_F(TimelineShort, TwoYearsRunAndNameTheirWalls) {
  const auto s = read("timeline.yaml");
  std::ofstream study(dir / "short.yaml");
  study << "base: " << kStudies << "/timeline_base.yaml\nmode: zip\naxes:\n";
  for (const auto& a : s.axes) {
    study << "  " << a.path << ": [\"" << a.values[0].text << "\", \"" << a.values[1].text
          << "\"]\n";
  }
  study << "  simulation.duration: [5 s, 5 s]\n  simulation.drain: [5 s, 5 s]\n";
  study.close();
  const auto r =
      test::run_cli("sweep short.yaml --keep-runs -j 2 -o '" + (dir / "t.h5").string() + "'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const test::Table t(dir / "t.h5", "/points");
  ASSERT_EQ(t.rows(), 2u);
  const auto status = t.strings("status");
  const auto first = t.strings("first_wall");
  const auto kind = t.strings("first_wall_kind");
  const auto nearest = t.strings("nearest_wall");
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(status[i], "ok") << i;
    EXPECT_FALSE(first[i].empty() && nearest[i].empty()) << "point " << i << " names no wall";
  }
  // 2023: the slice's share of a grid that did not grow (5.4 MW for a hall of 35,000 H100s
  // at 27.4x 2022's demand) is below what its four DGX H100s draw idle (4 x 2.58 kW DC), so
  // a power wall is hit and is the first wall.
  const double grid = t.doubles("plant.power.grid_capacity")[1];
  EXPECT_LT(grid, 4 * 2.58e3);
  EXPECT_EQ(kind[1], "power") << first[1];

  if (test::run_command("/usr/bin/python3 -c 'import yaml, h5py, pandas, matplotlib'", dir)
          .exit_code != 0)
    GTEST_SKIP() << "python3 with yaml, h5py, pandas and matplotlib is not installed";
  const auto rep = test::run_command("/usr/bin/python3 '" + std::string(FIRSTWALL_SOURCE_DIR) +
                                         "/tools/studies/timeline.py' report t.h5 t.h5 "
                                         "--png map.png --md table.md",
                                     dir);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string md = test::slurp(dir / "table.md");
  EXPECT_NE(md.find("| 2022 | a100-sxm-80gb |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 2023 | h100-sxm |"), std::string::npos) << md;
  EXPECT_NE(md.find("power: `"), std::string::npos) << md;
  const std::string png = test::slurp(dir / "map.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
