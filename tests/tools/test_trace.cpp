// `firstwall run --trace`: the Chrome / Perfetto JSON trace-event format, checked as an
// importer reads it. The file must be JSON (Python's json module parses it), every process
// and thread named, the "X" slices of each thread properly nested in the order an importer
// meets them (sorted by ts, ties in file order: a slice must lie inside the open one or after
// it, Perfetto drops the others), counters in time order. And it must say what the results
// say: as many iterations and steps as the run counted, and throttled periods whose total
// over the busy time is the summary's throttled_share.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "cli_runner.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/scenario/trace_writer.hpp"
#include "models/workload/training/training_workload.hpp"

namespace {

namespace fs = std::filesystem;

// An event's arguments, all scalars: JSON null is kept apart. (Copied out of the document:
// assigning one yaml-cpp node to another rebinds the node they share, so nodes must not be
// sorted or reassigned.)
struct Args {
  std::map<std::string, std::string> text;
  std::set<std::string> null;
  bool has(const std::string& key) const { return text.count(key) > 0; }
  const std::string& str(const std::string& key) const { return text.at(key); }
  double num(const std::string& key) const { return std::stod(text.at(key)); }
};

struct Slice {
  int pid = 0, tid = 0;
  long long ts = 0, dur = 0;
  std::string name;
  Args args;
  std::size_t order = 0;  // position in the file
  long long end() const { return ts + dur; }
};

Args args_of(const YAML::Node& e) {
  Args a;
  const YAML::Node n = e["args"];
  if (!n.IsDefined()) return a;
  EXPECT_TRUE(n.IsMap());
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    if (kv.second.IsNull()) {
      a.null.insert(key);
    } else {
      EXPECT_TRUE(kv.second.IsScalar()) << key;
      a.text[key] = kv.second.as<std::string>();
    }
  }
  return a;
}

struct Trace {
  std::map<int, std::string> processes;                // pid -> name
  std::map<std::pair<int, int>, std::string> threads;  // (pid, tid) -> name
  std::vector<Slice> slices;
  std::vector<Slice> instants;
  std::map<std::pair<int, std::string>, std::vector<long long>> counter_times;
  std::map<std::pair<int, std::string>, std::vector<double>> counter_values;
  std::string display_time_unit;
  std::size_t events = 0;

