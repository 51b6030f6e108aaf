#pragma once
// Deterministic operands for timed kernels: the values of kernels::hashed_matrix (weight_init.hpp),
// element (r, c) = scale · hashed_uniform(seed, name, r·cols + c), filled by all threads. The
// full grid needs a few hundred million elements (a 32000 × 4096 vocabulary table alone is
// 131 M), which one thread would spend seconds generating.

#include <cstdint>
#include <string_view>

#include "kernels/tensor.hpp"

namespace kernels::measure {

Mat hashed_operand(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, std::string_view name,
                   float scale = 1.0f);

}  // namespace kernels::measure
