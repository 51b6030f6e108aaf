// GPU board power and the clock a power limit allows.
//
// An iteration is described at full clock by its activity: SM-side time that stretches with
// the clock (`clocked`), busy time that does not (HBM-bound kernels, launch gaps,
// communication), host time during which the GPU waits (`idle`), and the FLOPs and HBM bytes
// it moves. At clock ratio r = f / f_ref it lasts
//
//   T(r) = clocked / r + unclocked_busy + idle
//
// and its energy is
//
//   E(r) = P_idle T(r) + dP [ k_busy r^3 (clocked / r + unclocked_busy)   (clock tree, control)
//                           + k_flop r^2 F / F_peak                       (energy per FLOP ~ V^2)
//                           + k_byte B / B_peak ]                         (HBM: its own clock)
//
// with dP = TDP - P_idle. The law: switching power is alpha C V^2 f (CMOS dynamic power;
// REFERENCE.md B.3 "DVFS physics"); inside the DVFS range V rises roughly in proportion to
// f, so busy SM power goes as f^3 per unit time and the energy of one FLOP as V^2 ~ r^2. HBM
// energy per byte does not depend on the SM clock. F_peak = F / peak FLOP/s and B / HBM
// bandwidth are the seconds the work would take at the peaks, so the k's are dimensionless
// shares of dP: one set of k's, fitted on the measured DGX-A100 power of Splitwise
// (models/gpu/calibration/gpu_power.yaml, `firstwall validate splitwise --fit-power`),
// carries to other GPUs through their own TDP, idle power and peaks. That transfer rests
// on vendors setting TDP where a dense GEMM sits at the sustained clock, as the A100 data
// shows (large prefills measure 1.00-1.08 of TDP).
//
// r = 1 is the clock the kernel costs were calibrated at, under the GPU's default power
// limit (its TDP), not the boost clock. A kernel whose modelled draw at r = 1 exceeds TDP
// ran at the TDP-limited clock when it was measured, and its calibrated efficiency already
// holds that slowdown: so the dynamic part is scaled to draw at most TDP at r = 1,
//
//   P(r) = P_idle + (P_raw(r) - P_idle) s,   s = min(1, (TDP - P_idle) / (P_raw(1) - P_idle)),
//
// and a limit below TDP lowers r from there (a limit at or above TDP leaves r = 1: the
// kernel costs do not know a faster clock). Valid for r in [min_clock_ratio, 1]; below the
// voltage floor (not modelled) power falls only linearly with f. Leakage does not depend
// on temperature here.
#pragma once

#include <string>

#include "models/gpu/gpu_spec.hpp"
#include "sim/units.hpp"

namespace models {

struct GpuActivity {
  sim::Seconds clocked{0};         // SM-bound time at full clock: stretches by 1 / r
  sim::Seconds unclocked_busy{0};  // busy time that does not stretch (HBM, launches, comm)
  sim::Seconds idle{0};            // the GPU waits (host overhead)
  sim::Flops flops{0};             // per GPU
  sim::Bytes hbm_bytes{0};         // per GPU

  sim::Seconds duration(double clock_ratio) const {
    return clocked / clock_ratio + unclocked_busy + idle;
  }
  sim::Seconds busy(double clock_ratio) const { return clocked / clock_ratio + unclocked_busy; }
};

// Dimensionless shares of (TDP - idle power); see the file comment.
struct GpuPowerCoefficients {
  double busy = 0;
  double flop = 0;
  double byte = 0;
};

// What the power model needs to know about one GPU.
struct GpuPowerLimits {
  sim::Watts idle;                // board power with nothing running, at full clocks
  sim::Watts tdp;                 // default power limit
  sim::FlopsPerSecond peak_flops;  // dense peak of the format the kernels compute in
  sim::BytesPerSecond hbm_bandwidth;
  double min_clock_ratio = 0.1;   // the lowest clock the power controller goes to
};

// A catalog GPU's limits. Power scales with the number format only through the FLOP count:
// the peak that normalizes it is the bf16 one (every catalog GPU has it), so that fp8 FLOPs,
// each half a bf16 FLOP's time at the peaks, are not counted at the bf16 energy twice over.
GpuPowerLimits power_limits_of(const GpuSpec& gpu);

class GpuPowerModel {
 public:
  GpuPowerModel(GpuPowerLimits gpu, GpuPowerCoefficients k);

  // Board power averaged over the iteration at clock ratio r (at most TDP at r = 1).
  sim::Watts power(const GpuActivity& a, double clock_ratio) const;
  // The law before the TDP scaling: what the GPU would draw at the calibration clock
  // without a power limit. Above TDP at r = 1, the GPU runs at its limit.
  sim::Watts raw_power(const GpuActivity& a, double clock_ratio) const;
  sim::Joules energy(const GpuActivity& a, double clock_ratio) const;
  sim::Watts idle_power() const { return gpu_.idle; }

  // The highest clock ratio in [min_clock_ratio, 1] whose power is at most `limit`. Power is
  // strictly increasing in r (above), so this is a bisection to 1e-12; when even the lowest
  // clock exceeds the limit the lowest clock is returned (the GPU cannot go lower; the
  // hardware power brake that would follow is not modelled).
  double clock_for_limit(const GpuActivity& a, sim::Watts limit) const;

  const GpuPowerLimits& gpu() const { return gpu_; }
  const GpuPowerCoefficients& coefficients() const { return k_; }

 private:
  GpuPowerLimits gpu_;
  GpuPowerCoefficients k_;
};

}  // namespace models
