// Devices with the catalog's figures (gpus.yaml, kernels/cost/device.cpp), written out so the
// cost-model unit tests do not depend on the catalog files.
#pragma once

#include "kernels/cost/device.hpp"

namespace kernels::cost::test {

inline Device a100() {
  return Device{"a100-sxm-80gb",
                sim::FlopsPerSecond(312e12),
                sim::BytesPerSecond(2.039e12),
                108,
                sim::Hertz(1.41e9),
                sim::Bytes(40e6)};
}

inline Device h100() {
  return Device{"h100-sxm",
                sim::FlopsPerSecond(989.4e12),
                sim::BytesPerSecond(3.35e12),
                132,
                sim::Hertz(1.98e9),
                sim::Bytes(50e6)};
}

}  // namespace kernels::cost::test
