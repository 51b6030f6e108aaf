#include "models/workload/training/activation_memory.hpp"

#include <algorithm>

namespace models::training {

namespace {

// Shares of the s·b·h unit (2-byte activations, 1-byte dropout masks), see the header.
struct LayerTerms {
  double replicated = 0;  // LayerNorm inputs, QKV and MLP inputs, dropout masks: 10 for GPT
  double sharded = 0;     // Q, K, V, projections' inputs, FFN: 24 for GPT at ffn = 4h
  double quadratic = 0;   // 5·a·s/h: softmax output, dropout mask and output (unfused only)
};

LayerTerms layer_terms(const TrainingSpec& spec) {
  const LlmSpec& m = spec.model;
  const double h = m.hidden;
  const double s = static_cast<double>(spec.seq_len) / spec.parallel.cp;
  LayerTerms t;
  t.replicated = 4 + 2 + 2 + 2;
  const double kv_ratio = m.attention == AttentionKind::gqa && m.heads > 0
                              ? static_cast<double>(m.kv_heads) / m.heads
                              : 1.0;
  const double attention = 2 /*Q*/ + 2 * kv_ratio /*K*/ + 2 * kv_ratio /*V*/ + 2 /*out proj in*/;
  const bool gated = m.ffn == FfnKind::swiglu;
  auto ffn = [&](double width) {
    return 2 * (width / h) * (gated ? 2 : 1) /*activation input*/ + 2 * (width / h) /*fc2 in*/;
  };
  double mlp = 0;
  if (m.moe) {
    const MoeSpec& e = *m.moe;
    const double moe_share = static_cast<double>(m.layers - e.dense_layers) / m.layers;
    const double moe_ffn = ffn(e.expert_ffn_hidden) * (e.active_experts + e.shared_experts);
    mlp = moe_share * moe_ffn + (1 - moe_share) * ffn(m.ffn_hidden);
  } else {
    mlp = ffn(m.ffn_hidden);
  }
  t.sharded = attention + mlp;
  if (spec.attention == AttentionImpl::unfused && spec.recompute == Recompute::none)
    t.quadratic = 5.0 * m.heads * s / h;
  return t;
}

}  // namespace

sim::Bytes layer_activation_bytes(const TrainingSpec& spec) {
  const Parallelism& p = spec.parallel;
  const double sbh =
      static_cast<double>(spec.seq_len) / p.cp * spec.micro_batch * spec.model.hidden;
  const double t = p.tp;
  const bool sp = p.sequence_parallel && p.tp > 1;
  if (spec.recompute == Recompute::full) return sim::Bytes(2 * sbh / (sp ? t : 1.0));
  const LayerTerms k = layer_terms(spec);
  const double units = sp ? (k.replicated + k.sharded + k.quadratic) / t
                          : k.replicated + (k.sharded + k.quadratic) / t;
  return sim::Bytes(sbh * units);
}

MemoryEstimate estimate_memory(const TrainingSpec& spec) {
  const Parallelism& p = spec.parallel;
  const LlmSpec& m = spec.model;
  MemoryEstimate out;
  out.per_layer_microbatch = layer_activation_bytes(spec);

  const double layers_per_stage = static_cast<double>(m.layers) / p.pp;
  const double in_flight = std::min(p.pp, std::max(1, spec.microbatches()));
  double factor = layers_per_stage * in_flight;
  if (p.vp > 1) factor *= 1.0 + (p.pp - 1.0) / (p.pp * static_cast<double>(p.vp));
  const double sbh = static_cast<double>(spec.seq_len) / p.cp * spec.micro_batch * m.hidden;
  const bool sp = p.sequence_parallel && p.tp > 1;
  const double shard = sp ? p.tp : 1.0;
  double activations = out.per_layer_microbatch.value() * factor;
  activations += sbh * p.pp / shard;  // embedding dropout masks of the microbatches in flight
  if (p.pp == 1) activations += 4 * sbh / shard * (1 + static_cast<double>(m.vocab) / m.hidden);
  out.activations = sim::Bytes(activations);

  // Parameters on a first-stage GPU: its share of the transformer layers (dense weights split
  // tp ways, routed experts tp · ep ways) and the embedding (vocab-parallel over tp).
  const ParamCounts c = count_params(m);
  const double dense_body = c.attention + c.dense_ffn + c.moe_router + c.moe_shared + c.norms;
  const double experts = c.moe_routed_total;
  const double dense_on_gpu = dense_body / (p.pp * static_cast<double>(p.tp)) + c.embedding / p.tp;
  const double experts_on_gpu = experts / (p.pp * static_cast<double>(p.tp) * p.ep);
  out.params_on_gpu = dense_on_gpu + experts_on_gpu;
  auto bytes_per_param = [&](double sharing) {
    return spec.parallel.distributed_optimizer ? 6.0 + 12.0 / sharing : 18.0;
  };
  const double dense_sharing = static_cast<double>(p.dp) * p.cp;
  const double expert_sharing = std::max(1.0, dense_sharing / p.ep);
  out.weights_and_optimizer = sim::Bytes(dense_on_gpu * bytes_per_param(dense_sharing) +
                                         experts_on_gpu * bytes_per_param(expert_sharing));
  return out;
}

}  // namespace models::training