  int pid(const std::string& process) const {
    for (const auto& [p, name] : processes)
      if (name == process) return p;
    return -1;
  }
  std::string lane(const Slice& s) const { return threads.at({s.pid, s.tid}); }
  std::vector<Slice> on_lane(const std::string& lane_name) const {
    std::vector<Slice> out;
    for (const Slice& s : slices)
      if (lane(s) == lane_name) out.push_back(s);
    return out;
  }
};

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("firstwall_trace_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

models::ScenarioSpec load(const std::string& path, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(path, o);
}

std::string fixture(const std::string& rel) {
  return std::string(FIRSTWALL_FIXTURES_DIR) + "/" + rel;
}

models::RunResult run_traced(const models::ScenarioSpec& spec, const fs::path& file) {
  models::JsonTraceWriter writer(file.string());
  models::RunResult r = models::run_scenario(spec, {}, &writer);
  writer.commit();
  return r;
}

// Reads a trace as an importer would, checking the format on the way (ADD_FAILURE on each
// problem, so that one run reports all of them).
Trace read_trace(const fs::path& file) {
  // JSON, strictly: yaml-cpp below would also take YAML that is not JSON.
  const std::string check =
      "/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '" + file.string() + "'";
  EXPECT_EQ(std::system(check.c_str()), 0) << file << " is not JSON";
  const YAML::Node root = YAML::LoadFile(file.string());
  Trace t;
  EXPECT_TRUE(root.IsMap());
  t.display_time_unit = root["displayTimeUnit"].as<std::string>("");
  const YAML::Node events = root["traceEvents"];
  EXPECT_TRUE(events.IsSequence());
  t.events = events.size();
  std::set<int> pids_used;
  std::set<std::pair<int, int>> threads_used;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const YAML::Node e = events[i];
    const std::string ph = e["ph"].as<std::string>();
    const int pid = e["pid"].as<int>();
    pids_used.insert(pid);
    if (ph == "M") {
      const std::string what = e["name"].as<std::string>();
      if (what == "process_name") t.processes[pid] = e["args"]["name"].as<std::string>();
      if (what == "thread_name")
        t.threads[{pid, e["tid"].as<int>()}] = e["args"]["name"].as<std::string>();
      continue;
    }
    if (ph == "C") {
      const std::string name = e["name"].as<std::string>();
      EXPECT_TRUE(e["args"].IsMap() && e["args"].size() == 1) << "counter " << name;
      t.counter_times[{pid, name}].push_back(e["ts"].as<long long>());
      t.counter_values[{pid, name}].push_back(e["args"].begin()->second.as<double>());
      continue;
    }
    Slice s;
    s.pid = pid;
    s.tid = e["tid"].as<int>();
    s.ts = e["ts"].as<long long>();
    s.name = e["name"].as<std::string>();
    s.args = args_of(e);
    s.order = i;
    threads_used.insert({pid, s.tid});
    EXPECT_GE(s.ts, 0);
    if (ph == "X") {
      s.dur = e["dur"].as<long long>();
      EXPECT_GE(s.dur, 0) << s.name;
      t.slices.push_back(s);
    } else if (ph == "i") {
      EXPECT_EQ(e["s"].as<std::string>(), "t");
      t.instants.push_back(s);
    } else {
      ADD_FAILURE() << "unexpected phase " << ph;
    }
  }
  for (int p : pids_used) EXPECT_TRUE(t.processes.count(p)) << "pid " << p << " has no name";
  // Perfetto names threads by tid alone and reads an event with no tid (a counter) as thread
  // tid = pid: a tid must belong to one process and be no process's pid.
  std::map<int, int> process_of_tid;
  for (const auto& [key, name] : t.threads) {
    EXPECT_TRUE(process_of_tid.emplace(key.second, key.first).second) << "tid " << key.second;
    EXPECT_FALSE(t.processes.count(key.second)) << "tid " << key.second << " is a pid";
  }
  for (const auto& th : threads_used)
    EXPECT_TRUE(t.threads.count(th)) << "tid " << th.second << " has no name";
  return t;
}

// Perfetto's reading of "X" events on one thread: sorted by ts (ties in file order), each
// slice is a child of the innermost open one if it starts before that one ends, and must
// then end within it.
void expect_nested(const Trace& t) {
  std::map<std::pair<int, int>, std::vector<Slice>> lanes;
  for (const Slice& s : t.slices) lanes[{s.pid, s.tid}].push_back(s);
  for (auto& [key, slices] : lanes) {
    std::stable_sort(slices.begin(), slices.end(),
                     [](const Slice& a, const Slice& b) { return a.ts < b.ts; });
    std::vector<Slice> open;
    int bad = 0;
    for (const Slice& s : slices) {
      while (!open.empty() && open.back().end() <= s.ts) open.pop_back();
      if (!open.empty() && s.end() > open.back().end()) {
        if (bad++ < 3)
          ADD_FAILURE() << t.threads.at(key) << ": \"" << s.name << "\" [" << s.ts << ", "
                        << s.end() << "] overlaps \"" << open.back().name << "\" ["
                        << open.back().ts << ", " << open.back().end() << "]";
      }
      open.push_back(s);
    }
    if (bad > 3) ADD_FAILURE() << t.threads.at(key) << ": " << bad - 3 << " more overlaps";
  }
}

void expect_counters_in_time_order(const Trace& t) {
  for (const auto& [key, times] : t.counter_times)
    EXPECT_TRUE(std::is_sorted(times.begin(), times.end())) << key.second;
}

void expect_well_formed(const Trace& t) {
  EXPECT_EQ(t.display_time_unit, "ms");
  expect_nested(t);
  expect_counters_in_time_order(t);
}

