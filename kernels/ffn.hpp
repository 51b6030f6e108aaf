#pragma once
// Position-wise feed-forward networks, applied to x [n_tokens, d_model]. Weights use the
// [out, in] layout of gemm.hpp.
//
// GELU FFN (GPT-2): y = W_out · gelu(W_in · x + b_in) + b_out, with the tanh approximation
//   gelu(x) ≈ 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
// (Hendrycks & Gimpel 2016, "Gaussian Error Linear Units", arXiv:1606.08415, §2).
//
// SwiGLU FFN (Shazeer 2020, "GLU Variants Improve Transformer", arXiv:2002.05202, eq. 5;
// Llama, DeepSeek): y = W_down · (silu(W_gate · x) ⊙ (W_up · x)), silu(z) = z·σ(z), no biases.

#include "kernels/tensor.hpp"

namespace kernels {

struct gelu_ffn_weights {
  Mat w_in;   // [ffn_dim, d_model]
  Vec b_in;   // [ffn_dim]
  Mat w_out;  // [d_model, ffn_dim]
  Vec b_out;  // [d_model]
};

struct swiglu_ffn_weights {
  Mat w_gate;  // [ffn_dim, d_model]
  Mat w_up;    // [ffn_dim, d_model]
  Mat w_down;  // [d_model, ffn_dim]
};

float gelu_tanh(float x);

// The activations alone, in place: gate ← silu(gate) ⊙ up; x ← gelu_tanh(x). The FFNs below
// use them, and so does anything that times one operator of an FFN by itself.
void silu_mul(mat_ref gate, const const_mat_ref& up);
void gelu_inplace(mat_ref x);

Mat gelu_ffn(const const_mat_ref& x, const gelu_ffn_weights& w);
Mat swiglu_ffn(const const_mat_ref& x, const swiglu_ffn_weights& w);
// The same SwiGLU FFN with W_gate and W_up stacked into one [2·ffn_dim, d_model] matrix (gate
// rows first), so both projections are one GEMM — how serving engines run it (vLLM's
// MergedColumnParallelLinear) and how the serving model counts it (kernel_iteration_cost.hpp).
Mat swiglu_ffn_merged(const const_mat_ref& x, const const_mat_ref& w_gate_up,
                      const const_mat_ref& w_down);

}  // namespace kernels
