// `firstwall validate training --csv FILE [--plant FILE]`: one simulated step per published
// training run (the format of ../shared/data/training/megatron_sc21.csv) against its measured
// step time. Each row runs on a plant network of its GPU's DGX server (8 GPUs on NVSwitch):
// the row's servers on the full-bisection, rail-optimized leaf-spine of that server's NICs
// that a plant gets by default (models/network/network_spec.hpp default_rail_optimized), its
// collectives read off that network (models/workload/training/plant_fabric.hpp). --plant FILE
// gives another: a `network:` section (the keys of `plant.network:`, over each row's
// defaults) or a `fabric:` section (fabric_file.hpp, the α–β tiers directly).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/network/network_spec.hpp"
#include "models/scenario/catalog.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "models/workload/training/cluster_collectives.hpp"
#include "models/workload/training/fabric_file.hpp"
#include "models/workload/training/plant_fabric.hpp"
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

// The DGX server of a catalog GPU: a servers.yaml entry named dgx-* that holds it and has a
// networks.yaml entry.
const models::ServerSpec* dgx_server_of(const models::Catalog& catalog,
                                        const models::network::NetworkCatalog& network,
                                        const std::string& gpu, std::string& name) {
  for (const auto& [key, server] : catalog.servers) {
    if (key.starts_with("dgx-") && server.gpu_name == gpu && network.servers.contains(key)) {
      name = key;
      return &server;
    }
  }
  return nullptr;
}

// What --plant gave (or nothing): a `network:` tree over each row's defaults, or a fabric.
struct PlantChoice {
  std::optional<sim::config::Node> root;  // the file's tree, or `network: {}`
  std::string file = "(default plant network)";
  std::optional<tr::Fabric> fabric;
};

PlantChoice read_plant_option(const std::string& path) {
  PlantChoice c;
  sim::config::Diagnostics diags;
  if (path.empty()) {
    c.root = sim::config::load_string("network: {}\n", c.file, diags);
  } else {
    sim::config::Node root = sim::config::load_file(path, diags);
    if (!diags.empty()) throw sim::config::InputError(diags);
    sim::config::Reader top(&root, "", diags);
    if (top.has("fabric")) return {std::nullopt, path, tr::read_fabric_file(path)};
    (void)top.node("network", sim::config::Need::required);
    top.finish();
    c.root = std::move(root);
    c.file = path;
  }
  if (!diags.empty()) throw sim::config::InputError(diags);
  return c;
}

// A row's collectives: its DGX server's plant network (the --plant file's `network:` over
// it), read off by plant_fabric(); or the --plant file's fabric.
std::shared_ptr<const tr::CollectiveTimes> row_collectives(
    const tr::TrainingRow& row, const std::string& csv, const models::GpuSpec& gpu,
    const models::Catalog& catalog, const models::network::NetworkCatalog& network,
    const PlantChoice& plant, int& gpus_per_node) {
  namespace net = models::network;
  if (plant.fabric) {
    gpus_per_node = plant.fabric->gpus_per_node;
    return std::make_shared<tr::AlphaBetaCollectives>(*plant.fabric);
  }
  const sim::config::Location at{fmt::format("{}:{}", csv, row.line), 0, 0};
  std::string server_name;
  const models::ServerSpec* server = dgx_server_of(catalog, network, row.gpu, server_name);
  if (!server)
    throw sim::config::InputError(
        at, "gpu",
        fmt::format("no DGX server holds \"{}\" in servers.yaml and networks.yaml (give a "
                    "fabric with --plant)",
                    row.gpu));
  const int g = server->gpus;
  sim::config::Diagnostics diags;
  sim::config::Reader top(&*plant.root, "", diags);
  sim::config::Reader n = top.section("network", sim::config::Need::optional);
  net::NetworkDefaults defaults{server_name, (row.spec.gpus + g - 1) / g, g, at, "gpu"};
  std::optional<net::NetworkSpec> spec = net::read_network(n, network, &defaults);
  if (!spec || !diags.empty()) throw sim::config::InputError(diags);
  const net::Topology topology = net::build_network(*spec, diags);
  if (!diags.empty()) throw sim::config::InputError(diags);
  try {
    tr::PlantFabric pf = tr::plant_fabric(*spec, topology, gpu, row.spec.gpus);
    gpus_per_node = pf.fabric.gpus_per_node;
    return std::make_shared<tr::ClusterCollectives>(std::move(pf.fabric), pf.layout);
  } catch (const tr::PlantFabricError& e) {
    throw sim::config::InputError(spec->where, spec->path + "." + e.key(),
                                  fmt::format("{} (row at {}:{})", e.what(), csv, row.line));
  }
}

void validate_training(const Options& o) {
  namespace net = models::network;
  const std::filesystem::path catalog_dir = o.catalog_dir.empty()
                                                ? sim::data_path("scenarios/catalog")
                                                : std::filesystem::path(o.catalog_dir);
  const models::Catalog catalog = models::load_catalog_files(
      {(catalog_dir / "gpus.yaml").string(), (catalog_dir / "servers.yaml").string()});
  const net::NetworkCatalog network =
      net::load_network_catalog((catalog_dir / "networks.yaml").string());
  const std::vector<tr::TrainingRow> rows = tr::read_training_csv(o.csv, catalog.gpus);
  const auto kernels = models::load_kernel_cost_model(o.calibration);
  const PlantChoice plant = read_plant_option(o.plant);
  std::map<std::string, std::vector<double>> per_source;
  std::vector<double> all;
  std::cout << fmt::format(
      "{:<5} {:<22} {:<14} {:>5} {:>3} {:>3} {:>3} {:>4} {:>4} {:>10} {:>10} {:>8} {:>6} {:>7} "
      "{:>6}\n",
      "line", "model", "gpu", "gpus", "tp", "pp", "vp", "dp", "mb", "pred_s", "meas_s", "err_%",
      "MFU_%", "TFLOP/s", "mem_GB");
  for (const tr::TrainingRow& row : rows) {
    const models::GpuSpec& gpu = catalog.gpus.at(row.gpu);
    int gpus_per_node = 1;
    const std::shared_ptr<const tr::CollectiveTimes> collectives =
        row_collectives(row, o.csv, gpu, catalog, network, plant, gpus_per_node);
    const tr::TrainingStepModel model(row.spec, gpu, kernels, collectives, gpus_per_node);
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
                  "YAML for every row: a `network:` section (plant.network's keys over each "
                  "row's DGX server) or a `fabric:` section (default: the full-bisection "
                  "rail-optimized network of the row's DGX server; models/workload/training/"
                  "README.md)");
  cmd->add_option("--calibration", opts->calibration,
                  "kernel calibration YAML (default: the shipped one)");
  cmd->add_option("--catalog-dir", opts->catalog_dir,
                  "folder with gpus.yaml (default: scenarios/catalog of the data directory)");
  cmd->add_flag("--breakdown", opts->breakdown, "print each row's time split and defaults");
  cmd->callback([opts] { validate_training(*opts); });
}

}  // namespace cli