// An iteration of a serving replica: a slice of its "iterations" lane that is not one of
// its parts ("host", "collectives").
bool is_iteration(const Trace& t, const Slice& s) {
  return t.lane(s) == "iterations" && s.args.has("ended");
}

TEST(Trace, ServingRunIsWellFormedAndHasEveryIterationWithItsBatch) {
  const fs::path file = temp_dir() / "serving.json";
  const models::RunResult r = run_traced(load(fixture("plant/rack_capped.yaml")), file);
  const Trace t = read_trace(file);
  expect_well_formed(t);

  std::map<int, long long> per_replica;
  long long batch_tokens = 0;
  for (const Slice& s : t.slices) {
    if (!is_iteration(t, s)) continue;
    ++per_replica[s.pid];
    batch_tokens +=
        static_cast<long long>(s.args.num("prefill_tokens") + s.args.num("decode_requests"));
    EXPECT_TRUE(s.args.has("kv_tokens_held"));
    EXPECT_GT(s.args.num("clock_ratio"), 0);
  }
  // Eight replicas of one GPU each: a process per replica, each with its iterations.
  ASSERT_EQ(per_replica.size(), 8u);
  long long iterations = 0;
  for (int i = 0; i < 8; ++i) {
    const int pid = t.pid("replica[" + std::to_string(i) + "]");
    ASSERT_GT(pid, 0) << i;
    EXPECT_GT(per_replica[pid], 0) << i;
    iterations += per_replica[pid];
  }
  EXPECT_EQ(iterations, static_cast<long long>(r.metric("iterations")));
  // The batch shapes are the ones the run costed: their mean size is the summary's.
  EXPECT_DOUBLE_EQ(static_cast<double>(batch_tokens) / static_cast<double>(iterations),
                   r.metric("mean_batch_tokens"));
}

// Disaggregated pools (Splitwise) with paged KV: each prefill replica's KV transfers on its
// own lane, one after another (its links are a FIFO), as many as the run counted.
TEST(Trace, DisaggregatedPoolsShowTheirKvTransfers) {
  const fs::path file = temp_dir() / "disaggregated.json";
  const models::RunResult r =
      run_traced(load(std::string(FIRSTWALL_SOURCE_DIR) +
                          "/scenarios/examples/splitwise_conv_disaggregated.yaml",
                      {"simulation.duration=8 s", "workload.kv_admission=paged"}),
                 file);
  const Trace t = read_trace(file);
  expect_well_formed(t);
  const std::vector<Slice> transfers = t.on_lane("kv transfers");
  ASSERT_GT(transfers.size(), 0u);
  EXPECT_EQ(static_cast<double>(transfers.size()), r.metric("kv_transfers"));
  std::set<std::string> senders;
  for (const Slice& s : transfers) {
    senders.insert(t.processes.at(s.pid));
    EXPECT_GT(s.args.num("bytes"), 0);
  }
  // Only the prefill pool sends: the first three replicas (prefill_replicas: 3).
  const std::set<std::string> prefill{"replica[0]", "replica[1]", "replica[2]"};
  for (const std::string& s : senders) EXPECT_TRUE(prefill.count(s)) << s;
  for (const Slice& s : t.slices)
    if (is_iteration(t, s)) {
      EXPECT_TRUE(s.args.has("kv_blocks_held")) << "paged";
    }
}

