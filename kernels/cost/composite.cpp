#include "kernels/cost/composite.hpp"

#include <stdexcept>
#include <utility>

namespace kernels::cost {

Composite::Composite(MeasuredTable measured, std::shared_ptr<const KernelCostModel> fallback)
    : measured_(std::move(measured)), fallback_(std::move(fallback)) {
  if (!fallback_) throw std::invalid_argument("Composite needs a fallback cost model");
}

bool Composite::uses_measured(const KernelCall& call, const Device& device) const {
  return measured_.covers(call, device);
}

sim::Seconds Composite::duration(const KernelCall& call, const Device& device,
                                 double clock_ratio) const {
  if (measured_.covers(call, device)) return measured_.duration(call, device, clock_ratio);
  return fallback_->duration(call, device, clock_ratio);
}

KernelTime Composite::split(const KernelCall& call, const Device& device) const {
  if (measured_.covers(call, device)) return measured_.split(call, device);
  return fallback_->split(call, device);
}

}  // namespace kernels::cost
