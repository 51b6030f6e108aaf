#include "kernels/gemm.hpp"

#include <algorithm>
#include <stdexcept>

#include "kernels/parallel.hpp"

namespace kernels {

void linear_into(const const_mat_ref& x, const const_mat_ref& w, mat_ref y) {
  if (x.cols() != w.cols() || y.rows() != x.rows() || y.cols() != w.rows()) {
    throw std::invalid_argument("linear: shapes do not match (y = x · Wᵀ, W is [out, in])");
  }
  for_each_gemm_tile(x.rows(), w.rows(),
                     [&](Eigen::Index r0, Eigen::Index rows, Eigen::Index c0, Eigen::Index cols) {
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
