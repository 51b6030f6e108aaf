#include "kernels/norm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/parallel.hpp"

namespace kernels {
namespace {

constexpr Eigen::Index rows_per_item = 32;

std::int64_t n_items(Eigen::Index rows) {
  return (rows + rows_per_item - 1) / rows_per_item;
}

}  // namespace

Mat rms_norm(const const_mat_ref& x, const Vec& gamma, float eps) {
  if (gamma.size() != x.cols()) throw std::invalid_argument("rms_norm: gamma size != columns");
  Mat y(x.rows(), x.cols());
  const auto d = static_cast<float>(x.cols());
  parallel_for(n_items(x.rows()), [&](std::int64_t item) {
    const Eigen::Index end = std::min(x.rows(), (item + 1) * rows_per_item);
    for (Eigen::Index r = item * rows_per_item; r < end; ++r) {
      const float inv = 1.0f / std::sqrt(x.row(r).squaredNorm() / d + eps);
      y.row(r) = (x.row(r).array() * inv) * gamma.transpose().array();
    }
  });
  return y;
}

Mat layer_norm(const const_mat_ref& x, const Vec& gamma, const Vec& beta, float eps) {
  if (gamma.size() != x.cols() || beta.size() != x.cols()) {
    throw std::invalid_argument("layer_norm: gamma/beta size != columns");
  }
  Mat y(x.rows(), x.cols());
  const auto d = static_cast<float>(x.cols());
  parallel_for(n_items(x.rows()), [&](std::int64_t item) {
    const Eigen::Index end = std::min(x.rows(), (item + 1) * rows_per_item);
    for (Eigen::Index r = item * rows_per_item; r < end; ++r) {
      const float mean = x.row(r).sum() / d;
      const auto centered = (x.row(r).array() - mean).eval();
      const float inv = 1.0f / std::sqrt(centered.square().sum() / d + eps);
      y.row(r) = (centered * inv) * gamma.transpose().array() + beta.transpose().array();
    }
  });
  return y;
}

}  // namespace kernels
