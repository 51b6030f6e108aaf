// `firstwall run` end to end: the report, the HDF5 layout, byte-identical datasets for the
// same scenario and seed, and every column of the tables read back against the run in memory.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include "cli_runner.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/serving_workload.hpp"
#include "tests/study/h5_read.hpp"

namespace {

namespace fs = std::filesystem;

// Every dataset of a file as raw bytes in its stored type, keyed by path.
using test::dataset_bytes;

// One compound table of a results file, read column by column with typed reads: each
// member is read through a compound memory type holding that member alone, so a column is
// found by its name and converted from its stored type, whatever the order and packing.
class TableReader {
 public:
  TableReader(hid_t file, const char* path) : path_(path) {
    ds_ = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds_ < 0) throw std::runtime_error(std::string("no dataset ") + path);
    type_ = H5Dget_type(ds_);
    const hid_t space = H5Dget_space(ds_);
    rows_ = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    H5Sclose(space);
  }
  ~TableReader() {
    H5Tclose(type_);
    H5Dclose(ds_);
  }
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  std::size_t rows() const { return rows_; }
  std::vector<std::string> columns() const {
    std::vector<std::string> out;
    for (int i = 0; i < H5Tget_nmembers(type_); ++i) {
      char* name = H5Tget_member_name(type_, static_cast<unsigned>(i));
      out.emplace_back(name);
      H5free_memory(name);
    }
    return out;
  }

  // A float64 column (stored as an 8-byte IEEE float).
  std::vector<double> doubles(const std::string& column) const {
    expect_stored(column, H5T_FLOAT, 8);
    return read<double>(column, H5T_NATIVE_DOUBLE);
  }
  // An int64 column (stored as a signed 8-byte integer).
  std::vector<std::int64_t> ints(const std::string& column) const {
    expect_stored(column, H5T_INTEGER, 8);
    return read<std::int64_t>(column, H5T_NATIVE_INT64);
  }
  // A fixed-length string column; each value up to its first NUL.
  std::vector<std::string> strings(const std::string& column) const {
    const int i = index(column);
    if (i < 0) return {};
    EXPECT_EQ(H5Tget_member_class(type_, static_cast<unsigned>(i)), H5T_STRING) << column;
    const hid_t stored = H5Tget_member_type(type_, static_cast<unsigned>(i));
    const std::size_t size = H5Tget_size(stored);
    const hid_t mem = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(mem, column.c_str(), 0, stored);
    std::vector<char> buf(rows_ * size);
    EXPECT_GE(H5Dread(ds_, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), 0) << column;
    H5Tclose(mem);
    H5Tclose(stored);
    std::vector<std::string> out;
    for (std::size_t r = 0; r < rows_; ++r) {
      const char* v = buf.data() + r * size;
      out.emplace_back(v, strnlen(v, size));
    }
    return out;
  }
  // The unit of a column: the string attribute named after it; nullopt if there is none.
  std::optional<std::string> unit(const std::string& column) const {
    if (H5Aexists(ds_, column.c_str()) <= 0) return std::nullopt;
    return attribute(column);
  }
  std::string attribute(const std::string& name) const {
    const hid_t a = H5Aopen(ds_, name.c_str(), H5P_DEFAULT);
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char* value = nullptr;
    EXPECT_GE(H5Aread(a, t, &value), 0) << path_ << " attribute " << name;
    std::string out = value ? value : "";
    H5free_memory(value);
    H5Tclose(t);
    H5Aclose(a);
    return out;
  }

