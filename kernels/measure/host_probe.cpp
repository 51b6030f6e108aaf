#include "kernels/measure/host_probe.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <omp.h>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace kernels::measure {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

// The value of the first /proc/cpuinfo line whose key is `key` ("" when absent).
std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon != std::string::npos && trim(line.substr(0, colon)) == key)
      return trim(line.substr(colon + 1));
  }
  return "";
}

std::string cpu_model_name() {
  const std::string name = cpuinfo_field("model name");
  return name.empty() ? "unknown" : name;
}

int cpuinfo_int(const std::string& key) {
  try {
    return std::stoi(cpuinfo_field(key));
  } catch (const std::exception&) {
    return -1;
  }
}

// sysfs writes sizes as "32768K" (Documentation/ABI/testing/sysfs-devices-system-cpu).
std::int64_t parse_cache_size(const std::string& text) {
  std::size_t used = 0;
  std::int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    return 0;
  }
  const std::string suffix = trim(text.substr(used));
  if (suffix == "K") return value << 10;
  if (suffix == "M") return value << 20;
  if (suffix.empty()) return value;
  return 0;
}

// cpu0's caches from sysfs: index0..index3 are L1d, L1i, L2, L3 on current kernels, but the
// level and type files say which is which.
struct cache_levels {
  std::int64_t l1d = 0;
  std::int64_t l2 = 0;
  std::int64_t llc = 0;
};

cache_levels sysfs_cache_levels() {
  cache_levels c;
  int best_level = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level_in(dir + "level");
    std::ifstream size_in(dir + "size");
    std::ifstream type_in(dir + "type");
    int level = 0;
    std::string size;
    std::string type;
    if (!(level_in >> level) || !(size_in >> size)) continue;
    type_in >> type;
    const std::int64_t bytes = parse_cache_size(size);
    if (level == 1 && type == "Data") c.l1d = bytes;
    if (level == 2) c.l2 = bytes;
    if (level >= best_level && type != "Instruction") {
      best_level = level;
      c.llc = bytes;
    }
  }
  return c;
}

// One pass of reads over n floats (n a multiple of 128), 8 independent sums so the loads, not
// the add latency, set the pace.
#if defined(__AVX512F__)
float read_pass(const float* p, std::int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (std::int64_t i = 0; i < n; i += 128) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(p + i));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(p + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_loadu_ps(p + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_loadu_ps(p + i + 48));
    s4 = _mm512_add_ps(s4, _mm512_loadu_ps(p + i + 64));
    s5 = _mm512_add_ps(s5, _mm512_loadu_ps(p + i + 80));
    s6 = _mm512_add_ps(s6, _mm512_loadu_ps(p + i + 96));
    s7 = _mm512_add_ps(s7, _mm512_loadu_ps(p + i + 112));
  }
  const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                                   _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0.0f;
  for (float x : lanes) total += x;
  return total;
}
#elif defined(__AVX2__)
float read_pass(const float* p, std::int64_t n) {
  __m256 s[8];
  for (auto& v : s) v = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < n; i += 128) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      s[j] = _mm256_add_ps(s[j], _mm256_loadu_ps(p + i + 16 * j));
      s[j] = _mm256_add_ps(s[j], _mm256_loadu_ps(p + i + 16 * j + 8));
    }
  }
  __m256 sum = s[0];
  for (int j = 1; j < 8; ++j) sum = _mm256_add_ps(sum, s[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float x : lanes) total += x;
  return total;
}
#else
float read_pass(const float* p, std::int64_t n) {
  std::array<float, 8> s{};
  for (std::int64_t i = 0; i < n; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += p[i + j];
  }
  float total = 0.0f;
  for (float x : s) total += x;
  return total;
}
#endif

double median_rate(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]);
}

