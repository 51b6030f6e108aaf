// ResultFile / Table: written files are read back with the HDF5 C API.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/h5_writer.hpp"

namespace fs = std::filesystem;
using sim::h5::ResultFile;
using sim::h5::Table;

namespace {

// A fresh directory per test, removed afterwards.
class H5WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("firstwall-h5-" + std::to_string(::getpid()) + "-" +
                                        info->name() + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// Minimal RAII for reading back.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
};

std::string read_file_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reads a scalar string attribute (variable or fixed length) of `obj`.
std::optional<std::string> string_attr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
  Id a{H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose};
  Id t{H5Aget_type(a), H5Tclose};
  EXPECT_EQ(H5Tget_class(t), H5T_STRING);
  EXPECT_EQ(H5Tget_cset(t), H5T_CSET_UTF8);
  if (H5Tis_variable_str(t) > 0) {
    Id mt{H5Tcopy(H5T_C_S1), H5Tclose};
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    char* s = nullptr;
    EXPECT_GE(H5Aread(a, mt, &s), 0);
    std::string out = s != nullptr ? s : "";
    Id space{H5Aget_space(a), H5Sclose};
    H5Dvlen_reclaim(mt, space, H5P_DEFAULT, &s);
    return out;
  }
  std::vector<char> buf(H5Tget_size(t) + 1, '\0');
  EXPECT_GE(H5Aread(a, t, buf.data()), 0);
  return std::string(buf.data());
}

template <class T>
T numeric_attr(hid_t obj, const std::string& name, hid_t mem_type) {
  Id a{H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose};
  T v{};
  EXPECT_GE(a.id, 0);
  EXPECT_GE(H5Aread(a, mem_type, &v), 0);
  return v;
}

// Reads one member of a compound dataset as doubles / int64 / strings.
std::vector<double> read_doubles(hid_t ds, const char* member, std::size_t rows) {
  Id mt{H5Tcreate(H5T_COMPOUND, sizeof(double)), H5Tclose};
  H5Tinsert(mt, member, 0, H5T_NATIVE_DOUBLE);
  std::vector<double> out(rows);
  if (rows > 0) {
    EXPECT_GE(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0);
  }
  return out;
}

std::vector<std::int64_t> read_int64s(hid_t ds, const char* member, std::size_t rows) {
  Id mt{H5Tcreate(H5T_COMPOUND, sizeof(std::int64_t)), H5Tclose};
  H5Tinsert(mt, member, 0, H5T_NATIVE_INT64);
  std::vector<std::int64_t> out(rows);
  if (rows > 0) {
    EXPECT_GE(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0);
  }
  return out;
}

std::vector<std::string> read_strings(hid_t ds, const char* member, std::size_t rows,
                                      std::size_t width) {
  Id st{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(st, width);
  H5Tset_strpad(st, H5T_STR_NULLPAD);
  H5Tset_cset(st, H5T_CSET_UTF8);
  Id mt{H5Tcreate(H5T_COMPOUND, width), H5Tclose};
  H5Tinsert(mt, member, 0, st);
  std::vector<char> buf(rows * width);
  if (rows > 0) {
    EXPECT_GE(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), 0);
  }
  std::vector<std::string> out;
  for (std::size_t r = 0; r < rows; ++r) {
    const char* p = buf.data() + r * width;
    out.emplace_back(p, strnlen(p, width));
  }
  return out;
}

hsize_t dataset_rows(hid_t ds) {
  Id space{H5Dget_space(ds), H5Sclose};
  EXPECT_EQ(H5Sget_simple_extent_ndims(space), 1);
  hsize_t dims[1] = {0};
  H5Sget_simple_extent_dims(space, dims, nullptr);
  return dims[0];
}

std::vector<double> read_vector(hid_t loc, const char* name) {
  Id ds{H5Dopen2(loc, name, H5P_DEFAULT), H5Dclose};
  EXPECT_GE(ds.id, 0);
  Id t{H5Dget_type(ds), H5Tclose};
  EXPECT_GT(H5Tequal(t, H5T_NATIVE_DOUBLE), 0);
  std::vector<double> out(dataset_rows(ds));
  if (!out.empty()) {
    EXPECT_GE(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0);
  }
  return out;
}

Table sample_table() {
  Table t;
  t.add("name", {"hbm", "nvlink", "facility_power"})
      .add("limit", "W", std::vector<double>{1.5, 2.25, 3.0e6})
      .add("rank", "", std::vector<std::int64_t>{3, 1, -2})
      .add("tokens", "tok",
           std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(), 0, 42})
      .add("first_hit_s", "s",
           std::vector<double>{std::numeric_limits<double>::quiet_NaN(), 0.5, -1.0});
  return t;
}

