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
#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "kernels/measure/host_probe.hpp"

namespace km = kernels::measure;

namespace {

#if defined(__x86_64__)
// The core clock in Hz, best of several trials: 16 dependent adds per loop iteration.
double measured_core_clock_hz() {
  constexpr std::int64_t iterations = std::int64_t{1} << 21;
  double best = 0;
  for (int trial = 0; trial < 7; ++trial) {
    std::uint64_t x = 0;
    const std::uint64_t one = 1;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < iterations; ++i) {
      asm volatile(
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
          : "+r"(x)
          : "r"(one));
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (x != static_cast<std::uint64_t>(16 * iterations)) throw std::logic_error("add chain");
    best = std::max(best, 16.0 * static_cast<double>(iterations) / s);
  }
  return best;
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
