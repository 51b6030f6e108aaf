// The roofline probes against the physics of the core they run on, and argument errors.
//
// FMA peak: a core retires at most (FMA pipes) × (lanes) FMAs per cycle, 2 FLOP each. The
// lanes are the ISA of the loop this build runs (fma_isa(): AVX-512 16 fp32 lanes, AVX2 8);
// the pipes cannot be read from cpuid, so the band spans the cores this runs on:
//   - Intel Sapphire Rapids (this machine, a KVM guest) and Skylake-SP Gold/Platinum: two
//     512-bit FMA pipes (ports 0+1 fused and port 5); some Xeon Silver / Gold 5xxx parts one;
//   - AMD Zen 4: two 256-bit pipes, a 512-bit FMA issued as two halves — one 512-bit FMA per
//     cycle; Zen 5 (server, desktop): two full 512-bit pipes.
// So FLOP per cycle lies in [1 pipe, 2 pipes] × lanes × 2. The clock: a KVM guest's
// /proc/cpuinfo "cpu MHz" is the nominal TSC rate (2600 here) while the core turbos higher
// (the FMA loop alone implies ≥ 3.3 GHz here), so the clock is measured instead, by a chain
// of dependent register-register integer adds — one cycle of latency on every x86-64 core
// since the Pentium 4 era (Agner Fog's instruction tables), not eliminated at rename as some
// immediate adds are on Golden Cove.
//   upper: peak ≤ 2 pipes × lanes × 2 FLOP × f × 1.1 (10 % for the clock moving between the
//          two measurements; the best of several trials is taken on both sides);
//   lower: peak ≥ 0.4 × 1 pipe × lanes × 2 FLOP × f. Below one pipe's worth because a
//          512-bit FMA clock may sit under the scalar one (Intel AVX-512 licence levels: ~20 %
//          on two-pipe parts) and a busy second hardware thread on the same core (ctest -j
//          on a guest whose vCPUs may be SMT siblings) halves a Zen 4's one 512-bit pipe:
//          0.5 there. A loop that is latency-bound (1 chain: 4-cycle latency, 0.25 of a pipe)
//          or not vectorized (1/16) falls well below it.
// Measured on this Sapphire Rapids guest (load ~1–2, three runs, 2026-11-30): clock 3.77 …
// 3.89 GHz; peak 158 … 222 GFLOP/s = 42 … 58 FLOP/cycle of a band [12.8, 70.4] — two 512-bit
// pipes at an AVX-512 clock of ~3.5 GHz. README figures: Zen 4 117 GFLOP/s at ~3.67 GHz =
// 32 FLOP/cycle (one 512-bit FMA per cycle); Zen 5 269 GFLOP/s, ~54–64 at 4.2–5 GHz.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/measure/host_probe.hpp"

namespace km = kernels::measure;

namespace {

#if defined(__x86_64__)
double measured_core_clock_hz() {
  return km::measure_core_clock_hz();
}
#endif

// fp32 lanes of the FMA loop's instructions. The scalar fallback is plain C++ that the
// compiler may vectorize for the baseline SSE2 (4 lanes, multiply and add on separate pipes:
// the same FLOP per cycle as 4-lane FMAs on two pipes), but need not: 1 lane at least.
struct lanes {
  int low;
  int high;
};
lanes fma_lanes() {
  const std::string isa = km::fma_isa();
  if (isa == "avx512") return {16, 16};
  if (isa == "avx2") return {8, 8};
  return {1, 4};
}

}  // namespace

TEST(HostProbe, DescribesTheHost) {
  const km::host_info h = km::probe_host();
  EXPECT_FALSE(h.host_id.empty());
  EXPECT_FALSE(h.cpu_model.empty());
  EXPECT_GE(h.logical_cores, 1);
  EXPECT_GE(h.llc_bytes, 0);
}

TEST(HostProbe, FmaPeakLiesInTheBandOfItsLanesPipesAndClock) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the clock loop is x86-64 assembly";
#elif defined(__SANITIZE_ADDRESS__)
  // `make asan-test` builds at -O2 with AddressSanitizer: the accumulators of the FMA loop go
  // through instrumented memory (14 GFLOP/s on a core whose band starts at 50), so a speed
  // band says nothing there. The normal build checks it.
  GTEST_SKIP() << "a speed band does not hold under AddressSanitizer instrumentation";
