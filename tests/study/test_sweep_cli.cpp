// `firstwall sweep` end to end: -j1 and -j3 give byte-identical datasets, a sweep killed
// with SIGKILL and resumed equals an uninterrupted one, a failing point is recorded and
// counted (exit 1), a bad study writes nothing (exit 2), and --keep-runs stores each run.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../tools/cli_runner.hpp"
#include "h5_read.hpp"
#include "sweep_test_support.hpp"

namespace {

namespace fs = std::filesystem;

using test::journal_records;
using test::stable_attributes;
const std::string& kMinimal = test::kMinimalScenario;
const std::string& kAxes = test::kSixPointAxes;

class SweepCli : public test::ScratchDir {
 protected:
  SweepCli() : ScratchDir("firstwall_sweep") {}
};

TEST_F(SweepCli, OneThreadAndThreeThreadsGiveIdenticalBytes) {
  const auto r1 =
      test::run_cli("sweep '" + kMinimal + "' " + kAxes + " -j1 -o '" + out("j1.h5") + "'");
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r1.out,
            "sweep: 6 points (6 run, 0 resumed), 0 failed\nresults: " + out("j1.h5") + "\n");
  EXPECT_EQ(r1.err, "");  // no progress line when stderr is not a terminal
  const auto r3 =
      test::run_cli("sweep '" + kMinimal + "' " + kAxes + " -j 3 -o '" + out("j3.h5") + "'");
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  const auto bytes = test::dataset_bytes(out("j1.h5"));
  ASSERT_EQ(bytes.count("points"), 1u);
  EXPECT_EQ(bytes, test::dataset_bytes(out("j3.h5")));
  EXPECT_EQ(stable_attributes(out("j1.h5")), stable_attributes(out("j3.h5")));
  // The journal is gone once the file is in place.
  EXPECT_FALSE(fs::exists(out("j1.h5") + ".journal"));

  // The table: one row per point, axis values with their units, the runs' metrics.
  const test::Table t(out("j1.h5"), "/points");
  ASSERT_EQ(t.rows(), 6u);
  EXPECT_EQ(t.ints("point"), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(t.doubles("workload.arrivals.rate"), (std::vector<double>{2, 2, 4, 4, 8, 8}));
  EXPECT_EQ(t.attribute("workload.arrivals.rate"), "/s");
  EXPECT_EQ(t.doubles("workload.max_batch_requests"),
            (std::vector<double>{16, 64, 16, 64, 16, 64}));
  EXPECT_EQ(t.attribute("workload.max_batch_requests"), "<none>");
  EXPECT_EQ(t.attribute("axes"),
            "workload.arrivals.rate,workload.max_batch_requests,simulation.duration");
  EXPECT_EQ(t.strings("status"), std::vector<std::string>(6, "ok"));
  EXPECT_EQ(t.strings("error"), std::vector<std::string>(6, ""));
  for (double s : t.doubles("simulated_time")) EXPECT_GE(s, 4.0);
  EXPECT_EQ(t.attribute("simulated_time"), "s");
  EXPECT_TRUE(t.has("first_wall") && t.has("first_wall_kind") && t.has("first_wall_time"));
  // More load, more tokens: the metrics are each point's own run.
  const auto tokens = t.doubles("output_tokens");
  EXPECT_LT(tokens[0], tokens[4]);
  const auto attrs = stable_attributes(out("j1.h5"));
  EXPECT_EQ(attrs.at("seed"), "3");
  EXPECT_EQ(attrs.at("mode"), "grid");
  EXPECT_EQ(attrs.at("points"), "6");
  EXPECT_EQ(attrs.at("failed"), "0");
  EXPECT_NE(attrs.at("study_yaml").find("workload.arrivals.rate: 2 /s,4 /s,8 /s"),
            std::string::npos);
  EXPECT_NE(attrs.at("base_scenario_yaml").find("llama-3-8b"), std::string::npos);
}

TEST_F(SweepCli, ResumeAfterSigkillEqualsAnUninterruptedSweep) {
  // Twelve longer points at -j1 so that the kill lands between points.
  const std::string axes =
      "--axis 'workload.arrivals.rate=2 /s,3 /s,4 /s,5 /s,6 /s,7 /s' "
      "--axis 'workload.max_batch_requests=16,64' --axis 'simulation.duration=20 s' --seed 9";
  const auto whole =
      test::run_cli("sweep '" + kMinimal + "' " + axes + " -j2 -o '" + out("whole.h5") + "'");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  const std::string killed = out("killed.h5");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string cmd = "exec '" + std::string(FIRSTWALL_CLI) + "' sweep '" + kMinimal + "' " +
                            axes + " -j1 -o '" + killed + "'";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill once three points are committed (polling the journal the sweep appends to).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (journal_records(killed + ".journal") < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep ended before it was killed";
  ASSERT_FALSE(fs::exists(killed));
  const std::size_t committed = journal_records(killed + ".journal");
  ASSERT_GE(committed, 3u);
  ASSERT_LT(committed, 12u);

  // Without --resume the journal is not overwritten.
  const auto again = test::run_cli("sweep '" + kMinimal + "' " + axes + " -o '" + killed + "'");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err, killed +
                           ".journal: an interrupted sweep left this journal: pass --resume to "
                           "continue it, or remove it to start over\n");

  const auto resumed =
      test::run_cli("sweep '" + kMinimal + "' " + axes + " -j2 --resume -o '" + killed + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.out, "sweep: 12 points (" + std::to_string(12 - committed) + " run, " +
                             std::to_string(committed) + " resumed), 0 failed\nresults: " + killed +
                             "\n");
  EXPECT_EQ(test::dataset_bytes(killed), test::dataset_bytes(out("whole.h5")));
  EXPECT_EQ(stable_attributes(killed), stable_attributes(out("whole.h5")));
  EXPECT_FALSE(fs::exists(killed + ".journal"));
}

TEST_F(SweepCli, FailingPointIsRecordedAndCounted) {
  // llama-3-70b's weights (140 GB in bf16) do not fit one 80 GB H100: that point fails when
  // its scenario is read; the sweep goes on.
  const auto r = test::run_cli("sweep '" + kMinimal +
                               "' --axis 'workload.model=llama-3-8b,llama-3-70b' "
                               "--axis 'simulation.duration=2 s' -o '" +
                               out("f.h5") + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "sweep: 2 points (2 run, 0 resumed), 1 failed\nresults: " + out("f.h5") + "\n");
  const std::string prefix = "point 1 failed: " + kMinimal;
  EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << r.err;
  EXPECT_NE(r.err.find("workload.tensor_parallel: the bf16 weights of llama-3-70b"),
            std::string::npos)
      << r.err;
  const test::Table t(out("f.h5"), "/points");
  EXPECT_EQ(t.strings("workload.model"), (std::vector<std::string>{"llama-3-8b", "llama-3-70b"}));
  EXPECT_EQ(t.strings("status"), (std::vector<std::string>{"ok", "failed"}));
  const auto errors = t.strings("error");
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], r.err.substr(std::string("point 1 failed: ").size(),
                                    r.err.size() - std::string("point 1 failed: ").size() - 1));
  const auto tokens = t.doubles("output_tokens");
  EXPECT_GT(tokens[0], 0);
  EXPECT_TRUE(std::isnan(tokens[1]));
  EXPECT_EQ(test::root_attributes(out("f.h5")).at("failed"), "1");
}

