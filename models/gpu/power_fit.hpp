// Fitting the GPU power coefficients (gpu_power.hpp) to measured per-GPU power: the mean
// over a whole closed batch and the highest iteration mean (Splitwise's average_power and
// peak_power columns). At full clock the model is linear in the coefficients:
//
//   P_iteration = P_idle + dP (k_busy x_busy + k_flop x_flop + k_byte x_byte)
//   x_busy = busy / T,  x_flop = (F / F_peak) / T,  x_byte = (B / B_peak) / T
//
// so the average over a batch is linear too (its x's are time-weighted means), and the
// peak is the largest of linear functions. (Predictions hold each iteration at TDP at most,
// as the simulation does; the fit is on the linear law.) The fit minimizes the sum of squared relative
// errors of both with non-negative coefficients: weighted least squares on the 3x3 normal
// equations, every subset of active coefficients tried (NNLS by enumeration), and the
// peak's iteration re-chosen under the new coefficients until it no longer changes.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "models/gpu/gpu_power.hpp"

namespace models {

struct PowerSample {
  std::string group;              // e.g. the model: leave-one-group-out
  double idle = 0;                // W
  double dynamic_range = 0;       // TDP - idle, W
  std::array<double, 3> average{};  // time-weighted x over the batch
  std::vector<std::array<double, 3>> iterations;  // x of each iteration
  std::vector<double> durations;                  // s, of each iteration at full clock
  double measured_average = 0;    // W per GPU
  double measured_peak = 0;       // W per GPU
};

// The x's of one iteration's activity at full clock (`peak_flops`, `hbm_bandwidth` as in
// GpuPowerLimits).
std::array<double, 3> power_features(const GpuActivity& a, const GpuPowerLimits& gpu);

// As the simulation draws it: each iteration's power held at TDP at most (gpu_power.hpp).
double predict_average(const PowerSample& s, const GpuPowerCoefficients& k);
double predict_peak(const PowerSample& s, const GpuPowerCoefficients& k);

// Fits on every sample; throws std::invalid_argument when there are none.
GpuPowerCoefficients fit_power(const std::vector<PowerSample>& samples);

// |predicted / measured - 1| in percent, for the averages and the peaks of `samples`.
std::vector<double> power_errors(const std::vector<PowerSample>& samples,
                                 const GpuPowerCoefficients& k);

}  // namespace models
