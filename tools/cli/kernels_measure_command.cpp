// `firstwall kernels measure` and `firstwall kernels selfcheck`: wiring over kernels/measure/.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernels/measure/kernel_grid.hpp"
#include "kernels/measure/measure_run.hpp"
#include "kernels/measure/measure_table.hpp"
#include "kernels/measure/selfcheck.hpp"
#include "models/workload/host_selfcheck.hpp"
#include "sim/config.hpp"
#include "tools/cli/commands.hpp"

namespace cli {
namespace {

namespace km = kernels::measure;

[[noreturn]] void bad_argument(const std::string& option, const std::string& message) {
  throw sim::config::InputError(sim::config::Location{option, 0, 0}, "", message);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  for (char c : text + ",") {
    if (c == ',') {
      items.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  return items;
}

// "1,2" → {1, 2}; every entry an integer in [1, 4096].
std::vector<int> parse_threads(const std::string& text) {
  std::vector<int> threads;
  for (const std::string& item : split_list(text)) {
    std::size_t used = 0;
    long value = 0;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 1 || value > 4096) {
      bad_argument(
          "--threads",
          fmt::format("thread counts must be integers from 1 to 4096, comma-separated (got \"{}\")",
                      text));
    }
    if (std::find(threads.begin(), threads.end(), static_cast<int>(value)) == threads.end()) {
      threads.push_back(static_cast<int>(value));
    }
  }
  return threads;
}

// 1 and all logical cores: the single-core figure a roofline is built from, and the machine.
std::vector<int> default_threads() {
  const int cores = km::probe_host().logical_cores;
  return cores > 1 ? std::vector<int>{1, cores} : std::vector<int>{1};
}

std::vector<std::string> parse_kernels(const std::string& text) {
  const std::vector<std::string> known = km::kernel_names();
  std::vector<std::string> names;
  for (const std::string& name : split_list(text)) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      bad_argument("--kernels", fmt::format("unknown kernel \"{}\" (known: {})", name, list));
    }
    names.push_back(name);
  }
  return names;
}

// Fails before minutes of measuring, not after, when the output cannot be written.
void check_writable(const std::string& output) {
  const std::filesystem::path out(output);
  std::error_code ec;
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path(), ec);
  const std::filesystem::path probe = out.string() + ".probe-" + std::to_string(::getpid());
  std::ofstream(probe).put('x');
  if (!std::filesystem::exists(probe))
    bad_argument("--output", fmt::format("cannot write \"{}\"", output));
  std::filesystem::remove(probe, ec);
}

km::progress_fn tty_progress() {
  if (::isatty(STDERR_FILENO) == 0) return {};
  return [](int done, int total, const std::string& what) {
    // \r + erase-line (ECMA-48 "EL"): one status line, rewritten in place.
    std::cerr << fmt::format("\r\033[K[{:>4}/{}] {}", done, total, what) << std::flush;
    if (done == total) std::cerr << "\r\033[K" << std::flush;
  };
}

void print_host(const km::host_measurements& h) {
  std::cout << fmt::format(
      "host {}: {} ({}), {} logical cores, core clock {:.2f} GHz (dependent adds)\n",
      h.host.host_id, h.host.cpu_model, h.host.microarchitecture, h.host.logical_cores,
      h.core_clock_hz / 1e9);
  std::cout << fmt::format(
      "  caches reported: L1d {} KiB, L2 {} KiB, LLC {} MiB; effective LLC {} MiB (read sweep "
      "{}..{} MiB, 1 thread: cache {:.1f} GB/s, memory {:.1f} GB/s)\n",
      h.host.l1d_bytes >> 10, h.host.l2_bytes >> 10, h.host.llc_bytes >> 20,
      h.caches.effective_llc_bytes >> 20,
      h.caches.points.empty() ? 0 : h.caches.points.front().bytes >> 20,
      h.caches.points.empty() ? 0 : h.caches.points.back().bytes >> 20, h.caches.cache_bw / 1e9,
      h.caches.memory_bw / 1e9);
  for (const km::thread_rates& r : h.rates) {
    std::cout << fmt::format(
        "  {} thread(s): peak FP32 FMA {:.1f} GFLOP/s ({}), STREAM triad {:.1f} GB/s (24 "
        "B/iteration, {} MiB arrays)\n",
        r.threads, r.peak_flops_fma.value() / 1e9, h.fma_isa, r.stream_triad_bw.value() / 1e9,
        h.stream_array_bytes >> 20);
  }
}

