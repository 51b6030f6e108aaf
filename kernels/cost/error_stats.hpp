// Summary of absolute percentage errors |predicted / measured - 1| · 100.
#pragma once

#include <cstddef>
#include <vector>

namespace kernels::cost {

struct ErrorStats {
  std::size_t count = 0;
  double median = 0;  // middle value; the mean of the two middle ones for an even count
  double mean = 0;
  double p90 = 0;  // linear interpolation between order statistics (numpy's default)
};

ErrorStats error_stats(std::vector<double> abs_pct_errors);

inline double abs_pct_error(double predicted, double measured) {
  const double e = (predicted / measured - 1.0) * 100.0;
  return e < 0 ? -e : e;
}

}  // namespace kernels::cost
