#include "kernels/cost/vidur_calibration.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "kernels/cost/calibrated_roofline.hpp"
#include "sim/config.hpp"

namespace kernels::cost {

namespace {

using sim::config::InputError;

bool excluded(const VidurPathInfo& info, const std::vector<std::string>& names) {
  const std::string base = info.model.substr(info.model.find('/') + 1);
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return n == info.model || n == base; });
}

std::string method(const FitOptions& o) {
  return fmt::format(
      "per kernel class, Levenberg-Marquardt on log time with a soft-L1 loss (scale {}), "
      "fixed starting values, per-device offsets of the transformed parameters with a ridge "
      "penalty (lambda {}) towards the shared defaults; GEMM tiles {}x{} "
      "(kernels/cost/fit.hpp). Measurement: the median column of each operator.",
      o.robust_scale, o.device_ridge, o.tile.m, o.tile.n);
}

}  // namespace

std::vector<std::string> find_vidur_tables(const std::vector<std::string>& paths) {
  std::set<std::string> found;
  sim::config::Diagnostics diags;
  for (const std::string& p : paths) {
    std::error_code ec;
    const std::filesystem::path path(p);
    if (std::filesystem::is_regular_file(path, ec)) {
      found.insert(path.lexically_normal().string());
      continue;
    }
    if (!std::filesystem::is_directory(path, ec)) {
      diags.add({p, 1, 1}, "", "cannot read: no such file or folder");
      continue;
    }
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(path, ec)) {
      if (e.is_regular_file() && e.path().filename() == "mlp.csv") {
        found.insert(e.path().lexically_normal().string());
        ++n;
      }
    }
    if (n == 0) diags.add({p, 1, 1}, "", "no mlp.csv in this folder or below it");
  }
  if (!diags.empty()) throw InputError(diags);
  return {found.begin(), found.end()};
}

// Prefill attention as the kernels of the profiled era ran it: FlashAttention-2, the kernel of
// the 2023 serving stacks (vLLM, xformers) whose GEMMs Vidur profiled and whose end-to-end
// times Splitwise measured. FA2 was written for Ampere: on A100 its forward pass reaches
// 50-73 % of the dense peak, the upper end at long sequences (Dao 2023, FlashAttention-2,
// arXiv 2307.08691, abstract), but on Hopper it uses neither TMA nor warp-specialized wgmma
// and reaches 35 % of the H100's peak (Shah et al. 2024, FlashAttention-3, arXiv 2407.08608,
// abstract), where FlashAttention-3 reaches 75 % (REFERENCE.md B.1 'Sustained versus peak').
// Hopper devices of the catalog: h100-sxm, h200. A Hopper scenario on an FA3 engine should
// use a calibration file with 75 % (2.1x faster prefill attention).
bool hopper(std::string_view device) {
  return device == "h100-sxm" || device == "h200";
}

ClassParams attention_prefill_params(sim::Seconds overhead, std::string_view device) {
  ClassParams p;
  p.compute_efficiency = hopper(device) ? 0.35 : 0.73;
  p.memory_efficiency = 3000.0 / 3350.0;
  p.overhead = overhead;
  p.source =
      std::string("not fitted (no measured GPU attention table): compute ") +
      (hopper(device) ? "35 % of the dense peak, FlashAttention-2 on H100 (Shah et al. 2024, "
                        "FlashAttention-3 paper, abstract; FA3 reaches 75 %, REFERENCE.md B.1)"
                      : "73 % of the dense peak, FlashAttention-2's forward pass on A100 "
                        "(Dao 2023, FlashAttention-2 paper, abstract: 50-73 %)") +
      "; memory 89.6 % of HBM peak, FlashMLA 3000 of 3350 GB/s on H800 (REFERENCE.md 4.1) "
      "[V/D]; overhead = this device's fitted GEMM overhead; max() of the two limits";
  return p;
}

ClassParams attention_decode_params(sim::Seconds overhead) {
  ClassParams p;
  p.compute_efficiency = 660.0 / 990.0;
  p.memory_efficiency = 3000.0 / 3350.0;
  p.overhead = overhead;
  p.source =
      "not fitted (no measured GPU attention table): compute 66.7 % of the dense peak, "
      "FlashMLA dense decode 660 of 990 TFLOPS on H800; memory 89.6 % of HBM peak, FlashMLA "
      "3000 of 3350 GB/s (REFERENCE.md 4.1) [V/D]; overhead = this device's fitted GEMM "
      "overhead; max() of the two limits";
  return p;
}

