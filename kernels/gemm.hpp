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
// Tile size: each tile re-packs its slice of W, so larger tiles pack less. 4096³ on one Zen 4
// core (`make bench`, several runs): 256 × 256 tiles 66–71 GFLOP/s, 512 × 512 71–78 (0.61–0.66
// of the FMA peak), 1024 × 1024 75–79.5, one whole Eigen product ~83. 512 keeps more items for
// threads (8 column tiles for a 4096-wide decode GEMV) at about the same speed as 1024.

#include <algorithm>
#include <cstdint>

#include "kernels/parallel.hpp"
#include "kernels/tensor.hpp"

namespace kernels {

inline constexpr Eigen::Index gemm_tile_rows = 512;
inline constexpr Eigen::Index gemm_tile_cols = 512;

// Runs body(r0, rows, c0, cols) for every output tile of an m × n product, in parallel (the
// tiling and threading rule above, shared by the FP32 and BF16 GEMMs).
template <class Body>
void for_each_gemm_tile(Eigen::Index m, Eigen::Index n, Body&& body) {
  const Eigen::Index row_tiles = (m + gemm_tile_rows - 1) / gemm_tile_rows;
  const Eigen::Index col_tiles = (n + gemm_tile_cols - 1) / gemm_tile_cols;
  parallel_for(row_tiles * col_tiles, [&](std::int64_t item) {
    const Eigen::Index r0 = (item / col_tiles) * gemm_tile_rows;
    const Eigen::Index c0 = (item % col_tiles) * gemm_tile_cols;
    body(r0, std::min(gemm_tile_rows, m - r0), c0, std::min(gemm_tile_cols, n - c0));
  });
}

// Throws std::invalid_argument when x.cols() != w.cols().
Mat linear(const const_mat_ref& x, const const_mat_ref& w);
// Same, into y [m, n] (y must not alias x or w).
void linear_into(const const_mat_ref& x, const const_mat_ref& w, mat_ref y);

}  // namespace kernels
