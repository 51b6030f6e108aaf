// The shipped GPU power calibration: the dimensionless coefficients of gpu_power.hpp, fitted
// to Splitwise's measured DGX-A100 power (`firstwall validate splitwise --fit-power --write
// models/gpu/calibration/gpu_power.yaml`), with the provenance of the fit inside the file.
#pragma once

#include <string>
#include <string_view>

#include "models/gpu/gpu_power.hpp"

namespace models {

struct GpuPowerCalibration {
  GpuPowerCoefficients coefficients;
  std::string command;       // how it was made
  std::string input_file;    // the measurements it was fitted on
  std::string input_sha256;
};

// Throws sim::config::InputError with every problem (located).
GpuPowerCalibration read_gpu_power_calibration(const std::string& path);
GpuPowerCalibration parse_gpu_power_calibration(std::string_view text, const std::string& name);
// The shipped file in the data directory (sim/data_dir.hpp).
std::string default_gpu_power_calibration_path();

}  // namespace models
