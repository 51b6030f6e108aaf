#pragma once
// Helpers shared by the kernel tests: deterministic inputs and error measures.

#include <algorithm>
#include <cstdint>
#include <string_view>

#include <omp.h>

#include "kernels/tensor.hpp"
#include "kernels/weight_init.hpp"

namespace kernels::test {

// Deterministic input in [-scale, scale); a different name gives an independent matrix.
inline Mat input(Eigen::Index rows, Eigen::Index cols, std::string_view name, float scale = 1.0f) {
  return hashed_matrix(rows, cols, 20240611, name, scale);
}

// max |got - want| / max |want|: a relative error that is meaningful for entries near zero.
inline double rel_error(const Mat& got, const Mat& want) {
  const double denom = std::max(static_cast<double>(want.cwiseAbs().maxCoeff()), 1e-30);
  return static_cast<double>((got - want).cwiseAbs().maxCoeff()) / denom;
}

inline bool bitwise_equal(const Mat& a, const Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data(), [](float x, float y) {
           return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
         });
}

// Runs f with n OpenMP threads, then restores the previous setting.
template <class F>
auto with_threads(int n, F&& f) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(n);
  auto result = f();
  omp_set_num_threads(before);
  return result;
}

}  // namespace kernels::test
