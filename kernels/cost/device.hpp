// What a cost model needs to know about a GPU: its peaks and, for tile/wave quantization and
// the kernels whose speed is set by the SMs rather than by HBM, its number of streaming
// multiprocessors and their maximum clock.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sim/units.hpp"

namespace kernels::cost {

struct Device {
  // Catalog name (scenarios/catalog/gpus.yaml); selects the device's own calibration.
  std::string name;
  // Dense (no 2:4 sparsity) peak of the number format the calls compute in.
  sim::FlopsPerSecond peak_flops;
  sim::BytesPerSecond memory_bandwidth;
  // Without them, wave quantization and the SM-side limits of memory-bound kernels are left
  // out (calibrated_roofline.hpp).
  std::optional<int> sm_count;
  std::optional<sim::Hertz> sm_clock;  // maximum (boost) SM clock, f_max
  // Last-level (L2) cache: operands that are still there from the kernel before do not come
  // from HBM. Without it, every byte is taken to come from HBM.
  std::optional<sim::Bytes> l2_cache;
};

// A catalog GPU with its SM count, SM clock and L2 size from the tables below (the catalog
// does not carry them yet). Use this rather than filling Device by hand: a Device without SM
// clock drops the SM-side limits of the memory-bound kernels and predicts them too fast.
Device catalog_device(std::string name, sim::FlopsPerSecond peak_flops,
                      sim::BytesPerSecond memory_bandwidth);

// SM counts of the catalog's GPUs, until the catalog carries them:
//   a100-sxm-80gb 108 (REFERENCE.md B.1, A100 paragraph [S]); h100-sxm, h200 132 [V];
//   b200, gb200 148 [V] (REFERENCE.md B.1 table); a40 84 (NVIDIA A40 datasheet: 10,752
//   CUDA cores at 128 per GA102 SM [U: not verified here]). MI300X's 304 CUs are not SMs
//   of the same width [U], so it has none here.
std::optional<int> known_sm_count(std::string_view catalog_name);

// Maximum SM clocks of the catalog's GPUs: a100-sxm-80gb 1,410 MHz (REFERENCE.md B.1, A100
// paragraph [S]); h100-sxm 1,980 MHz (REFERENCE.md B.1 "Illustrative clock behaviour" [S]);
// h200 1,980 MHz [D: same GH100 die and clocks]; a40 1,740 MHz (NVIDIA A40 datasheet [U]).
// No sourced figure for b200, gb200 or mi300x: their SM-side limits are left out.
std::optional<sim::Hertz> known_sm_clock(std::string_view catalog_name);

// L2 cache sizes: a100-sxm-80gb 40 MB (NVIDIA A100 whitepaper), h100-sxm and h200 50 MB
// (NVIDIA H100 whitepaper; H200 the same die), a40 6 MB (NVIDIA Ampere GA102 whitepaper)
// [U: vendor documents, not verified here]. None for the others yet.
std::optional<sim::Bytes> known_l2_cache(std::string_view catalog_name);

}  // namespace kernels::cost
