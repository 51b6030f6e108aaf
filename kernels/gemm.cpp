#include "kernels/gemm.hpp"

#include <algorithm>
#include <stdexcept>

#include "kernels/parallel.hpp"

namespace kernels {

void linear_into(const const_mat_ref& x, const const_mat_ref& w, mat_ref y) {
  if (x.cols() != w.cols() || y.rows() != x.rows() || y.cols() != w.rows()) {
    throw std::invalid_argument("linear: shapes do not match (y = x · Wᵀ, W is [out, in])");
  }
  const Eigen::Index m = x.rows();
  const Eigen::Index n = w.rows();
  const Eigen::Index row_tiles = (m + gemm_tile_rows - 1) / gemm_tile_rows;
  const Eigen::Index col_tiles = (n + gemm_tile_cols - 1) / gemm_tile_cols;
  parallel_for(row_tiles * col_tiles, [&](std::int64_t item) {
    const Eigen::Index r0 = (item / col_tiles) * gemm_tile_rows;
    const Eigen::Index c0 = (item % col_tiles) * gemm_tile_cols;
    const Eigen::Index rows = std::min(gemm_tile_rows, m - r0);
    const Eigen::Index cols = std::min(gemm_tile_cols, n - c0);
    y.block(r0, c0, rows, cols).noalias() =
        x.middleRows(r0, rows) * w.middleRows(c0, cols).transpose();
  });
}

Mat linear(const const_mat_ref& x, const const_mat_ref& w) {
  Mat y(x.rows(), w.rows());
  linear_into(x, w, y);
  return y;
}

}  // namespace kernels
