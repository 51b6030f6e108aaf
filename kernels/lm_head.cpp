#include "kernels/lm_head.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "kernels/gemm.hpp"

namespace kernels {

Mat lm_head(const const_mat_ref& h, const const_mat_ref& w_vocab) {
  return linear(h, w_vocab);
}

token_id greedy_token(std::span<const float> logits) {
  if (logits.empty()) throw std::invalid_argument("greedy_token: empty logits");
  // max_element returns the first of equal maxima.
  return static_cast<token_id>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

token_id sample_token(std::span<const float> logits, float temperature, int top_k, double u) {
  if (logits.empty()) throw std::invalid_argument("sample_token: empty logits");
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("sample_token: u must be in [0, 1)");
  if (!(temperature >= 0.0f)) throw std::invalid_argument("sample_token: temperature must be >= 0");
  if (temperature == 0.0f) return greedy_token(logits);

  const auto vocab = static_cast<std::ptrdiff_t>(logits.size());
  const std::ptrdiff_t k = top_k <= 0 ? vocab : std::min<std::ptrdiff_t>(top_k, vocab);
  std::vector<token_id> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const auto before = [&](token_id a, token_id b) {
    const float la = logits[static_cast<std::size_t>(a)];
    const float lb = logits[static_cast<std::size_t>(b)];
    return la > lb || (la == lb && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
  // Probabilities in double relative to the best logit: exp never overflows and small
  // temperatures keep resolution.
  const double best = logits[static_cast<std::size_t>(order[0])];
  std::vector<double> cumulative(static_cast<std::size_t>(k));
  double total = 0.0;
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    total += std::exp((logits[static_cast<std::size_t>(order[i])] - best) / temperature);
    cumulative[i] = total;
  }
  const double target = u * total;
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  const std::size_t pick = it == cumulative.end()
                               ? cumulative.size() - 1
                               : static_cast<std::size_t>(it - cumulative.begin());
  return order[pick];
}

}  // namespace kernels