void print_rows(const km::measure_result& result) {
  std::cout << fmt::format("{:<20} {:<13} {:<8} {:>3} {:>11} {:>9} {:>8} {:>6}  {}\n", "kernel",
                           "variant", "dtype", "thr", "median_ms", "GFLOP/s", "GB/s", "%peak",
                           "shape");
  for (const km::measured_row& r : result.rows) {
    const km::thread_rates* anchor = result.host.at(r.threads);
    const double gflops = r.achieved_flops().value() / 1e9;
    const double pct = anchor != nullptr && anchor->peak_flops_fma.value() > 0
                           ? 100.0 * r.achieved_flops().value() / anchor->peak_flops_fma.value()
                           : 0.0;
    std::cout << fmt::format("{:<20} {:<13} {:<8} {:>3} {:>11.4f} {:>9.1f} {:>8.1f} {:>6.1f}  {}\n",
                             r.kernel, r.variant, r.dtype, r.threads, r.timing.median.value() * 1e3,
                             gflops, r.achieved_bytes().value() / 1e9, pct,
                             km::shape_string(r.shape));
  }
}

struct measure_args {
  std::string output;
  bool quick = false;
  std::string threads;
  std::string kernels;
  double seconds_per_point = 0.0;
};

void run_measure(const measure_args& a) {
  km::measure_options options = km::default_measure_options(a.quick);
  options.threads = a.threads.empty() ? default_threads() : parse_threads(a.threads);
  if (!a.kernels.empty()) options.kernels = parse_kernels(a.kernels);
  if (a.seconds_per_point < 0.0 || a.seconds_per_point > 3600.0) {
    bad_argument("--seconds-per-point",
                 fmt::format("must be from 0 to 3600 (got {})", a.seconds_per_point));
  }
  if (a.seconds_per_point > 0.0) options.timing.budget = sim::Seconds(a.seconds_per_point);
  check_writable(a.output);

  // The command as run, normalized (defaults spelled out), for the file's provenance.
  std::string command = "firstwall kernels measure";
  if (a.quick) command += " --quick";
  std::string thread_list;
  for (int t : options.threads) thread_list += (thread_list.empty() ? "" : ",") + std::to_string(t);
  command += " --threads " + thread_list;
  if (!a.kernels.empty()) command += " --kernels " + a.kernels;
  command += fmt::format(" --seconds-per-point {}", options.timing.budget.value());
  command += " -o " + a.output;

  const km::measure_result result = km::measure_kernels(options, tty_progress());
  km::write_measure_file(a.output, result, km::file_metadata{FIRSTWALL_VERSION_STRING, command});
  print_host(result.host);
  std::cout << '\n';
  print_rows(result);
  std::cout << fmt::format("\n{} rows written to {} in {:.1f} s\n", result.rows.size(), a.output,
                           result.elapsed.value());
}

struct selfcheck_args {
  int threads = 1;
  bool quick = false;
};

void run_selfcheck(const selfcheck_args& a) {
  if (a.threads < 1 || a.threads > 4096) {
    bad_argument("--threads", fmt::format("must be an integer from 1 to 4096 (got {})", a.threads));
  }
  km::selfcheck_options options = km::default_selfcheck_options(a.quick);
  options.threads = a.threads;
  const models::SelfcheckResult r = models::run_host_selfcheck(options, tty_progress());
  models::print_host_selfcheck(std::cout, options, r);
}

}  // namespace

void add_kernels_measure_commands(CLI::App& kernels) {
  auto args = std::make_shared<measure_args>();
  auto* measure = kernels.add_subcommand(
      "measure",
      "Time every kernel over a grid of shapes, dtypes and thread counts; write an HDF5 table");
  measure->add_option("-o,--output", args->output, "measured table (HDF5) to write")->required();
  measure->add_flag("--quick", args->quick,
                    "small shapes and short time boxes (CI: well under a minute)");
  measure->add_option("--threads", args->threads,
                      "comma-separated thread counts (default: 1 and all logical cores)");
  measure->add_option("--kernels", args->kernels,
                      "comma-separated kernel names to run (default: all)");
  measure->add_option("--seconds-per-point", args->seconds_per_point,
                      "time box for the repeats of one point (default: 0.3, --quick 0.03)");
  measure->callback([args] { run_measure(*args); });

  auto sargs = std::make_shared<selfcheck_args>();
  auto* selfcheck = kernels.add_subcommand("selfcheck",
                                           "Predict the reference transformer's prefill time and "
                                           "decode rate through the serving model's iteration "
                                           "logic from this host's measured kernel costs, then "
                                           "run it");
  selfcheck->add_option("--threads", sargs->threads,
                        "OpenMP threads for both the kernels and the model (default: 1)");
  selfcheck->add_flag("--quick", sargs->quick,
                      "a 64-token prompt and shorter time boxes (same model)");
  selfcheck->callback([sargs] { run_selfcheck(*sargs); });
}

}  // namespace cli
