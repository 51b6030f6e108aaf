#include "models/workload/training/training_spec.hpp"

#include <fmt/format.h>

namespace models::training {

std::string_view to_string(Recompute r) {
  switch (r) {
    case Recompute::none:
      return "none";
    case Recompute::selective:
      return "selective";
    case Recompute::full:
      return "full";
  }
  return "?";
}

std::optional<Recompute> parse_recompute(std::string_view s) {
  for (Recompute r : {Recompute::none, Recompute::selective, Recompute::full})
    if (to_string(r) == s) return r;
  return std::nullopt;
}

std::string_view to_string(AttentionImpl a) {
  return a == AttentionImpl::flash ? "flash" : "unfused";
}

std::optional<AttentionImpl> parse_attention_impl(std::string_view s) {
  for (AttentionImpl a : {AttentionImpl::unfused, AttentionImpl::flash})
    if (to_string(a) == s) return a;
  return std::nullopt;
}

std::string_view to_string(RankOrder o) {
  return o == RankOrder::tp_cp_dp_pp ? "tp-cp-dp-pp" : "tp-cp-pp-dp";
}

std::optional<RankOrder> parse_rank_order(std::string_view s) {
  for (RankOrder o : {RankOrder::tp_cp_dp_pp, RankOrder::tp_cp_pp_dp})
    if (to_string(o) == s) return o;
  return std::nullopt;
}

int TrainingSpec::microbatches() const {
  const long long per = static_cast<long long>(parallel.dp) * micro_batch;
  return per > 0 ? static_cast<int>(global_batch / per) : 0;
}

std::vector<SpecProblem> check_training_spec(const TrainingSpec& s) {
  std::vector<SpecProblem> out;
  const Parallelism& p = s.parallel;
  auto positive = [&](const char* field, long long v) {
    if (v < 1) out.push_back({field, fmt::format("must be >= 1 (got {})", v)});
    return v >= 1;
  };
  bool sizes_ok = positive("gpus", s.gpus);
  sizes_ok = positive("tp", p.tp) && sizes_ok;
  sizes_ok = positive("pp", p.pp) && sizes_ok;
  sizes_ok = positive("vp", p.vp) && sizes_ok;
  sizes_ok = positive("cp", p.cp) && sizes_ok;
  sizes_ok = positive("dp", p.dp) && sizes_ok;
  sizes_ok = positive("ep", p.ep) && sizes_ok;
  sizes_ok = positive("layers", s.model.layers) && sizes_ok;
  sizes_ok = positive("seq_len", s.seq_len) && sizes_ok;
  sizes_ok = positive("global_batch", s.global_batch) && sizes_ok;
  sizes_ok = positive("micro_batch", s.micro_batch) && sizes_ok;
  if (!sizes_ok) return out;

  const long long product = static_cast<long long>(p.tp) * p.pp * p.dp * p.cp;
  if (product != s.gpus)
    out.push_back(
        {"gpus", fmt::format("tp·pp·dp·cp = {} does not match gpus = {}", product, s.gpus)});
  const long long stages = static_cast<long long>(p.pp) * p.vp;
  if (s.model.layers % stages != 0)
    out.push_back({"layers", fmt::format("layers ({}) must be divisible by pp·vp = {}",
                                         s.model.layers, stages)});
  if (s.global_batch % p.dp != 0) {
    out.push_back({"global_batch", fmt::format("global_batch ({}) must be divisible by dp ({})",
                                               s.global_batch, p.dp)});
  } else if (s.batch_per_dp() % s.micro_batch != 0) {
    out.push_back(
        {"micro_batch",
         fmt::format("micro_batch ({}) must divide the batch per data-parallel rank ({} = {} / {})",
                     s.micro_batch, s.batch_per_dp(), s.global_batch, p.dp)});
  }
  if (s.seq_len % p.cp != 0)
    out.push_back(
        {"seq_len", fmt::format("seq_len ({}) must be divisible by cp ({})", s.seq_len, p.cp)});
  else if (p.sequence_parallel && p.tp > 1 && (s.seq_len / p.cp) % p.tp != 0)
    out.push_back({"seq_len", fmt::format("seq_len / cp ({}) must be divisible by tp ({}) with "
                                          "sequence parallelism",
                                          s.seq_len / p.cp, p.tp)});
  if (s.model.heads % p.tp != 0)
    out.push_back(
        {"heads", fmt::format("heads ({}) must be divisible by tp ({})", s.model.heads, p.tp)});
  if (s.model.attention == AttentionKind::gqa && s.model.kv_heads > 0 &&
      s.model.kv_heads % p.tp != 0 && p.tp % s.model.kv_heads != 0)
    out.push_back({"kv_heads", fmt::format("kv_heads ({}) and tp ({}) must divide one another",
                                           s.model.kv_heads, p.tp)});
  if (p.ep > 1 && !s.model.moe)
    out.push_back({"ep", fmt::format("ep ({}) needs a MoE model", p.ep)});
  else if (p.dp % p.ep != 0)
    out.push_back({"ep", fmt::format("ep ({}) must divide dp ({})", p.ep, p.dp)});
  else if (s.model.moe && s.model.moe->routed_experts % p.ep != 0)
    out.push_back({"ep", fmt::format("ep ({}) must divide the routed experts ({})", p.ep,
                                     s.model.moe->routed_experts)});
  return out;
}

}  // namespace models::training
