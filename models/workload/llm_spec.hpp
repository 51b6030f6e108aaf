// LLM architectures and the quantities derived from them: parameters, FLOPs per token,
// weight bytes and KV-cache bytes per token.
//
// Conventions (stated because published counts differ by them):
//  - Parameters count every weight matrix, embeddings, and norm gains; biases are left out
//    (GPT-3's biases are 0.03 % of its weights).
//  - FLOPs count a multiply-add as 2 FLOPs; element-wise work (norms, activations, softmax)
//    is left out: it is < 1 % of the matmul FLOPs for these models.
//  - Attention FLOPs per new token with c tokens of context: 2 * heads * (d_qk + d_v) * c per
//    layer (scores + weighted sum). MLA prefill uses the naive form (d_qk = nope + rope,
//    d_v = v_head_dim); MLA decode the absorbed form (d_qk = kv_lora + rope, d_v = kv_lora),
//    as DeepSeek's inference code does (DeepSeek-V2 paper §2.1.2, config_671B.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "models/common/dtype.hpp"

namespace models {

enum class AttentionKind { gqa, mla };  // MHA is GQA with kv_heads == heads
enum class FfnKind { gelu, swiglu };
enum class PositionKind { rope, learned, alibi };  // only learned positions have weights

struct MlaSpec {
  int q_lora_rank = 0;  // 0: queries are projected directly (no low-rank query path)
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
};

struct MoeSpec {
  int routed_experts = 0;
  int active_experts = 0;  // routed experts per token
  int shared_experts = 0;
  int expert_ffn_hidden = 0;
  int dense_layers = 0;  // the first layers use a dense FFN of ffn_hidden
};

struct LlmSpec {
  std::string name;
  std::string source;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;  // GQA only
  int head_dim = 0;  // GQA only
  int ffn_hidden = 0;
  FfnKind ffn = FfnKind::swiglu;
  int vocab = 0;
  bool tied_embeddings = false;
  PositionKind position = PositionKind::rope;
  int max_context = 0;
  AttentionKind attention = AttentionKind::gqa;
  std::optional<MlaSpec> mla;
  std::optional<MoeSpec> moe;
};

// Parameter counts, split the way the cost model needs them (all layers together).
struct ParamCounts {
  double embedding = 0;       // token (+ learned position) embeddings: a lookup, no matmul
  double lm_head = 0;         // stored LM head; 0 when tied to the embedding
  double lm_head_matmul = 0;  // vocab * hidden: the LM head's matmul, tied or not
  double attention = 0;       // projection matrices
  double dense_ffn = 0;
  double moe_router = 0;
  double moe_shared = 0;         // shared experts
  double moe_routed_total = 0;   // every routed expert
  double moe_routed_active = 0;  // the routed experts one token uses
  double moe_expert = 0;         // one routed expert of one layer
  double norms = 0;
  int moe_layers = 0;

  double total() const {
    return embedding + lm_head + attention + dense_ffn + moe_router + moe_shared +
           moe_routed_total + norms;
  }
  // Weights one token's forward pass uses (as published "active" counts: embedding
  // included, unused routed experts not).
  double active() const {
    return embedding + lm_head + attention + dense_ffn + moe_router + moe_shared +
           moe_routed_active + norms;
  }
  // Matmul weights of the body that every token uses (no LM head, no routed experts).
  double body_matmul() const { return attention + dense_ffn + moe_router + moe_shared; }
};

ParamCounts count_params(const LlmSpec& m);

// KV-cache bytes per token, all layers. GQA: 2 * layers * kv_heads * head_dim * bytes;
// MLA: layers * (kv_lora_rank + qk_rope_head_dim) * bytes.
double kv_bytes_per_token(const LlmSpec& m, DType cache);

// KV-cache bytes per token held by each GPU of a tensor-parallel group of `tp` GPUs. GQA
// shards KV heads across the group (a head is replicated when tp > kv_heads); the MLA latent
// is shared by all heads, so every GPU holds all of it.
double kv_bytes_per_token_per_gpu(const LlmSpec& m, DType cache, int tp);

// Attention width (d_qk + d_v) per head in the form used for prefill or decode.
int attention_width_prefill(const LlmSpec& m);
int attention_width_decode(const LlmSpec& m);

// Forward FLOPs of one new token that attends to `context` tokens (itself included),
// producing logits (LM head) or not.
double flops_per_token(const LlmSpec& m, double context, bool prefill, bool with_lm_head);

// Forward FLOPs of prefilling `n` tokens after `past` cached tokens; logits for the last.
double prefill_flops(const LlmSpec& m, double n, double past);

// Expected number of distinct routed experts a batch of `tokens` tokens touches in one MoE
// layer if routing is uniform and independent: E * (1 - (1 - k/E)^tokens).
double expected_distinct_experts(const MoeSpec& moe, double tokens);

}  // namespace models
