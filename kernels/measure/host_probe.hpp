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

#include <cstdint>
#include <string>

#include "sim/units.hpp"

namespace kernels::measure {

struct host_info {
  std::string host_id;         // hostname
  std::string cpu_model;       // /proc/cpuinfo "model name"; "unknown" when absent
  int logical_cores = 0;       // online logical CPUs
  std::int64_t llc_bytes = 0;  // last-level cache size from sysfs; 0 when unknown
};

host_info probe_host();

// Instruction set of the FMA loop in this build: "avx512" (_mm512_fmadd_ps, where __AVX512F__),
// "avx2" (_mm256_fmadd_ps, where __AVX2__ and __FMA__) or "scalar".
const char* fma_isa();

// Independent accumulators per thread. A core retires as many FMAs per cycle as it has FMA
// pipes (2 on Zen 4/5 and Skylake-SP) and each has a latency of 4 cycles, so >= 8 chains keep
// every pipe busy; 16 leaves margin for a 5- or 6-cycle latency and still fits the 32 vector
// registers with the two constant operands.
inline constexpr int fma_accumulators = 16;

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
