#include "kernels/measure/measure_run.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <omp.h>

#include "kernels/parallel.hpp"

namespace kernels::measure {
namespace {

using kernels::thread_scope;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

const thread_rates* host_measurements::at(int threads) const {
  for (const thread_rates& r : rates) {
    if (r.threads == threads) return &r;
  }
  return nullptr;
}

std::int64_t stream_array_bytes_for(const host_info& host, const cache_sweep& caches,
                                    std::int64_t requested) {
  const std::int64_t llc =
      caches.effective_llc_bytes > 0 ? caches.effective_llc_bytes : host.llc_bytes;
  return std::max(requested, std::min(4 * llc, std::int64_t{1} << 30));
}

host_measurements measure_host(const std::vector<int>& thread_counts,
                               const probe_options& options) {
  host_measurements h;
  h.host = probe_host();
  h.fma_isa = fma_isa();
  if (options.measure_clock) h.core_clock_hz = measure_core_clock_hz();
  h.caches = measure_cache_sweep(h.host.l2_bytes, options.sweep);
  h.stream_array_bytes = options.stream_arrays_from_llc
                             ? stream_array_bytes_for(h.host, h.caches, options.stream_array_bytes)
                             : options.stream_array_bytes;
  const std::int64_t elements = h.stream_array_bytes / 8;
  for (int t : thread_counts) {
    h.rates.push_back({t, measure_fma_peak(t, options.fma_iterations, options.fma_trials),
                       measure_stream_triad(t, elements, options.stream_trials)});
  }
  return h;
}

sim::FlopsPerSecond measured_row::achieved_flops() const {
  return sim::Flops(static_cast<double>(work.flops)) / timing.median;
}

sim::BytesPerSecond measured_row::achieved_bytes() const {
  return sim::Bytes(static_cast<double>(work.bytes)) / timing.median;
}

measure_options default_measure_options(bool quick) {
  measure_options o;
  o.quick = quick;
  if (quick) {
    // Seconds for the whole grid: enough repeats for a median, not for a tight one.
    o.timing.budget = sim::Seconds(0.03);
    o.timing.max_repeats = 50;
    o.probes.stream_array_bytes = std::int64_t{128} << 20;  // 4× a 32 MiB L3
    o.probes.sweep.max_bytes = std::int64_t{1} << 30;
    o.probes.sweep.seconds_per_point = 0.01;
    o.probes.stream_trials = 5;
    // ~8 ms trials: long enough that a 2-thread trial is not decided by one late wake-up.
    o.probes.fma_iterations = std::int64_t{1} << 22;
    o.probes.fma_trials = 5;
  } else {
    o.timing.budget = sim::Seconds(0.3);
    o.timing.max_repeats = 200;
  }
  return o;
}

measured_row measure_case(const case_info& info, const prepared_case& prepared, int threads,
                          const timing_options& timing) {
  const thread_scope scope(threads);
  measured_row row;
  row.kernel = info.kernel;
  row.variant = info.variant;
  row.dtype = info.dtype;
  row.shape = prepared.shape;
  row.threads = threads;
  row.work = prepared.work;
  row.timing = time_calls(prepared.run, timing);
  return row;
}

measure_result measure_kernels(const measure_options& options, const progress_fn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.threads.empty()) throw std::invalid_argument("kernels measure: no thread counts");
  for (int t : options.threads) {
    if (t < 1) throw std::invalid_argument("kernels measure: thread counts must be >= 1");
  }
  const std::vector<std::string> known = kernel_names();
  for (const std::string& k : options.kernels) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      throw std::invalid_argument("kernels measure: unknown kernel '" + k +
                                  "' (known: " + join(known) + ")");
    }
  }
  auto selected = [&](const case_info& c) {
    return options.kernels.empty() || std::find(options.kernels.begin(), options.kernels.end(),
                                                c.kernel) != options.kernels.end();
  };

  measure_result result;
  result.host = measure_host(options.threads, options.probes);

  const std::vector<case_group> grid = kernel_grid(grid_options{options.quick, options.seed});
  int total = 0;
  for (const case_group& g : grid) {
    total += static_cast<int>(std::count_if(g.cases.begin(), g.cases.end(), selected)) *
             static_cast<int>(options.threads.size());
  }
  int done = 0;
  for (const case_group& g : grid) {
    if (std::none_of(g.cases.begin(), g.cases.end(), selected)) continue;
    // Operands are generated with every thread, whatever thread count is measured next.
    std::vector<prepared_case> prepared;
    {
      const thread_scope all(std::max(1, omp_get_num_procs()));
      prepared = g.prepare();
    }
    for (std::size_t i = 0; i < g.cases.size(); ++i) {
      const case_info& info = g.cases[i];
      if (!selected(info)) continue;
      for (int t : options.threads) {
        if (progress) {
          progress(done, total,
                   info.kernel + " " + info.variant + " " + info.dtype + " " +
                       shape_string(prepared[i].shape) + " threads=" + std::to_string(t));
        }
        result.rows.push_back(measure_case(info, prepared[i], t, options.timing));
        ++done;
      }
    }
  }
  if (progress) progress(done, total, "done");
  result.elapsed =
      sim::Seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return result;
}

}  // namespace kernels::measure