TEST_F(SweepCli, BadStudyWritesNothing) {
  const auto r = test::run_cli("sweep '" + kMinimal +
                               "' --axis 'workload.arrivals.rate=2 /s,4 /s' "
                               "--axis 'workload.arivals.process=poisson' -o '" +
                               out("bad.h5") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "--axis:2:1: workload.arivals: unknown key \"arivals\" (did you mean \"arrivals\"?)\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::is_empty(dir));
  // Points that fail for a bound are recorded, located at the axis.
  const auto bound = test::run_cli("sweep '" + kMinimal +
                                   "' --axis 'workload.arrivals.rate=-1 /s,2 /s' "
                                   "--axis 'simulation.duration=2 s' -o '" +
                                   out("b.h5") + "'");
  EXPECT_EQ(bound.exit_code, 1);
  EXPECT_EQ(bound.err,
            "point 0 failed: --axis:1:1: workload.arrivals.rate: must be > 0 (got \"-1 /s\")\n");
  fs::remove(out("b.h5"));
  const auto lhs = test::run_cli("sweep '" + kMinimal +
                                 "' --axis 'workload.arrivals.rate=2 /s:1 W' --mode lhs -n 4 -o '" +
                                 out("bad.h5") + "'");
  EXPECT_EQ(lhs.exit_code, 2);
  EXPECT_EQ(lhs.err,
            "--axis:1:1: workload.arrivals.rate: from \"2 /s\" and to \"1 W\" have different "
            "units\n");
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(SweepCli, KeepRunsStoresEachPointsResults) {
  const auto r = test::run_cli("sweep '" + kMinimal +
                               "' --axis 'workload.arrivals.rate=log:1 /s:4 /s' --mode random -n 2 "
                               "--axis 'simulation.duration=2 s' --keep-runs -o '" +
                               out("k.h5") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto bytes = test::dataset_bytes(out("k.h5"));
  EXPECT_EQ(bytes.count("runs/0/summary"), 1u);
  EXPECT_EQ(bytes.count("runs/1/walls"), 1u);
  EXPECT_EQ(bytes.count("runs/2/summary"), 0u);
  const test::Table points(out("k.h5"), "/points");
  const test::Table run1(out("k.h5"), "/runs/1/summary");
  EXPECT_EQ(run1.doubles("output_tokens").at(0), points.doubles("output_tokens").at(1));
  EXPECT_FALSE(fs::exists(out("k.h5") + ".runs"));
}

TEST_F(SweepCli, StudyFileWithItsBaseBesideIt) {
  // The base is found relative to the study file, whatever the working directory.
  std::ifstream in(kMinimal);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* c : {"llms", "gpus", "servers"}) {
    const std::string rel = std::string("../../../scenarios/catalog/") + c + ".yaml";
    text.replace(text.find(rel), rel.size(),
                 std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/catalog/" + c + ".yaml");
  }
  std::ofstream(dir / "base.yaml") << text;
  std::ofstream(dir / "study.yaml") << "base: base.yaml\nmode: lhs\nn: 3\nseed: 8\naxes:\n"
                                       "  workload.arrivals.rate: 2 /s:6 /s\n"
                                       "  simulation.duration: [2 s, 3 s]\n";
  const auto r =
      test::run_cli("sweep '" + (dir / "study.yaml").string() + "' -o '" + out("s.h5") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto attrs = test::root_attributes(out("s.h5"));
  EXPECT_EQ(attrs.at("study_yaml"), "base: " + (dir / "base.yaml").string() +
                                        "\nmode: lhs\nn: 3\nseed: 8\naxes:\n"
                                        "  workload.arrivals.rate: 2 /s:6 /s\n"
                                        "  simulation.duration:\n    - 2 s\n    - 3 s\n");
  EXPECT_EQ(attrs.at("base_scenario_file"), (dir / "base.yaml").string());
  const test::Table t(out("s.h5"), "/points");
  ASSERT_EQ(t.rows(), 3u);
  std::vector<int> strata;  // one point in each third of 2..6 /s
  for (double x : t.doubles("workload.arrivals.rate"))
    strata.push_back(static_cast<int>((x - 2) / 4 * 3));
  std::sort(strata.begin(), strata.end());
  EXPECT_EQ(strata, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(t.attribute("simulation.duration"), "s");
}

TEST_F(SweepCli, ParetoFrontAmongPointsThatHitNoWall) {
  const std::string common = "sweep '" + kMinimal +
                             "' --axis 'workload.arrivals.rate=log:1 /s:256 /s:9' "
                             "--axis 'workload.max_batch_requests=1,4,64' --axis "
                             "'simulation.duration=4 s' ";
  const auto r = test::run_cli(common +
                               "--pareto 'throughput_output_tokens:max,mean_facility_power:min' "
                               "-o '" +
                               out("p.h5") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The front, recomputed here from /points by its definition.
  const test::Table points(out("p.h5"), "/points");
  const auto tokens = points.doubles("throughput_output_tokens");
  const auto power = points.doubles("mean_facility_power");
  const auto wall = points.strings("first_wall");
  std::vector<std::int64_t> expected;
  std::size_t walled = 0;
  for (std::size_t i = 0; i < points.rows(); ++i) {
    if (!wall[i].empty()) {
      ++walled;
      continue;
    }
    bool dominated = false;
    for (std::size_t j = 0; j < points.rows(); ++j) {
      if (!wall[j].empty()) continue;
      if (tokens[j] >= tokens[i] && power[j] <= power[i] &&
          (tokens[j] > tokens[i] || power[j] < power[i]))
        dominated = true;
    }
    if (!dominated) expected.push_back(static_cast<std::int64_t>(i));
  }
  ASSERT_GT(walled, 0u) << "the grid should reach some wall";
  ASSERT_GT(expected.size(), 1u);
  const test::Table front(out("p.h5"), "/pareto");
  EXPECT_EQ(front.ints("point"), expected);
  EXPECT_EQ(front.attribute("throughput_output_tokens"), "tokens/s");
  EXPECT_EQ(front.attribute("objectives"), "throughput_output_tokens:max,mean_facility_power:min");

  const auto bad =
      test::run_cli(common + "--pareto 'throughput_output_token:max' -o '" + out("q.h5") + "'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "--pareto: unknown metric \"throughput_output_token\" (did you mean "
            "\"throughput_output_tokens\"?); the points run so far are in the journal: correct "
            "--pareto and add --resume\n");
  EXPECT_FALSE(fs::exists(out("q.h5")));
  // Corrected and resumed, it finishes.
  const auto fixed = test::run_cli(
      common + "--pareto 'throughput_output_tokens:max' --resume -o '" + out("q.h5") + "'");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_NE(fixed.out.find("resumed"), std::string::npos);
}

}  // namespace
