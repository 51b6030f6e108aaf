#include "kernels/positional_encoding.hpp"

#include <cmath>
#include <stdexcept>

namespace kernels {

Mat sinusoidal_positions(int first_position, int n_positions, int d_model, double base) {
  if (n_positions < 0 || d_model < 0 || first_position < 0) {
    throw std::invalid_argument("sinusoidal_positions: negative size or position");
  }
  Mat pe(n_positions, d_model);
  for (int p = 0; p < n_positions; ++p) {
    const double pos = first_position + p;
    for (int c = 0; c < d_model; ++c) {
      const int pair = c / 2;
      const double angle = pos / std::pow(base, 2.0 * pair / d_model);
      pe(p, c) = static_cast<float>(c % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  return pe;
}

void add_sinusoidal_positions(mat_ref x, int first_position, double base) {
  x += sinusoidal_positions(first_position, static_cast<int>(x.rows()), static_cast<int>(x.cols()),
                            base);
}

}  // namespace kernels
