#include "kernels/measure/measure_table.hpp"

#include <hdf5.h>

#include <array>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "sim/h5_writer.hpp"

namespace kernels::measure {
namespace {

// Columns after the shape columns (write_measure_file adds them in this order, with units).
constexpr std::array<const char*, 11> measure_columns{"threads",
                                                      "repeats",
                                                      "calls_per_repeat",
                                                      "median_s",
                                                      "min_s",
                                                      "max_s",
                                                      "flops",
                                                      "bytes",
                                                      "flops_per_s",
                                                      "bytes_per_s",
                                                      "arithmetic_intensity"};

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

// ---- reading (HDF5 C API; the writer side is sim::h5) ----

class handle {
 public:
  handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~handle() {
    if (id_ >= 0) closer_(id_);
  }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

// Silences HDF5's error printing while reading; errors become exceptions.
class quiet_errors {
 public:
  quiet_errors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~quiet_errors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  quiet_errors(const quiet_errors&) = delete;
  quiet_errors& operator=(const quiet_errors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

class table_reader {
 public:
  table_reader(hid_t file, const std::string& file_name, const std::string& path)
      : file_name_(file_name),
        path_(path),
        ds_(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose) {
    if (!ds_.valid()) fail("no dataset");
    const handle space(H5Dget_space(ds_.get()), H5Sclose);
    rows_ = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  }
  std::size_t rows() const { return rows_; }

  template <class T>
  std::vector<T> numbers(const std::string& column) const {
    static_assert(std::is_same_v<T, double> || std::is_same_v<T, std::int64_t>);
    const hid_t native = std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
    const handle mem(H5Tcreate(H5T_COMPOUND, sizeof(T)), H5Tclose);
    H5Tinsert(mem.get(), column.c_str(), 0, native);
    std::vector<T> out(rows_);
    if (rows_ > 0 && H5Dread(ds_.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
      fail("cannot read column '" + column + "'");
    }
    return out;
  }

  std::vector<std::string> strings(const std::string& column) const {
    const handle file_type(H5Dget_type(ds_.get()), H5Tclose);
    const int index = H5Tget_member_index(file_type.get(), column.c_str());
    if (index < 0) fail("no column '" + column + "'");
    const handle member(H5Tget_member_type(file_type.get(), static_cast<unsigned>(index)),
                        H5Tclose);
    const std::size_t size = H5Tget_size(member.get());
    const handle mem(H5Tcreate(H5T_COMPOUND, size), H5Tclose);
    H5Tinsert(mem.get(), column.c_str(), 0, member.get());
    std::vector<char> buf(rows_ * size);
    if (rows_ > 0 && H5Dread(ds_.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) {
      fail("cannot read column '" + column + "'");
    }
    std::vector<std::string> out;
    for (std::size_t r = 0; r < rows_; ++r) {
      const char* p = buf.data() + r * size;
      std::size_t len = 0;
      while (len < size && p[len] != '\0') ++len;  // null padded
      out.emplace_back(p, len);
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("measured table '" + file_name_ + "' " + path_ + ": " + what);
  }
  std::string file_name_;
  std::string path_;
  handle ds_;
  std::size_t rows_ = 0;
};

std::string string_attribute(hid_t file, const char* name) {
  if (H5Aexists(file, name) <= 0) return {};
  const handle attr(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
  const handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  char* value = nullptr;
  if (H5Aread(attr.get(), type.get(), &value) < 0 || value == nullptr) return {};
  std::string out(value);
  H5free_memory(value);
  return out;
}

// A numeric root attribute as a double (integer attributes converted); 0 when absent.
double number_attribute(hid_t file, const char* name) {
  if (H5Aexists(file, name) <= 0) return 0.0;
  const handle attr(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
  double value = 0.0;
  if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value) < 0) return 0.0;
  return value;
}

}  // namespace

std::vector<std::string> kernel_table_columns() {
  std::vector<std::string> names{"kernel", "variant", "dtype", "shape"};
  for (const auto& c : shape_columns) names.emplace_back(c.name);
  for (const char* c : measure_columns) names.emplace_back(c);
  return names;
}

void write_measure_file(const std::string& path, const measure_result& result,
                        const file_metadata& meta) {
  const auto& rows = result.rows;
  sim::h5::Table t;
  auto strings = [&](auto get) {
    std::vector<std::string> v;
    v.reserve(rows.size());
    for (const auto& r : rows) v.push_back(get(r));
    return v;
  };
  auto ints = [&](auto get) {
    std::vector<std::int64_t> v;
    v.reserve(rows.size());
    for (const auto& r : rows) v.push_back(get(r));
    return v;
  };
  auto reals = [&](auto get) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (const auto& r : rows) v.push_back(get(r));
    return v;
  };
  t.add("kernel", strings([](const measured_row& r) { return r.kernel; }));
  t.add("variant", strings([](const measured_row& r) { return r.variant; }));
  t.add("dtype", strings([](const measured_row& r) { return r.dtype; }));
  t.add("shape", strings([](const measured_row& r) { return shape_string(r.shape); }));
  for (const auto& c : shape_columns) {
    t.add(c.name, "", ints([&](const measured_row& r) { return r.shape.*c.field; }));
  }
  t.add("threads", "", ints([](const measured_row& r) { return std::int64_t{r.threads}; }));
  t.add("repeats", "", ints([](const measured_row& r) { return std::int64_t{r.timing.repeats}; }));
  t.add("calls_per_repeat", "",
        ints([](const measured_row& r) { return std::int64_t{r.timing.calls_per_repeat}; }));
  t.add("median_s", "s", reals([](const measured_row& r) { return r.timing.median.value(); }));
  t.add("min_s", "s", reals([](const measured_row& r) { return r.timing.min.value(); }));
  t.add("max_s", "s", reals([](const measured_row& r) { return r.timing.max.value(); }));
  t.add("flops", "FLOP", ints([](const measured_row& r) { return r.work.flops; }));
  t.add("bytes", "B", ints([](const measured_row& r) { return r.work.bytes; }));
  t.add("flops_per_s", "FLOP/s",
        reals([](const measured_row& r) { return r.achieved_flops().value(); }));
  t.add("bytes_per_s", "B/s",
        reals([](const measured_row& r) { return r.achieved_bytes().value(); }));
  t.add("arithmetic_intensity", "FLOP/B", reals([](const measured_row& r) {
          return r.work.bytes > 0
                     ? static_cast<double>(r.work.flops) / static_cast<double>(r.work.bytes)
                     : 0.0;
        }));

  sim::h5::Table host;
  std::vector<std::int64_t> threads;
  std::vector<double> peak;
  std::vector<double> triad;
  for (const thread_rates& r : result.host.rates) {
    threads.push_back(r.threads);
    peak.push_back(r.peak_flops_fma.value());
    triad.push_back(r.stream_triad_bw.value());
  }
  host.add("threads", "", threads)
      .add("peak_flops_fma", "FLOP/s", peak)
      .add("stream_triad_bw", "B/s", triad);

  sim::h5::Table sweep;
  std::vector<std::int64_t> sweep_bytes;
  std::vector<double> sweep_bw;
  for (const cache_sweep_point& p : result.host.caches.points) {
    sweep_bytes.push_back(p.bytes);
    sweep_bw.push_back(p.read_bytes_per_s);
  }
  sweep.add("bytes", "B", sweep_bytes).add("read_bw", "B/s", sweep_bw);

  sim::h5::ResultFile f(path);
  f.set_attribute("firstwall_version", meta.firstwall_version);
  f.set_attribute("command", meta.command);
  f.set_attribute("created_utc", utc_now());
  f.set_attribute("host_id", result.host.host.host_id);
  f.set_attribute("cpu_model", result.host.host.cpu_model);
  f.set_attribute("microarchitecture", result.host.host.microarchitecture);
  f.set_attribute("logical_cores", std::int64_t{result.host.host.logical_cores});
  f.set_attribute("l1d_bytes", result.host.host.l1d_bytes);
  f.set_attribute("l2_bytes", result.host.host.l2_bytes);
  f.set_attribute("llc_bytes", result.host.host.llc_bytes);
  f.set_attribute("llc_effective_bytes", result.host.caches.effective_llc_bytes);
  f.set_attribute("cache_read_bw", result.host.caches.cache_bw);
  f.set_attribute("memory_read_bw", result.host.caches.memory_bw);
  f.set_attribute("core_clock_hz", result.host.core_clock_hz);
  f.set_attribute("fma_isa", result.host.fma_isa);
  f.set_attribute("stream_bytes_per_iteration", stream_bytes_per_iteration);
  f.set_attribute("stream_array_bytes", result.host.stream_array_bytes);
  f.set_attribute("stream_counting",
                  std::string("STREAM triad a[i] = b[i] + s*c[i] over doubles, 24 B per iteration "
                              "(write-allocate traffic of the store not counted)"));
  f.set_attribute("elapsed_s", result.elapsed.value());
  for (const thread_rates& r : result.host.rates) {
    const std::string suffix = "_threads_" + std::to_string(r.threads);
    f.set_attribute("peak_flops_fma" + suffix, r.peak_flops_fma.value());
    f.set_attribute("stream_triad_bw" + suffix, r.stream_triad_bw.value());
  }
  f.write_table("/kernels", t,
                {{"timing", "per call: median, min and max over repeats after warm-up"}});
  f.write_table("/host", host);
  f.write_table("/cache_sweep", sweep,
                {{"method",
                  "read bandwidth of one thread over a working set of `bytes`, read repeatedly "
                  "(median over passes after one untimed pass)"}});
  f.commit();
}

measure_file read_measure_file(const std::string& path) {
  const quiet_errors quiet;
  const handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) throw std::runtime_error("measured table '" + path + "': cannot open");
  measure_file out;
  out.host_id = string_attribute(file.get(), "host_id");
  out.cpu_model = string_attribute(file.get(), "cpu_model");
  out.llc_bytes = static_cast<std::int64_t>(number_attribute(file.get(), "llc_bytes"));
  out.llc_effective_bytes =
      static_cast<std::int64_t>(number_attribute(file.get(), "llc_effective_bytes"));
  out.core_clock_hz = number_attribute(file.get(), "core_clock_hz");
  if (H5Lexists(file.get(), "/cache_sweep", H5P_DEFAULT) > 0) {
    const table_reader sweep(file.get(), path, "/cache_sweep");
    const auto bytes = sweep.numbers<std::int64_t>("bytes");
    const auto bw = sweep.numbers<double>("read_bw");
    for (std::size_t i = 0; i < sweep.rows(); ++i) out.cache_sweep.push_back({bytes[i], bw[i]});
  }

  const table_reader host(file.get(), path, "/host");
  const auto threads = host.numbers<std::int64_t>("threads");
  const auto peak = host.numbers<double>("peak_flops_fma");
  const auto triad = host.numbers<double>("stream_triad_bw");
  for (std::size_t i = 0; i < host.rows(); ++i) {
    out.rates.push_back({static_cast<int>(threads[i]), sim::FlopsPerSecond(peak[i]),
                         sim::BytesPerSecond(triad[i])});
  }

  const table_reader k(file.get(), path, "/kernels");
  const auto kernel = k.strings("kernel");
  const auto variant = k.strings("variant");
  const auto dtype = k.strings("dtype");
  std::vector<std::vector<std::int64_t>> shape;
  shape.reserve(shape_columns.size());
  for (const auto& c : shape_columns) shape.push_back(k.numbers<std::int64_t>(c.name));
  const auto n_threads = k.numbers<std::int64_t>("threads");
  const auto repeats = k.numbers<std::int64_t>("repeats");
  const auto calls = k.numbers<std::int64_t>("calls_per_repeat");
  const auto median = k.numbers<double>("median_s");
  const auto min = k.numbers<double>("min_s");
  const auto max = k.numbers<double>("max_s");
  const auto flops = k.numbers<std::int64_t>("flops");
  const auto bytes = k.numbers<std::int64_t>("bytes");
  for (std::size_t i = 0; i < k.rows(); ++i) {
    measured_row r;
    r.kernel = kernel[i];
    r.variant = variant[i];
    r.dtype = dtype[i];
    for (std::size_t c = 0; c < shape_columns.size(); ++c)
      r.shape.*shape_columns[c].field = shape[c][i];
    r.threads = static_cast<int>(n_threads[i]);
    r.timing = timing_result{static_cast<int>(repeats[i]), static_cast<int>(calls[i]),
                             sim::Seconds(median[i]), sim::Seconds(min[i]), sim::Seconds(max[i])};
    r.work = kernel_work{flops[i], bytes[i]};
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace kernels::measure
