// `firstwall walls`: each found value is checked by independent runs (hit at the value, not
// hit at the bracket's lower end, with the same seed), the bracket is within the tolerance,
// the ranking is by value, threads do not change the result, and bad input is exit 2.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "../tools/cli_runner.hpp"
#include "h5_read.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/study/walls.hpp"

namespace {

namespace fs = std::filesystem;
using models::study::WallFound;

const std::string kMinimal = std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/minimal.yaml";

models::study::WallSearchArgs rate_search() {
  models::study::WallSearchArgs a;
  a.scenario = kMinimal;
  a.path = "workload.arrivals.rate";
  a.from = "1 /s";
  a.to = "200 /s";
  a.log = true;
  a.tolerance = 0.02;
  a.jobs = 2;
  return a;
}

// Whether `wall` is hit when the scenario runs at `rate` (in /s) with `seed`.
bool hit_at(const std::string& wall, double rate, std::uint64_t seed) {
  models::LoadOptions o;
  o.overrides = {"workload.arrivals.rate=" + models::study::format_number(rate) + " /s"};
  o.seed = seed;
  const models::RunResult r = models::run_scenario(models::load_scenario(kMinimal, o));
  for (const auto& w : r.walls) {
    if (w.name == wall) return w.first_hit.has_value();
  }
  ADD_FAILURE() << "no resource " << wall;
  return false;
}

TEST(Walls, FoundValuesAreCheckedByIndependentRuns) {
  const auto args = rate_search();
  const models::study::WallSearch s = models::study::search_walls(args);
  int found = 0;
  double previous = 0;
  for (const WallFound& w : s.walls) {
    if (w.status != WallFound::Status::hit) continue;
    ++found;
    EXPECT_EQ(w.rank, found);
    EXPECT_GE(w.value, previous) << "ranked by value";
    previous = w.value;
    ASSERT_TRUE(w.below.has_value());
    EXPECT_LT(*w.below, w.value);
    EXPECT_LE(w.value - *w.below, args.tolerance * w.value) << w.name;
    EXPECT_TRUE(hit_at(w.name, w.value, s.study.seed)) << w.name << " at " << w.value;
    EXPECT_FALSE(hit_at(w.name, *w.below, s.study.seed)) << w.name << " at " << *w.below;
  }
  EXPECT_GE(found, 1);
  // A wall reported not within range is not hit at the range's end.
  for (const WallFound& w : s.walls) {
    if (w.status == WallFound::Status::not_within_range) {
      EXPECT_EQ(w.rank, 0);
      EXPECT_FALSE(hit_at(w.name, 200, s.study.seed)) << w.name;
    }
  }
  // The report names the first wall with its value.
  const std::string report = models::study::wall_report(s, args);
  const WallFound& first = s.walls.front();
  EXPECT_NE(report.find("first wall: " + first.name + " at "), std::string::npos) << report;
}

TEST(Walls, HitAtTheStartIsSaidSo) {
  auto args = rate_search();
  args.from = "170 /s";
  args.to = "400 /s";
  const models::study::WallSearch s = models::study::search_walls(args);
  const auto it = std::find_if(s.walls.begin(), s.walls.end(), [](const WallFound& w) {
    return w.name == "replica[0].saturation";
  });
  ASSERT_NE(it, s.walls.end());
  EXPECT_EQ(it->status, WallFound::Status::hit_at_start);
  EXPECT_EQ(it->value, 170.0);
  EXPECT_TRUE(hit_at(it->name, 170, s.study.seed));
}

class WallsCli : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("firstwall_walls_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(WallsCli, ThreadsDoNotChangeTheResult) {
  const std::string common = "walls '" + kMinimal +
                             "' --axis workload.arrivals.rate --from '1 /s' --to '200 /s' --log "
                             "--tolerance 2%";
  const auto r1 = test::run_cli(common + " -j1 -o '" + (dir / "w1.h5").string() + "'");
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const auto r2 = test::run_cli(common + " -j2 -o '" + (dir / "w2.h5").string() + "'");
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  const auto bytes = test::dataset_bytes(dir / "w1.h5");
  EXPECT_EQ(bytes.count("walls"), 1u);
  EXPECT_EQ(bytes.count("evaluations"), 1u);
  EXPECT_EQ(bytes, test::dataset_bytes(dir / "w2.h5"));
  EXPECT_EQ(r1.out.substr(0, r1.out.rfind("results:")), r2.out.substr(0, r2.out.rfind("results:")));
  const test::Table t(dir / "w1.h5", "/walls");
  EXPECT_EQ(t.attribute("value"), "/s");
  EXPECT_EQ(t.ints("rank").front(), 1);
}

TEST_F(WallsCli, PlotOfTheSearch) {
  if (test::run_command("/usr/bin/python3 -c 'import h5py, pandas, matplotlib'", dir).exit_code !=
      0)
    GTEST_SKIP() << "python3 with h5py, pandas and matplotlib is not installed";
  const auto r = test::run_cli("walls '" + kMinimal +
                               "' --axis workload.arrivals.rate --from '1 /s' --to '200 /s' --log "
                               "--tolerance 5% -o '" +
                               (dir / "w.h5").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto plot = test::run_command("/usr/bin/python3 '" + std::string(FIRSTWALL_SOURCE_DIR) +
                                          "/tools/analysis/plot_walls.py' w.h5 -o w.png",
                                      dir);
  ASSERT_EQ(plot.exit_code, 0) << plot.err;
  const std::string png = test::slurp(dir / "w.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST_F(WallsCli, BadInputIsExit2AndWritesNothing) {
  const std::string base = "walls '" + kMinimal + "' --axis workload.arrivals.rate ";
  const std::string out = " -o '" + (dir / "w.h5").string() + "'";
  auto r = test::run_cli(base + "--from '1 /s' --to '2 W'" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.err,
      "--axis:1:1: workload.arrivals.rate: from \"1 /s\" and to \"2 W\" have different units\n");
  r = test::run_cli(base + "--from '1 /s' --to '2 /s' --tolerance 0%" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "--tolerance: must be > 0 % and < 100 % (got 0 %)\n");
  r = test::run_cli("walls '" + kMinimal +
                    "' --axis workload.arrivals.rat --from '1 /s' --to '2 /s'" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "--axis:1:1: workload.arrivals.rat: unknown key \"rat\" (did you mean \"rate\"?)\n");
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
