// The one interface every kernel cost model implements: kernel call + device + clock ->
// duration. The serving model sums these over the kernels of an iteration (DESIGN.md
// "Kernel costs: measured, then modelled").
#pragma once

#include "kernels/cost/device.hpp"
#include "kernels/cost/kernel_call.hpp"
#include "sim/units.hpp"

namespace kernels::cost {

// A kernel's time at full clock, split by what sets it. `clocked` is the SM-side part
// (tensor-core math, SM-bound row kernels): it stretches by 1 / clock_ratio when the clock
// drops. `unclocked` is set by HBM traffic and launch overhead: it does not. A kernel is
// "compute-bound" when its clocked part is the larger one. at(r) = clocked / r + unclocked
// is the coupling model of DESIGN.md ("Kernel time <- compute part x f_max/f + memory part"):
// exact at full clock, linear in 1/r below it.
struct KernelTime {
  sim::Seconds clocked{0};
  sim::Seconds unclocked{0};

  sim::Seconds total() const { return clocked + unclocked; }
  sim::Seconds at(double clock_ratio) const { return clocked / clock_ratio + unclocked; }
  bool compute_bound() const { return clocked > unclocked; }
};

class KernelCostModel {
 public:
  virtual ~KernelCostModel() = default;
  // The split at full clock. The default takes it from two durations (r = 1 and r = 1/2),
  // which is exact for any model of the form clocked / r + unclocked; models that know their
  // terms override it.
  virtual KernelTime split(const KernelCall& call, const Device& device) const;
  // `clock_ratio` = f / f_max in (0, 1]: only the compute-bound part stretches by
  // 1 / clock_ratio; HBM-bound work does not speed up or slow down with the SM clock
  // (DESIGN.md "Coupling"). A ratio outside (0, 1] throws std::invalid_argument.
  virtual sim::Seconds duration(const KernelCall& call, const Device& device,
                                double clock_ratio) const = 0;
};

// Throws std::invalid_argument unless 0 < clock_ratio <= 1.
void check_clock_ratio(double clock_ratio);

}  // namespace kernels::cost
