// A GPU as the catalog describes it: peak rates, memory, power and scale-up link.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "models/common/dtype.hpp"
#include "sim/units.hpp"

namespace models {

struct GpuSpec {
  std::string name;
  std::string source;
  // Dense (no 2:4 sparsity) peak per number format; absent where the format is unsupported.
  std::array<std::optional<sim::FlopsPerSecond>, 5> peak_flops{};  // indexed by DType
  sim::Bytes hbm_capacity;
  sim::BytesPerSecond hbm_bandwidth;
  sim::Watts tdp;
  std::optional<sim::Watts> idle_power;  // absent where no measured figure was found
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
