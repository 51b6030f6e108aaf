// Studies: point sets per mode (grid order, zip, random, Latin hypercube strata), per-point
// seeds, the study YAML, and the exact messages that reject a bad study before it runs.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/study/study.hpp"
#include "sim/random.hpp"

namespace {

namespace fs = std::filesystem;
using models::study::Mode;
using models::study::Study;
using models::study::StudyArgs;

const std::string kMinimal = std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/minimal.yaml";

StudyArgs flags(std::vector<std::string> axes) {
  StudyArgs a;
  a.file = kMinimal;
  a.axes = std::move(axes);
  return a;
}

// The messages of a study read_study rejects (one per line).
std::string rejection(const StudyArgs& args) {
  try {
    (void)models::study::read_study(args);
  } catch (const sim::config::InputError& e) {
    std::string out;
    for (const auto& d : e.diagnostics()) out += d.str() + "\n";
    return out;
  }
  ADD_FAILURE() << "the study was accepted";
  return "";
}

std::vector<std::string> column(const Study& s, std::size_t axis) {
  std::vector<std::string> out;
  for (const auto& p : s.points) out.push_back(p.values[axis].text);
  return out;
}

class TempDir {
 public:
  TempDir() : dir_(fs::temp_directory_path() / ("firstwall_study_" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

 private:
  fs::path dir_;
};

TEST(Study, GridIsRowMajorLastAxisFastest) {
  const Study s = models::study::read_study(
      flags({"workload.arrivals.rate=2 /s,4 /s,8 /s", "workload.max_batch_requests=16,64"}));
  EXPECT_EQ(s.mode, Mode::grid);
  ASSERT_EQ(s.points.size(), 6u);
  EXPECT_EQ(column(s, 0),
            (std::vector<std::string>{"2 /s", "2 /s", "4 /s", "4 /s", "8 /s", "8 /s"}));
  EXPECT_EQ(column(s, 1), (std::vector<std::string>{"16", "64", "16", "64", "16", "64"}));
  for (std::size_t i = 0; i < s.points.size(); ++i) EXPECT_EQ(s.points[i].id, std::int64_t(i));
}

TEST(Study, ZipPairsValuesInOrder) {
  StudyArgs a =
      flags({"workload.arrivals.rate=1 /s:3 /s:3", "workload.max_batch_requests=8,16,32"});
  a.mode = "zip";
  const Study s = models::study::read_study(a);
  ASSERT_EQ(s.points.size(), 3u);
  EXPECT_EQ(column(s, 0), (std::vector<std::string>{"1 /s", "2 /s", "3 /s"}));
  EXPECT_EQ(column(s, 1), (std::vector<std::string>{"8", "16", "32"}));
}

TEST(Study, RandomDrawsWithinTheRangeAndRepeatsWithTheSeed) {
  StudyArgs a =
      flags({"workload.arrivals.rate=log:1 /s:64 /s", "workload.max_batch_requests=8,16"});
  a.mode = "random";
  a.n = 40;
  a.seed = 11;
  const Study s = models::study::read_study(a);
  ASSERT_EQ(s.points.size(), 40u);
  std::set<std::string> lists;
  for (const auto& p : s.points) {
    ASSERT_TRUE(p.values[0].number.has_value());
    EXPECT_GE(*p.values[0].number, 1.0);
    EXPECT_LE(*p.values[0].number, 64.0);
    lists.insert(p.values[1].text);
  }
  EXPECT_EQ(lists, (std::set<std::string>{"8", "16"}));
  EXPECT_EQ(column(models::study::read_study(a), 0), column(s, 0));
  a.seed = 12;
  EXPECT_NE(column(models::study::read_study(a), 0), column(s, 0));
}

TEST(Study, LatinHypercubeHasOnePointPerStratumOnEveryAxis) {
  constexpr int n = 13;
  StudyArgs a = flags({"workload.arrivals.rate=1 /s:14 /s", "simulation.duration=2 s:28 s",
                       "workload.max_batch_tokens=log:512:65536"});
  a.mode = "lhs";
  a.n = n;
  const Study s = models::study::read_study(a);
  ASSERT_EQ(s.points.size(), std::size_t(n));
  const double from[3] = {1, 2, 512}, to[3] = {14, 28, 65536};
  for (std::size_t axis = 0; axis < 3; ++axis) {
    std::vector<int> strata;
    for (const auto& p : s.points) {
      const double x = *p.values[axis].number;
      const double u = axis == 2 ? std::log(x / from[axis]) / std::log(to[axis] / from[axis])
                                 : (x - from[axis]) / (to[axis] - from[axis]);
      strata.push_back(static_cast<int>(std::floor(u * n)));
    }
    std::sort(strata.begin(), strata.end());
    for (int i = 0; i < n; ++i) EXPECT_EQ(strata[i], i) << "axis " << axis;
  }
}

TEST(Study, EveryPointHasItsOwnSeedFromMasterAndId) {
  StudyArgs a = flags({"workload.arrivals.rate=1 /s,2 /s,3 /s,4 /s"});
  a.seed = 42;
  const Study s = models::study::read_study(a);
  std::set<std::uint64_t> seeds;
  for (const auto& p : s.points) {
    std::uint64_t state = 42 ^ static_cast<std::uint64_t>(p.id);
    EXPECT_EQ(p.seed, sim::splitmix64(state) >> 2);
    EXPECT_LT(p.seed, std::uint64_t(1) << 62);  // within the scenario's seed bounds
    seeds.insert(p.seed);
  }
  EXPECT_EQ(seeds.size(), s.points.size());
  // The master seed defaults to the base scenario's (minimal.yaml has none: 0).
  EXPECT_EQ(models::study::read_study(flags({"workload.arrivals.rate=1 /s"})).seed, 0u);
  // The point's tree carries its seed and values.
  sim::config::Diagnostics d;
  const auto tree = models::study::point_tree(s, s.points[2], d);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(tree.find("seed")->scalar(), std::to_string(s.points[2].seed));
  EXPECT_EQ(tree.find("workload")->find("arrivals")->find("rate")->scalar(), "3 /s");
}

TEST(Study, StudyFileWithListsAndItsResolvedText) {
  TempDir tmp;
  const fs::path file = tmp.write("study.yaml", "base: " + kMinimal +
                                                    "\nmode: grid\nseed: 5\naxes:\n"
                                                    "  workload.arrivals.rate: 2 /s:6 /s:3\n"
                                                    "  workload.max_batch_requests: [16, 32]\n");
  StudyArgs a;
  a.file = file.string();
  a.axes = {"simulation.duration=5 s"};
  const Study s = models::study::read_study(a);
  EXPECT_EQ(s.points.size(), 6u);
  EXPECT_EQ(s.seed, 5u);
  EXPECT_EQ(s.base_file, kMinimal);
  EXPECT_EQ(s.study_yaml, "base: " + kMinimal +
                              "\nmode: grid\nseed: 5\naxes:\n"
                              "  workload.arrivals.rate: 2 /s:6 /s:3\n"
                              "  workload.max_batch_requests:\n    - 16\n    - 32\n"
                              "  simulation.duration: 5 s\n");
}

TEST(Study, UnknownPathIsRejectedAtTheFlag) {
  EXPECT_EQ(rejection(flags({"workload.arrivals.rte=2 /s,4 /s"})),
            "--axis:1:1: workload.arrivals.rte: unknown key \"rte\" (did you mean \"rate\"?)\n");
  EXPECT_EQ(rejection(flags({"workload.model.name=x"})),
            "--axis:1:1: workload.model.name: not a scenario path: \"workload.model\" is a scalar "
            "in the base scenario\n");
}

TEST(Study, UnitThatDoesNotFitIsRejected) {
  const std::string msg =
      rejection(flags({"workload.arrivals.rate=2 /s", "simulation.duration=2 W,3 W"}));
  EXPECT_EQ(msg.rfind("--axis:2:1: simulation.duration: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("\"2 W\""), std::string::npos) << msg;
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 2) << msg;  // one per value
  // A quantity path needs its unit.
  const std::string bare = rejection(flags({"workload.arrivals.rate=2,4"}));
  EXPECT_EQ(bare.rfind("--axis:1:1: workload.arrivals.rate: ", 0), 0u) << bare;
}

TEST(Study, ModeAndCountErrors) {
  StudyArgs a = flags({"workload.arrivals.rate=1 /s:4 /s:4"});
  a.mode = "diagonal";
  EXPECT_EQ(rejection(a),
            "--mode: mode: must be one of: grid, zip, random, lhs (got \"diagonal\")\n");
  a.mode = "lhs";
  EXPECT_EQ(rejection(a),
            "--axis:1:1: workload.arrivals.rate: a range takes no count in lhs mode (n sets the "
            "number of points): write from:to\n"
            "--mode: n: lhs mode needs the number of points (-n N, or n: in a study file)\n");
  EXPECT_EQ(rejection(flags({"workload.arrivals.rate=1 /s:4 /s"})),
            "--axis:1:1: workload.arrivals.rate: a range needs a count in grid mode: "
            "from:to:count\n");
  a = flags({"workload.arrivals.rate=1 /s,2 /s", "workload.max_batch_requests=8,16,32"});
  a.mode = "zip";
  EXPECT_EQ(rejection(a),
            "--axis:2:1: workload.max_batch_requests: zip mode needs as many values on every "
            "axis: this one has 3, workload.arrivals.rate has 2\n");
  EXPECT_EQ(rejection(flags({})),
            kMinimal + ": no axes: give --axis PATH=VALUES, or axes: in a study file with base:\n");
  EXPECT_EQ(rejection(flags({"rate 4"})),
            "--axis:1:1: --axis expects PATH=VALUES (got \"rate 4\")\n");
  EXPECT_EQ(rejection(flags({"workload.arrivals.rate=1 /s", "workload.arrivals.rate=2 /s"})),
            "--axis:2:1: workload.arrivals.rate: axis given twice (first at --axis:1:1)\n");
}

TEST(Study, StudyFileErrorsAreLocated) {
  TempDir tmp;
  const fs::path file = tmp.write("bad.yaml", "base: " + kMinimal +
                                                  "\nmode: lhs\nn: 0\naxes:\n"
                                                  "  workload.arrivals.rate: 5 /s:5 /s\n"
                                                  "  workload.max_batch_requests: []\n"
                                                  "mdoe: grid\n");
  StudyArgs a;
  a.file = file.string();
  const std::string f = file.string();
  EXPECT_EQ(rejection(a), f + ":3:4: n: must be >= 1 (got \"0\")\n" + f +
                              ":5:27: workload.arrivals.rate: empty range: from and to are equal "
                              "(\"5 /s:5 /s\")\n" +
                              f +
                              ":6:32: workload.max_batch_requests: no values (the list is "
                              "empty)\n" +
                              f + ":7:1: mdoe: unknown key \"mdoe\" (did you mean \"mode\"?)\n");
  // A unit that does not fit, located at the list item in the study file.
  const fs::path unit = tmp.write(
      "unit.yaml", "base: " + kMinimal + "\naxes:\n  workload.arrivals.rate: [2 /s, 1 W]\n");
  a.file = unit.string();
  EXPECT_EQ(rejection(a),
            unit.string() +
                ":3:34: workload.arrivals.rate: expected a frequency or rate (e.g. \"10 /s\"), "
                "got a power \"1 W\"\n");
  // A name the catalog does not have, with the loader's suggestion.
  EXPECT_EQ(rejection(flags({"workload.model=llama-3-8,llama-3-70b"})),
            "--axis:1:1: workload.model: unknown model \"llama-3-8\" (did you mean "
            "\"llama-3-8b\"?)\n");
}

TEST(Study, MissingBaseIsSaidAtItsLine) {
  TempDir tmp;
  const fs::path file =
      tmp.write("s.yaml", "axes:\n  workload.replicas: [1, 2]\nmode: zipp\nbase: nowhere.yaml\n");
  StudyArgs a;
  a.file = file.string();
  const std::string f = file.string();
  EXPECT_EQ(rejection(a), f +
                              ":3:7: mode: must be one of: grid, zip, random, lhs (got \"zipp\") "
                              "\u2014 did you mean \"zip\"?\n" +
                              f + ":4:7: base: no scenario file \"" +
                              (file.parent_path() / "nowhere.yaml").string() +
                              "\" (the path is relative to the study file)\n");
}

TEST(Study, ValuesOutOfBoundsOrInfeasibleAreThePointsFailures) {
  // A bound, or more replicas than the plant's 8 GPUs hold: well-formed values whose points
  // fail with the loader's message when they run, not a bad study.
  EXPECT_EQ(models::study::read_study(flags({"workload.arrivals.rate=2 /s,-1 /s"})).points.size(),
            2u);
  EXPECT_EQ(models::study::read_study(flags({"workload.replicas=1:16:4"})).points.size(), 4u);
}

TEST(Study, KeyOfAnotherKindIsFineWhenAnotherAxisSelectsIt) {
  // A key that exists only for one
  // choice of another axis is accepted when some point makes it valid. Here: `path` exists
  // under arrivals only when process is trace (an unknown key with poisson).
  const std::string msg = rejection(flags({"workload.arrivals.path=x.csv"}));
  EXPECT_EQ(msg.rfind("--axis:1:1: workload.arrivals.path: unknown key", 0), 0u) << msg;
  const Study s = models::study::read_study(
      flags({"workload.arrivals.process=trace,poisson", "workload.arrivals.path=x.csv"}));
  EXPECT_EQ(s.points.size(), 2u);
}

// Inputs the fuzzer found (tools/fuzz/; each fixture says what it did): now rejected
// quickly, with these messages.
TEST(Study, FuzzFindingsAreRejectedWithTheirMessages) {
  const std::string dir = std::string(FIRSTWALL_FIXTURES_DIR) + "/fuzz/";
  StudyArgs count;
  count.file = dir + "range_count_too_large.yaml";
  EXPECT_EQ(rejection(count), count.file +
                                  ":5:27: workload.arrivals.rate: count of a range must be <= "
                                  "100000 (got \"9999999\")\n");
  StudyArgs unit;
  unit.file = dir + "long_unknown_unit.yaml";
  const std::string junk(181, 'b');
  EXPECT_EQ(rejection(unit), unit.file + ":6:27: workload.arrivals.rate: unknown unit \"" + junk +
                                 "\" in \"2 " + junk + "\"\n");
}

}  // namespace
