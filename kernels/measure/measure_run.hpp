#pragma once
// `firstwall kernels measure`: the host's roofline anchors, then every case of the kernel grid
// at every requested thread count.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/measure/host_probe.hpp"
#include "kernels/measure/kernel_grid.hpp"
#include "kernels/measure/timing.hpp"
#include "sim/units.hpp"

namespace kernels::measure {

// The roofline anchors at one thread count.
struct thread_rates {
  int threads = 0;
  sim::FlopsPerSecond peak_flops_fma{0.0};
  sim::BytesPerSecond stream_triad_bw{0.0};
};

struct host_measurements {
  host_info host;
  std::string fma_isa;
  double core_clock_hz = 0.0;  // dependent-add chain, best of trials; 0 where not measured
  cache_sweep caches;          // read sweep, 1 thread: effective LLC, cache and memory rates
  std::int64_t stream_array_bytes = 0;        // bytes of each of the three triad arrays
  std::vector<thread_rates> rates;            // one per requested thread count, in order
  const thread_rates* at(int threads) const;  // nullptr if that count was not measured
};

struct probe_options {
  // Triad arrays: 256 MiB each by default (24× a 32 MiB L3; STREAM asks for >= 4× the LLC),
  // raised to 4× the effective LLC the cache sweep finds (at most 1 GiB); the whole probe
  // takes about a second per thread count on a 40 GB/s host.
  std::int64_t stream_array_bytes = std::int64_t{256} << 20;
  int stream_trials = 10;
  // 2^23 iterations × 512 FLOP ≈ 4.3 GFLOP per thread: 37 ms on a Zen 4 core (117 GFLOP/s),
  // 16 ms on a Zen 5 core (269 GFLOP/s, REFERENCE.md).
  std::int64_t fma_iterations = std::int64_t{1} << 23;
  int fma_trials = 5;
  // Read sweep for the effective LLC (1 MiB … 2 GiB: ~3 s on a 10 GB/s guest).
  cache_sweep_options sweep;
  bool measure_clock = true;
  bool stream_arrays_from_llc = true;  // false: stream_array_bytes as given (tests)
};

// The triad array size for a host: options.stream_array_bytes, or 4× the effective (else the
// reported) LLC if that is larger, at most 1 GiB.
std::int64_t stream_array_bytes_for(const host_info& host, const cache_sweep& caches,
                                    std::int64_t requested);

host_measurements measure_host(const std::vector<int>& thread_counts, const probe_options& options);

struct measured_row {
  std::string kernel;
  std::string variant;
  std::string dtype;
  kernel_shape shape;
  int threads = 0;
  timing_result timing;
  kernel_work work;

  sim::FlopsPerSecond achieved_flops() const;  // work.flops / median
  sim::BytesPerSecond achieved_bytes() const;  // work.bytes / median
};

struct measure_options {
  bool quick = false;
  std::vector<int> threads;          // thread counts, each >= 1
  std::vector<std::string> kernels;  // kernel names to run; empty = all
  timing_options timing;
  probe_options probes;
  std::uint64_t seed = 1;
};

// The defaults of `kernels measure` and `kernels measure --quick`: time box per point,
// probe sizes.
measure_options default_measure_options(bool quick);

// Called before each point: points done so far, total points, a one-line description.
using progress_fn = std::function<void(int done, int total, const std::string& what)>;

struct measure_result {
  host_measurements host;
  std::vector<measured_row> rows;
  sim::Seconds elapsed{0.0};
};

// Throws std::invalid_argument for a thread count < 1 or an unknown kernel name (the message
// lists the known ones). Restores the OpenMP thread count it found.
measure_result measure_kernels(const measure_options& options, const progress_fn& progress);

// Times one prepared case at `threads` threads.
measured_row measure_case(const case_info& info, const prepared_case& prepared, int threads,
                          const timing_options& timing);

}  // namespace kernels::measure
