#include "kernels/moe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_util.hpp"

namespace kernels {
namespace {

moe_weights make_moe(int d, int f, int n_experts, int n_shared) {
  moe_weights w;
  w.router = test::input(n_experts, d, "router");
  const auto expert = [&](const std::string& name) {
    return swiglu_ffn_weights{test::input(f, d, name + ".gate", 0.4f),
                              test::input(f, d, name + ".up", 0.4f),
                              test::input(d, f, name + ".down", 0.3f)};
  };
  for (int e = 0; e < n_experts; ++e) w.experts.push_back(expert("e" + std::to_string(e)));
  for (int s = 0; s < n_shared; ++s) w.shared.push_back(expert("s" + std::to_string(s)));
  return w;
}

// The naive loop: every token alone through its chosen experts, weights recomputed in double.
Mat naive_moe(const Mat& x, const moe_weights& w, const moe_config& c) {
  Mat out = Mat::Zero(x.rows(), x.cols());
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const Mat xt = x.row(t);
    Eigen::VectorXd logits = w.router.cast<double>() * xt.transpose().cast<double>();
    Eigen::VectorXd scores(logits.size());
    if (c.score == router_score::softmax) {
      scores = (logits.array() - logits.maxCoeff()).exp();
      scores /= scores.sum();
    } else {
      scores = (1.0 + (-logits.array()).exp()).inverse();
    }
    std::vector<int> chosen;
    for (int j = 0; j < c.top_k; ++j) {
      int best = -1;
      for (int e = 0; e < c.n_experts; ++e) {
        if (std::find(chosen.begin(), chosen.end(), e) != chosen.end()) continue;
        if (best < 0 || scores(e) > scores(best)) best = e;  // strict: lower index wins ties
      }
      chosen.push_back(best);
    }
    double sum = 0.0;
    for (int e : chosen) sum += scores(e);
    for (int e : chosen) {
      const double weight = (c.normalize_top_k ? scores(e) / sum : scores(e)) * c.route_scale;
      out.row(t) +=
          static_cast<float>(weight) * swiglu_ffn(xt, w.experts[static_cast<std::size_t>(e)]);
    }
    for (const auto& s : w.shared) out.row(t) += swiglu_ffn(xt, s);
  }
  return out;
}

TEST(moe_ffn, equals_the_naive_per_token_loop) {
  const int d = 32;
  const moe_weights w = make_moe(d, 24, 8, 1);
  const Mat x = test::input(50, d, "x");
  for (router_score score : {router_score::softmax, router_score::sigmoid}) {
    for (bool normalize : {true, false}) {
      const moe_config c{8, 3, score, normalize, 2.5f};
      EXPECT_LT(test::rel_error(moe_ffn(x, w, c), naive_moe(x, w, c)), 1e-5);
    }
  }
}

TEST(moe_route, weights_are_normalized_and_ordered_best_first) {
  const moe_weights w = make_moe(16, 8, 6, 0);
  const Mat x = test::input(20, 16, "x");
  const moe_routing r = moe_route(x, w.router, moe_config{6, 2, router_score::sigmoid, true, 2.5f});
  for (std::size_t t = 0; t < 20; ++t) {
    EXPECT_NEAR(r.weight[2 * t] + r.weight[2 * t + 1], 2.5f, 1e-5f);
    EXPECT_GE(r.weight[2 * t], r.weight[2 * t + 1]);
    EXPECT_NE(r.expert[2 * t], r.expert[2 * t + 1]);
  }
}

TEST(moe_route, ties_go_to_the_lower_expert_index) {
  // Identical router rows: every expert scores the same.
  const Mat router = Mat::Ones(5, 4);
  const Mat x = test::input(3, 4, "x");
  const moe_routing r = moe_route(x, router, moe_config{5, 3, router_score::softmax, true, 1.0f});
  for (std::size_t t = 0; t < 3; ++t) {
    EXPECT_EQ(r.expert[3 * t], 0);
    EXPECT_EQ(r.expert[3 * t + 1], 1);
    EXPECT_EQ(r.expert[3 * t + 2], 2);
    EXPECT_FLOAT_EQ(r.weight[3 * t], 1.0f / 3.0f);
  }
}

TEST(moe, rejects_inconsistent_configs) {
  const moe_weights w = make_moe(8, 4, 4, 0);
  const Mat x = test::input(2, 8, "x");
  EXPECT_THROW(moe_ffn(x, w, moe_config{4, 5, router_score::softmax, true, 1.0f}),
               std::invalid_argument);
  EXPECT_THROW(moe_ffn(x, w, moe_config{3, 2, router_score::softmax, true, 1.0f}),
               std::invalid_argument);
}

}  // namespace
}  // namespace kernels
