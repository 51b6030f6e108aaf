// The roofline probes: plausible magnitudes, argument errors. Plausibility bounds are wide on
// purpose: the test machine is shared and may be a small VM, so only "this is a real rate of a
// current CPU" is checked, not this host's particular figure (see kernels/measure/README.md for
// the measured ones).
#include <stdexcept>

#include <gtest/gtest.h>

#include "kernels/measure/host_probe.hpp"

namespace km = kernels::measure;

TEST(HostProbe, DescribesTheHost) {
  const km::host_info h = km::probe_host();
  EXPECT_FALSE(h.host_id.empty());
  EXPECT_FALSE(h.cpu_model.empty());
  EXPECT_GE(h.logical_cores, 1);
  EXPECT_GE(h.llc_bytes, 0);
}

TEST(HostProbe, FmaPeakIsAPlausiblePositiveRate) {
  // ~1 GFLOP: tens of milliseconds even on a slow core.
  const double one = km::measure_fma_peak(1, std::int64_t{1} << 20, 3).value();
  // A scalar core at 1 GHz does >= 2 GFLOP/s; no core does 2 TFLOP/s of FP32 FMA (Zen 5:
  // 2 × 16 lanes × 2 FLOP × ~5 GHz = 320 GFLOP/s).
  EXPECT_GT(one, 1e9);
  EXPECT_LT(one, 2e12);
  EXPECT_EQ(km::fma_flops_per_iteration() % (2 * km::fma_accumulators), 0);
}

TEST(HostProbe, StreamTriadOnSmallArraysIsAPlausiblePositiveRate) {
  // 3 × 8 MiB: cache-resident on many hosts, so only the order of magnitude is checked.
  const double bw = km::measure_stream_triad(1, std::int64_t{1} << 20, 3).value();
  EXPECT_GT(bw, 1e8);
  EXPECT_LT(bw, 1e13);
  EXPECT_EQ(km::stream_bytes_per_iteration, 24);
}

TEST(HostProbe, RejectsNonPositiveArguments) {
  EXPECT_THROW(km::measure_fma_peak(0, 10, 1), std::invalid_argument);
  EXPECT_THROW(km::measure_fma_peak(1, 0, 1), std::invalid_argument);
  EXPECT_THROW(km::measure_stream_triad(1, 0, 1), std::invalid_argument);
  EXPECT_THROW(km::measure_stream_triad(1, 10, 0), std::invalid_argument);
}
