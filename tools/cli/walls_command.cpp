#include "tools/cli/walls_command.hpp"
#include "tools/cli/output_path.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "models/study/walls.hpp"
#include "sim/config.hpp"

namespace cli {

namespace {

struct WallsArgs {
  std::string scenario, path, from, to, output, tolerance = "1%";
  bool log = false;
  int grid = 8;
  int jobs = 1;
  std::uint64_t seed = 0;
};

// "1%", "1 %" or a fraction ("0.01").
double read_tolerance(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == ' ') t.pop_back();
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end == t.c_str() || (*end != '\0' && *end != ' '))
    throw sim::config::InputError({"--tolerance", 0, 0}, "",
                                  "expected a percentage like 1% (got \"" + text + "\")");
  return percent ? v / 100 : v;
}

}  // namespace

void add_walls_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<WallsArgs>();
  auto* cmd = app.add_subcommand(
      "walls", "For each wall, the smallest value of one axis at which it is hit, ranked");
  cmd->add_option("scenario", a->scenario, "scenario YAML file")->required();
  cmd->add_option("--axis", a->path, "the scenario path to ramp, e.g. workload.arrivals.rate")
      ->required();
  cmd->add_option("--from", a->from, "lower end, with its unit (e.g. '1 /s')")->required();
  cmd->add_option("--to", a->to, "upper end, with its unit")->required();
  cmd->add_flag("--log", a->log, "log steps (grid and bisection by ratios)");
  cmd->add_option("--tolerance", a->tolerance, "relative width of the final bracket")
      ->capture_default_str();
  cmd->add_option("--grid", a->grid, "values of the bracketing grid")->capture_default_str();
  cmd->add_option("-j,--jobs", a->jobs, "runs at once, one engine per thread")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  auto* seed =
      cmd->add_option("--seed", a->seed, "the one seed of every run (default: the scenario's)");
  cmd->add_option("-o,--output", a->output, "walls file (default: results/<scenario>.walls.h5)");
  cmd->callback([a, seed, &exit_code] {
    models::study::WallSearchArgs args;
    args.scenario = a->scenario;
    args.path = a->path;
    args.from = a->from;
    args.to = a->to;
    args.log = a->log;
    args.tolerance = read_tolerance(a->tolerance);
    args.grid_points = a->grid;
    args.jobs = a->jobs;
    if (seed->count() > 0) args.seed = a->seed;
    const std::string out =
        a->output.empty() ? (std::filesystem::path("results") /
                             (std::filesystem::path(a->scenario).stem().string() + ".walls.h5"))
                                .string()
                          : a->output;
    cli::prepare_output(out);
    const models::study::WallSearch search = models::study::search_walls(args);
    models::study::write_wall_search(out, search, args);
    std::cout << models::study::wall_report(search, args) << "results: " << out << "\n";
    for (const auto& e : search.evaluations) {
      if (!e.ok) exit_code = 1;
    }
  });
}

}  // namespace cli
