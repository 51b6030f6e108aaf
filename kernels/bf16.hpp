#pragma once
// bfloat16: the upper 16 bits of an IEEE-754 binary32 (8 exponent bits, 7 stored mantissa
// bits), the storage format of BF16 weights and of AVX512-BF16 / tensor-core inputs.
// Kalamkar et al. 2019, "A Study of BFLOAT16 for Deep Learning Training", arXiv:1905.12322.

#include <bit>
#include <cstdint>

namespace kernels {

struct bf16 {
  std::uint16_t bits;
  friend bool operator==(bf16, bf16) = default;
};

// Round to nearest, ties to even (the rounding of Intel's VCVTNEPS2BF16 and of PyTorch):
// adding 0x7FFF plus the lowest kept bit to the 32-bit pattern carries into the kept part
// exactly when the dropped half is above, or at and odd, the halfway point. Overflow rounds
// to infinity by the same carry. NaN is kept NaN by forcing a quiet bit, because the carry
// could otherwise turn a NaN whose payload sits in the dropped bits into infinity.
constexpr bf16 to_bf16(float f) {
  const auto u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffU) > 0x7f800000U) return bf16{static_cast<std::uint16_t>((u >> 16) | 0x40U)};
  const std::uint32_t rounded = u + 0x7fffU + ((u >> 16) & 1U);
  return bf16{static_cast<std::uint16_t>(rounded >> 16)};
}

constexpr float to_float(bf16 h) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h.bits) << 16);
}

}  // namespace kernels
