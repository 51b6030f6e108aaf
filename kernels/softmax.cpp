#include "kernels/softmax.hpp"

#include <limits>

#include "kernels/parallel.hpp"

namespace kernels {

void softmax_rows(mat_ref x) {
  parallel_for(x.rows(), [&](std::int64_t r) {
    auto row = x.row(r);
    const float max = row.maxCoeff();
    if (max == -std::numeric_limits<float>::infinity()) {
      row.setZero();
      return;
    }
    row = (row.array() - max).exp();
    row /= row.sum();
  });
}

}  // namespace kernels
