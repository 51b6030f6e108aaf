#include "kernels/rope.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/parallel.hpp"

namespace kernels {

void apply_rope(mat_ref x, std::span<const std::int32_t> positions, const rope_spec& spec) {
  if (spec.rope_dim % 2 != 0 || spec.rope_dim < 0 || spec.offset < 0 ||
      spec.offset + spec.rope_dim > spec.head_dim ||
      x.cols() != static_cast<Eigen::Index>(spec.n_heads) * spec.head_dim ||
      x.rows() != static_cast<Eigen::Index>(positions.size())) {
    throw std::invalid_argument("apply_rope: shape does not match rope_spec");
  }
  const int n_pairs = spec.rope_dim / 2;
  std::vector<double> theta(static_cast<std::size_t>(n_pairs));
  for (int i = 0; i < n_pairs; ++i) {
    theta[static_cast<std::size_t>(i)] = std::pow(spec.base, -2.0 * i / spec.rope_dim);
  }
  parallel_for(x.rows(), [&](std::int64_t t) {
    // cos/sin per pair once per token, shared by all heads; double angles keep float accuracy
    // at long positions (pos * theta ~ 1e5 rad).
    std::vector<float> cos_t(static_cast<std::size_t>(n_pairs));
    std::vector<float> sin_t(static_cast<std::size_t>(n_pairs));
    const double pos = positions[static_cast<std::size_t>(t)];
    for (std::size_t i = 0; i < cos_t.size(); ++i) {
      cos_t[i] = static_cast<float>(std::cos(pos * theta[i]));
      sin_t[i] = static_cast<float>(std::sin(pos * theta[i]));
    }
    float* row = x.row(t).data();
    for (int h = 0; h < spec.n_heads; ++h) {
      float* pairs = row + static_cast<std::ptrdiff_t>(h) * spec.head_dim + spec.offset;
      for (std::size_t i = 0; i < cos_t.size(); ++i) {
        const float a = pairs[2 * i];
        const float b = pairs[2 * i + 1];
        pairs[2 * i] = a * cos_t[i] - b * sin_t[i];
        pairs[2 * i + 1] = a * sin_t[i] + b * cos_t[i];
      }
    }
  });
}

}  // namespace kernels
