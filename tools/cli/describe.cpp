#include "tools/cli/describe.hpp"

#include <cmath>

#include <fmt/format.h>

#include "models/power/stage_spec.hpp"
#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"
#include "sim/quantity.hpp"

namespace cli {

using models::DType;

namespace {

template <class Map>
const typename Map::mapped_type& find_or_throw(const Map& map, const std::string& name,
                                               const char* what) {
  auto it = map.find(name);
  if (it != map.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [k, v] : map) names.push_back(k);
  std::string msg = std::string("unknown ") + what + " \"" + name + "\"";
  if (auto s = sim::config::did_you_mean(name, names)) msg += " (did you mean \"" + *s + "\"?)";
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  msg += "; known: " + list;
  throw sim::config::InputError({"<command line>", 1, 1}, "", msg);
}

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string num(double v) {
  return fmt::format("{:.15g}", v);
}

void describe_model(std::ostream& out, const models::LlmSpec& m, DType kv) {
  const models::ParamCounts p = models::count_params(m);
  out << "name: " << m.name << "\n";
  out << "source: " << yaml_quote(m.source) << "\n";
  out << "attention: " << (m.attention == models::AttentionKind::mla ? "mla" : "gqa") << "\n";
  out << "moe: " << (m.moe ? "true" : "false") << "\n";
  out << "params_total: " << num(p.total()) << "\n";
  out << "params_active: " << num(p.active()) << "\n";
  out << "params:\n";
  out << "  embedding: " << num(p.embedding) << "\n";
  out << "  attention: " << num(p.attention) << "\n";
  out << "  dense_ffn: " << num(p.dense_ffn) << "\n";
  if (m.moe) {
    out << "  moe_router: " << num(p.moe_router) << "\n";
    out << "  moe_shared_experts: " << num(p.moe_shared) << "\n";
    out << "  moe_routed_experts: " << num(p.moe_routed_total) << "\n";
    out << "  moe_routed_active: " << num(p.moe_routed_active) << "\n";
  }
  out << "  lm_head: " << num(p.lm_head) << "\n";
  out << "  norms: " << num(p.norms) << "\n";
  out << "weight_bytes:\n";
  for (DType t : {DType::fp32, DType::bf16, DType::fp8, DType::fp4}) {
    out << "  " << models::to_string(t) << ": " << num(p.total() * models::bytes_per_element(t))
        << "\n";
  }
  out << "kv_cache_dtype: " << models::to_string(kv) << "\n";
  out << "kv_cache_bytes_per_token: " << num(models::kv_bytes_per_token(m, kv)) << "\n";
  out << "kv_cache_bytes_per_token_by_dtype:\n";
  for (DType t : {DType::fp32, DType::bf16, DType::fp8}) {
    out << "  " << models::to_string(t) << ": " << num(models::kv_bytes_per_token(m, t)) << "\n";
  }
  out << "flops_per_token_decode:  # forward FLOPs of one generated token at a context of N "
         "tokens\n";
  for (double ctx : {1.0, 1024.0, 8192.0, 32768.0, 131072.0}) {
    if (ctx > m.max_context) continue;
    out << "  context_" << static_cast<long long>(ctx) << ": "
        << num(models::flops_per_token(m, ctx, false, true)) << "\n";
  }
  out << "flops_prefill:  # forward FLOPs of a prompt of N tokens (logits for the last)\n";
  for (double n : {128.0, 1024.0, 8192.0, 32768.0}) {
    if (n > m.max_context) continue;
    out << "  tokens_" << static_cast<long long>(n) << ": " << num(models::prefill_flops(m, n, 0))
        << "\n";
  }
  out << "max_context: " << m.max_context << "\n";
}

void describe_gpu(std::ostream& out, const models::GpuSpec& g) {
  out << "name: " << g.name << "\n";
  out << "source: " << yaml_quote(g.source) << "\n";
  out << "peak_flops:\n";
  for (DType t : {DType::fp32, DType::bf16, DType::fp16, DType::fp8, DType::fp4}) {
    if (auto v = g.peak(t))
      out << "  " << models::to_string(t) << ": " << num(v->value()) << "  # FLOP/s\n";
  }
  out << "hbm_capacity: " << num(g.hbm_capacity.value()) << "  # B\n";
  out << "hbm_bandwidth: " << num(g.hbm_bandwidth.value()) << "  # B/s\n";
  out << "ridge_point:  # FLOP per HBM byte where compute and memory time are equal\n";
  for (DType t : {DType::bf16, DType::fp8, DType::fp4}) {
    if (auto v = g.peak(t))
      out << "  " << models::to_string(t) << ": " << num((*v / g.hbm_bandwidth).value()) << "\n";
  }
  out << "tdp: " << num(g.tdp.value()) << "  # W\n";
  out << "idle_power: " << num(g.idle_power.value()) << "  # W\n";
  out << "power_limit_range: [" << num(g.min_power_limit.value()) << ", "
      << num(g.max_power_limit.value()) << "]  # W\n";
  if (g.max_sm_clock) out << "max_sm_clock: " << num(g.max_sm_clock->value()) << "  # Hz\n";
  out << "scale_up_bandwidth_bidirectional: " << num(g.scale_up_bandwidth.value()) << "  # B/s\n";
  out << "scale_up_bandwidth_one_direction: " << num(g.scale_up_one_direction().value())
      << "  # B/s\n";
  out << "scale_up_step_latency: " << num(g.scale_up_step_latency.value()) << "  # s\n";
  out << "scale_up_efficiency: " << num(g.scale_up_efficiency) << "\n";
}

// What a server draws and sheds, derived from its catalog entry.
void describe_server(std::ostream& out, const models::ServerSpec& s, const models::GpuSpec& g) {
  out << "name: " << s.name << "\n";
  out << "gpu: " << s.gpu_name << "\n";
  out << "gpus: " << s.gpus << "\n";
  out << "scale_up_domain: " << s.scale_up_domain << "\n";
  out << "other_power_idle: " << num(s.other_idle.value()) << "  # W\n";
  out << "other_power_max: " << num(s.other_max.value()) << "  # W\n";
  out << "idle_dc_power: "
      << num((g.idle_power * static_cast<double>(s.gpus) + s.other_idle).value())
      << "  # W, GPUs idle + other idle, on the server's DC bus\n";
  out << "max_dc_power: " << num(s.max_dc_power(g).value()) << "  # W, GPUs at TDP + other max\n";
  out << "nameplate_input_power: " << num(s.nameplate(g).value())
      << "  # W, the DC maximum through the PSUs\n";
  if (s.psu) {
    out << "psu_installed_rating: " << num(s.psu->installed_rating().value()) << "  # W\n";
    out << "psu_usable_rating: " << num(s.psu->usable_rating().value()) << "  # W\n";
  }
  out << "cooling: " << (s.cooling == models::ServerCooling::liquid ? "liquid" : "air") << "\n";
  out << "liquid_fraction_of_liquid_build: " << num(s.liquid_fraction) << "\n";
}

}  // namespace

void describe(std::ostream& out, const std::string& what, const std::string& name,
              const std::vector<std::string>& catalog_files, const std::string& dtype) {
  const models::Catalog c = models::load_catalog_files(catalog_files);
  if (what == "model") {
    const auto kv = models::parse_dtype(dtype);
    if (!kv)
      throw sim::config::InputError(
          {"<command line>", 1, 1}, "",
          "--dtype must be one of: fp32, bf16, fp16, fp8, fp4 (got \"" + dtype + "\")");
    describe_model(out, find_or_throw(c.llms, name, "model"), *kv);
  } else if (what == "gpu") {
    describe_gpu(out, find_or_throw(c.gpus, name, "gpu"));
  } else {
    const models::ServerSpec& s = find_or_throw(c.servers, name, "server");
    describe_server(out, s, find_or_throw(c.gpus, s.gpu_name, "gpu"));
  }
}

}  // namespace cli
