#pragma once
// Timing one kernel call: warm-up, then repeats until a time box is used up, reporting the
// median, min and max seconds per call.
//
// Why these choices:
//  - Median, not mean: on a shared machine interference only ever adds time, in bursts; the
//    median ignores bursts that hit fewer than half the repeats, the min shows the
//    undisturbed cost, the max how bad a burst was.
//  - Warm-up: the first call pays for page faults of freshly allocated outputs and for cold
//    instruction caches / branch predictors, none of which repeat in a serving loop.
//  - Batching: a call shorter than a timer's resolution and its overhead (~20–50 ns for
//    steady_clock, plus the loop) is timed in batches of calls_per_repeat calls, so every
//    timed repeat lasts at least min_repeat_time.
//  - Hot vs cold caches: repeating a call on the same operands leaves them in cache when they
//    fit, which is the steady state of a kernel measured alone (and of the published kernel
//    benchmarks). Inside a model each call's operands were last touched one iteration ago,
//    with the rest of the iteration's traffic in between; `flush` reproduces that by reading
//    a buffer of that many bytes before the call (outside the timed region) — see
//    kernels/measure/README.md, "kernels selfcheck".

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/units.hpp"

namespace kernels::measure {

// Puts other data through the caches by reading a buffer: flush() all of it, flush(bytes) its
// first `bytes` (the same lines every time, as a model's own other weights are). Reads only:
// written lines would be written back during the next timed call. How much to read is the
// caller's choice: the host selfcheck reads the traffic a model's iteration puts between two
// uses of a call's operands (its reuse distance). A fixed 8× the reported LLC, used before,
// read 3.84 GB per call on a guest reporting a 480 MiB L3 and evicted the page-table entries
// too: a 23 MB GEMV then ran at 1–3 GB/s against the 10 GB/s this guest streams from memory.
class cache_flusher {
 public:
  explicit cache_flusher(std::int64_t bytes);
  // Returns a value derived from the data so the reads cannot be optimized away.
  double flush() const;
  double flush(std::int64_t bytes) const;  // the first min(bytes, size) bytes; none if <= 0
  std::int64_t bytes() const { return static_cast<std::int64_t>(buffer_.size()) * 8; }

 private:
  std::vector<double> buffer_;
};

struct timing_options {
  sim::Seconds budget{0.2};  // time box for the repeats of one point, after warm-up
  int min_repeats = 3;       // even when one call exceeds the budget
  int max_repeats = 200;
  sim::Seconds min_repeat_time{2e-4};    // batch calls until a repeat lasts this long
  sim::Seconds min_warmup{5e-3};         // warm-up calls continue until this much time passed
  const cache_flusher* flush = nullptr;  // if set: flush before every call, one call per repeat
};

struct timing_result {
  int repeats = 0;
  int calls_per_repeat = 0;
  sim::Seconds median{0.0};  // per call
  sim::Seconds min{0.0};
  sim::Seconds max{0.0};
};

// Throws std::invalid_argument unless min_repeats >= 1 and max_repeats >= min_repeats.
timing_result time_calls(const std::function<void()>& call, const timing_options& options);

// Median of the values (the mean of the two middle ones for an even count); throws
// std::invalid_argument when empty.
double median_of(std::vector<double> values);

}  // namespace kernels::measure
