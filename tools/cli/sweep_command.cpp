#include "tools/cli/sweep_command.hpp"
#include "tools/cli/output_path.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/study/mpi_job.hpp"
#include "models/study/study.hpp"
#include "models/study/sweep.hpp"
#include "sim/config.hpp"

namespace cli {

namespace {

struct SweepArgs {
  std::string file, output, mode, pareto;
  std::vector<std::string> axes;
  std::int64_t n = 0;
  std::uint64_t seed = 0;
  int jobs = 1;
  bool resume = false;
  bool keep_runs = false;
};

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::lround(seconds));
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// The command's work on one rank (on every rank under mpirun).
void sweep(const SweepArgs* args, bool has_mode, bool has_n, bool has_seed,
           const models::study::MpiJob& mpi, int& exit_code) {
  models::study::StudyArgs study_args;
  study_args.file = args->file;
  study_args.axes = args->axes;
  if (has_mode) study_args.mode = args->mode;
  if (has_n) study_args.n = args->n;
  if (has_seed) study_args.seed = args->seed;
  study_args.jobs = args->jobs;
  const models::study::Study study = models::study::read_study(study_args);

  models::study::SweepOptions options;
  options.output = args->output.empty()
                       ? (std::filesystem::path("results") /
                          (std::filesystem::path(args->file).stem().string() + ".sweep.h5"))
                             .string()
                       : args->output;
  cli::prepare_output(options.output);
  options.jobs = args->jobs;
  options.resume = args->resume;
  options.keep_runs = args->keep_runs;
  if (!args->pareto.empty()) options.pareto = models::study::parse_objectives(args->pareto);
  options.mpi = &mpi;
  const bool tty = mpi.rank() == 0 && ::isatty(STDERR_FILENO) != 0;
  if (tty) {
    options.progress = [](const models::study::SweepProgress& p) {
      std::string line = fmt::format("\rsweep: {}/{} points, {} failed", p.done, p.total, p.failed);
      if (p.eta_s >= 0) line += ", ETA " + clock_text(p.eta_s);
      std::cerr << line << "    " << std::flush;
    };
  }
  const models::study::SweepOutcome outcome = models::study::run_sweep(study, options);
  if (!outcome.coordinator) return;  // rank 0 reports
  if (tty) std::cerr << "\r" << std::string(60, ' ') << "\r";
  // The first few failures by name; all of them are in /points (status, error).
  constexpr std::size_t kListed = 10;
  for (std::size_t i = 0; i < std::min(kListed, outcome.failures.size()); ++i) {
    const auto& [id, message] = outcome.failures[i];
    std::cerr << fmt::format("point {} failed: {}\n", id, first_line(message));
  }
  if (outcome.failures.size() > kListed)
    std::cerr << fmt::format("... and {} more failed points (status and error in /points)\n",
                             outcome.failures.size() - kListed);
  std::cout << fmt::format("sweep: {} points ({} run, {} resumed), {} failed\n", outcome.points,
                           outcome.ran, outcome.resumed, outcome.failed);
  if (outcome.ran_by_rank.size() > 1) {
    std::string counts;
    for (std::size_t n : outcome.ran_by_rank)
      counts += (counts.empty() ? "" : ", ") + std::to_string(n);
    std::cout << fmt::format("points run on each of {} MPI ranks: {}\n", outcome.ran_by_rank.size(),
                             counts);
  }
  std::cout << "results: " << options.output << "\n";
  if (outcome.failed > 0) exit_code = 1;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run a scenario over axes of values (grid, zip, random, Latin hypercube) into sweep.h5");
  cmd->add_option("study", args->file,
                  "a study YAML (base:, axes:, mode:, n:, seed:) or a base scenario with --axis")
      ->required();
  cmd->add_option("--axis", args->axes,
                  "PATH=VALUES: 'a,b,c', a range 'from:to:count', 'log:from:to:count' "
                  "(repeatable; units where the path takes a quantity)")
      ->allow_extra_args(false);
  auto* mode = cmd->add_option("--mode", args->mode, "grid (default), zip, random or lhs");
  auto* n = cmd->add_option("-n,--points", args->n, "number of points in random and lhs modes");
  auto* seed = cmd->add_option("--seed", args->seed,
                               "master seed (default: the study's, else the base scenario's)");
  cmd->add_option("-o,--output", args->output, "sweep file (default: results/<study>.sweep.h5)");
  cmd->add_option("-j,--jobs", args->jobs,
                  "points run at once, one engine per thread (on each rank under mpirun)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--resume", args->resume,
                "continue an interrupted sweep from its journal (<output>.journal): only the "
                "missing points run");
  cmd->add_option("--pareto", args->pareto,
                  "add /pareto, the front among points that hit no wall: "
                  "metric:max|min,... (e.g. throughput_output_tokens:max,mean_facility_power:min)");
  cmd->add_flag("--keep-runs", args->keep_runs,
                "also store each point's full results in /runs/<id>");

  cmd->callback([args, mode, n, seed, &exit_code] {
    // Under mpirun every rank runs this; rank 0 reports (models/study/mpi_job.hpp).
    const models::study::MpiJob mpi;
    try {
      sweep(args.get(), mode->count() > 0, n->count() > 0, seed->count() > 0, mpi, exit_code);
    } catch (const sim::config::InputError& e) {
      // A bad study is bad on every rank (each reads the same files; a journal only rank 0
      // refuses lets the others return with no error): rank 0 says why, here, before MPI is
      // finalized. mpirun aborts the job when a rank exits non-zero; a rank 0 that rethrew
      // finalized MPI while unwinding, before main printed, and could be killed first (the
      // message was lost now and then). MPI_Finalize synchronizes the ranks (Open MPI's
      // fence), so none exits before rank 0 has printed. No extra collective: the ranks that
      // returned normally would not join it.
      if (mpi.rank() == 0) {
        for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
        std::cerr.flush();
      }
      exit_code = 2;
    }
  });
}

}  // namespace cli