// One thread's loop. acc ← acc·a + b with a just below 1 converges to b/(1 − a) = 1, so no
// value overflows or turns denormal (which would slow some cores down), and the sum is
// returned so the compiler cannot drop the work. The inner loop over the accumulators has a
// constant trip count and is fully unrolled, keeping every accumulator in a register.
#if defined(__AVX512F__)
constexpr int fma_lanes = 16;
float fma_loop(std::int64_t iterations) {
  __m512
      acc[fma_accumulators];  // a C array: std::array<__m512> drops the type's alignment attribute
  for (int j = 0; j < fma_accumulators; ++j)
    acc[j] = _mm512_set1_ps(0.001f * static_cast<float>(j));
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(0.000001f);
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < fma_accumulators; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < fma_accumulators; ++j) sum = _mm512_add_ps(sum, acc[j]);
  // Stored and summed in scalar code: GCC 12.2's _mm512_reduce_add_ps trips -Wuninitialized
  // inside its own header (GCC bug 105593).
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0.0f;
  for (float x : lanes) total += x;
  return total;
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int fma_lanes = 8;
float fma_loop(std::int64_t iterations) {
  __m256
      acc[fma_accumulators];  // a C array: std::array<__m256> drops the type's alignment attribute
  for (int j = 0; j < fma_accumulators; ++j)
    acc[j] = _mm256_set1_ps(0.001f * static_cast<float>(j));
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(0.000001f);
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < fma_accumulators; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  }
  alignas(32) float lanes[8];
  __m256 sum = acc[0];
  for (int j = 1; j < fma_accumulators; ++j) sum = _mm256_add_ps(sum, acc[j]);
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float x : lanes) total += x;
  return total;
}
#else
constexpr int fma_lanes = 1;
float fma_loop(std::int64_t iterations) {
  std::array<float, fma_accumulators> acc{};
  for (int j = 0; j < fma_accumulators; ++j) acc[j] = 0.001f * static_cast<float>(j);
  for (std::int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < fma_accumulators; ++j) acc[j] = acc[j] * 0.999999f + 0.000001f;
  }
  float total = 0.0f;
  for (float x : acc) total += x;
  return total;
}
#endif

}  // namespace

host_info probe_host() {
  host_info h;
  std::array<char, 256> name{};
  h.host_id =
      ::gethostname(name.data(), name.size() - 1) == 0 ? std::string(name.data()) : "unknown";
  h.cpu_model = cpu_model_name();
  h.vendor = cpuinfo_field("vendor_id");
  h.family = cpuinfo_int("cpu family");
  h.model = cpuinfo_int("model");
  h.microarchitecture =
      microarchitecture(h.vendor, h.family, h.model, h.cpu_model, cpuinfo_field("flags"));
  h.logical_cores = std::max(1, omp_get_num_procs());
  const cache_levels c = sysfs_cache_levels();
  h.l1d_bytes = c.l1d;
  h.l2_bytes = c.l2;
  h.llc_bytes = c.llc;
  return h;
}

std::string microarchitecture(const std::string& vendor, int family, int model,
                              const std::string& cpu_model, const std::string& flags) {
  // AMD: family 0x19 = Zen 3 / Zen 4 by model range, 0x1A = Zen 5 (AMD's processor
  // programming references; the server parts: Milan 0x01, Genoa 0x11, Bergamo 0xA0, Turin
  // 0x02 / 0x11 in family 0x1A). Intel family 6 server cores by model (Intel SDM vol. 4,
  // table 2-1): 0x55 Skylake-SP / Cascade Lake, 0x6A Ice Lake-SP, 0x8F Sapphire Rapids,
  // 0xCF Emerald Rapids, 0xAD Granite Rapids. A KVM guest may report another model than its
  // host's (this project's Sapphire Rapids guest says 0xA7): then the model name decides if
  // it names the generation, else "unknown".
  if (vendor == "AuthenticAMD") {
    if (family == 0x1A) return "Zen 5";
    if (family == 0x19) {
      if ((model >= 0x10 && model <= 0x1F) || (model >= 0x60 && model <= 0x7F) ||
          (model >= 0xA0 && model <= 0xAF))
        return "Zen 4";
      if (model <= 0x0F || (model >= 0x20 && model <= 0x5F)) return "Zen 3";
    }
    if (family == 0x17) return "Zen / Zen 2";
  }
  if (vendor == "GenuineIntel" && family == 6) {
    switch (model) {
      case 0x55:
        return "Skylake-SP / Cascade Lake";
      case 0x6A:
        return "Ice Lake-SP";
      case 0x8F:
        return "Sapphire Rapids";
      case 0xCF:
        return "Emerald Rapids";
      case 0xAD:
        return "Granite Rapids";
      default:
        break;
    }
  }
  for (const char* generation : {"Sapphire Rapids", "Emerald Rapids", "Granite Rapids"}) {
    if (cpu_model.find(generation) != std::string::npos) return generation;
  }
  // AMX tiles came with Sapphire Rapids: a guest that hides its model still shows its flags.
  if (vendor == "GenuineIntel" && (" " + flags + " ").find(" amx_tile ") != std::string::npos)
    return "Sapphire Rapids or later (AMX; cpuid model " + std::to_string(model) + ")";
  return "unknown (" + (vendor.empty() ? std::string("?") : vendor) + " family " +
         std::to_string(family) + " model " + std::to_string(model) + ")";
}

