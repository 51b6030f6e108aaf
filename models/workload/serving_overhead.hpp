// The serving stack's host time per iteration as the project ships it: a generated YAML file
// (models/workload/calibration/serving_overhead.yaml) holding the value fitted to Splitwise's
// measured timings and the provenance of the fit (the command that regenerates it, the input
// CSV and its sha256, the leave-one-model-out fits). Written by
// tools/analysis/fit_iteration_overhead.py --write; read here.
#pragma once

#include <string>
#include <string_view>

#include "sim/units.hpp"

namespace models {

struct ServingOverhead {
  sim::Seconds iteration_overhead{0};
  // CPU time to issue one GPU kernel (the framework's operator dispatch and the launch). The
  // GPUs cannot run ahead of the host that issues their kernels, so an iteration takes at
  // least its kernel launches times this (kernel_iteration_cost.hpp). 0 when the file has
  // none (format 1).
  sim::Seconds launch_overhead{0};
  // CPU time per request of an iteration (per-sequence scheduling, sampling, detokenizing,
  // output processing), during which the GPUs wait. 0 when the file has none (format 1).
  sim::Seconds request_overhead{0};
  // Of the provenance only what a test checks is read back; the rest is for people.
  std::string command;       // regenerates the file, run from the repository root
  std::string input_file;    // the measured CSV, relative to the repository root
  std::string input_sha256;  // of that CSV when the file was generated
};

// Throws sim::config::InputError with every problem (file:line:col: path: message).
ServingOverhead read_serving_overhead(const std::string& path);
ServingOverhead parse_serving_overhead(std::string_view text, const std::string& file_name);

// models/workload/calibration/serving_overhead.yaml of the data directory (sim/data_dir.hpp).
// Throws sim::DataDirError when there is no data directory.
std::string default_serving_overhead_path();

// The shipped file's overheads (read on the first call).
sim::Seconds shipped_iteration_overhead();
sim::Seconds shipped_launch_overhead();
sim::Seconds shipped_request_overhead();

}  // namespace models
