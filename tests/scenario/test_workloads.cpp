// Several workloads in one scenario (`workloads:`, models/scenario/workload_set.hpp, issue 9
// §2): located errors, the prefix on every name a workload registers, the tables under
// /workloads/<name>, the plant's energy as the sum of each workload's GPUs and the rest, the
// stretch a serving replica takes from another job on its spine, determinism, and list items
// in --set and sweep axis paths.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/study/study.hpp"
#include "models/workload/serving_workload.hpp"
#include "sim/config.hpp"
#include "tests/study/h5_read.hpp"
#include "tests/tools/cli_runner.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kFixtures = std::string(FIRSTWALL_FIXTURES_DIR) + "/";
const std::string kShared = kFixtures + "workloads/serving_and_transfers.yaml";

fs::path temp_dir() {
  const fs::path d =
      fs::temp_directory_path() / ("firstwall_workloads_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// The temporary folder goes when the tests end.
struct RemoveTempDir : ::testing::Environment {
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(temp_dir(), ignored);
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveTempDir =
    ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

models::RunResult run(const std::string& file, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::run_scenario(models::load_scenario(file, o));
}

// ------------------------------------------------------------------ located errors

// A scenario of two DGX H100 (16 GPUs) whose workload part is `tail`.
std::string scenario_text(const std::string& tail) {
  const std::string src = FIRSTWALL_SOURCE_DIR;
  return "include:\n"  // 1
         "  - " +
         src +
         "/scenarios/catalog/llms.yaml\n"  // 2
         "  - " +
         src +
         "/scenarios/catalog/gpus.yaml\n"  // 3
         "  - " +
         src +
         "/scenarios/catalog/servers.yaml\n"                    // 4
         "name: t\n"                                            // 5
         "simulation: {duration: 1 s}\n"                        // 6
         "plant:\n"                                             // 7
         "  server: dgx-h100\n"                                 // 8
         "  layout: {racks_per_row: 1, servers_per_rack: 2}\n"  // 9
         "  coupling: none\n"                                   // 10
         + tail;                                                // from 11
}

// One serving entry of `workloads:` (9 lines, `- name:` first).
std::string serving_item(const std::string& name, int replicas, int tp) {
  return "  - name: " + name +
         "\n"
         "    kind: serving\n"
         "    model: llama-3-8b\n"
         "    arrivals: {process: poisson, rate: 5 /s, prompt_tokens: {distribution: constant, "
         "value: 100}, output_tokens: {distribution: constant, value: 10}}\n"
         "    slo: {ttft: 1 s, tpot: 50 ms}\n"
         "    replicas: " +
         std::to_string(replicas) +
         "\n"
         "    tensor_parallel: " +
         std::to_string(tp) +
         "\n"
         "    max_batch_tokens: 2048\n"
         "    max_batch_requests: 64\n";
}

// Where errors_of() writes the scenario.
std::string scenario_file() {
  return (temp_dir() / "scenario.yaml").string();
}

// The diagnostics of loading `tail`, or {"OK"}.
std::vector<std::string> errors_of(const std::string& tail,
                                   std::vector<std::string> overrides = {}) {
  const std::string file = scenario_file();
  std::ofstream(file) << scenario_text(tail);
  try {
    models::LoadOptions o;
    o.overrides = std::move(overrides);
    (void)models::load_scenario(file, o);
  } catch (const sim::config::InputError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {"OK"};
}

TEST(WorkloadsErrors, WorkloadAndWorkloadsAreExclusive) {
  const std::string f = scenario_file();
  EXPECT_EQ(errors_of("workload: {kind: transfers, jobs: 1, servers_per_job: 2, bytes: 1 GB}\n"
                      "workloads:\n" +
                      serving_item("chat", 1, 8)),
            std::vector<std::string>{
                f + ":11:11: workload: give either workload (one workload) or workloads (a list "
                    "of named ones), not both"});
  // A --set meant for `workload:` on a scenario of `workloads:` is said where it was given.
  EXPECT_EQ(errors_of("workloads:\n" + serving_item("chat", 1, 8), {"workload.replicas=2"}),
            std::vector<std::string>{"--set:1:1: workload: give either workload (one workload) "
                                     "or workloads (a list of named ones), not both"});
  EXPECT_EQ(errors_of(""),
            std::vector<std::string>{f + ":1:1: workload: missing required key (or workloads: a "
                                         "list of named workload sections)"});
  EXPECT_EQ(errors_of("workloads: {kind: serving}\n"),
            std::vector<std::string>{f + ":11:12: workloads: must be a list of workload "
                                         "sections, each with a name and a kind (got a mapping)"});
  EXPECT_EQ(errors_of("workloads: []\n"),
            std::vector<std::string>{f + ":11:12: workloads: must list at least one workload"});
}

TEST(WorkloadsErrors, NamesAreIdentifiersAndUnique) {
  const std::string f = scenario_file();
  // Items start at lines 12, 21 and 30; a name's value is at column 11.
  EXPECT_EQ(errors_of("workloads:\n" + serving_item("Chat", 1, 4) + serving_item("chat", 1, 4) +
                      serving_item("chat", 1, 4)),
            (std::vector<std::string>{
                f + ":12:11: workloads[0].name: must match [a-z][a-z0-9_]* (got \"Chat\")",
                f + ":30:11: workloads[2].name: \"chat\" is already the name of workloads[1]"}));
  EXPECT_EQ(errors_of("workloads:\n  - {kind: transfers, jobs: 1, servers_per_job: 2, bytes: 1 "
                      "GB}\n"),
            std::vector<std::string>{f + ":12:5: workloads[0].name: missing required key"});
}

TEST(WorkloadsErrors, GpusThatDoNotFitTogetherSayWhatEachAsksFor) {
  const std::string f = scenario_file();
  // 8 GPUs, then 16: each fits the 16 GPUs alone, not both.
  EXPECT_EQ(errors_of("workloads:\n" + serving_item("chat", 1, 8) + serving_item("batch", 2, 8)),
            std::vector<std::string>{
                f + ":21:5: workloads[1]: the workloads do not fit the plant's 16 GPUs (2 servers "
                    "of 8) together: chat asks for 8 GPUs (1 group(s) of 8), batch asks for 16 "
                    "GPUs (2 group(s) of 8)"});
  // Whole servers: a transfer job of two servers after a replica that took half of one.
  EXPECT_EQ(errors_of("workloads:\n" + serving_item("chat", 1, 4) +
                      "  - {name: bulk, kind: transfers, jobs: 1, servers_per_job: 2, bytes: "
                      "1 GB}\n"),
            std::vector<std::string>{
                f + ":21:5: workloads[1]: the workloads do not fit the plant's 16 GPUs (2 servers "
                    "of 8) together: chat asks for 4 GPUs (1 group(s) of 4), bulk asks for 16 GPUs "
                    "(2 group(s) of 8)"});
  // Half a server and one and a half: they fit (4 + 3 x 4 = 16).
  EXPECT_EQ(errors_of("workloads:\n" + serving_item("chat", 1, 4) + serving_item("batch", 3, 4)),
            std::vector<std::string>{"OK"});
}

// A training entry without `gpus` takes what the earlier workloads left (16 GPUs less the 8 of
// the replica before it); one that asks for more says so with what each asks for.
std::string training_item(const std::string& parallel) {
  return "  - name: pretrain\n"
         "    kind: training\n"
         "    model: llama-3-8b\n"
         "    parallel: " +
         parallel +
         "\n"
         "    seq_len: 2048\n"
         "    global_batch: 8\n"
         "    micro_batch: 1\n"
         "    tokens: 1e9\n";
}

TEST(WorkloadsErrors, TrainingTakesTheGpusTheEarlierWorkloadsLeft) {
  const std::string f = scenario_file();
  std::ofstream(f) << scenario_text("workloads:\n" + serving_item("chat", 1, 8) +
                                    training_item("{tp: 8, pp: 1, dp: 1}"));
  const models::ScenarioSpec s = models::load_scenario(f);
  ASSERT_EQ(s.workloads.size(), 2u);
  const models::GpuRequest r = s.workloads[1].spec->gpus();
  EXPECT_EQ(r.count * r.size, 16 - 8);
  EXPECT_EQ(errors_of("workloads:\n" + serving_item("chat", 1, 8) +
                      training_item("{tp: 8, pp: 1, dp: 2}")),
            std::vector<std::string>{
                f + ":21:5: workloads[1]: the workloads do not fit the plant's 16 GPUs (2 servers "
                    "of 8) together: chat asks for 8 GPUs (1 group(s) of 8), pretrain asks for 16 "
                    "GPUs (2 group(s) of 8)"});
}

// ------------------------------------------------------------------ names

TEST(Workloads, EveryNameOfAWorkloadCarriesItsPrefix) {
  const models::RunResult r = run(kShared);
  const models::WorkloadSet* set = r.workload_set();
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->members().size(), 2u);
  EXPECT_EQ(set->members()[0].name, "chat");
  EXPECT_EQ(set->members()[1].name, "bulk");

  std::set<std::string> walls;
  for (const auto& w : r.walls) walls.insert(w.name);
  for (const char* w : {"chat.slo.ttft", "chat.slo.tpot", "chat.replica[0].saturation",
                        "chat.replica[0].hbm_capacity", "network.leaf_uplink"})
    EXPECT_TRUE(walls.count(w)) << w;
  // A wall is the plant's (network.*, its tiers) or one workload's: nothing else, nothing
  // prefixed twice.
  for (const std::string& w : walls) {
    EXPECT_TRUE(w.starts_with("chat.") || w.starts_with("bulk.") || w.starts_with("network.")) << w;
    EXPECT_FALSE(w.starts_with("chat.chat.")) << w;
  }
  for (const char* m :
       {"chat.ttft_p50", "chat.requests_completed", "chat.scale_out_comm_extra",
        "bulk.job0_stretch", "bulk.transfer_bytes", "chat.energy_gpus", "bulk.energy_gpus"})
    EXPECT_FALSE(std::isnan(r.metric(m))) << m;
  // The workloads' own names exist only under their prefix; the plant's are as they are.
  for (const char* m :
       {"ttft_p50", "requests_completed", "job0_stretch", "energy_per_output_token"})
    EXPECT_TRUE(std::isnan(r.metric(m))) << m;
  EXPECT_EQ(r.metric("plant_gpus"), 32);

  // The report: each workload's section (headline, requests, its walls hit with their
  // effect, its summary lines), then the plant's lines.
  std::ostringstream report;
  models::print_report(report, models::load_scenario(kShared), r);
  const std::string t = report.str();
  const auto chat = t.find("== chat: deepseek-v3");
  const auto bulk = t.find("== bulk: transfers:");
  ASSERT_NE(chat, std::string::npos) << t;
  ASSERT_NE(bulk, std::string::npos) << t;
  EXPECT_LT(chat, bulk);
  EXPECT_NE(t.find("FIRST WALL: chat.replica[0].saturation"), std::string::npos) << t;
  EXPECT_NE(t.find("wall        chat.replica[0].saturation hit at"), std::string::npos) << t;
  EXPECT_NE(t.find("requests    80 arrived, 80 completed"), std::string::npos) << t;
  EXPECT_NE(t.find("job[0]      "), std::string::npos) << t;
  EXPECT_LT(bulk, t.find("power       ") == std::string::npos ? t.size() : t.find("power       "));
}

TEST(Workloads, TablesAndTraceGroupsAreTheWorkloads) {
  const fs::path dir = temp_dir();
  const fs::path h5 = dir / "shared.h5", trace = dir / "shared.json";
  const test::CliResult c = test::run_cli("run '" + kShared + "' -o '" + h5.string() +
                                          "' --trace '" + trace.string() + "'");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto datasets = test::dataset_bytes(h5);
  EXPECT_TRUE(datasets.count("workloads/chat/requests"));
  EXPECT_FALSE(datasets.count("requests"));
  EXPECT_TRUE(datasets.count("summary"));
  EXPECT_TRUE(datasets.count("walls"));
  EXPECT_TRUE(datasets.count("timeseries/chat.slo.ttft.utilization/value"));
  // The per-request table holds every request of the workload.
  const hid_t f = H5Fopen(h5.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t ds = H5Dopen2(f, "/workloads/chat/requests", H5P_DEFAULT);
  const hid_t space = H5Dget_space(ds);
  EXPECT_EQ(H5Sget_simple_extent_npoints(space), 80);
  H5Sclose(space);
  H5Dclose(ds);
  H5Fclose(f);
  // The trace: the plant's processes of the groups and the workloads' lanes, one name each.
  const std::string json = test::slurp(trace);
  for (const char* g : {"\"chat.replica_group[0]\"", "\"chat.replica_group[1]\"",
                        "\"chat.replica[0]\"", "\"bulk.job_server[0]\"", "\"bulk.job_server[1]\""})
    EXPECT_NE(json.find(g), std::string::npos) << g;
  EXPECT_EQ(json.find("\"replica[0]\""), std::string::npos);
  EXPECT_EQ(json.find("chat.chat."), std::string::npos);

  // The Python loader (tools/analysis) finds each workload's tables by its name.
  if (test::run_command("/usr/bin/python3 -c 'import h5py, pandas'", dir).exit_code != 0)
    GTEST_SKIP() << "python3 with h5py and pandas is not installed";
  const test::CliResult py = test::run_command(
      "/usr/bin/python3 -B -c 'import sys; sys.path.insert(0, \"tools/analysis\"); "
      "from firstwall_results import load; r = load(sys.argv[1]); "
      "print(sorted(r[\"workloads\"]), len(r[\"workloads\"][\"chat\"][\"requests\"]))' '" +
          h5.string() + "'",
      FIRSTWALL_SOURCE_DIR);
  EXPECT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "['chat'] 80\n");
}

// One named workload is the workload renamed: every figure of a `workload:` scenario, its
// walls and the plant's, is the same under the prefix (a trace, so the streams' names do
// not matter).
TEST(Workloads, OneNamedWorkloadIsTheWorkloadRenamed) {
  const models::RunResult plain = run(kFixtures + "network/serving_ep_shared_spine.yaml");
  const models::RunResult named = run(kFixtures + "workloads/one_named.yaml");
  ASSERT_EQ(named.workload_set()->members().size(), 1u);
  models::Metrics own;
  plain.workload().add_metrics(own);
  std::set<std::string> own_names;
  for (const auto& m : own) {
    own_names.insert(m.name);
    EXPECT_EQ(named.metric("solo." + m.name), m.value) << m.name;
  }
  for (const auto& m : plain.summary) {
    if (own_names.count(m.name) || m.name == "energy_per_output_token" || m.name == "events")
      continue;
    const double v = named.metric(m.name);
    if (std::isnan(m.value))
      EXPECT_TRUE(std::isnan(v)) << m.name;
    else
      EXPECT_EQ(v, m.value) << m.name;
  }
  ASSERT_EQ(plain.walls.size(), named.walls.size());
  for (std::size_t i = 0; i < plain.walls.size(); ++i) {
    const auto& a = plain.walls[i];
    const auto& b = named.walls[i];
    EXPECT_EQ(b.name, a.name.starts_with("network.") ? a.name : "solo." + a.name);
    EXPECT_EQ(b.peak_utilization, a.peak_utilization) << a.name;
    EXPECT_EQ(b.mean_utilization, a.mean_utilization) << a.name;
    EXPECT_EQ(b.first_hit, a.first_hit) << a.name;
  }
}

// Two serving jobs of the same spec draw their arrivals from streams of their own names: the
// same seed gives each its own sequence (with `workload.arrivals` for both they would be one).
TEST(Workloads, TwoServingJobsDrawIndependentArrivals) {
  const std::string f = scenario_file();
  std::ofstream(f) << scenario_text("workloads:\n" + serving_item("a", 1, 8) +
                                    serving_item("b", 1, 8));
  const models::RunResult r = models::run_scenario(models::load_scenario(f));
  const auto& members = r.workload_set()->members();
  ASSERT_EQ(members.size(), 2u);
  auto arrivals = [](const models::Workload& w) {
    std::vector<double> t;
    for (const auto& q : dynamic_cast<const models::ServingWorkload&>(w).model().requests())
      t.push_back(q.arrival.seconds());
    return t;
  };
  const std::vector<double> a = arrivals(*members[0].workload);
  const std::vector<double> b = arrivals(*members[1].workload);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a, b);
  EXPECT_EQ(r.metric("a.requests_arrived"), static_cast<double>(a.size()));
  EXPECT_EQ(r.metric("b.requests_arrived"), static_cast<double>(b.size()));
}

// ------------------------------------------------------------------ physics

// tests/fixtures/workloads/serving_and_transfers.yaml: a leaf's uplink C = 50 GB/s carries 14
// of the serving replica's flows of an iteration (each S bytes: every flow of an iteration is
// one GPU pair's dispatch and combine) and 2 of the transfer job's, which runs all along.
// Max-min: alone each serving flow gets C / 14 and takes 14 S / C; beside the transfers C / 16,
// 16 S / C. The iteration waits (16 - 14) S / C beyond the time alone, summed over iterations:
// 2 ΣS / C, with ΣS = scale_out_bytes / 128 (16 GPUs x 8 peers). With the transfers kept on
// their leaves (rail_shift 0) the replica is alone on the spine: it waits nothing.
TEST(Workloads, AReplicaSharingItsSpineWaitsItsMaxMinShare) {
  constexpr double kUplink = 4 * 50e9 / 4;
  constexpr double kPairs = 16 * 8;
  constexpr double kServingFlows = 14, kTransferFlows = 2;
  const models::RunResult shared = run(kShared);
  const double s = shared.metric("chat.scale_out_bytes") / kPairs;
  ASSERT_GT(s, 0);
  // SimTime is whole ns: an iteration's time alone and each rescheduled completion of its
  // flows (at the end of the same-rail flows, of a transfer round) round to 1 ns; 4 ns per
  // iteration bounds them (3e-6 of the wait here).
  EXPECT_NEAR(shared.metric("chat.scale_out_comm_extra"),
              (kServingFlows + kTransferFlows - kServingFlows) * s / kUplink,
              4e-9 * shared.metric("chat.iterations"));
  EXPECT_GT(shared.metric("chat.scale_out_comm_stretch"), 1);
  // The transfers ran the whole time: the last round ends at or after the horizon (20 s).
  EXPECT_GE(shared.metric("bulk.job0_rounds") * shared.metric("bulk.job0_round_time_mean"), 20.0);

  const models::RunResult alone = run(kShared, {"workloads[1].rail_shift=0"});
  EXPECT_EQ(alone.metric("chat.scale_out_comm_extra"), 0);
  EXPECT_EQ(alone.metric("chat.scale_out_comm_stretch"), 1);
  EXPECT_EQ(alone.metric("chat.scale_out_bytes"), shared.metric("chat.scale_out_bytes"));
  // Alone on their leaves the transfers take their own α–β time, 1 GB / 50 GB/s per round.
  EXPECT_NEAR(alone.metric("bulk.job0_stretch"), 1, 1e-9);
}

// With the plant coupled (no power chain: IT power is the servers' draw), the IT energy is
// each workload's GPUs, the GPUs no workload uses, and the rest of each server: per server
// other = other_idle + (other_max - other_idle) u, u = (P_gpus - n P_idle) / (n (TDP -
// P_idle)) (models/plant/plant.cpp), linear in the GPUs' draw while it stays in [n P_idle,
// n TDP]. Summed over S servers and the run T:
//   E_it = (1 + k) (Σ E_workload + N_idle P_idle T) + S T (other_idle - k n P_idle) + E_net,
//   k = (other_max - other_idle) / (n (TDP - P_idle)).
TEST(Workloads, ThePlantsEnergyIsEachWorkloadsGpusAndTheRest) {
  const models::ScenarioSpec spec =
      models::load_scenario(kFixtures + "workloads/serving_and_transfers_coupled.yaml");
  const models::RunResult r = models::run_scenario(spec);
  const double n = spec.plant.server.gpus;
  const double servers = spec.plant.layout.servers();
  const double idle = spec.plant.gpu.idle_power.value();
  const double tdp = spec.plant.gpu.tdp.value();
  const double o_idle = spec.plant.server.other_idle.value();
  const double o_max = spec.plant.server.other_max.value();
  const double k = (o_max - o_idle) / (n * (tdp - idle));
  const double t = r.metric("simulated_time");
  double used = 0;
  for (const auto& m : r.workload_set()->members())
    used += static_cast<double>(m.groups) * m.group_size;
  const double idle_gpus = servers * n - used;
  EXPECT_EQ(idle_gpus, 8);  // the fifth server stands idle
  const double gpus =
      r.metric("chat.energy_gpus") + r.metric("bulk.energy_gpus") + idle_gpus * idle * t;
  const double expected =
      (1 + k) * gpus + servers * t * (o_idle - k * n * idle) + r.metric("energy_network");
  EXPECT_NEAR(r.metric("energy_it"), expected, 1e-9 * expected);
  EXPECT_GT(r.metric("chat.energy_gpus"), 0);
  EXPECT_GT(r.metric("bulk.energy_gpus"), 0);
}

TEST(Workloads, SameSeedSameFile) {
  const fs::path dir = temp_dir();
  const fs::path a = dir / "a.h5", b = dir / "b.h5";
  for (const fs::path& p : {a, b}) {
    const test::CliResult c = test::run_cli("run '" + kShared + "' -o '" + p.string() + "'");
    ASSERT_EQ(c.exit_code, 0) << c.err;
  }
  EXPECT_EQ(test::dataset_bytes(a), test::dataset_bytes(b));
}

// ------------------------------------------------------------------ paths with list items

TEST(WorkloadPaths, SetReachesListItems) {
  sim::config::Diagnostics d;
  sim::config::Node root =
      sim::config::load_string("w:\n  - {a: 1}\n  - {a: 2, b: {c: 3}}\n", "t.yaml", d);
  ASSERT_TRUE(d.empty());
  sim::config::apply_override(root, "w[1].b.c=4", 1, d);
  sim::config::apply_override(root, "w[0].new.x=5", 2, d);
  sim::config::apply_override(root, "w[2].a=6", 3, d);
  sim::config::apply_override(root, "w[0][1]=6", 4, d);
  sim::config::apply_override(root, "w.a=6", 5, d);
  sim::config::apply_override(root, "x[0]=6", 6, d);
  sim::config::apply_override(root, "w[x].a=6", 7, d);
  EXPECT_EQ(root.find("w")->items()[1].find("b")->find("c")->scalar(), "4");
  EXPECT_EQ(root.find("w")->items()[0].find("new")->find("x")->scalar(), "5");
  EXPECT_EQ(d.str(),
            "--set:3:1: w[2].a: cannot set \"w[2].a\": \"w\" has 2 item(s): no item [2]\n"
            "--set:4:1: w[0][1]: cannot set \"w[0][1]\": \"w[0]\" is not a list\n"
            "--set:5:1: w.a: cannot set \"w.a\": \"w\" is not a mapping\n"
            "--set:6:1: x[0]: cannot set \"x[0]\": \"x\" is not a list\n"
            "--set:7:1: --set expects path=value (got \"w[x].a=6\")\n");
}

TEST(WorkloadPaths, StudyAxesReachListItems) {
  sim::config::Diagnostics d;
  sim::config::Node root =
      sim::config::load_string("workloads:\n  - {name: a, bytes: 1 GB}\n", "t.yaml", d);
  const sim::config::Location at{"--axis", 1, 1};
  models::study::set_path(root, "workloads[0].bytes", sim::config::Node::make_scalar("2 GB", at),
                          at, d);
  models::study::set_path(root, "workloads[1].bytes", sim::config::Node::make_scalar("2 GB", at),
                          at, d);
  EXPECT_EQ(root.find("workloads")->items()[0].find("bytes")->scalar(), "2 GB");
  EXPECT_EQ(d.str(),
            "--axis:1:1: workloads[1].bytes: not a scenario path: \"workloads\" has 1 item(s): no "
            "item [1] in the base scenario\n");
}

// `firstwall sweep` along an axis of the second workload: the serving replica waits for the
// spine only when the transfers cross it.
TEST(WorkloadPaths, SweepAlongASecondWorkloadsKey) {
  const fs::path out = temp_dir() / "sweep.h5";
  const test::CliResult c =
      test::run_cli("sweep '" + kShared + "' --axis 'workloads[1].rail_shift=0,1' -j 1 -o '" +
                    out.string() + "'");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t ds = H5Dopen2(f, "/points", H5P_DEFAULT);
  ASSERT_GE(ds, 0);
  auto column = [&](const char* name) {
    const hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(mem, name, 0, H5T_NATIVE_DOUBLE);
    std::vector<double> v(2);
    EXPECT_GE(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0) << name;
    H5Tclose(mem);
    return v;
  };
  const std::vector<double> shift = column("workloads[1].rail_shift");
  const std::vector<double> extra = column("chat.scale_out_comm_extra");
  H5Dclose(ds);
  H5Fclose(f);
  EXPECT_EQ(shift, (std::vector<double>{0, 1}));
  EXPECT_EQ(extra[0], 0);
  EXPECT_GT(extra[1], 0);
}

// `firstwall walls` along a key of the second workload ranks the walls of both and the plant's.
TEST(WorkloadPaths, WallSearchAlongASecondWorkloadsKey) {
  const fs::path out = temp_dir() / "walls.h5";
  const test::CliResult c = test::run_cli(
      "walls '" + kShared +
      "' --axis 'workloads[1].bytes' --from '100 MB' --to '1 GB' --grid 2 --tolerance 50% -o '" +
      out.string() + "'");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("walls along workloads[1].bytes from 100 MB to 1 GB"), std::string::npos)
      << c.out;
  for (const char* w : {"chat.replica[0].saturation", "chat.slo.ttft", "network.leaf_uplink"})
    EXPECT_NE(c.out.find(w), std::string::npos) << w << "\n" << c.out;
  const test::CliResult bad = test::run_cli("walls '" + kShared +
                                            "' --axis 'workloads[2].bytes' --from '1 MB' --to "
                                            "'1 GB' -o '" +
                                            out.string() + "'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "--axis:1:1: workloads[2].bytes: not a scenario path: \"workloads\" has 2 item(s): "
            "no item [2] in the base scenario\n");
}

}  // namespace
