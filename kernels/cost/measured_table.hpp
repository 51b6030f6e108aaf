// Measured-table cost model: interpolates measured times of the same device and the same
// operator shape along the tokens dimension (m of a GEMM, rows of an elementwise operator),
// log-log between the two nearest measured points, and refuses anything else.
//
// "Same shape" means: a GEMM with the same n, k and number format; an elementwise operator of
// the same class with the same elements, FLOPs per row and launches; attention with the same
// heads, head dims, formats and number of requests, interpolated along what its work is
// proportional to — the causal (query, key) pairs of a prefill, the cached tokens a decode
// reads (Σ over the requests). No measured GPU attention table is available to this project;
// the host's own attention is measured by `firstwall kernels selfcheck`.
//
// Clock: the measurements were made at the GPU's default (maximum) clock. A call whose
// arithmetic intensity is at or above the device's ridge point (peak FLOP/s / bandwidth) is
// taken as compute-bound and stretched by 1 / clock_ratio; below it, as HBM-bound and left
// as measured. A table has no finer split to offer; the calibrated roofline has.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cost/kernel_cost_model.hpp"

namespace kernels::cost {

struct MeasuredPoint {
  std::string device;  // catalog name
  KernelCall call;
  sim::Seconds time;  // at full clock
};

class MeasuredTable final : public KernelCostModel {
 public:
  // Points with a time <= 0 (below the profiler's resolution) are dropped; several points
  // of one shape and token count are combined by their median.
  explicit MeasuredTable(const std::vector<MeasuredPoint>& points);

  bool covers(const KernelCall& call, const Device& device) const;
  // The interpolated time at full clock; nullopt outside the coverage.
  std::optional<sim::Seconds> lookup(const KernelCall& call, const Device& device) const;
  // Throws std::out_of_range outside the coverage.
  sim::Seconds duration(const KernelCall& call, const Device& device,
                        double clock_ratio) const override;

  std::size_t series_count() const { return series_.size(); }

 private:
  // (device, shape key) -> points sorted by tokens, one per token count.
  using Key = std::tuple<std::string, std::string>;
  std::map<Key, std::vector<std::pair<double, double>>> series_;
};

}  // namespace kernels::cost
