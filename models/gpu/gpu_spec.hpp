// A GPU as the catalog describes it: peak rates, memory, power and scale-up link.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "models/common/dtype.hpp"
#include "models/cooling/gpu_thermal.hpp"
#include "sim/units.hpp"

namespace models {

struct GpuSpec {
  std::string name;
  std::string source;
  // Dense (no 2:4 sparsity) peak per number format; absent where the format is unsupported.
  std::array<std::optional<sim::FlopsPerSecond>, 5> peak_flops{};  // indexed by DType
  sim::Bytes hbm_capacity;
  sim::BytesPerSecond hbm_bandwidth;
  sim::Watts tdp;  // the default power limit
  // Board power with nothing running. Measured for A100 and H100 (Splitwise); derived for
  // the others (see gpus.yaml).
  sim::Watts idle_power;
  // The range a power limit can be set in (nvidia-smi -pl); min defaults to idle power.
  sim::Watts min_power_limit;
  sim::Watts max_power_limit;
  // Maximum SM clock (f_max) where a sourced figure exists; clock ratios are reported
  // against it.
  std::optional<sim::Hertz> max_sm_clock;
  // Thermal thresholds and the junction's paths to a cold plate or to air (models/cooling);
  // absent: the GPU's temperature is not modelled.
  std::optional<cooling::GpuThermalSpec> thermal;
  // Scale-up (NVLink / Infinity Fabric) bandwidth of one GPU, both directions together, as
  // vendors quote it; one direction carries half.
  sim::BytesPerSecond scale_up_bandwidth;
  // Ring all-reduce parameters fitted to measured NCCL times (see gpus.yaml): latency of one
  // ring step and achieved fraction of the one-direction bandwidth.
  sim::Seconds scale_up_step_latency;
  double scale_up_efficiency = 1;

  std::optional<sim::FlopsPerSecond> peak(DType t) const {
    return peak_flops[static_cast<std::size_t>(t)];
  }
  sim::BytesPerSecond scale_up_one_direction() const { return scale_up_bandwidth / 2.0; }
};

}  // namespace models
