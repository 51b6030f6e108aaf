// firstwall: the command line. Thin wiring only: parse arguments, call models/, map
// failures to exit codes (0 success, 2 bad input with file:line:col messages or no data
// directory, 1 internal).
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "models/registry.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/scenario/trace_writer.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"
#include "sim/quantity.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/describe.hpp"
#include "tools/cli/output_path.hpp"
#include "tools/cli/report_command.hpp"
#include "tools/cli/sweep_command.hpp"
#include "tools/cli/validate_collectives_command.hpp"
#include "tools/cli/validate_training_command.hpp"
#include "tools/cli/walls_command.hpp"

namespace {

constexpr int kOk = 0;
constexpr int kInternal = 1;
constexpr int kBadInput = 2;

std::vector<std::string> default_catalogs() {
  return {sim::data_path("scenarios/catalog/llms.yaml").string(),
          sim::data_path("scenarios/catalog/gpus.yaml").string(),
          sim::data_path("scenarios/catalog/servers.yaml").string()};
}

std::string default_output(const std::string& scenario) {
  return (std::filesystem::path("results") / std::filesystem::path(scenario).stem()).string() +
         ".h5";
}

// `--trace-window FROM:TO`: two durations of simulated time, FROM before TO.
std::pair<sim::SimTime, sim::SimTime> parse_window(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return sim::config::InputError({"--trace-window", 1, 1}, "", why);
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos)
    throw bad("expected FROM:TO (e.g. \"10 min:11 min\"), got \"" + text + "\"");
  sim::SimTime ends[2];
  for (int i = 0; i < 2; ++i) {
    const std::string part = i == 0 ? text.substr(0, colon) : text.substr(colon + 1);
    const auto q = sim::parse_quantity(part, sim::dims::time);
    if (const auto* e = std::get_if<sim::QuantityError>(&q)) throw bad(e->message);
    ends[i] = sim::SimTime::zero() + sim::Duration::from_seconds(sim::Seconds(std::get<double>(q)));
  }
  if (!(ends[0] < ends[1])) throw bad("FROM must be before TO, got \"" + text + "\"");
  return {ends[0], ends[1]};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"firstwall: which wall does an AI data center hit first?"};
  app.set_version_flag("--version", std::string("firstwall ") + FIRSTWALL_VERSION_STRING);
  app.require_subcommand(1);
  // Global options may also follow a sub-command (`firstwall check x.yaml --data-dir D`):
  // sub-commands created from here on pass options they do not know to their parent.
  app.fallthrough();
  // Set before any command callback runs (option callbacks run first), so before any data
  // file is read; the library reads it process-wide (sim/data_dir.hpp).
  app.add_option_function<std::string>(
         "--data-dir", [](const std::string& dir) { sim::set_data_dir(dir); },
         "folder of the data files: scenarios/catalog/, kernels/calibration/, "
         "models/<domain>/calibration/ (default: $FIRSTWALL_DATA_DIR, else "
         "../share/firstwall beside the executable)")
      ->check(CLI::ExistingDirectory);

  std::string scenario, output;
  std::vector<std::string> overrides;
  std::uint64_t seed = 0;

  auto* run =
      app.add_subcommand("run", "Simulate a scenario, print the wall report, write results.h5");
  run->add_option("scenario", scenario, "scenario YAML file")->required();
  run->add_option("-o,--output", output, "results file (default: results/<scenario>.h5)");
  auto* run_seed = run->add_option("--seed", seed, "master seed (overrides the file's seed)");
  run->add_option("--set", overrides, "override a scalar: path.to.key=value (repeatable)")
      ->allow_extra_args(false);
  std::string trace, trace_window;
  auto* trace_option =
      run->add_option("--trace", trace,
                      "also write the run's timeline as a Chrome/Perfetto JSON trace (open it in "
                      "ui.perfetto.dev)");
  run->add_option("--trace-window", trace_window,
                  "only this part of simulated time in the trace, FROM:TO (e.g. '10 min:11 min')")
      ->needs(trace_option);

  auto* check =
      app.add_subcommand("check", "Validate a scenario and report every problem; writes nothing");
  check->add_option("scenario", scenario, "scenario YAML file")->required();
  check->add_option("--set", overrides, "override a scalar: path.to.key=value (repeatable)")
      ->allow_extra_args(false);

  std::string what, name, dtype = "bf16";
  std::vector<std::string> catalogs;
  auto* describe = app.add_subcommand("describe", "Derived properties of a catalog entry, as YAML");
  describe->add_option("what", what, "model, gpu or server")
      ->required()
      ->check(CLI::IsMember({"model", "gpu", "server"}));
  describe->add_option("name", name, "catalog name, e.g. llama-3-70b, h100-sxm or dgx-h100")
      ->required();
  describe
      ->add_option("--catalog", catalogs,
                   "catalog YAML file(s) (default: scenarios/catalog/llms.yaml, gpus.yaml and "
                   "servers.yaml of the data directory)")
      ->allow_extra_args(false);
  describe->add_option("--dtype", dtype, "KV-cache number format for kv_cache_bytes_per_token")
      ->capture_default_str();

  auto* list = app.add_subcommand("models", "List the registered models with one line of help");

  auto* kernels = app.add_subcommand(
      "kernels", "Measure kernels, fit cost models, validate them against measurements");
  kernels->require_subcommand(1);
  cli::add_kernels_cost_commands(*kernels);
  cli::add_kernels_measure_commands(*kernels);
  cli::add_validate_commands(app);
  cli::add_validate_training_command(*app.get_subcommand("validate"));
  cli::add_validate_collectives_command(*app.get_subcommand("validate"));
  int command_exit = kOk;  // a command that finished but reports failures (sweep) sets 1
  cli::add_sweep_command(app, command_exit);
  cli::add_walls_command(app, command_exit);
  cli::add_report_command(app, command_exit);

  // Every command runs from its callback, inside app.parse(), so that one place maps
  // failures to exit codes.
  auto load = [&](bool with_seed) {
    models::LoadOptions opts;
    opts.overrides = overrides;
    if (with_seed && run_seed->count() > 0) opts.seed = seed;
    return models::load_scenario(scenario, opts);
  };
  run->callback([&] {
    const models::ScenarioSpec spec = load(true);
    // Where the results go is the user's input too: check it before a long run, not after.
    const std::string out = output.empty() ? default_output(scenario) : output;
    cli::prepare_output(out);
    std::function<void(double)> progress;
    if (::isatty(STDERR_FILENO) != 0) {
      progress = [](double f) {
        std::cerr << fmt::format("\rsimulating: {:3.0f} %", f * 100) << std::flush;
      };
    }
    std::unique_ptr<models::JsonTraceWriter> tracer;
    if (!trace.empty()) {
      cli::prepare_output(trace, "--trace");
      const auto [from, to] = trace_window.empty()
                                  ? std::pair(sim::SimTime::zero(), sim::SimTime::max())
                                  : parse_window(trace_window);
      tracer = std::make_unique<models::JsonTraceWriter>(trace);
      tracer->set_window(from, to);
    }
    const models::RunResult result = models::run_scenario(spec, progress, tracer.get());
    if (progress) std::cerr << "\r                    \r";
    if (tracer) tracer->commit();
    models::write_results(out, spec, result);
    models::print_report(std::cout, spec, result);
    std::cout << "\nresults: " << out << "\n";
    if (tracer) {
      std::cout << fmt::format("trace: {} ({} events, {:.1f} MiB)\n", trace, tracer->events(),
                               static_cast<double>(tracer->bytes()) / (1 << 20));
    }
  });
  check->callback([&] {
    (void)load(false);
    std::cout << scenario << ": OK\n";
  });
  describe->callback([&] {
    cli::describe(std::cout, what, name, catalogs.empty() ? default_catalogs() : catalogs, dtype);
  });
  list->callback([] {
    for (const models::ModelInfo& m : models::registered_models()) {
      std::cout << fmt::format("{:<10} {:<18} {}\n", m.domain, m.name, m.help);
    }
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kBadInput;
  } catch (const sim::config::InputError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    return kBadInput;
  } catch (const sim::DataDirError& e) {
    std::cerr << "firstwall: " << e.what() << "\n";
    return kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "firstwall: internal error: " << e.what() << "\n";
    return kInternal;
  }
  return command_exit;
}
