#include "kernels/moe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"
#include "kernels/softmax.hpp"

namespace kernels {

moe_routing moe_route(const const_mat_ref& x, const Mat& router, const moe_config& config) {
  if (config.n_experts <= 0 || config.top_k <= 0 || config.top_k > config.n_experts ||
      router.rows() != config.n_experts || router.cols() != x.cols()) {
    throw std::invalid_argument(
        "moe_route: need 0 < top_k <= n_experts and router [n_experts, d_model]");
  }
  Mat scores = linear(x, router);
  if (config.score == router_score::softmax) {
    softmax_rows(scores);
  } else {
    scores = (1.0f + (-scores.array()).exp()).inverse().matrix();
  }
  const auto k = static_cast<std::size_t>(config.top_k);
  moe_routing routing{config.top_k, std::vector<int>(static_cast<std::size_t>(x.rows()) * k),
                      std::vector<float>(static_cast<std::size_t>(x.rows()) * k)};
  std::vector<int> order(static_cast<std::size_t>(config.n_experts));
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + config.top_k, order.end(), [&](int a, int b) {
      return scores(t, a) > scores(t, b) || (scores(t, a) == scores(t, b) && a < b);
    });
    float sum = 0.0f;
    for (std::size_t j = 0; j < k; ++j) sum += scores(t, order[j]);
    const float norm = config.normalize_top_k ? config.route_scale / sum : config.route_scale;
    for (std::size_t j = 0; j < k; ++j) {
      routing.expert[static_cast<std::size_t>(t) * k + j] = order[j];
      routing.weight[static_cast<std::size_t>(t) * k + j] = scores(t, order[j]) * norm;
    }
  }
  return routing;
}

Mat moe_ffn(const const_mat_ref& x, const moe_weights& w, const moe_config& config) {
  if (w.experts.size() != static_cast<std::size_t>(config.n_experts)) {
    throw std::invalid_argument("moe_ffn: number of expert weights != n_experts");
  }
  const moe_routing routing = moe_route(x, w.router, config);
  const auto k = static_cast<std::size_t>(config.top_k);
  // Slots (token·top_k + choice) routed to each expert, in token order.
  std::vector<std::vector<Eigen::Index>> slots(w.experts.size());
  for (std::size_t s = 0; s < routing.expert.size(); ++s) {
    slots[static_cast<std::size_t>(routing.expert[s])].push_back(static_cast<Eigen::Index>(s));
  }
  Mat slot_out(static_cast<Eigen::Index>(routing.expert.size()), x.cols());
  parallel_for(config.n_experts, [&](std::int64_t e) {
    const auto& mine = slots[static_cast<std::size_t>(e)];
    if (mine.empty()) return;
    Mat gathered(static_cast<Eigen::Index>(mine.size()), x.cols());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      gathered.row(static_cast<Eigen::Index>(i)) = x.row(mine[i] / static_cast<Eigen::Index>(k));
    }
    const Mat y = swiglu_ffn(gathered, w.experts[static_cast<std::size_t>(e)]);
    for (std::size_t i = 0; i < mine.size(); ++i)
      slot_out.row(mine[i]) = y.row(static_cast<Eigen::Index>(i));
  });
  Mat out = Mat::Zero(x.rows(), x.cols());
  for (const auto& shared : w.shared) out += swiglu_ffn(x, shared);
  parallel_for(x.rows(), [&](std::int64_t t) {
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t s = static_cast<std::size_t>(t) * k + j;
      out.row(t) += routing.weight[s] * slot_out.row(static_cast<Eigen::Index>(s));
    }
  });
  return out;
}

}  // namespace kernels
