#pragma once
// What this host is and what it can do at best: the two roofline anchors every measured kernel
// rate is judged against (REFERENCE.md "CPU roofline anchors").
//  - Peak FP32 FLOP/s, measured by a loop of independent fused multiply-adds (no loads): the
//    compute roof. A datasheet peak is not used because a KVM guest does not show its clock,
//    and what matters is the rate this core really sustains (AVX-512 clock offsets included).
//  - STREAM triad bandwidth (McCalpin 1995, "Memory Bandwidth and Machine Balance in Current
//    High Performance Computers", IEEE TCCA Newsletter; www.cs.virginia.edu/stream/), the
//    memory roof. STREAM counting: 24 bytes per iteration a[i] = b[i] + s·c[i] of doubles
//    (two reads, one write). With write-allocate the hardware moves 32 bytes, so the reported
//    figure understates DRAM traffic by 4/3 (REFERENCE.md §3.3); we report STREAM's number so it
//    compares with published STREAM results.
// And what the caches and the clock really are (issue 8 §2):
//  - Cache sizes as the kernel reports them (sysfs), and the *effective* last-level capacity
//    measured by a read-bandwidth sweep over working sets of 1 MiB … 2 GiB. A KVM guest may
//    report the whole socket's L3 (480 MiB on the Sapphire Rapids-class guest of this project)
//    while other tenants share it: there the sweep finds ~100 MiB.
//  - The core clock, timed by a chain of dependent integer adds (a guest's /proc/cpuinfo shows
//    the nominal TSC rate, not the clock the core runs at).

#include <cstdint>
#include <string>
#include <vector>

#include "sim/units.hpp"

namespace kernels::measure {

struct host_info {
  std::string host_id;            // hostname
  std::string cpu_model;          // /proc/cpuinfo "model name"; "unknown" when absent
  std::string vendor;             // /proc/cpuinfo "vendor_id" ("AuthenticAMD", "GenuineIntel")
  int family = -1;                // "cpu family"; -1 when absent
  int model = -1;                 // "model"; -1 when absent
  std::string microarchitecture;  // microarchitecture() of the above
  int logical_cores = 0;          // online logical CPUs
  std::int64_t l1d_bytes = 0;     // cpu0's level-1 data cache from sysfs; 0 when unknown
  std::int64_t l2_bytes = 0;      // cpu0's level-2 cache from sysfs; 0 when unknown
  std::int64_t llc_bytes = 0;     // last-level cache size from sysfs (as reported); 0 when unknown
};

host_info probe_host();

// The core generation from cpuid's vendor, family and model ("Zen 4", "Zen 5", "Sapphire
// Rapids", ...; from the "flags" an Intel guest with AMX is "Sapphire Rapids or later"), else
// "unknown (vendor family F model M)". Why it matters: the same ISA runs
// at different widths (Zen 4 splits a 512-bit FMA in two, Zen 5 does not), so a speed figure
// means little without it.
std::string microarchitecture(const std::string& vendor, int family, int model,
                              const std::string& cpu_model, const std::string& flags);

// The core clock in Hz: the best of `trials` runs of a chain of 16 dependent register adds per
// iteration (one cycle of latency each on every x86-64 core since the Pentium 4 era, Agner
// Fog's instruction tables; register-register adds are not eliminated at rename). 0 where
// the loop is not available (not x86-64). Throws std::invalid_argument unless both >= 1.
double measure_core_clock_hz(std::int64_t iterations = std::int64_t{1} << 21, int trials = 7);

// Read bandwidth of one thread over working sets of growing size: each point reads a buffer
// of `bytes` over and over (one untimed pass first), AVX-512 / AVX2 loads into 8 independent
// sums; the median rate over the timed passes.
struct cache_sweep_point {
  std::int64_t bytes = 0;
  double read_bytes_per_s = 0.0;
};

struct cache_sweep {
  std::vector<cache_sweep_point> points;  // ascending sizes
  double cache_bw = 0.0;   // B/s: fastest point above the L2 (2 × l2_bytes and larger)
  double memory_bw = 0.0;  // B/s: mean of the two largest working sets
  // The working set of which half the bytes are served from cache: where the read time per
  // byte t(S) crosses (1/cache_bw + 1/memory_bw) / 2, interpolated in log(S) between the two
  // sweep points around it. A cyclic reader of S bytes then hits for half of them. 0 when the
  // sweep shows no cache level above the L2 (cache_bw < 1.2 × memory_bw).
  std::int64_t effective_llc_bytes = 0;
};

struct cache_sweep_options {
  std::int64_t min_bytes = std::int64_t{1} << 20;
  std::int64_t max_bytes = std::int64_t{2} << 30;
  double seconds_per_point = 0.02;  // timed passes per size until this much time has passed
  int min_passes = 2;
};

// Sizes min_bytes × 1, 1.5, 2, 3, 4, 6, … up to max_bytes. Throws std::invalid_argument unless
// 0 < min_bytes <= max_bytes, seconds_per_point >= 0 and min_passes >= 1.
cache_sweep measure_cache_sweep(std::int64_t l2_bytes, const cache_sweep_options& options = {});

// The analysis of measure_cache_sweep on given points (exposed for tests).
cache_sweep analyse_cache_sweep(std::vector<cache_sweep_point> points, std::int64_t l2_bytes);

// Instruction set of the FMA loop in this build: "avx512" (_mm512_fmadd_ps, where __AVX512F__),
// "avx2" (_mm256_fmadd_ps, where __AVX2__ and __FMA__) or "scalar".
const char* fma_isa();

// Independent accumulators per thread. A core retires as many FMAs per cycle as it has FMA
// pipes (2 on Zen 4/5 and Skylake-SP) and each has a latency of 4 cycles, so >= 8 chains keep
// every pipe busy. With AVX-512, 16 leave margin for a 5- or 6-cycle latency and still fit
// the 32 vector registers with the two constant operands. AVX2 has 16 registers: 16
// accumulators and two constants spilled to the stack, and the probe read 99.6 GFLOP/s on a
// Sapphire Rapids core where a GEMM ran at 98.4 (a -march=haswell build); 12 fit (14 live
// registers) and still cover 2 pipes x 4 cycles with margin.
#if defined(__AVX512F__)
inline constexpr int fma_accumulators = 16;
#else
inline constexpr int fma_accumulators = 12;
#endif

// FLOPs of one loop iteration on one thread (an FMA counts 2).
std::int64_t fma_flops_per_iteration();

// `threads` threads each run `iterations` iterations of the FMA loop; returns the best of
// `trials` rates (total FLOPs / wall time of the parallel region). Throws
// std::invalid_argument unless threads, iterations and trials are >= 1.
sim::FlopsPerSecond measure_fma_peak(int threads, std::int64_t iterations, int trials);

// STREAM triad over three arrays of `elements` doubles each, split statically over `threads`
// threads (first touch by the same split); best of `trials` passes, STREAM counting
// (24 bytes per element). For a memory figure each array must be several times the last-level
// cache (STREAM's rule: 4×). Throws std::invalid_argument on non-positive arguments.
sim::BytesPerSecond measure_stream_triad(int threads, std::int64_t elements, int trials);

inline constexpr std::int64_t stream_bytes_per_iteration = 24;

}  // namespace kernels::measure
