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
// by one single-threaded product (linear_tile). Tiles depend only on (m, n), so the result is
// bit-identical for any thread count; decode (m = 1) still parallelizes across output columns.
//
// The product of a tile (issue 8 §1; measurements in kernels/README.md, GEMM section):
//  - packed (builds with AVX-512F, or AVX2 + FMA — FIRSTWALL_NATIVE picks the host's): our own
//    Goto/BLIS-style kernel in gemm.cpp. W is packed per k block of 256 into panels of NR
//    columns (a vectorized transpose), x per strip of MR rows, and an MR × NR register block
//    of accumulators runs one FMA per (row, column) and k step: 14 × 32 (28 zmm accumulators)
//    with AVX-512, 6 × 16 (12 ymm) with AVX2. Each element of y is the plain sequential FMA
//    chain y_ij = fma(x_i,k-1, w_j,k-1, … fma(x_i0, w_j0, 0)): k blocks continue the chain
//    from the stored partial sum, so the value does not depend on the blocking, the ISA or the
//    tile it falls in. Used when m >= 2.
//  - eigen: Eigen's product, for a single row (m = 1: Eigen's matrix-vector product streams W
//    once, 2.7× faster than packing it) and in builds without AVX2.
// The path is chosen from the whole product's m, so all tiles of one product take the same one.
// Tile size: each tile re-packs its slice of W and x, so larger tiles pack less; 512 keeps
// 8 column tiles of a 4096-wide decode GEMV for threads.

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

// Which product linear_tile runs for a product of m rows in this build: "packed_avx512",
// "packed_avx2" or "eigen".
const char* gemm_fp32_path(Eigen::Index m);

// One tile, single-threaded: y = x · Wᵀ with x [rows, k], W [cols, k], y [rows, cols], any row
// strides (y must not alias x or w). m_total is the row count of the whole product the tile
// belongs to; it picks the path. Shapes are not checked (callers do).
void linear_tile(const const_mat_ref& x, const const_mat_ref& w, mat_ref y, Eigen::Index m_total);

// Throws std::invalid_argument when x.cols() != w.cols().
Mat linear(const const_mat_ref& x, const const_mat_ref& w);
// Same, into y [m, n] (y must not alias x or w).
void linear_into(const const_mat_ref& x, const const_mat_ref& w, mat_ref y);

}  // namespace kernels