#else
  const double f_before = measured_core_clock_hz();
  // 2^22 iterations × 512 FLOP ≈ 2 GFLOP: ~10 ms per trial on one AVX-512 core.
  const double peak = km::measure_fma_peak(1, std::int64_t{1} << 22, 9).value();
  const double f = std::max(f_before, measured_core_clock_hz());
  const lanes l = fma_lanes();
  RecordProperty("fma_isa", km::fma_isa());
  RecordProperty("peak_gflops", std::to_string(peak / 1e9));
  RecordProperty("clock_ghz", std::to_string(f / 1e9));
  RecordProperty("flop_per_cycle", std::to_string(peak / f));
  // A clock outside 0.5–7 GHz means the add chain was not one add per cycle.
  ASSERT_GT(f, 0.5e9);
  ASSERT_LT(f, 7e9);
  EXPECT_LE(peak, 2.0 * l.high * 2.0 * f * 1.1) << "FLOP/cycle " << peak / f;
  EXPECT_GE(peak, 0.4 * 1.0 * l.low * 2.0 * f) << "FLOP/cycle " << peak / f;
  EXPECT_EQ(km::fma_flops_per_iteration(), 2 * km::fma_accumulators * l.low);
#endif
}

TEST(HostProbe, StreamTriadOnSmallArraysIsBelowWhatTheL1PortsAllow) {
  // 3 × 8 MiB: cache-resident on many hosts (this guest reports a 480 MiB L3), so the rate
  // can be anything from DRAM to L2/L3 speed. Upper bound: an iteration needs two loads and
  // a store; the widest cores here do two 64-byte loads and one 64-byte store per cycle
  // (Sapphire Rapids, Zen 5), so at most 8 iterations — 192 bytes, STREAM counting — per
  // cycle, ×1.1 for the clock. Lower bound: one core streams ≥ 1 GB/s from any DDR4/DDR5.
  const double bw = km::measure_stream_triad(1, std::int64_t{1} << 20, 3).value();
  RecordProperty("triad_gb_per_s", std::to_string(bw / 1e9));
  EXPECT_GT(bw, 1e9);
#if defined(__x86_64__)
  EXPECT_LT(bw, 192.0 * measured_core_clock_hz() * 1.1);
#endif
  EXPECT_EQ(km::stream_bytes_per_iteration, 24);
}

TEST(HostProbe, RejectsNonPositiveArguments) {
  EXPECT_THROW(km::measure_fma_peak(0, 10, 1), std::invalid_argument);
  EXPECT_THROW(km::measure_fma_peak(1, 0, 1), std::invalid_argument);
  EXPECT_THROW(km::measure_stream_triad(1, 0, 1), std::invalid_argument);
  EXPECT_THROW(km::measure_stream_triad(1, 10, 0), std::invalid_argument);
}

// The effective LLC from a read sweep: a cache of C bytes in front of memory, kept by a cyclic
// reader in proportion (hit fraction h(S) = min(1, C / S), as a random-replacement cache does).
// Time per byte t(S) = h/B_cache + (1 − h)/B_mem; half the bytes hit at S = 2C, so the
// analysis must return 2C where the sweep has that point, and the two levels' rates.
TEST(HostProbe, CacheSweepAnalysisFindsWhereHalfTheBytesHit) {
  const double b_cache = 30e9, b_mem = 10e9;
  const std::int64_t c = std::int64_t{48} << 20, l2 = std::int64_t{2} << 20;
  std::vector<km::cache_sweep_point> points;
  for (std::int64_t s = std::int64_t{1} << 20; s <= (std::int64_t{2} << 30); s *= 2) {
    const double h = std::min(1.0, static_cast<double>(c) / static_cast<double>(s));
    // Inside the L2 faster still: the analysis must skip it (sizes below 2 × L2).
    const double fast = s <= l2 ? 2.0 * b_cache : b_cache;
    points.push_back({s, 1.0 / (h / fast + (1.0 - h) / b_mem)});
  }
  const km::cache_sweep r = km::analyse_cache_sweep(points, l2);
  EXPECT_DOUBLE_EQ(r.cache_bw, b_cache);
  const double mem_expected = 0.5 * (points[points.size() - 1].read_bytes_per_s +
                                     points[points.size() - 2].read_bytes_per_s);
  EXPECT_DOUBLE_EQ(r.memory_bw, mem_expected);
  // 2C = 96 MiB is not a power of two: interpolated in log S between 64 and 128 MiB where
  // t crosses the mean of the two levels' times per byte (computed with the sweep's own
  // memory level, the mean of the two largest sizes).
  const double half = 0.5 * (1.0 / b_cache + 1.0 / mem_expected);
  const auto t_at = [&](double s) {
    const double h = std::min(1.0, static_cast<double>(c) / s);
    return h / b_cache + (1.0 - h) / b_mem;
  };
  const double s0 = 64.0 * (1 << 20), s1 = 128.0 * (1 << 20);
  const double f = (half - t_at(s0)) / (t_at(s1) - t_at(s0));
  const double expected = std::exp(std::log(s0) + f * (std::log(s1) - std::log(s0)));
  EXPECT_NEAR(static_cast<double>(r.effective_llc_bytes), expected, 1.0);
  EXPECT_GT(r.effective_llc_bytes, c);
  EXPECT_LT(r.effective_llc_bytes, 3 * c);
}

