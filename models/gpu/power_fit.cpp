#include "models/gpu/power_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>

namespace models {

namespace {

double dot(const std::array<double, 3>& x, const GpuPowerCoefficients& k) {
  return k.busy * x[0] + k.flop * x[1] + k.byte * x[2];
}

// The iteration with the highest power under k.
std::size_t peak_iteration(const PowerSample& s, const GpuPowerCoefficients& k) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < s.iterations.size(); ++i) {
    if (dot(s.iterations[i], k) > dot(s.iterations[best], k)) best = i;
  }
  return best;
}

struct Row {
  std::array<double, 3> x;
  double y;       // (measured - idle) / dP
  double weight;  // dP / measured: makes the residual relative
};

// Non-negative weighted least squares for 3 unknowns: the best of the 8 active sets whose
// unconstrained solution is non-negative.
GpuPowerCoefficients solve(const std::vector<Row>& rows) {
  double best_cost = std::numeric_limits<double>::infinity();
  Eigen::Vector3d best = Eigen::Vector3d::Zero();
  for (int mask = 1; mask < 8; ++mask) {
    std::vector<int> active;
    for (int j = 0; j < 3; ++j)
      if (mask & (1 << j)) active.push_back(j);
    const auto n = static_cast<Eigen::Index>(active.size());
    Eigen::MatrixXd a(static_cast<Eigen::Index>(rows.size()), n);
    Eigen::VectorXd b(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (Eigen::Index j = 0; j < n; ++j)
        a(static_cast<Eigen::Index>(i), j) =
            rows[i].weight * rows[i].x[static_cast<std::size_t>(active[static_cast<std::size_t>(j)])];
      b(static_cast<Eigen::Index>(i)) = rows[i].weight * rows[i].y;
    }
    const Eigen::VectorXd sol = a.colPivHouseholderQr().solve(b);
    if ((sol.array() < 0).any()) continue;
    const double cost = (a * sol - b).squaredNorm();
    if (cost < best_cost) {
      best_cost = cost;
      best.setZero();
      for (Eigen::Index j = 0; j < n; ++j) best(active[static_cast<std::size_t>(j)]) = sol(j);
    }
  }
  return GpuPowerCoefficients{best(0), best(1), best(2)};
}

}  // namespace

std::array<double, 3> power_features(const GpuActivity& a, const GpuPowerLimits& gpu) {
  const double t = a.duration(1.0).value();
  if (t <= 0) return {0, 0, 0};
  return {a.busy(1.0).value() / t, (a.flops / gpu.peak_flops).value() / t,
          (a.hbm_bytes / gpu.hbm_bandwidth).value() / t};
}

double predict_average(const PowerSample& s, const GpuPowerCoefficients& k) {
  if (s.iterations.empty() || s.durations.size() != s.iterations.size())
    return s.idle + s.dynamic_range * std::min(1.0, dot(s.average, k));
  double energy = 0, time = 0;
  for (std::size_t i = 0; i < s.iterations.size(); ++i) {
    energy += s.durations[i] * std::min(1.0, dot(s.iterations[i], k));
    time += s.durations[i];
  }
  return s.idle + s.dynamic_range * energy / time;
}

double predict_peak(const PowerSample& s, const GpuPowerCoefficients& k) {
  if (s.iterations.empty()) return s.idle;
  return s.idle + s.dynamic_range * std::min(1.0, dot(s.iterations[peak_iteration(s, k)], k));
}

GpuPowerCoefficients fit_power(const std::vector<PowerSample>& samples) {
  if (samples.empty()) throw std::invalid_argument("fit_power: no samples");
  // Start from the averages alone, then add the peaks at the iterations the fit says peak.
  GpuPowerCoefficients k{1, 1, 1};
  std::vector<std::size_t> chosen(samples.size(), SIZE_MAX);
  for (int round = 0; round < 50; ++round) {
    std::vector<Row> rows;
    bool changed = false;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const PowerSample& s = samples[i];
      rows.push_back({s.average, (s.measured_average - s.idle) / s.dynamic_range,
                      s.dynamic_range / s.measured_average});
      if (s.iterations.empty()) continue;
      const std::size_t p = peak_iteration(s, k);
      changed = changed || p != chosen[i];
      chosen[i] = p;
      rows.push_back({s.iterations[p], (s.measured_peak - s.idle) / s.dynamic_range,
                      s.dynamic_range / s.measured_peak});
    }
    k = solve(rows);
    if (!changed && round > 0) break;
  }
  return k;
}

std::vector<double> power_errors(const std::vector<PowerSample>& samples,
                                 const GpuPowerCoefficients& k) {
  std::vector<double> out;
  for (const PowerSample& s : samples) {
    out.push_back(std::fabs(predict_average(s, k) / s.measured_average - 1) * 100);
    out.push_back(std::fabs(predict_peak(s, k) / s.measured_peak - 1) * 100);
  }
  return out;
}

}  // namespace models