void write_sample(const std::string& p) {
  ResultFile f(p);
  f.set_attribute("firstwall_version", std::string("0.1.0"));
  f.set_attribute("seed", std::int64_t{12345});
  f.set_attribute("pue", 1.25);
  f.write_table("/walls", sample_table(), {{"note", "per resource"}});
  f.write_series("/timeseries/replica[0].compute", {0.0, 1.0, 2.0}, {10.0, 20.0, 30.0}, "W");
  f.commit();
}

}  // namespace

TEST_F(H5WriterTest, TableRowsAndAdd) {
  Table t;
  EXPECT_EQ(t.rows(), 0U);
  t.add("a", "m", std::vector<double>{1, 2});
  EXPECT_EQ(t.rows(), 2U);
  ASSERT_EQ(t.columns().size(), 1U);
  EXPECT_EQ(t.columns()[0].unit, "m");
}

TEST_F(H5WriterTest, TableRoundTrip) {
  const std::string p = path("results.h5");
  write_sample(p);
  ASSERT_TRUE(fs::exists(p));

  Id file{H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  Id ds{H5Dopen2(file, "/walls", H5P_DEFAULT), H5Dclose};
  ASSERT_GE(ds.id, 0);
  ASSERT_EQ(dataset_rows(ds), 3U);

  // The stored type: a compound with members in column order and the promised types.
  Id type{H5Dget_type(ds), H5Tclose};
  ASSERT_EQ(H5Tget_class(type), H5T_COMPOUND);
  ASSERT_EQ(H5Tget_nmembers(type), 5);
  const char* names[] = {"name", "limit", "rank", "tokens", "first_hit_s"};
  for (unsigned i = 0; i < 5; ++i) {
    char* n = H5Tget_member_name(type, i);
    EXPECT_STREQ(n, names[i]);
    H5free_memory(n);
  }
  std::size_t name_width = 0;
  {
    Id m{H5Tget_member_type(type, 0), H5Tclose};
    EXPECT_EQ(H5Tget_class(m), H5T_STRING);
    EXPECT_EQ(H5Tis_variable_str(m), 0);
    EXPECT_EQ(H5Tget_strpad(m), H5T_STR_NULLPAD);
    EXPECT_EQ(H5Tget_cset(m), H5T_CSET_UTF8);
    name_width = H5Tget_size(m);
    EXPECT_EQ(name_width, std::strlen("facility_power"));
    Id d{H5Tget_member_type(type, 1), H5Tclose};
    EXPECT_GT(H5Tequal(d, H5T_NATIVE_DOUBLE), 0);
    Id i{H5Tget_member_type(type, 2), H5Tclose};
    EXPECT_GT(H5Tequal(i, H5T_NATIVE_INT64), 0);
  }

  EXPECT_EQ(read_strings(ds, "name", 3, name_width),
            (std::vector<std::string>{"hbm", "nvlink", "facility_power"}));
  EXPECT_EQ(read_doubles(ds, "limit", 3), (std::vector<double>{1.5, 2.25, 3.0e6}));
  EXPECT_EQ(read_int64s(ds, "rank", 3), (std::vector<std::int64_t>{3, 1, -2}));
  EXPECT_EQ(read_int64s(ds, "tokens", 3),
            (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(), 0, 42}));
  const auto hit = read_doubles(ds, "first_hit_s", 3);
  EXPECT_TRUE(std::isnan(hit[0]));
  EXPECT_EQ(hit[1], 0.5);
  EXPECT_EQ(hit[2], -1.0);

  // Units as attributes named after the columns; none for unit-less columns.
  EXPECT_EQ(string_attr(ds, "limit"), "W");
  EXPECT_EQ(string_attr(ds, "tokens"), "tok");
  EXPECT_EQ(string_attr(ds, "first_hit_s"), "s");
  EXPECT_EQ(string_attr(ds, "rank"), std::nullopt);
  EXPECT_EQ(string_attr(ds, "name"), std::nullopt);
  EXPECT_EQ(string_attr(ds, "note"), "per resource");
}

// "µs → °C" in UTF-8.
constexpr const char* unicode_text =
    "\xce\xbc"
    "s \xe2\x86\x92 \xc2\xb0"
    "C";

