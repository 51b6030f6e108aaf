#include "kernels/measure/inputs.hpp"

#include "kernels/weight_init.hpp"

namespace kernels::measure {

Mat hashed_operand(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, std::string_view name,
                   float scale) {
  Mat m(rows, cols);
  // Each element depends only on its index, so the split over threads cannot change a value.
#pragma omp parallel for schedule(static)
  for (Eigen::Index r = 0; r < rows; ++r) {
    for (Eigen::Index c = 0; c < cols; ++c) {
      m(r, c) = scale * hashed_uniform(seed, name, static_cast<std::uint64_t>(r * cols + c));
    }
  }
  return m;
}

}  // namespace kernels::measure