 private:
  int index(const std::string& column) const {
    const int i = H5Tget_member_index(type_, column.c_str());
    EXPECT_GE(i, 0) << path_ << " has no column " << column;
    return i;
  }
  void expect_stored(const std::string& column, H5T_class_t cls, std::size_t size) const {
    const int i = index(column);
    if (i < 0) return;
    EXPECT_EQ(H5Tget_member_class(type_, static_cast<unsigned>(i)), cls) << column;
    const hid_t t = H5Tget_member_type(type_, static_cast<unsigned>(i));
    EXPECT_EQ(H5Tget_size(t), size) << column;
    H5Tclose(t);
  }
  template <class T>
  std::vector<T> read(const std::string& column, hid_t native) const {
    const hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(T));
    H5Tinsert(mem, column.c_str(), 0, native);
    std::vector<T> out(rows_);
    EXPECT_GE(H5Dread(ds_, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0) << column;
    H5Tclose(mem);
    return out;
  }

  std::string path_;
  hid_t ds_ = H5I_INVALID_HID;
  hid_t type_ = H5I_INVALID_HID;
  std::size_t rows_ = 0;
};

// Equal as stored: the same double, or both NaN (a time that never came).
bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}
double seconds_or_nan(const std::optional<sim::SimTime>& t) {
  return t ? t->seconds() : std::nan("");
}

