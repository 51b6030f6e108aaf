#include "models/scenario/catalog.hpp"

#include "models/power/power_reader.hpp"

#include <array>

#include "sim/quantity.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Reader;

namespace {
constexpr std::int64_t kMaxDim = 1 << 24;
constexpr std::array<std::string_view, 2> kAttn{"gqa", "mla"};
constexpr std::array<std::string_view, 3> kPos{"rope", "learned", "alibi"};
constexpr std::array<std::string_view, 2> kFfn{"swiglu", "gelu"};

int read_int(Reader& r, std::string_view key, Need need, std::int64_t lo, int fallback = 0) {
  auto v =
      r.integer(key, need, Bounds::between(static_cast<double>(lo), static_cast<double>(kMaxDim)));
  return v ? static_cast<int>(*v) : fallback;
}
}  // namespace

LlmSpec read_llm(Reader& r, const std::string& name) {
  LlmSpec m;
  m.name = name;
  m.source = r.string("source", Need::required).value_or("");
  m.layers = read_int(r, "layers", Need::required, 1);
  m.hidden = read_int(r, "hidden", Need::required, 1);
  m.heads = read_int(r, "heads", Need::required, 1);
  m.ffn_hidden = read_int(r, "ffn_hidden", Need::required, 1);
  m.vocab = read_int(r, "vocab", Need::required, 1);
  m.max_context = read_int(r, "max_context", Need::required, 1);
  m.tied_embeddings = r.boolean("tied_embeddings", Need::optional).value_or(false);

  m.ffn = r.choice("ffn", kFfn, Need::optional).value_or("swiglu") == "gelu" ? FfnKind::gelu
                                                                             : FfnKind::swiglu;
  const std::string position = r.choice("position", kPos, Need::optional).value_or("rope");
  m.position = position == "learned" ? PositionKind::learned
               : position == "alibi" ? PositionKind::alibi
                                     : PositionKind::rope;
  const std::string attention = r.choice("attention", kAttn, Need::required).value_or("gqa");
  if (attention == "mla") {
    m.attention = AttentionKind::mla;
    Reader a = r.section("mla", Need::required);
    MlaSpec mla;
    mla.q_lora_rank = read_int(a, "q_lora_rank", Need::optional, 0);
    mla.kv_lora_rank = read_int(a, "kv_lora_rank", Need::required, 1);
    mla.qk_nope_head_dim = read_int(a, "qk_nope_head_dim", Need::required, 1);
    mla.qk_rope_head_dim = read_int(a, "qk_rope_head_dim", Need::required, 1);
    mla.v_head_dim = read_int(a, "v_head_dim", Need::required, 1);
    a.finish();
    m.mla = mla;
  } else {
    m.attention = AttentionKind::gqa;
    m.kv_heads = read_int(r, "kv_heads", Need::required, 1);
    m.head_dim = read_int(r, "head_dim", Need::required, 1);
    if (m.kv_heads > 0 && m.heads > 0 && m.heads % m.kv_heads != 0) {
      r.diagnostics().add(r.node("kv_heads", Need::optional)->location(), r.path_of("kv_heads"),
                          "must divide heads (" + std::to_string(m.heads) + ")");
    }
  }
  if (r.has("moe")) {
    Reader e = r.section("moe", Need::optional);
    MoeSpec moe;
    moe.routed_experts = read_int(e, "routed_experts", Need::required, 1);
    moe.active_experts = read_int(e, "active_experts", Need::required, 1);
    moe.shared_experts = read_int(e, "shared_experts", Need::optional, 0);
    moe.expert_ffn_hidden = read_int(e, "expert_ffn_hidden", Need::required, 1);
    moe.dense_layers = read_int(e, "dense_layers", Need::optional, 0);
    if (moe.active_experts > moe.routed_experts && moe.routed_experts > 0) {
      e.diagnostics().add(e.node("active_experts", Need::optional)->location(),
                          e.path_of("active_experts"),
                          "must be <= routed_experts (" + std::to_string(moe.routed_experts) + ")");
    }
    if (moe.dense_layers >= m.layers && m.layers > 0) {
      e.diagnostics().add(e.node("dense_layers", Need::optional)->location(),
                          e.path_of("dense_layers"),
                          "must be < layers (" + std::to_string(m.layers) + ")");
    }
    e.finish();
    m.moe = moe;
  } else {
    (void)r.node("moe", Need::optional);
  }
  r.finish();
  return m;
}