CalibrationFile fit_vidur(const VidurFitInput& input) {
  CalibrationFile out;
  Provenance& pv = out.provenance;
  pv.command = input.command;
  pv.firstwall_version = input.firstwall_version;
  pv.method = method(input.options);
  pv.excluded_models = input.exclude_models;

  // Devices in a fixed order (catalog name), so the fit does not depend on file order.
  std::vector<Device> devices;
  std::map<std::string, std::size_t> device_index;
  std::vector<FitSample> samples;
  struct Tag {
    std::size_t device;
    VidurOp op;
  };
  std::vector<Tag> tags;

  const std::vector<std::string> files = find_vidur_tables(input.paths);
  sim::config::Diagnostics diags;
  std::vector<std::pair<VidurPathInfo, VidurTable>> tables;
  for (const std::string& f : files) {
    const VidurPathInfo info = vidur_path_info(f);
    if (!info.device) {
      diags.add({f, 1, 1}, "",
                "cannot tell the GPU from the path: expected "
                ".../compute/<a100|a40|h100>/<org>/<model>/mlp.csv");
      continue;
    }
    if (!input.devices.contains(*info.device)) {
      diags.add({f, 1, 1}, "",
                "GPU \"" + *info.device + "\" (from the path) is not in the catalog");
      continue;
    }
    if (excluded(info, input.exclude_models)) {
      pv.excluded_files.push_back(f);
      continue;
    }
    tables.emplace_back(info, read_vidur_mlp(f));
  }
  if (!diags.empty()) throw InputError(diags);
  if (tables.empty()) {
    throw InputError({"<command line>", 1, 1}, "--vidur",
                     "no table left to fit after the exclusions");
  }
  {
    std::set<std::string> names;
    for (const auto& [info, table] : tables) names.insert(*info.device);
    for (const std::string& n : names) {
      device_index[n] = devices.size();
      devices.push_back(input.devices.at(n));
    }
  }
  for (const auto& [info, table] : tables) {
    SourceRecord rec;
    rec.file = table.file;
    rec.device = *info.device;
    rec.model = info.model;
    rec.rows = table.rows.size();
    const std::size_t d = device_index.at(*info.device);
    for (const VidurRow& row : table.rows) {
      for (VidurOp op : table.ops) {
        const auto& t = row.median[static_cast<std::size_t>(op)];
        if (!t || !(t->value() > 0)) continue;
        samples.push_back({vidur_call(op, row.shape), d, *t});
        tags.push_back({d, op});
        ++rec.samples;
      }
    }
    pv.sources.push_back(rec);
  }

  FitResult fit = fit_calibration(samples, devices, input.options);
  out.calibration = std::move(fit.calibration);
  Calibration& cal = out.calibration;
  // Attention: sourced efficiencies with each device's fitted launch overhead.
  const auto gemm_overhead = [](const std::map<KernelClass, ClassParams>& classes) {
    auto it = classes.find(KernelClass::gemm);
    return it == classes.end() ? sim::Seconds(0) : it->second.overhead;
  };
  cal.defaults[KernelClass::attention_prefill] =
      attention_prefill_params(gemm_overhead(cal.defaults), "");
  cal.defaults[KernelClass::attention_decode] =
      attention_decode_params(gemm_overhead(cal.defaults));
  for (auto& [name, classes] : cal.devices) {
    classes[KernelClass::attention_prefill] =
        attention_prefill_params(gemm_overhead(classes), name);
    classes[KernelClass::attention_decode] = attention_decode_params(gemm_overhead(classes));
  }

  // In-sample residuals by device and operator.
  const CalibratedRoofline model(cal);
  std::map<std::pair<std::size_t, std::size_t>, std::vector<double>> by;
  std::vector<double> all;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double pred = model.duration(samples[i].call, devices[samples[i].device], 1.0).value();
    const double e = abs_pct_error(pred, samples[i].measured.value());
    by[{tags[i].device, static_cast<std::size_t>(tags[i].op)}].push_back(e);
    all.push_back(e);
  }
  const ErrorStats overall = error_stats(all);
  pv.samples = overall.count;
  pv.median_abs_pct_error = overall.median;
  for (const auto& [key, errors] : by) {
    const ErrorStats s = error_stats(errors);
    pv.residuals.push_back({devices[key.first].name,
                            std::string(to_string(kAllVidurOps[key.second])), s.count, s.median,
                            s.p90});
  }
  return out;
}

ValidationReport validate_vidur(const VidurTable& table, const Device& device,
                                const KernelCostModel& model) {
  ValidationReport report;
  std::vector<double> all;
  for (VidurOp op : table.ops) {
    std::vector<double> errors;
    for (const VidurRow& row : table.rows) {
      const auto& t = row.median[static_cast<std::size_t>(op)];
      if (!t) continue;
      if (!(t->value() > 0)) {
        ++report.skipped;
        continue;
      }
      const sim::Seconds pred = model.duration(vidur_call(op, row.shape), device, 1.0);
      errors.push_back(abs_pct_error(pred.value(), t->value()));
      report.predictions.push_back({row.line, op, row.shape, *t, pred});
    }
    all.insert(all.end(), errors.begin(), errors.end());
    report.operators.push_back({op, error_stats(std::move(errors))});
  }
  report.overall = error_stats(std::move(all));
  return report;
}

std::vector<MeasuredPoint> vidur_points(const VidurTable& table, const std::string& device) {
  std::vector<MeasuredPoint> points;
  for (const VidurRow& row : table.rows) {
    for (VidurOp op : table.ops) {
      const auto& t = row.median[static_cast<std::size_t>(op)];
      if (t) points.push_back({device, vidur_call(op, row.shape), *t});
    }
  }
  return points;
}

}  // namespace kernels::cost
