#pragma once
// Rotary position embedding (Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary
// Position Embedding", arXiv:2104.09864, eq. 34). Layout choice: INTERLEAVED pairs — columns
// (2i, 2i+1) of the rotated slice form one complex number rotated by pos * theta_i, with
// theta_i = base^(-2i / rope_dim). This is RoFormer's own formulation and the one of
// DeepSeek-V3's reference inference/model.py (view_as_complex over adjacent pairs); the
// "rotate-half" layout of GPT-NeoX / Hugging Face Llama pairs column i with i + rope_dim/2 and
// equals this one up to a fixed permutation of the weight rows.
//
// The rotated slice may be part of each head (offset, rope_dim): MLA's decoupled RoPE rotates
// only the last qk_rope_head_dim columns of every query head (DeepSeek-V2 §2.1.3).

#include <cstdint>
#include <span>

#include "kernels/tensor.hpp"

namespace kernels {

struct rope_spec {
  int n_heads = 1;
  int head_dim = 0;  // columns per head in x
  int offset = 0;    // first rotated column within a head
  int rope_dim = 0;  // rotated columns per head; even
  double base = 10000.0;
};

// Rotates x [n_tokens, n_heads * head_dim] in place; row t is at position positions[t].
// Throws std::invalid_argument on a shape mismatch or odd rope_dim.
void apply_rope(mat_ref x, std::span<const std::int32_t> positions, const rope_spec& spec);

}  // namespace kernels
