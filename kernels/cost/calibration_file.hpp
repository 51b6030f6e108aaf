// Calibration files: the calibrated roofline's parameters as YAML, with the provenance of
// the fit inside (the command that made the file, the measured tables with their row counts,
// what was excluded, and the fit's residuals). Every quantity carries its unit ("5.1 us",
// "7.8 GB/s", "74.2 %"); writing is atomic (temporary file, then rename).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cost/calibrated_roofline.hpp"

namespace kernels::cost {

struct SourceRecord {
  std::string file;         // as given on the command line
  std::string device;       // catalog name
  std::string model;        // <org>/<model> from the path
  std::size_t rows = 0;     // table rows
  std::size_t samples = 0;  // (row, operator) measurements used
};

struct ResidualRecord {
  std::string device;
  std::string op;  // Vidur operator name
  std::size_t samples = 0;
  double median_abs_pct_error = 0;
  double p90_abs_pct_error = 0;
};

struct Provenance {
  std::string command;
  std::string firstwall_version;
  std::string method;
  std::vector<SourceRecord> sources;
  std::vector<std::string> excluded_models;
  std::vector<std::string> excluded_files;  // tables of the excluded models, not used
  std::size_t samples = 0;
  double median_abs_pct_error = 0;  // in-sample, all devices and operators
  std::vector<ResidualRecord> residuals;
};

struct CalibrationFile {
  Calibration calibration;
  Provenance provenance;
};

std::string to_yaml(const CalibrationFile& file);
// Throws std::runtime_error when the file cannot be written.
void write_calibration(const std::string& path, const CalibrationFile& file);

// Throws sim::config::InputError with every problem (file:line:col: path: message).
// Of the provenance only `command` and `firstwall_version` are read back.
CalibrationFile read_calibration(const std::string& path);
CalibrationFile parse_calibration(std::string_view text, const std::string& file_name);

// The calibration the project ships: kernels/calibration/gpu_vidur.yaml of the data directory
// (sim/data_dir.hpp). Throws sim::DataDirError when there is no data directory.
std::string default_calibration_path();

}  // namespace kernels::cost