// Calls check(column) for every column of `table`, and fails for a column nobody checks or
// a check whose column is missing: the test reads back every column, not a chosen few.
void check_every_column(const TableReader& table,
                        const std::map<std::string, std::function<void()>>& checks) {
  std::set<std::string> seen;
  for (const std::string& c : table.columns()) {
    SCOPED_TRACE("column " + c);
    const auto it = checks.find(c);
    if (it == checks.end()) {
      ADD_FAILURE() << "column " << c << " is not read back";
      continue;
    }
    it->second();
    seen.insert(c);
  }
  for (const auto& [c, check] : checks) EXPECT_TRUE(seen.count(c)) << "no column " << c;
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
  const auto da = dataset_bytes(a), db = dataset_bytes(b), dc = dataset_bytes(c);
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
  const auto da = dataset_bytes(a), db = dataset_bytes(b);
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
  // 20 requests/s of Llama-3-8B on two TP-2 A100 replicas is a light load: nothing reaches
  // its limit (the fullest is a replica's HBM, at about 21 %; p99 TPOT is 16 % of its target).
  EXPECT_THAT(r.out, ::testing::HasSubstr("\nNO WALL HIT (threshold 100 %): nearest is "));
  EXPECT_THAT(r.out, ::testing::Not(::testing::HasSubstr("FIRST WALL")));
  const auto d = dataset_bytes(f);
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
  // 7 walls: two replicas' HBM capacity and saturation, the two SLOs, and the NVLink tier
  // their TP2 all-reduces load (models/plant/fabric.hpp scale_up_load).
  const std::string cmd =
      "/usr/bin/python3 -B -c \"import h5py, pandas as pd; f = h5py.File('" + f.string() +
      "'); w = pd.DataFrame(f['walls'][()]); s = pd.DataFrame(f['summary'][()]); "
      "r = pd.DataFrame(f['requests'][()]); "
      "assert len(w) == 7 and 'peak_utilization' in w and len(s) == 1 and len(r) > 300; "
      "assert f.attrs['seed'] == 7 and 'plant:' in f.attrs['scenario_yaml']\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// The run in memory, written and read back: every column of /summary (metrics by name, with
// their unit attribute), /walls (by rank) and /requests (by id). compute_bound_ramp with a
// 1 s drain has a wall hit and walls not hit (NaN first-hit times), and completed and
// unfinished requests (NaN first-token and completion times).
TEST_F(RunFixture, EveryTableColumnReadsBackAsTheRunInMemory) {
  models::LoadOptions o;
  o.overrides = {"simulation.drain=1 s"};
  const models::ScenarioSpec spec = models::load_scenario(
      std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/compute_bound_ramp.yaml", o);
  const models::RunResult result = models::run_scenario(spec);
  const fs::path path = dir / "inproc.h5";
  models::write_results(path.string(), spec, result);
  const auto& requests =
      dynamic_cast<const models::ServingWorkload&>(result.workload()).model().requests();
  ASSERT_NE(result.first_wall(), nullptr);
  ASSERT_GT(
      std::count_if(requests.begin(), requests.end(), [](const auto& q) { return !q.first_token; }),
      0);

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  {
    SCOPED_TRACE("/summary");
    const TableReader t(file, "/summary");
    ASSERT_EQ(t.rows(), 1u);
    std::map<std::string, std::function<void()>> checks;
    for (const models::Metric& m : result.summary) {
      checks[m.name] = [&t, &m] {
        EXPECT_TRUE(same(t.doubles(m.name).at(0), m.value))
            << t.doubles(m.name).at(0) << " != " << m.value;
        if (m.unit.empty()) {
          EXPECT_EQ(t.unit(m.name), std::nullopt);
        } else {
          EXPECT_EQ(t.unit(m.name), m.unit);
        }
      };
    }
    ASSERT_EQ(checks.size(), result.summary.size()) << "metric names are unique";
    const sim::WallResult& first = *result.first_wall();
    checks["scenario"] = [&] { EXPECT_EQ(t.strings("scenario").at(0), spec.name); };
    checks["first_wall"] = [&] { EXPECT_EQ(t.strings("first_wall").at(0), first.name); };
    checks["first_wall_kind"] = [&] { EXPECT_EQ(t.strings("first_wall_kind").at(0), first.kind); };
    checks["nearest_wall"] = [&] {
      EXPECT_EQ(t.strings("nearest_wall").at(0), result.walls.front().name);
    };
    check_every_column(t, checks);
    EXPECT_EQ(t.strings("first_wall").at(0), "replica[0].saturation");
  }
  {
    SCOPED_TRACE("/walls");
    const TableReader t(file, "/walls");
    ASSERT_EQ(t.rows(), result.walls.size());
    const std::vector<std::int64_t> rank = t.ints("rank");
    // Row i is the wall of rank rank[i]; ranks are 1..n, each once.
    std::vector<const sim::WallResult*> wall;
    for (std::int64_t k : rank) {
      ASSERT_GE(k, 1);
      ASSERT_LE(k, std::int64_t(result.walls.size()));
      wall.push_back(&result.walls[std::size_t(k - 1)]);
      EXPECT_EQ(wall.back()->rank, k);
    }
    EXPECT_EQ(std::set<std::int64_t>(rank.begin(), rank.end()).size(), rank.size());
    auto each_string = [&](const char* column, auto field) {
      return [&t, &wall, column, field] {
        const auto v = t.strings(column);
        for (std::size_t i = 0; i < wall.size(); ++i) EXPECT_EQ(v.at(i), field(*wall[i])) << i;
        EXPECT_EQ(t.unit(column), std::nullopt);
      };
    };
    auto each_double = [&](const char* column, auto field, std::optional<std::string> unit) {
      return [&t, &wall, column, field, unit] {
        const auto v = t.doubles(column);
        for (std::size_t i = 0; i < wall.size(); ++i)
          EXPECT_TRUE(same(v.at(i), field(*wall[i]))) << wall[i]->name << ": " << v.at(i);
        EXPECT_EQ(t.unit(column), unit);
      };
    };
    using W = sim::WallResult;
    check_every_column(
        t, {{"name", each_string("name", [](const W& w) { return w.name; })},
            {"kind", each_string("kind", [](const W& w) { return w.kind; })},
            {"unit", each_string("unit", [](const W& w) { return w.unit; })},
            {"aggregation",
             each_string("aggregation",
                         [](const W& w) { return std::string(sim::to_string(w.aggregation)); })},
            {"limit", each_double(
                          "limit", [](const W& w) { return w.limit; }, std::nullopt)},
            {"peak_utilization",
             each_double(
                 "peak_utilization", [](const W& w) { return w.peak_utilization; }, std::nullopt)},
            {"mean_utilization",
             each_double(
                 "mean_utilization", [](const W& w) { return w.mean_utilization; }, std::nullopt)},
            {"first_hit_time",
             each_double(
                 "first_hit_time", [](const W& w) { return seconds_or_nan(w.first_hit); }, "s")},
            {"rank", [&] { EXPECT_EQ(t.unit("rank"), std::nullopt); }}});
    EXPECT_EQ(t.attribute("threshold"), "1");
    EXPECT_EQ(t.attribute("window_s"), "1");
  }
  {
    SCOPED_TRACE("/requests");
    const TableReader t(file, "/requests");
    ASSERT_EQ(t.rows(), requests.size());
    const std::vector<std::int64_t> id = t.ints("id");
    std::vector<const models::RequestRecord*> req;
    for (std::int64_t k : id) {
      ASSERT_GE(k, 0);
      ASSERT_LT(k, std::int64_t(requests.size()));
      req.push_back(&requests[std::size_t(k)]);
      EXPECT_EQ(req.back()->id, k);
    }
    EXPECT_EQ(std::set<std::int64_t>(id.begin(), id.end()).size(), id.size());
    using R = models::RequestRecord;
    auto each_int = [&](const char* column, auto field, std::optional<std::string> unit) {
      return [&t, &req, column, field, unit] {
        const auto v = t.ints(column);
        for (std::size_t i = 0; i < req.size(); ++i)
          EXPECT_EQ(v.at(i), std::int64_t(field(*req[i]))) << "request " << req[i]->id;
        EXPECT_EQ(t.unit(column), unit);
      };
    };
    auto each_time = [&](const char* column, auto field) {
      return [&t, &req, column, field] {
        const auto v = t.doubles(column);
        for (std::size_t i = 0; i < req.size(); ++i)
          EXPECT_TRUE(same(v.at(i), seconds_or_nan(field(*req[i])))) << "request " << req[i]->id;
        EXPECT_EQ(t.unit(column), "s");
      };
    };
    const std::map<models::RequestStatus, std::string> status_name = {
        {models::RequestStatus::completed, "completed"},
        {models::RequestStatus::unfinished, "unfinished"},
        {models::RequestStatus::rejected, "rejected"},
        {models::RequestStatus::lost, "lost"}};
    check_every_column(
        t,
        {{"id", [&] { EXPECT_EQ(t.unit("id"), std::nullopt); }},
         {"replica", each_int(
                         "replica", [](const R& q) { return q.replica; }, std::nullopt)},
         {"arrival",
          each_time("arrival", [](const R& q) { return std::optional<sim::SimTime>(q.arrival); })},
         {"first_token", each_time("first_token", [](const R& q) { return q.first_token; })},
         {"completion", each_time("completion", [](const R& q) { return q.completion; })},
         {"prompt_tokens",
          each_int(
              "prompt_tokens", [](const R& q) { return q.prompt_tokens; }, "tokens")},
         {"output_tokens",
          each_int(
              "output_tokens", [](const R& q) { return q.output_tokens; }, "tokens")},
         {"generated_tokens",
          each_int(
              "generated_tokens", [](const R& q) { return q.generated_tokens; }, "tokens")},
         {"requeued", each_int(
                          "requeued", [](const R& q) { return q.requeued; }, std::nullopt)},
         {"preempted", each_int(
                           "preempted", [](const R& q) { return q.preempted; }, std::nullopt)},
         {"decode_replica",
          each_int(
              "decode_replica", [](const R& q) { return q.decode_replica; }, std::nullopt)},
         {"status", [&] {
            const auto v = t.strings("status");
            for (std::size_t i = 0; i < req.size(); ++i)
              EXPECT_EQ(v.at(i), status_name.at(req[i]->status)) << "request " << req[i]->id;
            EXPECT_EQ(t.unit("status"), std::nullopt);
          }}});
  }
  H5Fclose(file);
}

}  // namespace
