// Calibrating on Vidur's tables and validating against them: what `firstwall kernels fit`
// and `firstwall kernels validate --vidur` do, as functions the tests call too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kernels/cost/calibration_file.hpp"
#include "kernels/cost/error_stats.hpp"
#include "kernels/cost/fit.hpp"
#include "kernels/cost/kernel_cost_model.hpp"
#include "kernels/cost/measured_table.hpp"
#include "kernels/cost/vidur_table.hpp"

namespace kernels::cost {

// Every mlp.csv under each path (a path that is a file is taken as is), sorted, without
// duplicates. A path that does not exist, or a folder without any, is an InputError.
std::vector<std::string> find_vidur_tables(const std::vector<std::string>& paths);

struct VidurFitInput {
  std::vector<std::string> paths;           // files or folders (--vidur)
  std::vector<std::string> exclude_models;  // "Llama-2-7b-hf" or "meta-llama/Llama-2-7b-hf"
  std::map<std::string, Device> devices;    // catalog name -> device (fp16 peaks)
  std::string command;                      // recorded in the provenance
  std::string firstwall_version;
  FitOptions options;
};

// Reads the tables, fits the calibrated roofline, adds the sourced attention parameters and
// the provenance. InputError for unreadable tables, a path that names no known GPU
// (compute/<a100|a40|h100>/<org>/<model>/mlp.csv) or a GPU missing from `devices`.
CalibrationFile fit_vidur(const VidurFitInput& input);

// Attention efficiencies from published figures (REFERENCE.md), not from a fit; overhead
// is the GEMM class's fitted per-launch time of the same device.
ClassParams attention_prefill_params(sim::Seconds overhead);
ClassParams attention_decode_params(sim::Seconds overhead);

struct OperatorErrors {
  VidurOp op = VidurOp::emb;
  ErrorStats errors;
};

struct Prediction {
  int line = 0;  // of the row in the table
  VidurOp op = VidurOp::emb;
  VidurShape shape;
  sim::Seconds measured;
  sim::Seconds predicted;
};

struct ValidationReport {
  std::vector<Prediction> predictions;    // every (row, operator) compared
  std::vector<OperatorErrors> operators;  // operators of the table, in Vidur's order
  ErrorStats overall;                     // all rows and operators
  std::size_t skipped = 0;                // measured 0 ms (below the profiler's resolution)
};

// Predicts every (row, operator) of the table on `device` at full clock and compares with
// the median measured time.
ValidationReport validate_vidur(const VidurTable& table, const Device& device,
                                const KernelCostModel& model);

// The measured points of a table, for a MeasuredTable of `device`.
std::vector<MeasuredPoint> vidur_points(const VidurTable& table, const std::string& device);

}  // namespace kernels::cost
