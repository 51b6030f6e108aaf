// `firstwall kernels fit` and `firstwall kernels validate --vidur`: wiring over
// kernels/cost/ (cost models, their fit, the Vidur importer) and the GPU catalog.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernels/cost/calibrated_roofline.hpp"
#include "kernels/cost/calibration_file.hpp"
#include "kernels/cost/device.hpp"
#include "kernels/cost/vidur_calibration.hpp"
#include "kernels/cost/vidur_table.hpp"
#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"
#include "sim/quantity.hpp"
#include "tools/cli/commands.hpp"

namespace cli {
namespace {

namespace kc = kernels::cost;

const sim::config::Location kCommandLine{"<command line>", 1, 1};

std::vector<std::string> default_gpu_catalog() {
  return {sim::data_path("scenarios/catalog/gpus.yaml").string()};
}

std::map<std::string, models::GpuSpec> load_gpus(const std::vector<std::string>& files) {
  return models::load_catalog_files(files).gpus;
}

// Vidur profiled in fp16 (vidur/profiling/mlp/mlp_wrapper.py), so the device's fp16 peak.
std::optional<kc::Device> fp16_device(const models::GpuSpec& g) {
  const auto peak = g.peak(models::DType::fp16);
  if (!peak) return std::nullopt;
  return kc::catalog_device(g.name, *peak, g.hbm_bandwidth);
}

kc::Device find_device(const std::map<std::string, models::GpuSpec>& gpus,
                       const std::string& name) {
  auto it = gpus.find(name);
  // Vidur's folder names (a100, h100, a40) name the same GPUs.
  if (it == gpus.end()) {
    if (auto alias = kc::vidur_device_name(name)) it = gpus.find(*alias);
  }
  if (it == gpus.end()) {
    std::vector<std::string> names;
    std::string list;
    for (const auto& [n, g] : gpus) {
      names.push_back(n);
      list += (list.empty() ? "" : ", ") + n;
    }
    std::string msg = "unknown GPU \"" + name + "\"";
    if (auto s = sim::config::did_you_mean(name, names)) msg += " (did you mean \"" + *s + "\"?)";
    throw sim::config::InputError(kCommandLine, "--device", msg + "; known: " + list);
  }
  auto d = fp16_device(it->second);
  if (!d) {
    throw sim::config::InputError(
        kCommandLine, "--device",
        "GPU \"" + name + "\" has no fp16 peak in the catalog (Vidur profiles fp16)");
  }
  return *d;
}

std::string quote_arg(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\"'$\\") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct FitArgs {
  std::vector<std::string> vidur;
  std::string out;
  std::vector<std::string> exclude;
  std::vector<std::string> catalogs;
};

void run_fit(const FitArgs& a) {
  kc::VidurFitInput in;
  in.paths = a.vidur;
  in.exclude_models = a.exclude;
  for (const auto& [name, g] : load_gpus(a.catalogs.empty() ? default_gpu_catalog() : a.catalogs)) {
    if (auto d = fp16_device(g)) in.devices.emplace(name, *d);
  }
  std::string cmd = "firstwall kernels fit";
  for (const auto& v : a.vidur) cmd += " --vidur " + quote_arg(v);
  for (const auto& e : a.exclude) cmd += " --exclude-model " + quote_arg(e);
  for (const auto& c : a.catalogs) cmd += " --catalog " + quote_arg(c);
  cmd += " --out " + quote_arg(a.out);
  in.command = cmd;
  in.firstwall_version = FIRSTWALL_VERSION_STRING;

  const kc::CalibrationFile file = kc::fit_vidur(in);
  try {
    const auto parent = std::filesystem::path(a.out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    kc::write_calibration(a.out, file);
  } catch (const std::exception& e) {
    throw sim::config::InputError(kCommandLine, "--out", e.what());
  }

  const kc::Provenance& pv = file.provenance;
  std::cout << fmt::format("fitted {} samples from {} tables", pv.samples, pv.sources.size());
  if (!pv.excluded_files.empty())
    std::cout << fmt::format(" ({} excluded)", pv.excluded_files.size());
  std::cout << "\n";
  std::cout << fmt::format("{:<16} {:<26} {:>8} {:>9} {:>9}\n", "device", "operator", "samples",
                           "median%", "p90%");
  for (const kc::ResidualRecord& r : pv.residuals) {
    std::cout << fmt::format("{:<16} {:<26} {:>8} {:>9.2f} {:>9.2f}\n", r.device, r.op, r.samples,
                             r.median_abs_pct_error, r.p90_abs_pct_error);
  }
  std::cout << "wrote " << a.out << "\n";
  std::cout << fmt::format("fit_median_abs_pct_error={:.2f}\n", pv.median_abs_pct_error);
}

struct ValidateArgs {
  std::string vidur;
  std::string device;
  std::string calibration;
  std::vector<std::string> catalogs;
  std::string predictions;
};

void write_predictions(const std::string& path, const kc::ValidationReport& report) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw sim::config::InputError({path, 1, 1}, "--predictions", "cannot write this file");
  out << "line,op,num_tokens,num_tensor_parallel_workers,measured_ms,predicted_ms,abs_pct_error\n";
  for (const kc::Prediction& p : report.predictions) {
    out << fmt::format("{},{},{},{},{:.6g},{:.6g},{:.4f}\n", p.line, kc::to_string(p.op),
                       p.shape.num_tokens, p.shape.tensor_parallel, p.measured.value() * 1e3,
                       p.predicted.value() * 1e3,
                       kc::abs_pct_error(p.predicted.value(), p.measured.value()));
  }
}

void run_validate(const ValidateArgs& a) {
  const kc::VidurTable table = kc::read_vidur_mlp(a.vidur);
  std::string device_name = a.device;
  if (device_name.empty()) {
    const auto from_path = kc::vidur_path_info(a.vidur).device;
    if (!from_path) {
      throw sim::config::InputError(kCommandLine, "--device",
                                    "missing: the path does not name a GPU "
                                    "(.../compute/<a100|a40|h100>/<org>/<model>/mlp.csv)");
    }
    device_name = *from_path;
  }
  const kc::Device device =
      find_device(load_gpus(a.catalogs.empty() ? default_gpu_catalog() : a.catalogs), device_name);
  const std::string cal_path =
      a.calibration.empty() ? kc::default_calibration_path() : a.calibration;
  const kc::CalibrationFile cal = kc::read_calibration(cal_path);
  const bool own = cal.calibration.devices.contains(device.name);
  const kc::CalibratedRoofline model(cal.calibration);
  const kc::ValidationReport report = kc::validate_vidur(table, device, model);
  if (!a.predictions.empty()) write_predictions(a.predictions, report);

  std::cout << fmt::format(
      "validate {} ({} rows) on {}: fp16 peak {}, bandwidth {}, {} SMs at {}\n", a.vidur,
      table.rows.size(), device.name,
      sim::format_quantity(device.peak_flops.value(), sim::dims::flop_rate),
      sim::format_quantity(device.memory_bandwidth.value(), sim::dims::byte_rate),
      device.sm_count ? std::to_string(*device.sm_count) : "unknown",
      device.sm_clock ? fmt::format("{:.0f} MHz", device.sm_clock->value() / 1e6) : "unknown");
  std::cout << fmt::format(
      "calibration {} ({})\n", cal_path,
      own ? "the device's own parameters" : "default parameters: no entry for this device");
  std::cout << fmt::format("{:<26} {:>7} {:>9} {:>9} {:>9}\n", "operator", "rows", "median%",
                           "mean%", "p90%");
  for (const kc::OperatorErrors& o : report.operators) {
    std::cout << fmt::format("{:<26} {:>7} {:>9.2f} {:>9.2f} {:>9.2f}\n", kc::to_string(o.op),
                             o.errors.count, o.errors.median, o.errors.mean, o.errors.p90);
  }
  std::cout << fmt::format("{:<26} {:>7} {:>9.2f} {:>9.2f} {:>9.2f}\n", "all", report.overall.count,
                           report.overall.median, report.overall.mean, report.overall.p90);
  if (report.skipped > 0) {
    std::cout << fmt::format("skipped {} measurements of 0 ms (below the profiler's resolution)\n",
                             report.skipped);
  }
  std::cout << fmt::format("median_abs_pct_error={:.2f}\n", report.overall.median);
}

}  // namespace

void add_kernels_cost_commands(CLI::App& kernels) {
  auto fit_args = std::make_shared<FitArgs>();
  auto* fit = kernels.add_subcommand(
      "fit", "Fit the calibrated roofline to measured GPU profiles; write a calibration YAML");
  fit->add_option("--vidur", fit_args->vidur,
                  "Vidur profiling folder or mlp.csv (repeatable); folders are searched for "
                  "compute/<a100|a40|h100>/<org>/<model>/mlp.csv")
      ->required()
      ->allow_extra_args(false);
  fit->add_option("--out", fit_args->out, "calibration file to write")->required();
  fit->add_option("--exclude-model", fit_args->exclude,
                  "leave out a model's tables on every GPU, e.g. Llama-2-7b-hf (repeatable)")
      ->allow_extra_args(false);
  fit->add_option("--catalog", fit_args->catalogs,
                  "GPU catalog YAML file(s) (default: scenarios/catalog/gpus.yaml of the "
                  "data directory)")
      ->allow_extra_args(false);
  fit->callback([fit_args] { run_fit(*fit_args); });

  auto val_args = std::make_shared<ValidateArgs>();
  auto* validate = kernels.add_subcommand(
      "validate", "Predict every row and operator of a measured profile; print the errors");
  validate->add_option("--vidur", val_args->vidur, "Vidur mlp.csv to predict")->required();
  validate->add_option("--device", val_args->device,
                       "GPU catalog name, e.g. h100-sxm (default: from a Vidur path, "
                       ".../compute/h100/... -> h100-sxm)");
  validate->add_option("--calibration", val_args->calibration,
                       "calibration YAML (default: kernels/calibration/gpu_vidur.yaml of the "
                       "data directory)");
  validate
      ->add_option("--catalog", val_args->catalogs,
                   "GPU catalog YAML file(s) (default: scenarios/catalog/gpus.yaml of the "
                   "data directory)")
      ->allow_extra_args(false);
  validate->add_option(
      "--predictions", val_args->predictions,
      "also write every (row, operator) with its measured and predicted time as CSV");
  validate->callback([val_args] { run_validate(*val_args); });
}

}  // namespace cli
