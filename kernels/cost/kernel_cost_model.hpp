// The one interface every kernel cost model implements: kernel call + device + clock ->
// duration. The serving model sums these over the kernels of an iteration (DESIGN.md
// "Kernel costs: measured, then modelled").
#pragma once

#include "kernels/cost/device.hpp"
#include "kernels/cost/kernel_call.hpp"
#include "sim/units.hpp"

namespace kernels::cost {

class KernelCostModel {
 public:
  virtual ~KernelCostModel() = default;
  // `clock_ratio` = f / f_max in (0, 1]: only the compute-bound part stretches by
  // 1 / clock_ratio; HBM-bound work does not speed up or slow down with the SM clock
  // (DESIGN.md "Coupling"). A ratio outside (0, 1] throws std::invalid_argument.
  virtual sim::Seconds duration(const KernelCall& call, const Device& device,
                                double clock_ratio) const = 0;
};

// Throws std::invalid_argument unless 0 < clock_ratio <= 1.
void check_clock_ratio(double clock_ratio);

}  // namespace kernels::cost
