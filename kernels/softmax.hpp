#pragma once
// Numerically stable row softmax: softmax(x)_j = exp(x_j - max x) / Σ exp(x_i - max x).
// Subtracting the row maximum keeps every exponent <= 0, so nothing overflows and the largest
// term is exactly 1 (the sum is >= 1; no division by an underflowed zero). Masked entries are
// -inf and become exactly 0. A row that is entirely -inf has no defined softmax; it becomes all
// zeros (an empty attention row contributes nothing) instead of NaN.

#include "kernels/tensor.hpp"

namespace kernels {

void softmax_rows(mat_ref x);

}  // namespace kernels
