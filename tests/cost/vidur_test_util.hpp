// Shared helpers of the Vidur validation tests: devices from the shipped GPU catalog, the
// measured tables in ../shared/data/vidur, and fit-then-validate in one call.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kernels/cost/calibrated_roofline.hpp"
#include "kernels/cost/vidur_calibration.hpp"
#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"

namespace kernels::cost::test {

inline std::string compute_dir() {
  return (std::filesystem::path(FIRSTWALL_SHARED_DATA) / "vidur/data/profiling/compute").string();
}

inline std::string table(const std::string& gpu_dir, const std::string& org_model) {
  return (std::filesystem::path(compute_dir()) / gpu_dir / org_model / "mlp.csv").string();
}

// Every catalog GPU with an fp16 peak, as `firstwall kernels fit|validate` builds them.
inline std::map<std::string, Device> catalog_devices() {
  const models::Catalog c = models::load_catalog_files(
      {(std::filesystem::path(FIRSTWALL_SOURCE_DIR) / "scenarios/catalog/gpus.yaml").string()});
  std::map<std::string, Device> out;
  for (const auto& [name, g] : c.gpus) {
    if (auto peak = g.peak(models::DType::fp16)) {
      out.emplace(name, catalog_device(name, *peak, g.hbm_bandwidth));
    }
  }
  return out;
}

inline CalibrationFile fit(const std::vector<std::string>& paths,
                           const std::vector<std::string>& exclude = {}) {
  VidurFitInput in;
  in.paths = paths;
  in.exclude_models = exclude;
  in.devices = catalog_devices();
  in.command = "test";
  return fit_vidur(in);
}

inline double median_error(const Calibration& cal, const std::string& csv,
                           const std::string& device) {
  const CalibratedRoofline model(cal);
  return validate_vidur(read_vidur_mlp(csv), catalog_devices().at(device), model).overall.median;
}

}  // namespace kernels::cost::test
