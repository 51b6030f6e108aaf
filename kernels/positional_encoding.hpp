#pragma once
// Sinusoidal absolute positional encoding (Vaswani et al. 2017, "Attention Is All You Need",
// §3.5): PE(pos, 2i) = sin(pos / base^(2i/d)), PE(pos, 2i+1) = cos(pos / base^(2i/d)),
// base = 10000. Added to the token embeddings of models without RoPE (GPT-2 style models learn
// this table instead; RoPE models skip it).

#include "kernels/tensor.hpp"

namespace kernels {

// Rows are positions first_position .. first_position + n_positions - 1. Angles are computed
// in double so that large positions keep full float accuracy.
Mat sinusoidal_positions(int first_position, int n_positions, int d_model, double base = 10000.0);

// x [n, d_model] += PE for positions first_position .. first_position + n - 1.
void add_sinusoidal_positions(mat_ref x, int first_position, double base = 10000.0);

}  // namespace kernels
