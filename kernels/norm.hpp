#pragma once
// Row-wise normalizations of activations x [n_tokens, d].
//  RMSNorm (Zhang & Sennrich 2019, "Root Mean Square Layer Normalization", NeurIPS):
//    y = x / sqrt(mean(x^2) + eps) * gamma — Llama, DeepSeek.
//  LayerNorm (Ba, Kiros & Hinton 2016, arXiv:1607.06450):
//    y = (x - mean) / sqrt(var + eps) * gamma + beta, biased variance (divide by d) — GPT-2.
// Both accumulate in float with Eigen's fixed-order vectorized reductions; LayerNorm uses two
// passes (mean, then centered squares) because var = E[x^2] - E[x]^2 cancels badly.

#include "kernels/tensor.hpp"

namespace kernels {

Mat rms_norm(const const_mat_ref& x, const Vec& gamma, float eps);
Mat layer_norm(const const_mat_ref& x, const Vec& gamma, const Vec& beta, float eps);

}  // namespace kernels
