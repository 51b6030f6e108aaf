#include "models/scenario/scenario.hpp"

#include <array>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "models/memory/hbm_budget.hpp"
#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"
#include "sim/quantity.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Diagnostics;
using sim::config::Location;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

namespace {

constexpr std::array<std::string_view, 4> kLengthKinds{"constant", "uniform", "lognormal",
                                                       "empirical"};
constexpr std::array<std::string_view, 2> kProcesses{"poisson", "trace"};
constexpr std::array<std::string_view, 1> kWorkloadKinds{"serving"};
constexpr std::array<std::string_view, 2> kRouters{"least_loaded", "round_robin"};
constexpr std::array<std::string_view, 2> kCostModels{"calibrated", "roofline"};

// Data files named in a scenario are relative to the file that names them.
std::string resolve_relative(const Location& where, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || where.file.empty() || where.file == "--set") return path;
  return (std::filesystem::path(where.file).parent_path() / p).lexically_normal().string();
}

// Adds "path:line:col: message" strings from CSV readers as diagnostics of a yaml path.
void add_file_errors(Diagnostics& diags, const Location& where, const std::string& yaml_path,
                     const std::vector<std::string>& errors) {
  for (const std::string& e : errors) diags.add(where, yaml_path, e);
}

LengthDistribution read_lengths(Reader& parent, std::string_view key) {
  LengthDistribution d;
  Reader r = parent.section(key, Need::required);
  const std::string kind =
      r.choice("distribution", kLengthKinds, Need::required).value_or("constant");
  const Bounds tokens = Bounds::between(1, 1e7);
  if (kind == "constant") {
    d.kind = LengthDistribution::Kind::constant;
    d.value = static_cast<double>(r.integer("value", Need::required, tokens).value_or(1));
    d.min = 1;
    d.max = static_cast<std::int64_t>(d.value);
  } else {
    d.min =
        r.integer("min", kind == "uniform" ? Need::required : Need::optional, tokens).value_or(1);
    d.max = r.integer("max", kind == "uniform" ? Need::required : Need::optional, tokens)
                .value_or(1 << 20);
    if (d.max < d.min) {
      r.diagnostics().add(
          r.node("max", Need::optional) ? r.node("max", Need::optional)->location() : r.location(),
          r.path_of("max"), "must be >= min (" + std::to_string(d.min) + ")");
    }
    if (kind == "uniform") {
      d.kind = LengthDistribution::Kind::uniform;
    } else if (kind == "lognormal") {
      d.kind = LengthDistribution::Kind::lognormal;
      d.median = r.number("median", Need::required, Bounds::positive()).value_or(1);
      d.sigma = r.number("sigma", Need::required, Bounds::between(0, 10)).value_or(0);
    } else {
      d.kind = LengthDistribution::Kind::empirical;
      const Node* path_node = r.node("path", Need::required);
      const auto path = r.string("path", Need::required);
      const auto column = r.string("column", Need::required);
      if (path && column && path_node) {
        const std::string file = resolve_relative(path_node->location(), *path);
        ColumnReadResult col = read_csv_int_column(file, *column);
        add_file_errors(r.diagnostics(), path_node->location(), r.path_of("path"), col.errors);
        d.samples = std::move(col.values);
      }
    }
  }
  r.finish();
  return d;
}

ArrivalSpec read_arrivals(Reader& workload) {
  ArrivalSpec a;
  Reader r = workload.section("arrivals", Need::required);
  const std::string process = r.choice("process", kProcesses, Need::required).value_or("poisson");
  if (process == "poisson") {
    a.process = ArrivalSpec::Process::poisson;
    a.rate_per_s =
        r.quantity("rate", sim::dims::frequency, Need::required, Bounds::positive()).value_or(1);
    a.prompt = read_lengths(r, "prompt_tokens");
    a.output = read_lengths(r, "output_tokens");
  } else {
    a.process = ArrivalSpec::Process::trace;
    a.time_scale = r.number("time_scale", Need::optional, Bounds::positive()).value_or(1.0);
    const Node* path_node = r.node("path", Need::required);
    const auto path = r.string("path", Need::required);
    if (path && path_node) {
      a.trace_path = resolve_relative(path_node->location(), *path);
      TraceReadResult t = read_trace_csv(a.trace_path);
      add_file_errors(r.diagnostics(), path_node->location(), r.path_of("path"), t.errors);
      a.trace = std::move(t.rows);
    }
  }
  r.finish();
  return a;
}

template <class Map>
const typename Map::mapped_type* lookup(Reader& r, std::string_view key, const Map& map,
                                        const char* what, std::string& name_out) {
  const Node* n = r.node(key, Need::optional);
  const auto name = r.string(key, Need::required);
  if (!name || !n) return nullptr;
  name_out = *name;
  auto it = map.find(*name);
  if (it != map.end()) return &it->second;
  std::vector<std::string> names;
  for (const auto& [k, v] : map) names.push_back(k);
  std::string msg = std::string("unknown ") + what + " \"" + *name + "\"";
  if (auto s = sim::config::did_you_mean(*name, names)) {
    msg += " (did you mean \"" + *s + "\"?)";
  } else if (names.empty()) {
    msg += std::string(" (no ") + what + " catalog is loaded: include scenarios/catalog/" + what +
           "s.yaml)";
  }
  r.diagnostics().add(n->location(), r.path_of(key), msg);
  return nullptr;
}

