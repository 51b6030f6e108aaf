#include "kernels/cost/device.hpp"

#include <array>
#include <string>
#include <utility>

namespace kernels::cost {

Device catalog_device(std::string name, sim::FlopsPerSecond peak_flops,
                      sim::BytesPerSecond memory_bandwidth) {
  Device d;
  d.sm_count = known_sm_count(name);
  d.sm_clock = known_sm_clock(name);
  d.l2_cache = known_l2_cache(name);
  d.name = std::move(name);
  d.peak_flops = peak_flops;
  d.memory_bandwidth = memory_bandwidth;
  return d;
}

std::optional<int> known_sm_count(std::string_view catalog_name) {
  constexpr std::array<std::pair<std::string_view, int>, 6> kTable{{
      {"a100-sxm-80gb", 108},
      {"h100-sxm", 132},
      {"h200", 132},
      {"b200", 148},
      {"gb200", 148},
      {"a40", 84},
  }};
  for (const auto& [name, sms] : kTable) {
    if (name == catalog_name) return sms;
  }
  return std::nullopt;
}

std::optional<sim::Hertz> known_sm_clock(std::string_view catalog_name) {
  constexpr std::array<std::pair<std::string_view, double>, 4> kTable{{
      {"a100-sxm-80gb", 1410e6},
      {"h100-sxm", 1980e6},
      {"h200", 1980e6},
      {"a40", 1740e6},
  }};
  for (const auto& [name, hz] : kTable) {
    if (name == catalog_name) return sim::Hertz(hz);
  }
  return std::nullopt;
}

std::optional<sim::Bytes> known_l2_cache(std::string_view catalog_name) {
  constexpr std::array<std::pair<std::string_view, double>, 4> kTable{{
      {"a100-sxm-80gb", 40e6},
      {"h100-sxm", 50e6},
      {"h200", 50e6},
      {"a40", 6e6},
  }};
  for (const auto& [name, bytes] : kTable) {
    if (name == catalog_name) return sim::Bytes(bytes);
  }
  return std::nullopt;
}

}  // namespace kernels::cost
