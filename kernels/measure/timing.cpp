#include "kernels/measure/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace kernels::measure {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Keeps a value alive as far as the optimizer is concerned (the flush reads).
void keep(double value) {
  asm volatile("" : : "r"(value) : "memory");
}

}  // namespace

cache_flusher::cache_flusher(std::int64_t bytes)
    : buffer_(static_cast<std::size_t>(std::max<std::int64_t>(bytes, 8) / 8), 1.0) {}

double cache_flusher::flush() const {
  return flush(bytes());
}

double cache_flusher::flush(std::int64_t bytes) const {
  // One read per 64-byte line is enough to pull it through the cache hierarchy. Read by all
  // threads of the current team: that evicts every core's private L2 as well, and it keeps the
  // OpenMP workers spinning, so the timed call that follows starts as it does in a model
  // (right after another parallel region) rather than paying a futex wake-up — which, with
  // another process on the machine, can cost a whole scheduler time slice.
  const std::int64_t lines = std::min(bytes, this->bytes()) / 64;
  const double* data = buffer_.data();
  double sum = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : sum)
  for (std::int64_t i = 0; i < lines; ++i) sum += data[i * 8];
  keep(sum);
  return sum;
}

double median_of(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("median_of: no values");
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

timing_result time_calls(const std::function<void()>& call, const timing_options& options) {
  if (options.min_repeats < 1 || options.max_repeats < options.min_repeats) {
    throw std::invalid_argument("time_calls: need 1 <= min_repeats <= max_repeats");
  }
  // Warm-up; its duration also sizes the batches.
  int warm_calls = 0;
  const auto w0 = clock_type::now();
  double warm = 0.0;
  do {
    if (options.flush != nullptr) options.flush->flush();
    const auto c0 = clock_type::now();
    call();
    warm += seconds_since(c0);
    ++warm_calls;
  } while (options.flush == nullptr && seconds_since(w0) < options.min_warmup.value());
  const double per_call = warm / warm_calls;

  int batch = 1;
  if (options.flush == nullptr && per_call < options.min_repeat_time.value()) {
    const double wanted = std::ceil(options.min_repeat_time.value() / std::max(per_call, 1e-9));
    batch = static_cast<int>(std::min(wanted, 100000.0));
  }

  std::vector<double> per_call_seconds;
  per_call_seconds.reserve(static_cast<std::size_t>(options.max_repeats));
  const auto t0 = clock_type::now();
  while (static_cast<int>(per_call_seconds.size()) < options.max_repeats) {
    if (static_cast<int>(per_call_seconds.size()) >= options.min_repeats &&
        seconds_since(t0) >= options.budget.value()) {
      break;
    }
    if (options.flush != nullptr) options.flush->flush();
    const auto c0 = clock_type::now();
    for (int i = 0; i < batch; ++i) call();
    per_call_seconds.push_back(seconds_since(c0) / batch);
  }

  timing_result r;
  r.repeats = static_cast<int>(per_call_seconds.size());
  r.calls_per_repeat = batch;
  r.min = sim::Seconds(*std::min_element(per_call_seconds.begin(), per_call_seconds.end()));
  r.max = sim::Seconds(*std::max_element(per_call_seconds.begin(), per_call_seconds.end()));
  r.median = sim::Seconds(median_of(std::move(per_call_seconds)));
  return r;
}

}  // namespace kernels::measure
