#include "kernels/cost/error_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kernels::cost {

namespace {
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}
}  // namespace

ErrorStats error_stats(std::vector<double> e) {
  ErrorStats s;
  s.count = e.size();
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  s.median = quantile(e, 0.5);
  s.p90 = quantile(e, 0.9);
  s.mean = std::accumulate(e.begin(), e.end(), 0.0) / static_cast<double>(e.size());
  return s;
}

}  // namespace kernels::cost