// The throttled periods on each group's "clock" lane are its busy time below full clock, so
// their total over the iterations' total is the summary's throttled_share. Times in the file
// are whole microseconds, each endpoint rounded: each slice can be off by up to 1 us.
TEST(Trace, ThrottledPeriodsAddUpToTheThrottledShare) {
  const fs::path file = temp_dir() / "capped.json";
  const models::RunResult r = run_traced(load(fixture("plant/rack_capped.yaml")), file);
  const Trace t = read_trace(file);
  double throttled_us = 0, busy_us = 0;
  std::size_t throttled_slices = 0, iteration_slices = 0, capped = 0;
  for (const Slice& s : t.slices) {
    if (t.lane(s) == "clock") {
      throttled_us += static_cast<double>(s.dur);
      ++throttled_slices;
      if (s.name == "power cap") ++capped;
    } else if (is_iteration(t, s)) {
      busy_us += static_cast<double>(s.dur);
      ++iteration_slices;
    }
  }
  const double share = r.metric("throttled_share");
  ASSERT_GT(share, 0.05);  // the fixture is capped: the check below must have something to add
  EXPECT_GT(capped, 0u);
  const double tolerance =
      (static_cast<double>(throttled_slices) + share * static_cast<double>(iteration_slices)) /
      busy_us;
  EXPECT_NEAR(throttled_us / busy_us, share, tolerance);

  // The controller's side: the server's capped periods, at control ticks (1 s apart).
  const std::vector<Slice> caps = t.on_lane("server[0]");
  ASSERT_FALSE(caps.empty());
  EXPECT_EQ(t.processes.at(caps.front().pid), "power control");
  for (const Slice& s : caps) {
    EXPECT_EQ(s.ts % 1'000'000, 0) << "a cap starts at a control tick";
    EXPECT_LT(s.args.num("lowest_gpu_power_limit_w"), 700.0);  // H100 SXM: 700 W
  }
}

TEST(Trace, TracingChangesNoResult) {
  const models::ScenarioSpec spec = load(fixture("plant/rack_capped.yaml"));
  const models::RunResult plain = models::run_scenario(spec);
  const models::RunResult traced = run_traced(spec, temp_dir() / "same.json");
  ASSERT_EQ(plain.summary.size(), traced.summary.size());
  for (std::size_t i = 0; i < plain.summary.size(); ++i) {
    const double a = plain.summary[i].value, b = traced.summary[i].value;
    EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << plain.summary[i].name;
  }
  EXPECT_EQ(plain.events, traced.events);
}

// Counters are the results file's window series: facility and IT power, per group power per
// GPU and junction temperature, the coolant the CDU supplies.
TEST(Trace, CountersCarryPowerAndTemperature) {
  const fs::path file = temp_dir() / "default.json";
  const models::RunResult r =
      run_traced(load(std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/default.yaml",
                      {"simulation.duration=20 s", "simulation.drain=10 s"}),
                 file);
  const Trace t = read_trace(file);
  expect_well_formed(t);
  const auto samples = [&](const std::string& process, const std::string& name) {
    const auto it = t.counter_values.find({t.pid(process), name});
    return it == t.counter_values.end() ? std::vector<double>{} : it->second;
  };
  // One sample per 1 s window, the last one partial: ceil(end / 1 s).
  const auto windows = static_cast<std::size_t>(std::ceil(r.end.seconds() - 1e-9));
  EXPECT_EQ(samples("facility", "power").size(), windows);
  EXPECT_EQ(samples("facility", "it_power").size(), windows);
  EXPECT_EQ(samples("cdu[0]", "supply_temperature").size(), windows);
  for (const char* replica : {"replica[0]", "replica[1]"}) {
    const std::vector<double> power = samples(replica, "power_per_gpu");
    const std::vector<double> tj = samples(replica, "junction_temperature");
    ASSERT_EQ(power.size(), windows) << replica;
    ASSERT_EQ(tj.size(), windows) << replica;
    // Between the GPU's idle power and its 700 W limit; junctions above the coolant.
    for (double w : power) EXPECT_TRUE(w > 50 && w <= 700) << replica << " " << w;
    const std::vector<double> supply = samples("cdu[0]", "supply_temperature");
    for (std::size_t i = 0; i < tj.size(); ++i) EXPECT_GT(tj[i], supply[i]) << replica;
  }
  // IT power is what the facility draws less its overheads: below it in every window.
  const std::vector<double> facility = samples("facility", "power"),
                            it = samples("facility", "it_power");
  for (std::size_t i = 0; i < facility.size(); ++i) EXPECT_LT(it[i], facility[i]);
}