TEST_F(H5WriterTest, RootAttributes) {
  const std::string p = path("attrs.h5");
  const std::string big(200000, 'y');  // larger than the 64 KiB object-header message limit
  {
    ResultFile f(p);
    f.set_attribute("firstwall_version", std::string("0.1.0"));
    f.set_attribute("scenario_yaml", big);
    f.set_attribute("unicode", std::string(unicode_text));
    f.set_attribute("empty", std::string());
    f.set_attribute("seed", std::int64_t{-7});
    f.set_attribute("pue", 1.125);
    f.set_attribute("seed", std::int64_t{99});  // setting again replaces
    f.commit();
  }
  Id file{H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  Id root{H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose};
  EXPECT_EQ(string_attr(root, "firstwall_version"), "0.1.0");
  EXPECT_EQ(string_attr(root, "scenario_yaml"), big);
  EXPECT_EQ(string_attr(root, "unicode"), unicode_text);
  EXPECT_EQ(string_attr(root, "empty"), "");
  EXPECT_EQ(numeric_attr<std::int64_t>(root, "seed", H5T_NATIVE_INT64), 99);
  EXPECT_EQ(numeric_attr<double>(root, "pue", H5T_NATIVE_DOUBLE), 1.125);
  {
    Id a{H5Aopen(root, "seed", H5P_DEFAULT), H5Aclose};
    Id t{H5Aget_type(a), H5Tclose};
    EXPECT_GT(H5Tequal(t, H5T_NATIVE_INT64), 0);
    Id s{H5Aget_space(a), H5Sclose};
    EXPECT_EQ(H5Sget_simple_extent_type(s), H5S_SCALAR);
  }
  {
    Id a{H5Aopen(root, "scenario_yaml", H5P_DEFAULT), H5Aclose};
    Id t{H5Aget_type(a), H5Tclose};
    EXPECT_GT(H5Tis_variable_str(t), 0);
  }
}

TEST_F(H5WriterTest, ZeroRowTable) {
  const std::string p = path("empty.h5");
  {
    ResultFile f(p);
    Table t;
    t.add("id", "", std::vector<std::int64_t>{})
        .add("arrival_s", "s", std::vector<double>{})
        .add("model", std::vector<std::string>{});
    EXPECT_EQ(t.rows(), 0U);
    f.write_table("/requests", t);
    f.commit();
  }
  Id file{H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  Id ds{H5Dopen2(file, "/requests", H5P_DEFAULT), H5Dclose};
  ASSERT_GE(ds.id, 0);
  EXPECT_EQ(dataset_rows(ds), 0U);
  Id type{H5Dget_type(ds), H5Tclose};
  EXPECT_EQ(H5Tget_nmembers(type), 3);
  Id m{H5Tget_member_type(type, 2), H5Tclose};
  EXPECT_EQ(H5Tget_size(m), 1U);  // strings are at least one byte wide
  EXPECT_EQ(string_attr(ds, "arrival_s"), "s");
}

TEST_F(H5WriterTest, SeriesAndNestedNames) {
  const std::string p = path("series.h5");
  {
    ResultFile f(p);
    f.write_series("/timeseries/replica[0].compute", {0.0, 0.5, 1.0}, {1.0, 2.0, 4.0}, "W");
    f.write_series("/timeseries/replica[1].compute", {}, {}, "W");
    f.write_series("deep/a.b/c[2]/x", {1.0}, {2.0}, "degC");
    Table t;
    t.add("x", "m", std::vector<double>{1.0});
    f.write_table("/studies/sweep[1]/points.v2", t);
    f.commit();
  }
  Id file{H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  {
    Id g{H5Gopen2(file, "/timeseries/replica[0].compute", H5P_DEFAULT), H5Gclose};
    ASSERT_GE(g.id, 0);
    EXPECT_EQ(string_attr(g, "unit"), "W");
    EXPECT_EQ(read_vector(g, "time_s"), (std::vector<double>{0.0, 0.5, 1.0}));
    EXPECT_EQ(read_vector(g, "value"), (std::vector<double>{1.0, 2.0, 4.0}));
    Id t{H5Dopen2(g, "time_s", H5P_DEFAULT), H5Dclose};
    EXPECT_EQ(string_attr(t, "unit"), "s");
    Id v{H5Dopen2(g, "value", H5P_DEFAULT), H5Dclose};
    EXPECT_EQ(string_attr(v, "unit"), "W");
  }
  {
    Id g{H5Gopen2(file, "/timeseries/replica[1].compute", H5P_DEFAULT), H5Gclose};
    ASSERT_GE(g.id, 0);
    EXPECT_TRUE(read_vector(g, "time_s").empty());
    EXPECT_TRUE(read_vector(g, "value").empty());
  }
  {
    Id g{H5Gopen2(file, "/deep/a.b/c[2]/x", H5P_DEFAULT), H5Gclose};
    ASSERT_GE(g.id, 0);
    EXPECT_EQ(string_attr(g, "unit"), "degC");
  }
  Id ds{H5Dopen2(file, "/studies/sweep[1]/points.v2", H5P_DEFAULT), H5Dclose};
  EXPECT_GE(ds.id, 0);
}

TEST_F(H5WriterTest, SeriesLengthMismatchThrows) {
  ResultFile f(path("bad.h5"));
  EXPECT_THROW(f.write_series("/timeseries/x", {0.0, 1.0}, {1.0}, "W"), std::invalid_argument);
}

TEST_F(H5WriterTest, UnequalColumnsThrowNamingTheColumn) {
  ResultFile f(path("bad.h5"));
  Table t;
  t.add("a", "s", std::vector<double>{1, 2, 3}).add("short_one", "", std::vector<std::int64_t>{1});
  try {
    f.write_table("/t", t);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("short_one"), std::string::npos) << e.what();
  }
  Table dup;
  dup.add("a", "", std::vector<double>{1}).add("a", "", std::vector<double>{2});
  EXPECT_THROW(f.write_table("/dup", dup), std::invalid_argument);
  EXPECT_THROW(f.write_table("/none", Table{}), std::invalid_argument);
}

TEST_F(H5WriterTest, HDF5FailureThrowsRuntimeErrorNamingPath) {
  ResultFile f(path("dup.h5"));
  Table t;
  t.add("a", "", std::vector<double>{1});
  f.write_table("/t", t);
  try {
    f.write_table("/t", t);  // already exists
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(f.temp_path()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/t"), std::string::npos) << e.what();
  }
  // The file is still usable after a failed call.
  f.write_series("/s", {0.0}, {1.0}, "W");
  f.commit();
  EXPECT_TRUE(fs::exists(path("dup.h5")));
}

TEST_F(H5WriterTest, CannotCreateInMissingDirectory) {
  const std::string p = path("no/such/dir/results.h5");
  try {
    ResultFile f(p);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST_F(H5WriterTest, TempFileRemovedWithoutCommit) {
  const std::string p = path("aborted.h5");
  std::string temp;
  {
    ResultFile f(p);
    temp = f.temp_path();
    EXPECT_EQ(temp, p + ".tmp-" + std::to_string(::getpid()));
    EXPECT_EQ(f.final_path(), p);
    f.write_table("/walls", sample_table());
    EXPECT_TRUE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(p));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(p));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(H5WriterTest, TempFileRemovedWhenAnExceptionUnwinds) {
  const std::string p = path("unwound.h5");
  try {
    ResultFile f(p);
    f.set_attribute("seed", std::int64_t{1});
    throw std::runtime_error("run failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(H5WriterTest, CommitReplacesExistingFile) {
  const std::string p = path("results.h5");
  {
    std::ofstream old(p, std::ios::binary);
    old << "old contents";
  }
  {
    ResultFile f(p);
    f.set_attribute("seed", std::int64_t{5});
    // Until commit, the old file is untouched.
    EXPECT_EQ(read_file_bytes(p), "old contents");
    f.commit();
    EXPECT_FALSE(fs::exists(f.temp_path()));
    EXPECT_THROW(f.commit(), std::logic_error);
    EXPECT_THROW(f.set_attribute("x", 1.0), std::logic_error);
  }
  EXPECT_TRUE(fs::exists(p));
  EXPECT_GT(H5Fis_hdf5(p.c_str()), 0);
  Id file{H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  Id root{H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose};
  EXPECT_EQ(numeric_attr<std::int64_t>(root, "seed", H5T_NATIVE_INT64), 5);
  // Only the final file is left in the directory.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1U);
}

TEST_F(H5WriterTest, IdenticalCallsGiveIdenticalBytes) {
  const std::string a = path("a.h5");
  const std::string b = path("b.h5");
  write_sample(a);
  // Let the clock move on so a recorded timestamp would differ.
  ::sleep(1);
  write_sample(b);
  const std::string ba = read_file_bytes(a);
  const std::string bb = read_file_bytes(b);
  ASSERT_FALSE(ba.empty());
  EXPECT_EQ(ba.size(), bb.size());
  EXPECT_TRUE(ba == bb) << "files differ";
}
