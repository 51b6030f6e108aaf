#include "kernels/measure/host_probe.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <omp.h>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
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

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  }
  return "unknown";
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

// Largest level among cpu0's caches: index0..index3 are L1d, L1i, L2, L3 on current kernels.
std::int64_t last_level_cache_bytes() {
  int best_level = 0;
  std::int64_t bytes = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level_in(dir + "level");
    std::ifstream size_in(dir + "size");
    int level = 0;
    std::string size;
    if (!(level_in >> level) || !(size_in >> size)) continue;
    if (level >= best_level) {
      best_level = level;
      bytes = parse_cache_size(size);
    }
  }
  return bytes;
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
  h.logical_cores = std::max(1, omp_get_num_procs());
  h.llc_bytes = last_level_cache_bytes();
  return h;
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
