// Composite cost model: the measured table where it covers a call, the fallback (normally
// the calibrated roofline) everywhere else — DESIGN.md "measured where covered, roofline
// elsewhere".
#pragma once

#include <memory>

#include "kernels/cost/kernel_cost_model.hpp"
#include "kernels/cost/measured_table.hpp"

namespace kernels::cost {

class Composite final : public KernelCostModel {
 public:
  Composite(MeasuredTable measured, std::shared_ptr<const KernelCostModel> fallback);

  sim::Seconds duration(const KernelCall& call, const Device& device,
                        double clock_ratio) const override;
  KernelTime split(const KernelCall& call, const Device& device) const override;
  bool uses_measured(const KernelCall& call, const Device& device) const;

 private:
  MeasuredTable measured_;
  std::shared_ptr<const KernelCostModel> fallback_;
};

}  // namespace kernels::cost
