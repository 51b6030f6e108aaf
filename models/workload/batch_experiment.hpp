// A closed batch: `batch` requests of `prompt` tokens arrive together on one replica of
// `tp` GPUs, are prefilled in one iteration, and decode `output` tokens each. This is how
// serving papers measure an engine (Splitwise's perf_model.csv, Patel et al. 2024), so the
// simulator's answers can be set against theirs.
#pragma once

#include <cstdint>

#include <memory>

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
};

struct BatchTimes {
  sim::Seconds prefill;      // the whole batch's prompt, first token included
  sim::Seconds decode_step;  // mean time of one decode iteration of the batch
};

// Runs the experiment through the serving model (same scheduling and cost code as a
// scenario). Throws std::invalid_argument if the batch does not fit the GPUs' memory.
BatchTimes run_batch_experiment(const LlmSpec& llm, const GpuSpec& gpu, const BatchExperiment& e);

}  // namespace models