// Training: a "steps" lane per group with each step, a "phases" lane with the step's phases
// (pipeline fill and drain, microbatches with their exposed collectives and pipeline wait,
// the data-parallel collectives, the optimizer).
TEST(Trace, TrainingStepsAndPhasesPerGroup) {
  const fs::path file = temp_dir() / "training.json";
  const models::RunResult r = run_traced(load(fixture("training/small_job.yaml")), file);
  const Trace t = read_trace(file);
  expect_well_formed(t);
  const auto& w = dynamic_cast<const models::training::TrainingWorkload&>(r.workload());
  ASSERT_GE(w.steps().size(), 2u);
  std::map<int, std::size_t> steps, microbatches, collectives;
  std::set<std::string> phase_names;
  for (const Slice& s : t.slices) {
    if (t.lane(s) == "steps" && s.args.str("ended") == "completed") ++steps[s.pid];
    if (t.lane(s) != "phases") continue;
    phase_names.insert(s.name);
    if (s.name == "microbatch" && s.args.str("ended") == "completed") ++microbatches[s.pid];
    if (s.name == "collectives") ++collectives[s.pid];
  }
  // Two servers of 8 GPUs in groups of one scale-up domain each.
  ASSERT_EQ(steps.size(), 2u);
  const int m = w.model_step().microbatches;
  for (const auto& [pid, n] : steps) {
    EXPECT_EQ(n, w.steps().size()) << t.processes.at(pid);
    EXPECT_EQ(microbatches[pid], w.steps().size() * static_cast<std::size_t>(m));
    EXPECT_EQ(collectives[pid], microbatches[pid]) << "TP 2, PP 2: every microbatch communicates";
  }
  // PP 2: the second stage waits for the first (fill) and finishes first (drain).
  EXPECT_TRUE(phase_names.count("pipeline fill (bubble)"));
  EXPECT_TRUE(phase_names.count("pipeline drain (bubble)"));
  EXPECT_TRUE(phase_names.count("optimizer"));
  // A data-parallel phase exactly when the step model leaves some of it exposed.
  EXPECT_EQ(phase_names.count("data-parallel collectives") > 0,
            w.model_step().breakdown.dp_comm > sim::Seconds(0));
}

// The nesting check itself: a slice that ends after the one it starts in, and a parent
// written after a child with the same start (an importer meets the child first), are
// reported.
Trace g_bad;
TEST(TraceCheck, CatchesPartialOverlapsAndParentsAfterTheirChildren) {
  const fs::path file = temp_dir() / "bad.json";
  for (const char* events : {R"({"ph":"X","pid":1,"tid":2,"ts":0,"dur":10,"name":"a"},)"
                             R"({"ph":"X","pid":1,"tid":2,"ts":5,"dur":10,"name":"b"})",
                             R"({"ph":"X","pid":1,"tid":2,"ts":0,"dur":5,"name":"child"},)"
                             R"({"ph":"X","pid":1,"tid":2,"ts":0,"dur":10,"name":"parent"})"}) {
    std::ofstream(file)
        << R"({"traceEvents":[{"ph":"M","pid":1,"name":"process_name","args":{"name":"p"}},)"
        << R"({"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"t"}},)" << events
        << R"(],"displayTimeUnit":"ms"})";
    g_bad = read_trace(file);
    EXPECT_NONFATAL_FAILURE(expect_nested(g_bad), "overlaps");
  }
}