GpuSpec read_gpu(Reader& r, const std::string& name) {
  GpuSpec g;
  g.name = name;
  g.source = r.string("source", Need::required).value_or("");
  {
    const bool present = r.has("peak_flops");
    Reader p = r.section("peak_flops", Need::required);
    bool any = false;
    for (DType t : {DType::fp32, DType::bf16, DType::fp16, DType::fp8, DType::fp4}) {
      auto v = p.quantity<sim::dims::flop_rate>(to_string(t), Need::optional, Bounds::positive());
      if (v) {
        g.peak_flops[static_cast<std::size_t>(t)] = *v;
        any = true;
      }
    }
    if (!any && present) {
      p.diagnostics().add(p.location(), p.path(),
                          "needs at least one of fp32, bf16, fp16, fp8, fp4");
    }
    p.finish();
  }
  g.hbm_capacity = r.quantity<sim::dims::bytes>("hbm_capacity", Need::required, Bounds::positive())
                       .value_or(sim::Bytes(1));
  g.hbm_bandwidth =
      r.quantity<sim::dims::byte_rate>("hbm_bandwidth", Need::required, Bounds::positive())
          .value_or(sim::BytesPerSecond(1));
  g.tdp = r.quantity<sim::dims::power>("tdp", Need::required, Bounds::positive())
              .value_or(sim::Watts(1));
  g.idle_power = r.quantity<sim::dims::power>("idle_power", Need::required, Bounds::positive())
                     .value_or(sim::Watts(0));
  if (g.idle_power >= g.tdp && g.tdp.value() > 1) {
    r.diagnostics().add(r.node("idle_power", Need::optional)->location(), r.path_of("idle_power"),
                        "must be < tdp (" + sim::format_quantity(g.tdp.value(), sim::dims::power) +
                            ")");
  }
  {
    Reader pl = r.section("power_limit", Need::optional);
    g.min_power_limit = pl.quantity<sim::dims::power>("min", Need::optional, Bounds::positive())
                            .value_or(g.idle_power);
    g.max_power_limit = pl.quantity<sim::dims::power>("max", Need::optional, Bounds::positive())
                            .value_or(g.tdp);
    if (g.min_power_limit > g.tdp || g.max_power_limit < g.tdp) {
      pl.diagnostics().add(pl.location(), pl.path(),
                           "must satisfy min <= tdp <= max (tdp " +
                               sim::format_quantity(g.tdp.value(), sim::dims::power) + ")");
    }
    pl.finish();
  }
  if (r.has("thermal")) {
    Reader t = r.section("thermal", Need::optional);
    g.thermal = cooling::read_gpu_thermal(t);
  } else {
    (void)r.node("thermal", Need::optional);
  }
  {
    Reader c = r.section("clocks", Need::optional);
    g.max_sm_clock = c.quantity<sim::dims::frequency>("max_sm", Need::optional, Bounds::positive());
    c.finish();
  }
  {
    Reader s = r.section("scale_up", Need::required);
    g.scale_up_bandwidth =
        s.quantity<sim::dims::byte_rate>("bandwidth", Need::required, Bounds::positive())
            .value_or(sim::BytesPerSecond(1));
    g.scale_up_step_latency =
        s.quantity<sim::dims::time>("step_latency", Need::required, Bounds::non_negative())
            .value_or(sim::Seconds(0));
    g.scale_up_efficiency =
        s.quantity("efficiency", sim::dims::none, Need::required, Bounds{0.0, false, 1.0, true})
            .value_or(1.0);
    s.finish();
  }
  r.finish();
  return g;
}

Catalog read_catalog(const sim::config::Node& root, sim::config::Diagnostics& diags) {
  Catalog c;
  if (const sim::config::Node* llms = root.find("llms")) {
    Reader all(llms, "llms", diags);
    if (llms->is_mapping()) {
      for (const auto& [name, node] : llms->entries()) {
        Reader r = all.section(name, Need::required);
        c.llms[name] = read_llm(r, name);
        c.llm_locations[name] = node.location();
      }
    }
    all.finish();
  }
  if (const sim::config::Node* gpus = root.find("gpus")) {
    Reader all(gpus, "gpus", diags);
    if (gpus->is_mapping()) {
      for (const auto& [name, node] : gpus->entries()) {
        Reader r = all.section(name, Need::required);
        c.gpus[name] = read_gpu(r, name);
        c.gpu_locations[name] = node.location();
      }
    }
    all.finish();
  }
  c.servers = read_servers(root, c.gpus, diags);
  c.power_chains = power::read_power_chains(root, diags);
  return c;
}

Catalog load_catalog_files(const std::vector<std::string>& files) {
  sim::config::Diagnostics diags;
  Catalog all;
  for (const std::string& f : files) {
    const sim::config::Node root = sim::config::load_file(f, diags);
    if (!diags.empty()) continue;
    Reader top(&root, "", diags);
    for (std::string_view section : kCatalogSections) (void)top.node(section, Need::optional);
    top.finish();
    Catalog c = read_catalog(root, diags);
    all.llms.merge(c.llms);
    all.gpus.merge(c.gpus);
    all.servers.merge(c.servers);
    all.power_chains.merge(c.power_chains);
    all.llm_locations.merge(c.llm_locations);
    all.gpu_locations.merge(c.gpu_locations);
  }
  if (!diags.empty()) throw sim::config::InputError(diags);
  return all;
}

}  // namespace models
