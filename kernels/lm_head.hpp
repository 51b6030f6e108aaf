#pragma once
// Language-model head and token choice.
//
// logits = h · W_vocabᵀ with W_vocab [vocab, d_model] — the layout of the embedding table, so a
// model may tie the two (GPT-2) — i.e. linear() of gemm.hpp.
//
// Sampling takes its uniform random number from the caller: kernels hold no RNG state, so a
// run is reproducible from the caller's seeded stream alone.

#include <span>

#include "kernels/tensor.hpp"
#include "kernels/token.hpp"

namespace kernels {

Mat lm_head(const const_mat_ref& h, const const_mat_ref& w_vocab);

// Index of the largest logit; the lowest index among equal maxima. Throws on empty input.
token_id greedy_token(std::span<const float> logits);

// Samples from softmax(logits / temperature) restricted to the top_k largest logits (top_k <= 0
// or >= vocab: no restriction; ties in rank go to the lower index), by inverting the CDF at u:
// candidates sorted by (logit desc, index asc), the first whose cumulative probability exceeds
// u · total is chosen. temperature == 0 means greedy. Throws std::invalid_argument unless
// 0 <= u < 1 and temperature >= 0.
token_id sample_token(std::span<const float> logits, float temperature, int top_k, double u);

}  // namespace kernels