double measure_core_clock_hz(std::int64_t iterations, int trials) {
  if (iterations < 1 || trials < 1) {
    throw std::invalid_argument("measure_core_clock_hz: iterations and trials must be >= 1");
  }
#if defined(__x86_64__)
  double best = 0.0;
  for (int trial = 0; trial < trials; ++trial) {
    std::uint64_t x = 0;
    const std::uint64_t one = 1;
    const auto t0 = clock_type::now();
    for (std::int64_t i = 0; i < iterations; ++i) {
      asm volatile(
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
          : "+r"(x)
          : "r"(one));
    }
    const double s = seconds_since(t0);
    if (x != static_cast<std::uint64_t>(16 * iterations)) {
      throw std::runtime_error("measure_core_clock_hz: wrong add chain result");
    }
    best = std::max(best, 16.0 * static_cast<double>(iterations) / s);
  }
  return best;
#else
  return 0.0;
#endif
}

cache_sweep analyse_cache_sweep(std::vector<cache_sweep_point> points, std::int64_t l2_bytes) {
  std::sort(
      points.begin(), points.end(),
      [](const cache_sweep_point& a, const cache_sweep_point& b) { return a.bytes < b.bytes; });
  cache_sweep r;
  r.points = points;
  if (points.size() < 3) return r;
  const std::size_t n = points.size();
  r.memory_bw = 0.5 * (points[n - 1].read_bytes_per_s + points[n - 2].read_bytes_per_s);
  // Above the L2: twice its size (a working set of 1-2 × L2 still hits it in part). Unknown
  // L2: from 4 MiB.
  const std::int64_t above_l2 = l2_bytes > 0 ? 2 * l2_bytes : std::int64_t{4} << 20;
  std::size_t peak = n;
  for (std::size_t i = 0; i + 2 < n; ++i) {
    if (points[i].bytes < above_l2) continue;
    if (peak == n || points[i].read_bytes_per_s > points[peak].read_bytes_per_s) peak = i;
  }
  if (peak == n) return r;
  r.cache_bw = points[peak].read_bytes_per_s;
  if (!(r.memory_bw > 0.0) || r.cache_bw < 1.2 * r.memory_bw) return r;
  // Time per byte when half the bytes hit: the mean of the two levels' times per byte.
  const double half = 0.5 * (1.0 / r.cache_bw + 1.0 / r.memory_bw);
  for (std::size_t i = peak + 1; i < n; ++i) {
    const double t = 1.0 / points[i].read_bytes_per_s;
    if (t < half) continue;
    const double t0 = 1.0 / points[i - 1].read_bytes_per_s;
    const double x0 = std::log(static_cast<double>(points[i - 1].bytes));
    const double x1 = std::log(static_cast<double>(points[i].bytes));
    const double f = t > t0 ? std::clamp((half - t0) / (t - t0), 0.0, 1.0) : 0.0;
    r.effective_llc_bytes = static_cast<std::int64_t>(std::exp(x0 + f * (x1 - x0)));
    return r;
  }
  r.effective_llc_bytes = points[n - 1].bytes;  // never crossed: at least the largest size
  return r;
}