TEST(HostProbe, CacheSweepWithoutACacheLevelFindsNone) {
  std::vector<km::cache_sweep_point> points;
  for (std::int64_t s = std::int64_t{4} << 20; s <= (std::int64_t{1} << 30); s *= 2)
    points.push_back({s, 10e9 * (1.0 + 1e-3 * static_cast<double>(points.size() % 2))});
  const km::cache_sweep r = km::analyse_cache_sweep(points, std::int64_t{1} << 20);
  EXPECT_EQ(r.effective_llc_bytes, 0);
  EXPECT_EQ(km::analyse_cache_sweep({}, 0).effective_llc_bytes, 0);
}

TEST(HostProbe, CacheSweepMeasuresEverySizeOnThisHost) {
  km::cache_sweep_options o;
  o.max_bytes = std::int64_t{512} << 20;
  o.seconds_per_point = 0.0;
  const km::cache_sweep r = km::measure_cache_sweep(std::int64_t{1} << 20, o);
  ASSERT_GE(r.points.size(), 10u);
  for (std::size_t i = 1; i < r.points.size(); ++i)
    EXPECT_GT(r.points[i].bytes, r.points[i - 1].bytes);
  for (const auto& p : r.points) EXPECT_GT(p.read_bytes_per_s, 1e8);
  EXPECT_THROW(km::measure_cache_sweep(0, km::cache_sweep_options{0, 1, 0.0, 1}),
               std::invalid_argument);
}

#if defined(__x86_64__)
// The add chain's rate does not depend on its length: one cycle per add, not a fixed cost per
// call (within 15 %: the clock may move between trials on a shared guest). Both lengths stay
// well inside one scheduler time slice (~0.5 and ~1 ms of adds at 3-5 GHz), and each takes the
// best of 31 trials: on a loaded machine (a build beside ctest -j2) a run longer than a slice
// is shared with another task in every trial, which halved the long run's rate in CI once.
TEST(HostProbe, CoreClockIsARatePerAddNotPerCall) {
  const double f1 = km::measure_core_clock_hz(std::int64_t{1} << 17, 31);
  const double f2 = km::measure_core_clock_hz(std::int64_t{1} << 18, 31);
  EXPECT_NEAR(f1 / f2, 1.0, 0.15);
  EXPECT_THROW(km::measure_core_clock_hz(0, 1), std::invalid_argument);
}
#endif

// The core generation from cpuid: the families and models of the hosts this project has run
// on and their neighbours (AMD PPRs, Intel SDM vol. 4 table 2-1), and a guest that hides its
// model but shows AMX.
TEST(HostProbe, MicroarchitectureFromVendorFamilyModelAndFlags) {
  EXPECT_EQ(km::microarchitecture("AuthenticAMD", 25, 17, "AMD EPYC 9R14", "avx512f"), "Zen 4");
  EXPECT_EQ(km::microarchitecture("AuthenticAMD", 25, 1, "AMD EPYC 7763", "avx2"), "Zen 3");
  EXPECT_EQ(km::microarchitecture("AuthenticAMD", 26, 2, "AMD EPYC 9755", "avx512f"), "Zen 5");
  EXPECT_EQ(km::microarchitecture("AuthenticAMD", 23, 49, "AMD EPYC 7742", "avx2"), "Zen / Zen 2");
  EXPECT_EQ(km::microarchitecture("GenuineIntel", 6, 143, "Intel(R) Xeon(R) Platinum 8480C", ""),
            "Sapphire Rapids");
  EXPECT_EQ(km::microarchitecture("GenuineIntel", 6, 167, "Intel(R) Xeon(R) Processor",
                                  "fma avx512f amx_bf16 amx_tile amx_int8"),
            "Sapphire Rapids or later (AMX; cpuid model 167)");
  EXPECT_EQ(km::microarchitecture("GenuineIntel", 6, 167, "Intel(R) Xeon(R) Processor", "avx2"),
            "unknown (GenuineIntel family 6 model 167)");
  EXPECT_FALSE(km::probe_host().microarchitecture.empty());
}
