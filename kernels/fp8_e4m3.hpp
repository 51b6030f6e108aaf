#pragma once
// FP8 E4M3 ("OCP 8-bit Floating Point Specification (OFP8)" rev. 1.0, 2023; Micikevicius et
// al. 2022, "FP8 Formats for Deep Learning", arXiv:2209.05433): 1 sign, 4 exponent bits (bias
// 7), 3 mantissa bits. No infinities; S.1111.111 is NaN, so the largest finite value is
// S.1111.110 = 448. Subnormals step by 2^-9. With 3 mantissa bits, round-to-nearest has a
// relative error of at most 2^-4 for normal values (|x| in [2^-6, 448]).

#include <cstdint>

namespace kernels {

inline constexpr float fp8_e4m3_max = 448.0f;
inline constexpr float fp8_e4m3_min_normal = 0.015625f;  // 2^-6

// Round to nearest, ties to even; values beyond ±448 (including ±inf) saturate to ±448, as
// the "satfinite" conversions of NVIDIA's cvt.rn.satfinite.e4m3x2.f32 and FlashMLA do;
// NaN → 0x7F.
std::uint8_t fp8_e4m3_encode(float x);
float fp8_e4m3_decode(std::uint8_t code);

}  // namespace kernels
