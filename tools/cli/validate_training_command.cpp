// `firstwall validate training --csv FILE [--plant FILE]`: one simulated step per published
// training run (the format of ../shared/data/training/megatron_sc21.csv) against its measured
// step time. Each row runs on its GPU's DGX server (8 GPUs on NVSwitch) with a full-bisection,
// rail-optimized fabric of that server's NICs (models/workload/training/
// alpha_beta_collectives.hpp), unless --plant gives another fabric.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/scenario/catalog.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "models/workload/training/fabric_file.hpp"
#include "models/workload/training/step_model.hpp"
#include "models/workload/training/training_csv.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"
#include "tools/cli/validate_training_command.hpp"

namespace cli {

namespace {

namespace tr = models::training;

struct Options {
  std::string csv;
  std::string plant;
  std::string calibration;
  std::string catalog_dir;
  bool breakdown = false;
};

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void validate_training(const Options& o) {
  const std::filesystem::path catalog_dir = o.catalog_dir.empty()
                                                ? sim::data_path("scenarios/catalog")
                                                : std::filesystem::path(o.catalog_dir);
  const models::Catalog catalog =
      models::load_catalog_files({(catalog_dir / "gpus.yaml").string()});
  const std::vector<tr::TrainingRow> rows = tr::read_training_csv(o.csv, catalog.gpus);
  std::optional<tr::Fabric> plant_fabric;
  if (!o.plant.empty()) plant_fabric = tr::read_fabric_file(o.plant);
  const auto kernels = models::load_kernel_cost_model(o.calibration);

  std::map<std::string, std::vector<double>> per_source;
  std::vector<double> all;
  std::cout << fmt::format(
      "{:<5} {:<22} {:<14} {:>5} {:>3} {:>3} {:>3} {:>4} {:>4} {:>10} {:>10} {:>8} {:>6} {:>7} "
      "{:>6}\n",
      "line", "model", "gpu", "gpus", "tp", "pp", "vp", "dp", "mb", "pred_s", "meas_s", "err_%",
      "MFU_%", "TFLOP/s", "mem_GB");
  for (const tr::TrainingRow& row : rows) {
    const models::GpuSpec& gpu = catalog.gpus.at(row.gpu);
    std::optional<tr::Fabric> fabric = plant_fabric ? plant_fabric : tr::dgx_fabric(gpu);
    if (!fabric)
      throw sim::config::InputError(
          {fmt::format("{}:{}", o.csv, row.line), 0, 0}, "gpu",
          fmt::format("no DGX fabric is documented for \"{}\" (give one with --plant)", row.gpu));
    auto collectives = std::make_shared<tr::AlphaBetaCollectives>(*fabric);
    const tr::TrainingStepModel model(row.spec, gpu, kernels, collectives, fabric->gpus_per_node);
    const tr::StepReport r = model.step();
    const double predicted = r.step_time.value();
    const double err = (predicted / row.measured_step_time_s - 1) * 100;
    per_source[row.source].push_back(std::fabs(err));
    all.push_back(std::fabs(err));
    const tr::Parallelism& p = row.spec.parallel;
    std::cout << fmt::format(
        "{:<5} {:<22} {:<14} {:>5} {:>3} {:>3} {:>3} {:>4} {:>4} {:>10.3f} {:>10.3f} {:>+8.2f} "
        "{:>6.1f} {:>7.1f} {:>6.1f}{}\n",
        row.line, row.label, row.gpu, row.spec.gpus, p.tp, p.pp, p.vp, p.dp, row.spec.micro_batch,
        predicted, row.measured_step_time_s, err, r.mfu * 100,
        r.hardware_flops_per_gpu_per_second / 1e12, r.memory.total().value() / 1e9,
        r.fits() ? "" : "  exceeds hbm_capacity");
    if (o.breakdown) {
      const tr::StepBreakdown& d = r.breakdown;
      std::cout << fmt::format(
          "      compute {:.3f} s, tp {:.3f}, pp {:.3f}, dp {:.3f}, cp {:.3f}, ep {:.3f}, bubble "
          "{:.3f} ({:.1f} %), optimizer {:.3f}; microbatches {}; fwd {:.1f} ms, bwd+recompute "
          "{:.1f} ms per microbatch; defaults: {}\n",
          d.compute.value(), d.tp_comm.value(), d.pp_comm.value(), d.dp_comm.value(),
          d.cp_comm.value(), d.ep_comm.value(), d.bubble.value(), r.bubble_fraction * 100,
          d.optimizer.value(), r.microbatches, r.forward.value() * 1e3, r.backward.value() * 1e3,
          fmt::join(row.defaulted, " "));
    }
  }
  std::cout << "(err = simulated / measured - 1; TFLOP/s per GPU counts the recomputed forward, "
               "as Narayanan et al. eq. 3)\n";
  for (const auto& [source, errs] : per_source) {
    std::cout << fmt::format("{}: rows={} median_abs_pct_error={:.2f} max_abs_pct_error={:.2f}\n",
                             source.empty() ? "(no source)" : source, errs.size(), median(errs),
                             *std::max_element(errs.begin(), errs.end()));
  }
  std::cout << fmt::format("median_abs_pct_error={:.2f}\n", median(all));
}

}  // namespace

void add_validate_training_command(CLI::App& validate) {
  auto opts = std::make_shared<Options>();
  auto* cmd = validate.add_subcommand(
      "training",
      "Simulated training step times against published runs (CSV in the format of "
      "megatron_sc21.csv)");
  cmd->add_option("--csv", opts->csv, "training runs CSV (columns: see its SOURCE.txt)")
      ->required();
  cmd->add_option("--plant", opts->plant,
                  "fabric YAML for every row (default: the DGX server of each row's GPU; format "
                  "in models/workload/training/README.md)");
  cmd->add_option("--calibration", opts->calibration,
                  "kernel calibration YAML (default: the shipped one)");
  cmd->add_option("--catalog-dir", opts->catalog_dir,
                  "folder with gpus.yaml (default: scenarios/catalog of the data directory)");
  cmd->add_flag("--breakdown", opts->breakdown, "print each row's time split and defaults");
  cmd->callback([opts] { validate_training(*opts); });
}

}  // namespace cli
