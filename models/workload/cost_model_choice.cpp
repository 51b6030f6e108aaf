#include "models/workload/cost_model_choice.hpp"

#include <stdexcept>

#include "kernels/cost/calibrated_roofline.hpp"
#include "kernels/cost/calibration_file.hpp"
#include "models/workload/kernel_iteration_cost.hpp"

namespace models {

std::shared_ptr<const kernels::cost::KernelCostModel> load_kernel_cost_model(
    const std::string& calibration) {
  const std::string path =
      calibration.empty() ? kernels::cost::default_calibration_path() : calibration;
  return std::make_shared<kernels::cost::CalibratedRoofline>(
      kernels::cost::read_calibration(path).calibration);
}

std::unique_ptr<IterationCostModel> make_iteration_cost(
    const LlmSpec& llm, const GpuSpec& gpu, Precision precision, int tp, const CostModelSpec& spec,
    std::shared_ptr<const kernels::cost::KernelCostModel> kernels) {
  if (spec.kind == CostModelKind::roofline) {
    return std::make_unique<RooflineIterationCost>(llm, gpu, precision, tp);
  }
  if (!kernels)
    throw std::invalid_argument(
        "make_iteration_cost: the calibrated model needs a kernel cost model");
  return std::make_unique<KernelIterationCost>(
      llm, gpu, precision, tp, std::move(kernels),
      HostCost{spec.iteration_overhead, spec.launch_overhead, spec.request_overhead});
}

}  // namespace models
