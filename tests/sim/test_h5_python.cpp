// A file written by ResultFile loads with tools/analysis/firstwall_results.py (h5py + pandas).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "sim/h5_writer.hpp"

namespace fs = std::filesystem;
using sim::h5::ResultFile;
using sim::h5::Table;

namespace {

constexpr const char* python_exe = "/usr/bin/python3";
// -B: write no __pycache__ into the source tree.
constexpr const char* python_cmd = "/usr/bin/python3 -B";

std::string script() {
  return std::string(FIRSTWALL_SOURCE_DIR) + "/tools/analysis/firstwall_results.py";
}

// Single-quoted for /bin/sh.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// Exit status of a shell command (-1 if it did not exit normally).
int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

bool python_has_h5py() {
  if (::access(python_exe, X_OK) != 0) return false;
  return run(std::string(python_exe) + " -c 'import h5py, pandas' >/dev/null 2>&1") == 0;
}

class H5PythonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python_has_h5py()) GTEST_SKIP() << python_exe << " lacks h5py/pandas";
    dir_ = fs::temp_directory_path() /
           ("firstwall-h5py-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string write_results() {
    std::string p = (dir_ / "results.h5").string();
    ResultFile f(p);
    f.set_attribute("firstwall_version", std::string("0.1.0"));
    f.set_attribute("scenario_yaml", std::string("name: test\nseed: 7\n"));
    f.set_attribute("seed", std::int64_t{7});
    f.set_attribute("created_utc", std::string("2024-01-01T00:00:00Z"));
    Table summary;
    summary.add("throughput", "tok/s", std::vector<double>{1234.5})
        .add("ttft_p99", "s", std::vector<double>{0.25})
        .add("peak_power", "W", std::vector<double>{1.0e6})
        .add("requests", "", std::vector<std::int64_t>{100})
        .add("first_wall", std::vector<std::string>{"hbm[0]"});
    f.write_table("/summary", summary);
    Table walls;
    walls.add("name", {"hbm[0]", "nvlink.a", "facility_power"})
        .add("kind", {"memory", "link", "power"})
        .add("limit", "W", std::vector<double>{80e9, 900e9, 2e6})
        .add("peak_utilization", "1", std::vector<double>{1.0, 0.5, 0.75})
        .add("first_hit_s", "s",
             std::vector<double>{1.5, std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN()})
        .add("rank", "", std::vector<std::int64_t>{1, 3, 2});
    f.write_table("/walls", walls, {{"note", "one row per resource"}});
    Table requests;
    requests.add("id", "", std::vector<std::int64_t>{})
        .add("arrival_s", "s", std::vector<double>{})
        .add("model", std::vector<std::string>{});
    f.write_table("/requests", requests);
    f.write_series("/timeseries/replica[0].compute", {0.0, 1.0, 2.0}, {0.1, 0.2, 0.3}, "1");
    f.write_series("/timeseries/facility.power", {0.0, 1.0}, {1e6, 1.1e6}, "W");
    f.commit();
    return p;
  }

  std::string check_cmd(const std::string& file, const std::string& extra = "") const {
    return std::string(python_cmd) + " " + quote(script()) + " --check " + quote(file) + extra;
  }

  fs::path dir_;
};

}  // namespace

TEST_F(H5PythonTest, CheckPasses) {
  const std::string p = write_results();
  EXPECT_EQ(run(check_cmd(p,
                          " summary:throughput summary:first_wall walls:name walls:limit "
                          "walls:first_hit_s walls:rank requests:arrival_s")),
            0);
}

TEST_F(H5PythonTest, CheckFailsOnMissingColumn) {
  const std::string p = write_results();
  EXPECT_EQ(run(check_cmd(p, " walls:no_such_column 2>/dev/null >/dev/null")), 1);
  EXPECT_EQ(run(check_cmd(p, " points 2>/dev/null >/dev/null")), 1);
}

TEST_F(H5PythonTest, PrintsFile) {
  const std::string p = write_results();
  EXPECT_EQ(run(std::string(python_cmd) + " " + quote(script()) + " " + quote(p) + " >/dev/null"),
            0);
}

TEST_F(H5PythonTest, LoadReturnsFramesWithStrings) {
  const std::string p = write_results();
  // Values as pandas sees them, through load().
  const std::string code =
      "import sys, math; sys.path.insert(0, sys.argv[1]); import firstwall_results as fr\n"
      "r = fr.load(sys.argv[2])\n"
      "w = r['walls']\n"
      "assert list(w.columns) == ['name','kind','limit','peak_utilization','first_hit_s','rank'],"
      " list(w.columns)\n"
      "assert w['name'].tolist() == ['hbm[0]','nvlink.a','facility_power'], w['name'].tolist()\n"
      "assert isinstance(w['kind'][0], str)\n"
      "assert w['rank'].tolist() == [1,3,2] and str(w['rank'].dtype) == 'int64'\n"
      "assert math.isnan(w['first_hit_s'][1]) and w['first_hit_s'][0] == 1.5\n"
      "assert w.attrs['units'] == {'limit':'W','peak_utilization':'1','first_hit_s':'s'},"
      " w.attrs['units']\n"
      "assert w.attrs['attributes'] == {'note':'one row per resource'}\n"
      "s = r['summary']\n"
      "assert len(s) == 1 and s['throughput'][0] == 1234.5 and s['first_wall'][0] == 'hbm[0]'\n"
      "assert len(r['requests']) == 0 and list(r['requests'].columns) == "
      "['id','arrival_s','model']\n"
      "assert r['attrs']['seed'] == 7 and r['attrs']['firstwall_version'] == '0.1.0'\n"
      "assert isinstance(r['attrs']['scenario_yaml'], str)\n"
      "ts = r['timeseries']\n"
      "assert sorted(ts) == ['facility.power','replica[0].compute'], sorted(ts)\n"
      "assert ts['facility.power']['value'].tolist() == [1e6, 1.1e6]\n"
      "assert ts['facility.power'].attrs['unit'] == 'W'\n"
      // The contract: pandas.DataFrame(h5py.File(f)['walls'][()]) works directly.
      "import h5py, pandas\n"
      "d = pandas.DataFrame(h5py.File(sys.argv[2], 'r')['walls'][()])\n"
      "assert d.shape == (3, 6) and d['name'][0] == b'hbm[0]'\n";
  const std::string py = (dir_ / "probe.py").string();
  {
    std::FILE* out = std::fopen(py.c_str(), "w");
    ASSERT_NE(out, nullptr);
    std::fputs(code.c_str(), out);
    std::fclose(out);
  }
  const std::string analysis_dir = std::string(FIRSTWALL_SOURCE_DIR) + "/tools/analysis";
  EXPECT_EQ(
      run(std::string(python_cmd) + " " + quote(py) + " " + quote(analysis_dir) + " " + quote(p)),
      0);
}
