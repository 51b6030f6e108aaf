#pragma once
// The matrix types every kernel speaks. Activations are token-major: row t of a matrix is
// token t, and a multi-head tensor [tokens, heads, head_dim] is stored as a [tokens,
// heads * head_dim] row-major matrix (head h occupies columns [h*head_dim, (h+1)*head_dim)),
// which is exactly what x * W^T produces — so no transposes or reshapes between kernels.

#include <Eigen/Core>

namespace kernels {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXf;

// Views with any row stride, so a column slice of a wider matrix (one head of Q, the latent
// part of the MLA cache) is passed without copying. Inner stride is always 1.
using mat_ref = Eigen::Ref<Mat, 0, Eigen::OuterStride<>>;
using const_mat_ref = Eigen::Ref<const Mat, 0, Eigen::OuterStride<>>;
using mat_map = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
using const_mat_map = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;

}  // namespace kernels
