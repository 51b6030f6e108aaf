#include "kernels/fp8_e4m3.hpp"

#include <array>
#include <bit>
#include <cmath>

namespace kernels {
namespace {

constexpr std::array<float, 256> make_decode_table() {
  std::array<float, 256> table{};
  for (int code = 0; code < 256; ++code) {
    const int exponent = (code >> 3) & 0xf;
    const int mantissa = code & 0x7;
    float magnitude = 0.0f;
    if (exponent == 0xf && mantissa == 0x7) {
      magnitude = std::bit_cast<float>(0x7fc00000U);  // quiet NaN
    } else {
      // Normal: (1 + m/8) * 2^(e-7); subnormal (e = 0): (m/8) * 2^-6.
      float power = 1.0f / 64.0f;  // 2^-6
      for (int e = 1; e < exponent; ++e) power *= 2.0f;
      const float significand = (exponent == 0 ? 0.0f : 1.0f) + static_cast<float>(mantissa) / 8.0f;
      magnitude = significand * power;
    }
    table[static_cast<std::size_t>(code)] = (code & 0x80) != 0 ? -magnitude : magnitude;
  }
  return table;
}

constexpr std::array<float, 256> decode_table = make_decode_table();

}  // namespace

float fp8_e4m3_decode(std::uint8_t code) {
  return decode_table[code];
}

std::uint8_t fp8_e4m3_encode(float x) {
  const auto u = std::bit_cast<std::uint32_t>(x);
  const auto sign = static_cast<std::uint8_t>((u >> 24) & 0x80U);
  const std::uint32_t abs_bits = u & 0x7fffffffU;
  if (abs_bits > 0x7f800000U) return 0x7f;  // NaN
  const float a = std::bit_cast<float>(abs_bits);
  std::uint32_t code = 0;
  if (a < fp8_e4m3_min_normal) {
    // Subnormal range: the code is |x| / 2^-9 rounded to an integer (0..8; 8 is the smallest
    // normal, whose code is exactly 8). Scaling by 512 is exact, as are floor and the compare.
    const float scaled = a * 512.0f;
    const float low = std::floor(scaled);
    const float frac = scaled - low;
    code = static_cast<std::uint32_t>(low);
    if (frac > 0.5f || (frac == 0.5f && (code & 1U) != 0)) ++code;
  } else {
    // Normal range: rebias the exponent (127 → 7) and round the 23-bit mantissa to 3 bits;
    // a mantissa carry moves into the exponent, which is the correct next value.
    const std::uint32_t exponent = (abs_bits >> 23) - 127U + 7U;
    if (exponent > 0xfU) return static_cast<std::uint8_t>(sign | 0x7eU);  // >= 512, incl. inf
    const std::uint32_t mantissa = abs_bits & 0x7fffffU;
    code = exponent << 3 | (mantissa >> 20);
    const std::uint32_t dropped = mantissa & 0xfffffU;
    if (dropped > 0x80000U || (dropped == 0x80000U && (code & 1U) != 0)) ++code;
  }
  if (code > 0x7eU) code = 0x7e;  // saturate to 448 rather than produce NaN
  return static_cast<std::uint8_t>(sign | code);
}

}  // namespace kernels
