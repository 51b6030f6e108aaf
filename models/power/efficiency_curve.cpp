#include "models/power/efficiency_curve.hpp"

#include <algorithm>
#include <stdexcept>

namespace models::power {

EfficiencyCurve::EfficiencyCurve(std::vector<EfficiencyPoint> points) : points_(std::move(points)) {
  if (points_.size() < 2) throw std::invalid_argument("efficiency curve: needs >= 2 points");
  if (points_.front().load != 0.0 || points_.back().load != 1.0)
    throw std::invalid_argument("efficiency curve: must be defined from 0 % to 100 % load");
  for (std::size_t i = 0; i < points_.size(); ++i) {
    if (!(points_[i].efficiency > 0.0 && points_[i].efficiency <= 1.0))
      throw std::invalid_argument("efficiency curve: efficiency outside (0, 100 %]");
    if (i > 0 && !(points_[i].load > points_[i - 1].load))
      throw std::invalid_argument("efficiency curve: loads must increase");
  }
}

double EfficiencyCurve::at(double x) const {
  if (x <= 0.0) return points_.front().efficiency;
  if (x >= 1.0) return points_.back().efficiency;
  const auto hi = std::upper_bound(points_.begin(), points_.end(), x,
                                   [](double v, const EfficiencyPoint& p) { return v < p.load; });
  const auto lo = hi - 1;
  const double t = (x - lo->load) / (hi->load - lo->load);
  return lo->efficiency + t * (hi->efficiency - lo->efficiency);
}

}  // namespace models::power