std::optional<DType> read_dtype(Reader& r, std::string_view key, DType fallback) {
  auto s = r.choice(key, kDTypeNames, Need::optional);
  if (!s) return r.has(key) ? std::nullopt : std::optional<DType>(fallback);
  return parse_dtype(*s);
}

std::string human_bytes(double b) {
  return sim::format_quantity(b, sim::dims::bytes, 4);
}

}  // namespace

ScenarioSpec load_scenario(const std::string& path, const LoadOptions& options) {
  Diagnostics diags;
  Node root = sim::config::load_file(path, diags);
  if (!diags.empty()) throw sim::config::InputError(diags);
  int index = 0;
  for (const std::string& o : options.overrides)
    sim::config::apply_override(root, o, ++index, diags);
  if (!diags.empty()) throw sim::config::InputError(diags);

  ScenarioSpec s;
  s.file = path;
  s.resolved_yaml = sim::config::to_yaml(root);
  const Catalog catalog = read_catalog(root, diags);

  Reader top(&root, "", diags);
  (void)top.node("llms", Need::optional);
  (void)top.node("gpus", Need::optional);
  s.name = top.string("name", Need::required).value_or("");
  s.seed = static_cast<std::uint64_t>(
      top.integer("seed", Need::optional, Bounds::between(0, 9.2e18)).value_or(0));
  if (options.seed) s.seed = *options.seed;

  {
    Reader sim_r = top.section("simulation", Need::required);
    const Bounds horizon = Bounds{0.0, false, 100.0 * 365 * 86400, true};
    s.duration = sim::Duration::from_seconds(
        sim_r.quantity<sim::dims::time>("duration", Need::required, horizon)
            .value_or(sim::Seconds(1)));
    s.drain = sim::Duration::from_seconds(
        sim_r
            .quantity<sim::dims::time>("drain", Need::optional,
                                       Bounds{0.0, true, horizon.max, true})
            .value_or(sim::Seconds(0)));
    sim_r.finish();
  }
  {
    Reader w = top.section("walls", Need::optional);
    s.walls.threshold =
        w.quantity("threshold", sim::dims::none, Need::optional, Bounds{0.0, false, 10.0, true})
            .value_or(1.0);
    s.walls.window = sim::Duration::from_seconds(
        w.quantity<sim::dims::time>("window", Need::optional, Bounds{1e-6, true, 86400.0, true})
            .value_or(sim::Seconds(1)));
    w.finish();
  }

  std::string model_name, gpu_name;
  const LlmSpec* llm = nullptr;
  {
    Reader w = top.section("workload", Need::required);
    (void)w.choice("kind", kWorkloadKinds, Need::required);
    llm = lookup(w, "model", catalog.llms, "model", model_name);
    s.arrivals = read_arrivals(w);
    Reader slo = w.section("slo", Need::required);
    s.slo.ttft = slo.quantity<sim::dims::time>("ttft", Need::required, Bounds::positive())
                     .value_or(sim::Seconds(1));
    s.slo.tpot = slo.quantity<sim::dims::time>("tpot", Need::required, Bounds::positive())
                     .value_or(sim::Seconds(1));
    s.slo.percentile =
        slo.quantity("percentile", sim::dims::none, Need::optional, Bounds{0.0, false, 1.0, true})
            .value_or(0.99);
    slo.finish();
    w.finish();
  }

  const GpuSpec* gpu = nullptr;
  Location tp_location;
  {
    Reader sv = top.section("serving", Need::required);
    gpu = lookup(sv, "gpu", catalog.gpus, "gpu", gpu_name);
    ServingSpec& sp = s.serving;
    sp.replicas = static_cast<int>(
        sv.integer("replicas", Need::required, Bounds::between(1, 1e6)).value_or(1));
    sp.tensor_parallel = static_cast<int>(
        sv.integer("tensor_parallel", Need::required, Bounds::between(1, 1024)).value_or(1));
    if (const Node* n = sv.node("tensor_parallel", Need::optional)) tp_location = n->location();
    const auto batch_tokens =
        sv.integer("max_batch_tokens", Need::required, Bounds::between(1, 1e8));
    const auto batch_requests =
        sv.integer("max_batch_requests", Need::required, Bounds::between(1, 1e6));
    sp.max_batch_tokens = batch_tokens.value_or(1);
    sp.max_batch_requests = static_cast<int>(batch_requests.value_or(1));
    if (batch_tokens && batch_requests && sp.max_batch_tokens < sp.max_batch_requests) {
      diags.add(sv.node("max_batch_tokens", Need::optional)
                    ? sv.node("max_batch_tokens", Need::optional)->location()
                    : sv.location(),
                sv.path_of("max_batch_tokens"),
                "must be >= max_batch_requests (" + std::to_string(sp.max_batch_requests) +
                    "): every running request decodes one token per iteration");
    }
    sp.precision.weights = read_dtype(sv, "weight_dtype", DType::bf16).value_or(DType::bf16);
    sp.precision.kv_cache = read_dtype(sv, "kv_cache_dtype", DType::bf16).value_or(DType::bf16);
    sp.precision.activations = DType::bf16;
    const bool compute_given = sv.has("compute_dtype");
    sp.precision.compute =
        read_dtype(sv, "compute_dtype", sp.precision.weights).value_or(DType::bf16);
    sp.memory_reserve =
        sv.quantity("memory_reserve", sim::dims::none, Need::optional, Bounds{0.0, true, 0.9, true})
            .value_or(0.1);
    sp.router =
        sv.choice("router", kRouters, Need::optional).value_or("least_loaded") == "round_robin"
            ? Router::round_robin
            : Router::least_loaded;

    const std::string cost =
        sv.choice("cost_model", kCostModels, Need::optional).value_or("calibrated");
    sp.cost.kind = cost == "roofline" ? CostModelKind::roofline : CostModelKind::calibrated;
    if (const Node* cal = sv.node("calibration", Need::optional)) {
      if (auto p = sv.string("calibration", Need::optional))
        sp.cost.calibration = resolve_relative(cal->location(), *p);
    }
    sp.cost.iteration_overhead = sv.quantity<sim::dims::time>("iteration_overhead", Need::optional,
                                                              Bounds{0.0, true, 10.0, true})
                                     .value_or(CostModelSpec{}.iteration_overhead);
    if (gpu && !gpu->peak(sp.precision.compute)) {
      if (compute_given) {
        diags.add(
            sv.node("compute_dtype", Need::optional)->location(), sv.path_of("compute_dtype"),
            gpu_name + " has no " + std::string(to_string(sp.precision.compute)) + " tensor cores");
      } else {
        // Weights in a format the GPU cannot compute in are up-converted (e.g. fp8 on A100).
        sp.precision.compute = DType::bf16;
        if (!gpu->peak(DType::bf16))
          diags.add(sv.location(), sv.path_of("compute_dtype"),
                    "must be set: " + gpu_name + " has no bf16 peak");
      }
    }
    sv.finish();
  }
  top.finish();

  // Every request is kept for the results table: bound the expected count so that a typo
  // in a rate ("1e9 /s") is an error, not an hour of simulation and a memory blow-up.
  constexpr double kMaxExpectedRequests = 5e7;
  if (diags.empty() && s.arrivals.process == ArrivalSpec::Process::poisson) {
    const double expected = s.arrivals.rate_per_s * s.duration.seconds().value();
    if (expected > kMaxExpectedRequests) {
      const Node* w = root.find("workload");
      const Node* a = w && w->is_mapping() ? w->find("arrivals") : nullptr;
      const Node* rate = a && a->is_mapping() ? a->find("rate") : nullptr;
      diags.add(rate ? rate->location() : Location{path, 1, 1}, "workload.arrivals.rate",
                fmt::format("would bring {:.3g} requests in simulation.duration; at most {:.0e} "
                            "are supported per run",
                            expected, kMaxExpectedRequests));
    }
  }

  // Cross-checks between sections, once each part is known to be well formed.
  if (llm && gpu && diags.empty()) {
    const ServingSpec& sp = s.serving;
    const int tp = sp.tensor_parallel;
    if (llm->heads % tp != 0) {
      diags.add(
          tp_location, "serving.tensor_parallel",
          "must divide the " + std::to_string(llm->heads) + " attention heads of " + model_name);
    } else if (llm->attention == AttentionKind::gqa && llm->kv_heads % tp != 0 &&
               tp % llm->kv_heads != 0) {
      diags.add(tp_location, "serving.tensor_parallel",
                "must divide, or be a multiple of, the " + std::to_string(llm->kv_heads) +
                    " KV heads of " + model_name);
    } else {
      const HbmBudget budget = hbm_budget(*llm, *gpu, sp.precision.weights, sp.precision.kv_cache,
                                          tp, sp.memory_reserve);
      const double weights = budget.weights.value();
      const double usable = (budget.capacity - budget.reserve).value();
      if (budget.kv_capacity_tokens() < 1) {
        diags.add(tp_location, "serving.tensor_parallel",
                  "the " + std::string(to_string(sp.precision.weights)) + " weights of " +
                      model_name + " need " + human_bytes(weights) +
                      " per GPU with tensor_parallel " + std::to_string(tp) + ", more than the " +
                      human_bytes(usable) + " that " + gpu_name + " has after the memory reserve");
      }
    }
  }
  if (!diags.empty()) throw sim::config::InputError(diags);
  s.llm = *llm;
  s.gpu = *gpu;
  return s;
}

}  // namespace models
