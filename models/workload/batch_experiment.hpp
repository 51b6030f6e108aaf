// A closed batch: `batch` requests of `prompt` tokens arrive together on one replica of
// `tp` GPUs, are prefilled in one iteration, and decode `output` tokens each. This is how
// serving papers measure an engine (Splitwise's perf_model.csv, Patel et al. 2024), so the
// simulator's answers can be set against theirs. The replica runs on a one-server plant
// of GPUs with a power limit (their TDP unless capped) and the calibrated power model: the
// clock rule is the plant's (GpuPowerModel::clock_for_limit), so the clock and the power
// are those a scenario gives, with nothing else in the server drawing power.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "models/gpu/gpu_power.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/iteration_cost.hpp"
#include "models/workload/llm_spec.hpp"
#include "sim/units.hpp"

namespace models {

struct BatchExperiment {
  std::int64_t batch = 1;
  std::int64_t prompt = 1;
  std::int64_t output = 2;  // >= 2, so that there is at least one decode step
  int tensor_parallel = 1;
  Precision precision;
  CostModelSpec cost;
  std::shared_ptr<const kernels::cost::KernelCostModel> kernel_costs;  // for `calibrated`
  GpuPowerCoefficients power;                 // the GPU power model
  std::optional<sim::Watts> power_limit;      // per GPU; default: the GPU's TDP
};

struct BatchIteration {
  GpuActivity activity;  // at full clock
  double clock_ratio = 1;
  sim::Watts power;      // per GPU, the iteration's mean
};

struct BatchTimes {
  sim::Seconds prefill;      // the whole batch's prompt, first token included
  sim::Seconds decode_step;  // mean time of one decode iteration of the batch
  sim::Watts peak_power;     // per GPU: the highest iteration mean
  sim::Watts average_power;  // per GPU: energy over the whole batch / its time
  double prefill_clock_ratio = 1;
  std::vector<BatchIteration> iterations;  // in order; the first is the prefill
};

// Runs the experiment through the serving model (same scheduling and cost code as a
// scenario). Throws std::invalid_argument if the batch does not fit the GPUs' memory.
BatchTimes run_batch_experiment(const LlmSpec& llm, const GpuSpec& gpu, const BatchExperiment& e);

}  // namespace models
