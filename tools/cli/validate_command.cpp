// `firstwall validate splitwise`: simulated prefill and decode times against Splitwise's
// measured end-to-end inference timings (../shared/data/splitwise/perf_model_a100.csv).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/scenario/catalog.hpp"
#include "models/workload/batch_experiment.hpp"
#include "sim/config.hpp"
#include "sim/csv.hpp"
#include "tools/cli/commands.hpp"

namespace cli {

namespace {

// Splitwise's names -> the catalog's. "-pcap" rows are power-capped servers: they need the
// power-cap model and are reported apart until it exists.
const std::map<std::string, std::string> kHardware = {{"a100-80gb", "a100-sxm-80gb"},
                                                      {"h100-80gb", "h100-sxm"}};
const std::map<std::string, std::string> kModels = {{"llama2-70b", "llama-2-70b"},
                                                    {"bloom-176b", "bloom-176b"}};

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Options {
  std::string csv;
  std::string hardware;
  std::string cost_model = "calibrated";
  std::string calibration;
  // Absent: the shipped value (models/workload/serving_overhead.hpp), read when the command
  // runs, not when every command's options are set up.
  std::optional<double> iteration_overhead_ms;
  std::string catalog_dir = FIRSTWALL_CATALOG_DIR;
};

void validate_splitwise(const Options& o) {
  std::string error;
  const auto table = sim::csv::read(o.csv, error);
  if (!table) throw sim::config::InputError({o.csv, 1, 1}, "", error.substr(error.find(": ") + 2));
  const char* needed[] = {"model",      "hardware",    "prompt_size", "batch_size",
                          "token_size", "prompt_time", "token_time",  "tensor_parallel"};
  std::map<std::string, std::size_t> col;
  for (const char* n : needed) {
    auto c = table->column(n);
    if (!c)
      throw sim::config::InputError({o.csv, 1, 1}, "", std::string("missing column \"") + n + "\"");
    col[n] = *c;
  }
  if (!o.hardware.empty() && !kHardware.count(o.hardware)) {
    throw sim::config::InputError(
        {"--hardware", 1, 1}, "",
        "unknown hardware \"" + o.hardware + "\" (known: a100-80gb, h100-80gb)");
  }
  const models::Catalog catalog =
      models::load_catalog_files({(std::filesystem::path(o.catalog_dir) / "llms.yaml").string(),
                                  (std::filesystem::path(o.catalog_dir) / "gpus.yaml").string()});
  models::CostModelSpec cost;
  cost.kind = o.cost_model == "roofline" ? models::CostModelKind::roofline
                                         : models::CostModelKind::calibrated;
  cost.calibration = o.calibration;
  if (o.iteration_overhead_ms)
    cost.iteration_overhead = sim::Seconds(*o.iteration_overhead_ms * 1e-3);
  std::shared_ptr<const kernels::cost::KernelCostModel> kernel_costs;
  if (cost.kind == models::CostModelKind::calibrated)
    kernel_costs = models::load_kernel_cost_model(cost.calibration);

  struct Group {
    std::vector<double> prefill_err, decode_err;
    int skipped = 0;
  };
  std::map<std::string, Group> groups;
  std::vector<double> all;
  int pcap_rows = 0;
  for (const sim::csv::Row& row : table->rows) {
    auto cell = [&](const char* n) {
      return col[n] < row.cells.size() ? row.cells[col[n]] : std::string();
    };
    const std::string hw = cell("hardware");
    if (hw.size() > 5 && hw.compare(hw.size() - 5, 5, "-pcap") == 0) {
      ++pcap_rows;
      continue;
    }
    if (!o.hardware.empty() && hw != o.hardware) continue;
    long long prompt = 0, batch = 0, tokens = 0, tp = 0;
    double prompt_ms = 0, token_ms = 0;
    if (!kHardware.count(hw) || !kModels.count(cell("model")) ||
        !sim::csv::parse_int(cell("prompt_size"), prompt) ||
        !sim::csv::parse_int(cell("batch_size"), batch) ||
        !sim::csv::parse_int(cell("token_size"), tokens) ||
        !sim::csv::parse_int(cell("tensor_parallel"), tp) ||
        !sim::csv::parse_double(cell("prompt_time"), prompt_ms) ||
        !sim::csv::parse_double(cell("token_time"), token_ms)) {
      throw sim::config::InputError({o.csv, row.line, 1}, "",
                                    "row not understood (model, hardware or a number)");
    }
    const std::string key = fmt::format("{} {} tp{}", cell("model"), hw, tp);
    Group& g = groups[key];
    models::BatchExperiment e;
    e.batch = batch;
    e.prompt = prompt;
    e.output = std::max<long long>(tokens, 2);
    e.tensor_parallel = static_cast<int>(tp);
    e.cost = cost;
    e.kernel_costs = kernel_costs;
    models::BatchTimes t;
    try {
      t = models::run_batch_experiment(catalog.llms.at(kModels.at(cell("model"))),
                                       catalog.gpus.at(kHardware.at(hw)), e);
    } catch (const std::invalid_argument&) {
      ++g.skipped;  // does not fit the simulated GPUs' memory
      continue;
    }
    const double pe = std::fabs(t.prefill.value() * 1e3 - prompt_ms) / prompt_ms * 100;
    const double de = std::fabs(t.decode_step.value() * 1e3 - token_ms) / token_ms * 100;
    g.prefill_err.push_back(pe);
    g.decode_err.push_back(de);
    all.push_back(pe);
    all.push_back(de);
  }
  std::cout << fmt::format("{:<28} {:>5} {:>8} {:>22} {:>22}\n", "model hardware tp", "rows",
                           "skipped", "prefill median |err| %", "decode median |err| %");
  for (const auto& [key, g] : groups) {
    std::cout << fmt::format("{:<28} {:>5} {:>8} {:>22.2f} {:>22.2f}\n", key, g.prefill_err.size(),
                             g.skipped, median(g.prefill_err), median(g.decode_err));
  }
  if (pcap_rows > 0) {
    std::cout << fmt::format(
        "{} power-capped rows (*-pcap) not simulated: they need the power-cap model\n", pcap_rows);
  }
  if (all.empty()) throw sim::config::InputError({o.csv, 1, 1}, "", "no rows to validate");
  std::cout << fmt::format("median_abs_pct_error={:.2f}\n", median(all));
}

}  // namespace

void add_validate_commands(CLI::App& app) {
  auto* validate =
      app.add_subcommand("validate", "Compare simulated results with measurements made elsewhere");
  validate->require_subcommand(1);
  auto opts = std::make_shared<Options>();
  auto* sw = validate->add_subcommand(
      "splitwise",
      "Prefill and decode times of closed batches against Splitwise's measured perf_model.csv");
  sw->add_option("--csv", opts->csv, "Splitwise perf_model CSV")->required();
  sw->add_option("--hardware", opts->hardware, "only rows of this hardware (a100-80gb, h100-80gb)");
  sw->add_option("--catalog-dir", opts->catalog_dir, "folder with llms.yaml and gpus.yaml")
      ->capture_default_str();
  sw->add_option("--cost-model", opts->cost_model, "iteration cost model")
      ->check(CLI::IsMember({"calibrated", "roofline"}))
      ->capture_default_str();
  sw->add_option("--calibration", opts->calibration,
                 "kernel calibration YAML (default: the shipped one)");
  sw->add_option("--iteration-overhead-ms", opts->iteration_overhead_ms,
                 "host time per iteration, ms (default: the shipped "
                 "models/workload/calibration/serving_overhead.yaml)");
  sw->callback([opts] { validate_splitwise(*opts); });
}

}  // namespace cli
