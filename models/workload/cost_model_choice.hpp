// Which iteration cost model a serving replica uses, and building it.
//   roofline:   peak rates, no calibration (an upper bound on speed; iteration_cost.hpp)
//   calibrated: the sum of the iteration's kernels, each costed by the calibrated roofline
//               fitted to measured GPU profiles (kernel_iteration_cost.hpp, kernels/cost)
#pragma once

#include <memory>
#include <string>

#include "kernels/cost/kernel_cost_model.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/workload/iteration_cost.hpp"
#include "models/workload/llm_spec.hpp"
#include "models/workload/serving_overhead.hpp"
#include "sim/units.hpp"

namespace models {

enum class CostModelKind { roofline, calibrated };

struct CostModelSpec {
  CostModelKind kind = CostModelKind::calibrated;
  std::string calibration;  // calibration YAML; empty: the shipped one
  // Host time per iteration (scheduling, input preparation, sampling, output processing),
  // which kernel costs do not see. Default: the shipped, generated
  // models/workload/calibration/serving_overhead.yaml (serving_overhead.hpp): fitted to
  // Splitwise's measured DGX-A100 timings leaving one model out, with the fits, their held-out
  // errors and the input's sha256 inside. Regenerate it from the repository root with
  //   /usr/bin/python3 tools/analysis/fit_iteration_overhead.py build/tools/firstwall
  //       ../shared/data/splitwise/perf_model_a100.csv
  //       --write models/workload/calibration/serving_overhead.yaml
  // It is a property of that (2023) serving stack; engines with CUDA graphs and an
  // asynchronous scheduler spend far less: set it per scenario. The file is read on the first
  // default construction (once per process); a bad file throws sim::config::InputError.
  sim::Seconds iteration_overhead = shipped_iteration_overhead();
  // Host CPU time to issue one kernel: the iteration lasts at least launches × this, as the
  // GPUs wait for a host that has not issued their next kernel (kernel_iteration_cost.hpp).
  // Same file and fit as iteration_overhead; 0 for engines that replay CUDA graphs.
  sim::Seconds launch_overhead = shipped_launch_overhead();
  // Host CPU time per request of an iteration (same file and fit).
  sim::Seconds request_overhead = shipped_request_overhead();

  // The host costs on a host CPU `speed` times as fast per thread as the one they were
  // measured on (ServerSpec::host_speed): each divided by it.
  CostModelSpec on_host(double speed) const {
    CostModelSpec s = *this;
    s.iteration_overhead = iteration_overhead / speed;
    s.launch_overhead = launch_overhead / speed;
    s.request_overhead = request_overhead / speed;
    return s;
  }
};

// Reads a calibration file into a kernel cost model (throws sim::config::InputError).
std::shared_ptr<const kernels::cost::KernelCostModel> load_kernel_cost_model(
    const std::string& calibration);

// `kernels` may be null for the roofline; for `calibrated` it must be the loaded model.
std::unique_ptr<IterationCostModel> make_iteration_cost(
    const LlmSpec& llm, const GpuSpec& gpu, Precision precision, int tp, const CostModelSpec& spec,
    std::shared_ptr<const kernels::cost::KernelCostModel> kernels);

}  // namespace models
