#pragma once
// Mixture-of-experts FFN: a router picks top_k of n_experts SwiGLU experts per token and the
// token's output is the weighted sum of their outputs, plus always-on shared experts
// (Shazeer et al. 2017, "Outrageously Large Neural Networks", arXiv:1701.06538; fine-grained
// + shared experts: Dai et al. 2024, "DeepSeekMoE", arXiv:2401.06066; sigmoid scores with
// normalized top-k weights: DeepSeek-V3 technical report, arXiv:2412.19437, §2.1.2).
//
// Routing, per token: logits = router · x ([n_experts, d_model] weights); scores =
// softmax(logits) (Mixtral, DeepSeek-V2) or sigmoid(logits) (DeepSeek-V3); the top_k scores
// win, ties going to the lower expert index so routing is deterministic; weights = the chosen
// scores, divided by their sum if normalize_top_k, times route_scale. Not modelled: V3's
// per-expert selection bias (aux-loss-free balancing), group-limited routing, capacity limits.

#include <vector>

#include "kernels/ffn.hpp"
#include "kernels/tensor.hpp"

namespace kernels {

enum class router_score { softmax, sigmoid };

struct moe_config {
  int n_experts = 0;
  int top_k = 0;
  router_score score = router_score::softmax;
  bool normalize_top_k = true;
  float route_scale = 1.0f;
};

struct moe_weights {
  Mat router;                               // [n_experts, d_model]
  std::vector<swiglu_ffn_weights> experts;  // n_experts
  std::vector<swiglu_ffn_weights> shared;   // any number, each added with weight 1
};

// Token t's choices are entries [t·top_k, (t+1)·top_k), best first.
struct moe_routing {
  int top_k = 0;
  std::vector<int> expert;
  std::vector<float> weight;
};

moe_routing moe_route(const const_mat_ref& x, const Mat& router, const moe_config& config);

// Experts run on the gathered rows of the tokens routed to them, one work item per expert;
// each (token, choice) output lands in its own row, and tokens then sum their choices in rank
// order — so the result does not depend on the thread count.
Mat moe_ffn(const const_mat_ref& x, const moe_weights& w, const moe_config& config);

}  // namespace kernels