TEST(TraceWriter, EscapesTextSkipsNonNumbersAndRenamesOnCommit) {
  const fs::path file = temp_dir() / "unit.json";
  fs::remove(file);
  {
    models::JsonTraceWriter w(file.string());
    const auto lane = w.track("group \"a\"\\b", "lane\n1");
    w.slice(lane, "x", sim::SimTime::from_ns(1'499), sim::SimTime::from_ns(2'500),
            {{"text", "tab\there"}, {"nan", std::nan("")}, {"n", 3}});
    const auto c = w.counter("group \"a\"\\b", "power", "W");
    w.sample(c, sim::SimTime::from_ns(0), 5.5);
    w.sample(c, sim::SimTime::from_ns(1'000), std::nan(""));  // not written
    EXPECT_FALSE(fs::exists(file)) << "nothing at the path before commit";
    w.commit();
  }
  const Trace t = read_trace(file);
  ASSERT_EQ(t.slices.size(), 1u);
  const Slice& s = t.slices.front();
  EXPECT_EQ(t.processes.at(s.pid), "group \"a\"\\b");
  EXPECT_EQ(t.lane(s), "lane\n1");
  // 1.499 us rounds to 1, 2.5 us to 3: dur = 3 - 1.
  EXPECT_EQ(s.ts, 1);
  EXPECT_EQ(s.dur, 2);
  EXPECT_EQ(s.args.str("text"), "tab\there");
  EXPECT_TRUE(s.args.null.count("nan"));
  EXPECT_EQ(s.args.num("n"), 3);
  EXPECT_EQ(t.counter_times.at({s.pid, "power"}).size(), 1u);
  EXPECT_EQ(t.counter_values.at({s.pid, "power"}).front(), 5.5);
  for (const auto& entry : fs::directory_iterator(file.parent_path()))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
}

// --trace-window: the slices that overlap the window, whole (so nesting survives), and the
// instants and counter samples inside it.
TEST(TraceWriter, AWindowKeepsWhatTouchesIt) {
  const fs::path file = temp_dir() / "window.json";
  {
    models::JsonTraceWriter w(file.string());
    w.set_window(sim::SimTime::from_ns(10'000), sim::SimTime::from_ns(20'000));
    const auto lane = w.track("g", "l");
    const auto c = w.counter("g", "c", "");
    auto at = [](long long us) { return sim::SimTime::from_ns(us * 1000); };
    w.slice(lane, "before", at(0), at(9));
    w.slice(lane, "parent across the start", at(5), at(15));
    w.slice(lane, "child outside", at(5), at(8));
    w.slice(lane, "inside", at(16), at(18));
    w.slice(lane, "after", at(21), at(30));
    w.instant(lane, "early", at(9));
    w.instant(lane, "in", at(12));
    for (long long us : {5, 10, 20, 25}) w.sample(c, at(us), static_cast<double>(us));
    w.commit();
  }
  const Trace t = read_trace(file);
  std::vector<std::string> names;
  for (const Slice& s : t.slices) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"parent across the start", "inside"}));
  ASSERT_EQ(t.instants.size(), 1u);
  EXPECT_EQ(t.instants.front().name, "in");
  EXPECT_EQ(t.counter_times.at({t.pid("g"), "c"}), (std::vector<long long>{10, 20}));
}

TEST(TraceWriter, ARunThatFailsLeavesNoFile) {
  const fs::path file = temp_dir() / "failed.json";
  fs::remove(file);
  { models::JsonTraceWriter w(file.string()); }
  EXPECT_FALSE(fs::exists(file));
  for (const auto& entry : fs::directory_iterator(file.parent_path()))
    EXPECT_EQ(entry.path().string().find("failed.json.tmp-"), std::string::npos);
}

TEST(Trace, CommandLineWritesTheTraceAndRejectsAFolder) {
  const fs::path dir = temp_dir();
  const fs::path file = dir / "cli.json";
  const test::CliResult ok =
      test::run_cli("run tests/fixtures/plant/rack_capped.yaml -o '" + (dir / "cli.h5").string() +
                    "' --trace '" + file.string() + "'");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("trace: " + file.string() + " ("), std::string::npos) << ok.out;
  expect_well_formed(read_trace(file));

  const test::CliResult bad =
      test::run_cli("run tests/fixtures/plant/rack_capped.yaml -o '" + (dir / "bad.h5").string() +
                    "' --trace '" + dir.string() + "'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "--trace:1:1: \"" + dir.string() + "\" is a folder, not a file\n");
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));

  const test::CliResult window =
      test::run_cli("run tests/fixtures/plant/rack_capped.yaml -o '" + (dir / "bad.h5").string() +
                    "' --trace '" + file.string() + "' --trace-window '2 s:1 s'");
  EXPECT_EQ(window.exit_code, 2);
  EXPECT_EQ(window.err, "--trace-window:1:1: FROM must be before TO, got \"2 s:1 s\"\n");
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));
}

}  // namespace
