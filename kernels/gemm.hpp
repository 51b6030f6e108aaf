#pragma once
// Dense layer product y = x · Wᵀ in FP32.
//
// Layouts: x [m, k] activations (row = token), W [n, k] row-major weights — the
// out_features × in_features layout of PyTorch nn.Linear and of Hugging Face / DeepSeek
// checkpoints, so weights load without transposing. Every output element is then a dot product
// of two contiguous rows: decode (m = 1) streams W row by row, and the BF16 kernel
// (gemm_bf16.hpp) vectorizes both operands along k.
//
// Threads: the output is cut into fixed tiles of gemm_tile_rows × gemm_tile_cols, each computed
// by one single-threaded Eigen product. Tiles depend only on (m, n), so the result is
// bit-identical for any thread count; decode (m = 1) still parallelizes across output columns.

#include "kernels/tensor.hpp"

namespace kernels {

inline constexpr Eigen::Index gemm_tile_rows = 256;
inline constexpr Eigen::Index gemm_tile_cols = 256;

// Throws std::invalid_argument when x.cols() != w.cols().
Mat linear(const const_mat_ref& x, const const_mat_ref& w);
// Same, into y [m, n] (y must not alias x or w).
void linear_into(const const_mat_ref& x, const const_mat_ref& w, mat_ref y);

}  // namespace kernels
