#pragma once
// y = x · Wᵀ with BF16 storage and FP32 accumulation (the mixed precision of tensor cores and
// AMX/AVX512-BF16). Same layouts and tiling as linear() in gemm.hpp. The activations x are
// rounded to BF16 as well (round to nearest even), because the hardware dot product takes two
// BF16 operands.
//
// Two paths compute the same mathematical sum of exact products (a product of two BF16
// values is exact in FP32) and differ only in summation order:
//  - avx512_bf16: VDPBF16PS (_mm512_dpbf16_ps), 32 BF16 pairs per instruction into 16 FP32
//    lanes; compiled only where __AVX512BF16__ is defined (e.g. -march=native on Zen 4 and
//    later, Cooper Lake, Sapphire Rapids). Note the instruction flushes denormals to zero.
//  - fp32_convert: widen BF16 → FP32 (a 16-bit shift) per tile and run the FP32 tile product
//    (linear_tile in gemm.hpp: the packed kernel where the build has AVX2 or AVX-512).
// Error against the FP32 product: each operand carries a relative error <= 2^-8 (unit
// roundoff of an 8-bit significand), so |y - y_fp32| <= (2^-7 + 2^-16) · Σ_k |x_k||w_k| plus
// FP32 accumulation error.

#include <vector>

#include "kernels/bf16.hpp"
#include "kernels/tensor.hpp"

namespace kernels {

struct bf16_matrix {
  Eigen::Index rows = 0;
  Eigen::Index cols = 0;
  std::vector<bf16> data;  // row-major

  static bf16_matrix from_fp32(const const_mat_ref& m);
  Mat to_fp32() const;
  const bf16* row(Eigen::Index r) const { return data.data() + r * cols; }
};

enum class bf16_path { automatic, avx512_bf16, fp32_convert };

// Whether this build can run the path (automatic and fp32_convert always can).
bool bf16_path_available(bf16_path path);

// Throws std::invalid_argument on a shape mismatch or an unavailable path.
Mat linear_bf16(const const_mat_ref& x, const bf16_matrix& w,
                bf16_path path = bf16_path::automatic);

}  // namespace kernels
