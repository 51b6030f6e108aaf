#include "models/gpu/gpu_power.hpp"

#include <stdexcept>

namespace models {

GpuPowerLimits power_limits_of(const GpuSpec& gpu) {
  GpuPowerLimits l;
  l.idle = gpu.idle_power;
  l.tdp = gpu.tdp;
  l.peak_flops = gpu.peak(DType::bf16).value_or(sim::FlopsPerSecond(1));
  l.hbm_bandwidth = gpu.hbm_bandwidth;
  return l;
}

GpuPowerModel::GpuPowerModel(GpuPowerLimits gpu, GpuPowerCoefficients k) : gpu_(gpu), k_(k) {
  if (!(gpu_.tdp > gpu_.idle) || gpu_.idle < sim::Watts(0))
    throw std::invalid_argument("GpuPowerModel: needs 0 <= idle power < TDP");
  if (!(gpu_.peak_flops.value() > 0) || !(gpu_.hbm_bandwidth.value() > 0))
    throw std::invalid_argument("GpuPowerModel: needs the peak FLOP/s and HBM bandwidth");
  if (!(gpu_.min_clock_ratio > 0 && gpu_.min_clock_ratio <= 1))
    throw std::invalid_argument("GpuPowerModel: min_clock_ratio must be in (0, 1]");
  if (k_.busy < 0 || k_.flop < 0 || k_.byte < 0)
    throw std::invalid_argument("GpuPowerModel: coefficients must be >= 0");
}

namespace {

// Energy above idle over the iteration at clock ratio r, before the TDP scaling.
double dynamic_energy(const GpuActivity& a, double r, const GpuPowerLimits& g,
                      const GpuPowerCoefficients& k) {
  const double dp = (g.tdp - g.idle).value();
  const double at_peak_flops = (a.flops / g.peak_flops).value();
  const double at_peak_bytes = (a.hbm_bytes / g.hbm_bandwidth).value();
  return dp * (k.busy * r * r * r * a.busy(r).value() + k.flop * r * r * at_peak_flops +
               k.byte * at_peak_bytes);
}

}  // namespace

sim::Watts GpuPowerModel::raw_power(const GpuActivity& a, double r) const {
  const double t = a.duration(r).value();
  if (t <= 0) return gpu_.idle;
  return gpu_.idle + sim::Watts(dynamic_energy(a, r, gpu_, k_) / t);
}

sim::Joules GpuPowerModel::energy(const GpuActivity& a, double r) const {
  const double t1 = a.duration(1.0).value();
  const double dynamic_at_full = t1 > 0 ? dynamic_energy(a, 1.0, gpu_, k_) / t1 : 0.0;
  const double headroom = (gpu_.tdp - gpu_.idle).value();
  const double scale = dynamic_at_full > headroom ? headroom / dynamic_at_full : 1.0;
  return gpu_.idle * a.duration(r) + sim::Joules(scale * dynamic_energy(a, r, gpu_, k_));
}

sim::Watts GpuPowerModel::power(const GpuActivity& a, double r) const {
  const sim::Seconds t = a.duration(r);
  if (t.value() <= 0) return gpu_.idle;
  return energy(a, r) / t;
}

double GpuPowerModel::clock_for_limit(const GpuActivity& a, sim::Watts limit) const {
  if (limit >= gpu_.tdp || power(a, 1.0) <= limit) return 1.0;
  double lo = gpu_.min_clock_ratio;
  if (power(a, lo) >= limit) return lo;
  double hi = 1.0;  // power(lo) < limit < power(hi)
  while (hi - lo > 1e-12) {
    const double mid = 0.5 * (lo + hi);
    (power(a, mid) <= limit ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace models