cache_sweep measure_cache_sweep(std::int64_t l2_bytes, const cache_sweep_options& options) {
  if (options.min_bytes < 1 || options.max_bytes < options.min_bytes ||
      !(options.seconds_per_point >= 0.0) || options.min_passes < 1) {
    throw std::invalid_argument(
        "measure_cache_sweep: need 0 < min_bytes <= max_bytes, seconds_per_point >= 0, "
        "min_passes >= 1");
  }
  // Sizes m × 1, 1.5, 2, 3, 4, 6, …, each rounded to whole 512-byte blocks of the loop.
  std::vector<std::int64_t> sizes;
  for (std::int64_t base = options.min_bytes; base <= options.max_bytes; base *= 2) {
    sizes.push_back(base);
    if (base + base / 2 <= options.max_bytes) sizes.push_back(base + base / 2);
  }
  const auto floats_of = [](std::int64_t bytes) {
    return std::max<std::int64_t>(128, bytes / 4 / 128 * 128);
  };
  const std::int64_t capacity = floats_of(sizes.back());
  const std::unique_ptr<float[]> buffer(new float[static_cast<std::size_t>(capacity)]);
  float* const data = buffer.get();
  for (std::int64_t i = 0; i < capacity; ++i) data[i] = 1.0f;  // first touch: pages mapped
  std::vector<cache_sweep_point> points;
  float sink = 0.0f;
  for (std::int64_t bytes : sizes) {
    const std::int64_t n = floats_of(bytes);
    sink += read_pass(data, n);  // into the caches it fits in
    std::vector<double> rates;
    const auto t_start = clock_type::now();
    while (static_cast<int>(rates.size()) < options.min_passes ||
           seconds_since(t_start) < options.seconds_per_point) {
      const auto t0 = clock_type::now();
      sink += read_pass(data, n);
      rates.push_back(static_cast<double>(n) * 4.0 / seconds_since(t0));
      if (rates.size() >= 100000) break;
    }
    points.push_back({n * 4, median_rate(std::move(rates))});
  }
  if (!(sink > 0.0f)) throw std::runtime_error("measure_cache_sweep: read loop produced no sum");
  return analyse_cache_sweep(std::move(points), l2_bytes);
}

const char* fma_isa() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2";
#else
  return "scalar";
#endif
}

std::int64_t fma_flops_per_iteration() {
  return std::int64_t{2} * fma_accumulators * fma_lanes;
}

sim::FlopsPerSecond measure_fma_peak(int threads, std::int64_t iterations, int trials) {
  if (threads < 1 || iterations < 1 || trials < 1) {
    throw std::invalid_argument("measure_fma_peak: threads, iterations and trials must be >= 1");
  }
  double best = 0.0;
  float sink = 0.0f;
  for (int t = 0; t < trials; ++t) {
    const auto t0 = clock_type::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += fma_loop(iterations);
    const double s = seconds_since(t0);
    best =
        std::max(best, static_cast<double>(fma_flops_per_iteration() * iterations * threads) / s);
  }
  // The sum of converging accumulators is finite and positive; anything else means the loop
  // was miscompiled, and its rate would be meaningless.
  if (!(sink > 0.0f)) throw std::runtime_error("measure_fma_peak: FMA loop produced no result");
  return sim::FlopsPerSecond(best);
}

sim::BytesPerSecond measure_stream_triad(int threads, std::int64_t elements, int trials) {
  if (threads < 1 || elements < 1 || trials < 1) {
    throw std::invalid_argument("measure_stream_triad: threads, elements and trials must be >= 1");
  }
  // Uninitialized storage, then a parallel first touch with the same static split as the
  // timed loop (STREAM's own convention): each thread's pages are mapped by that thread.
  const auto n = static_cast<std::size_t>(elements);
  const std::unique_ptr<double[]> a(new double[n]);
  const std::unique_ptr<double[]> b(new double[n]);
  const std::unique_ptr<double[]> c(new double[n]);
  double* const pa = a.get();
  double* const pb = b.get();
  double* const pc = c.get();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < elements; ++i) {
    pa[i] = 0.0;
    pb[i] = 1.0;
    pc[i] = 2.0;
  }
  const double scalar = 3.0;  // STREAM's scalar
  double best = 0.0;
  for (int t = 0; t < trials; ++t) {
    const auto t0 = clock_type::now();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < elements; ++i) pa[i] = pb[i] + scalar * pc[i];
    const double s = seconds_since(t0);
    best = std::max(best, static_cast<double>(stream_bytes_per_iteration * elements) / s);
  }
  // STREAM's own check: every a[i] is b + s·c = 7.
  if (pa[0] != 7.0 || pa[n - 1] != 7.0) {
    throw std::runtime_error("measure_stream_triad: wrong triad result");
  }
  return sim::BytesPerSecond(best);
}

}  // namespace kernels::measure
