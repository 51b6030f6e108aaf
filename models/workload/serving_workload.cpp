#include "models/workload/serving_workload.hpp"

#include "models/workload/training/fabric_file.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "models/common/paths.hpp"
#include "models/memory/hbm_budget.hpp"
#include "models/network/network_spec.hpp"
#include "models/plant/plant_spec.hpp"
#include "models/scenario/catalog.hpp"
#include "models/workload/kernel_iteration_cost.hpp"
#include "models/workload/training/plant_fabric.hpp"
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
constexpr std::array<std::string_view, 2> kRouters{"least_loaded", "round_robin"};
constexpr std::array<std::string_view, 2> kCostModels{"calibrated", "roofline"};
constexpr std::array<std::string_view, 2> kKvAdmissions{"reserve", "paged"};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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
    bool trace_read = false;  // and without errors
    if (path && path_node) {
      a.trace_path = resolve_relative(path_node->location(), *path);
      TraceReadResult t = read_trace_csv(a.trace_path);
      add_file_errors(r.diagnostics(), path_node->location(), r.path_of("path"), t.errors);
      trace_read = t.errors.empty();
      a.trace = std::move(t.rows);
    }
    a.repeat = r.boolean("repeat", Need::optional).value_or(false);
    if (a.repeat && trace_read && !(a.trace_period_s() > 0)) {
      r.diagnostics().add(r.node("repeat", Need::optional)->location(), r.path_of("repeat"),
                          "a repeated trace needs at least two rows and a last arrival after 0 s");
    }
  }
  r.finish();
  return a;
}

std::optional<DType> read_dtype(Reader& r, std::string_view key, DType fallback) {
  auto s = r.choice(key, kDTypeNames, Need::optional);
  if (!s) return r.has(key) ? std::nullopt : std::optional<DType>(fallback);
  return parse_dtype(*s);
}

std::string human_bytes(double b) {
  return sim::format_quantity(b, sim::dims::bytes, 4);
}

Location location_of(Reader& r, std::string_view key) {
  const Node* n = r.node(key, Need::optional);
  return n ? n->location() : r.location();
}

// `users:` (request_source.hpp, UserSpec): one distance, or regions with shares.
//   users: {distance: 2000 km}
//   users: {regions: [{name: eu, share: 60 %, distance: 1000 km}, ...], path_factor: 1.3,
//           refractive_index: 1.468, handshake_round_trips: 0}
UserSpec read_users(Reader& workload) {
  UserSpec u;
  if (!workload.has("users")) return u;
  Reader r = workload.section("users", Need::optional);
  Diagnostics& diags = r.diagnostics();
  const std::size_t errors_before = diags.size();
  const bool one = r.has("distance"), many = r.has("regions");
  if (one == many) {
    diags.add(r.location(), r.path(),
              one ? "give distance or regions, not both"
                  : "missing distance (one region) or regions (a list of {name, share, "
                    "distance})");
  }
  if (one) {
    if (auto d = network::read_length(r, "distance", Need::required))
      u.regions.push_back(UserRegion{"users", 1.0, *d});
  }
  if (const Node* list = many ? r.node("regions", Need::required) : nullptr) {
    if (!list->is_sequence() || list->items().empty()) {
      diags.add(list->location(), r.path_of("regions"),
                "must be a non-empty list of {name, share, distance}");
    } else {
      double total = 0;
      for (std::size_t i = 0; i < list->items().size(); ++i) {
        Reader g(&list->items()[i], r.path_of("regions") + "[" + std::to_string(i) + "]", diags);
        UserRegion region;
        region.name = g.string("name", Need::required).value_or("");
        region.share =
            g.quantity("share", sim::dims::none, Need::required, Bounds{0.0, false, 1.0, true})
                .value_or(0);
        region.distance =
            network::read_length(g, "distance", Need::required).value_or(network::Length{});
        g.finish();
        total += region.share;
        u.regions.push_back(region);
      }
      // The shares are the fractions of requests: they must add up (to rounding of the
      // printed percentages).
      if (std::abs(total - 1.0) > 1e-6 && diags.size() == errors_before) {
        diags.add(list->location(), r.path_of("regions"),
                  fmt::format("the shares sum to {:g}, not 1", total));
      }
    }
  }
  u.path_factor =
      r.number("path_factor", Need::optional, Bounds::between(1, 10)).value_or(kFiberPathFactor);
  u.refractive_index = r.number("refractive_index", Need::optional, Bounds::between(1, 3))
                           .value_or(network::kFiberRefractiveIndex);
  u.handshake_round_trips = static_cast<int>(
      r.integer("handshake_round_trips", Need::optional, Bounds::between(0, 10)).value_or(0));
  r.finish();
  return u;
}

}  // namespace

std::shared_ptr<const WorkloadSpec> read_serving_workload(Reader& w,
                                                          const WorkloadReadContext& context) {
  auto spec = std::make_shared<ServingWorkloadSpec>();
  Diagnostics& diags = w.diagnostics();
  const std::size_t errors_before = diags.size();
  std::string model_name;
  const LlmSpec* llm =
      catalog_lookup(w, "model", context.catalog.llms, "model", "llms.yaml", model_name);
  spec->arrivals = read_arrivals(w);
  {
    Reader slo = w.section("slo", Need::required);
    spec->slo.ttft = slo.quantity<sim::dims::time>("ttft", Need::required, Bounds::positive())
                         .value_or(sim::Seconds(1));
    spec->slo.tpot = slo.quantity<sim::dims::time>("tpot", Need::required, Bounds::positive())
                         .value_or(sim::Seconds(1));
    spec->slo.percentile =
        slo.quantity("percentile", sim::dims::none, Need::optional, Bounds{0.0, false, 1.0, true})
            .value_or(0.99);
    slo.finish();
  }

  ServingSpec& sp = spec->serving;
  sp.replicas =
      static_cast<int>(w.integer("replicas", Need::required, Bounds::between(1, 1e6)).value_or(1));
  sp.tensor_parallel = static_cast<int>(
      w.integer("tensor_parallel", Need::required, Bounds::between(1, 1024)).value_or(1));
  const Location tp_location = location_of(w, "tensor_parallel");
  const auto batch_tokens = w.integer("max_batch_tokens", Need::required, Bounds::between(1, 1e8));
  const auto batch_requests =
      w.integer("max_batch_requests", Need::required, Bounds::between(1, 1e6));
  sp.max_batch_tokens = batch_tokens.value_or(1);
  sp.max_batch_requests = static_cast<int>(batch_requests.value_or(1));
  if (batch_tokens && batch_requests && sp.max_batch_tokens < sp.max_batch_requests) {
    diags.add(location_of(w, "max_batch_tokens"), w.path_of("max_batch_tokens"),
              "must be >= max_batch_requests (" + std::to_string(sp.max_batch_requests) +
                  "): every running request decodes one token per iteration");
  }
  sp.precision.weights = read_dtype(w, "weight_dtype", DType::bf16).value_or(DType::bf16);
  sp.precision.kv_cache = read_dtype(w, "kv_cache_dtype", DType::bf16).value_or(DType::bf16);
  sp.precision.activations = DType::bf16;
  const bool compute_given = w.has("compute_dtype");
  sp.precision.compute = read_dtype(w, "compute_dtype", sp.precision.weights).value_or(DType::bf16);
  sp.memory_reserve =
      w.quantity("memory_reserve", sim::dims::none, Need::optional, Bounds{0.0, true, 0.9, true})
          .value_or(0.1);
  sp.router = w.choice("router", kRouters, Need::optional).value_or("least_loaded") == "round_robin"
                  ? Router::round_robin
                  : Router::least_loaded;
  const std::string cost =
      w.choice("cost_model", kCostModels, Need::optional).value_or("calibrated");
  sp.cost.kind = cost == "roofline" ? CostModelKind::roofline : CostModelKind::calibrated;
  if (const Node* cal = w.node("calibration", Need::optional)) {
    if (auto p = w.string("calibration", Need::optional))
      sp.cost.calibration = resolve_relative(cal->location(), *p);
  }
  // The defaults were fitted on a DGX-A100's host; another server's host CPU runs the same
  // serving stack faster or slower per thread (ServerSpec::host_speed). Values given here are
  // the user's own stack on this host, taken as they are.
  const CostModelSpec fitted = CostModelSpec{}.on_host(context.host_speed);
  sp.cost.iteration_overhead = w.quantity<sim::dims::time>("iteration_overhead", Need::optional,
                                                           Bounds{0.0, true, 10.0, true})
                                   .value_or(fitted.iteration_overhead);
  sp.cost.launch_overhead =
      w.quantity<sim::dims::time>("launch_overhead", Need::optional, Bounds{0.0, true, 1e-3, true})
          .value_or(fitted.launch_overhead);
  sp.cost.request_overhead =
      w.quantity<sim::dims::time>("request_overhead", Need::optional, Bounds{0.0, true, 1.0, true})
          .value_or(fitted.request_overhead);
  const auto ep = w.integer("expert_parallel", Need::optional, Bounds::between(1, 4096));
  const auto pp = w.integer("pipeline_parallel", Need::optional, Bounds::between(1, 1024));
  const auto prefill = w.integer("prefill_replicas", Need::optional, Bounds::between(0, 1e6));
  sp.expert_parallel = static_cast<int>(ep.value_or(1));
  sp.pipeline_parallel = static_cast<int>(pp.value_or(1));
  sp.prefill_replicas = static_cast<int>(prefill.value_or(0));
  sp.kv_admission =
      w.choice("kv_admission", kKvAdmissions, Need::optional).value_or("reserve") == "paged"
          ? KvAdmission::paged
          : KvAdmission::reserve;
  sp.users = read_users(w);
  sp.kv_block_tokens = static_cast<int>(
      w.integer("kv_block_tokens", Need::optional, Bounds::between(1, 4096)).value_or(16));
  if (w.has("kv_block_tokens") && sp.kv_admission != KvAdmission::paged) {
    diags.add(location_of(w, "kv_block_tokens"), w.path_of("kv_block_tokens"),
              "applies only to kv_admission: paged");
  }
  const GpuSpec* gpu = context.gpu;
  // The fabric of the all-to-alls, pipeline sends and KV transfers: the plant's network, read
  // as training reads it (training/plant_fabric.hpp; the scale-up ring over one domain's
  // GPUs); a plant without one falls back to the DGX fabric of its GPU. `workload.fabric`
  // overrides either, key by key.
  const bool needs_fabric =
      sp.expert_parallel > 1 || sp.pipeline_parallel > 1 || sp.prefill_replicas > 0;
  {
    std::optional<training::Fabric> base;
    const PlantSpec* plant = context.plant;
    if (needs_fabric && gpu && plant && plant->network && plant->topology) {
      base = training::plant_link_tiers(*plant->network, *plant->topology, *gpu,
                                        std::max(1, context.gpus_per_domain), true);
    }
    if (!base && gpu) base = training::dgx_fabric(*gpu);
    const bool given = w.has("fabric");
    if (needs_fabric && gpu && !base && !given) {
      diags.add(w.location(), w.path_of("fabric"),
                "no DGX fabric is documented for " + gpu->name +
                    " and the plant has no network: give fabric.scale_up and fabric.scale_out "
                    "(expert_parallel, pipeline_parallel and prefill_replicas send over it)");
    }
    Reader f = w.section("fabric", Need::optional);
    training::Fabric fab = base.value_or(training::Fabric{});
    const bool need_tiers = given && !base;
    fab.scale_up = training::read_link_tier(f, "scale_up", fab.scale_up, need_tiers);
    fab.scale_out = training::read_link_tier(f, "scale_out", fab.scale_out, need_tiers);
    if (auto n = f.string("name", Need::optional)) fab.name = *n;
    f.finish();
    fab.gpus_per_node = std::max(1, context.gpus_per_domain);
    sp.fabric = fab;
    sp.gpus_per_domain = std::max(1, context.gpus_per_domain);
  }
  if (gpu && !gpu->peak(sp.precision.compute)) {
    if (compute_given) {
      diags.add(
          location_of(w, "compute_dtype"), w.path_of("compute_dtype"),
          gpu->name + " has no " + std::string(to_string(sp.precision.compute)) + " tensor cores");
    } else {
      // Weights in a format the GPU cannot compute in are up-converted (e.g. fp8 on A100).
      sp.precision.compute = DType::bf16;
      if (!gpu->peak(DType::bf16))
        diags.add(w.location(), w.path_of("compute_dtype"),
                  "must be set: " + gpu->name + " has no bf16 peak");
    }
  }

  // Every request is kept for the results table: bound the expected count so that a typo
  // in a rate ("1e9 /s") is an error, not an hour of simulation and a memory blow-up.
  constexpr double kMaxExpectedRequests = 5e7;
  if (diags.size() == errors_before && spec->arrivals.process == ArrivalSpec::Process::poisson) {
    const double expected = spec->arrivals.rate_per_s * context.duration.seconds().value();
    if (expected > kMaxExpectedRequests) {
      Reader a = w.section("arrivals", Need::optional);
      diags.add(location_of(a, "rate"), "workload.arrivals.rate",
                fmt::format("would bring {:.3g} requests in simulation.duration; at most {:.0e} "
                            "are supported per run",
                            expected, kMaxExpectedRequests));
    }
  }
  // A repeated trace brings its rows once per period (scaled) in simulation.duration.
  if (diags.size() == errors_before && spec->arrivals.process == ArrivalSpec::Process::trace &&
      spec->arrivals.repeat) {
    const ArrivalSpec& a = spec->arrivals;
    const double expected = static_cast<double>(a.trace.size()) *
                            context.duration.seconds().value() /
                            (a.trace_period_s() * a.time_scale);
    if (expected > kMaxExpectedRequests) {
      Reader ar = w.section("arrivals", Need::optional);
      diags.add(location_of(ar, "time_scale"), "workload.arrivals.time_scale",
                fmt::format("the repeated trace would bring {:.3g} requests in "
                            "simulation.duration; at most {:.0e} are supported per run",
                            expected, kMaxExpectedRequests));
    }
  }

  // Cross-checks with the model and the plant, once each part is well formed.
  if (llm && gpu && diags.empty()) {
    const int tp = sp.tensor_parallel;
    if (tp > context.gpus_per_domain) {
      diags.add(tp_location, w.path_of("tensor_parallel"),
                "must be <= " + std::to_string(context.gpus_per_domain) +
                    ", the GPUs of one scale-up domain of the plant's servers (tensor parallelism "
                    "across servers is not modelled)");
    } else if (context.gpus_per_domain % tp != 0) {
      diags.add(tp_location, w.path_of("tensor_parallel"),
                "must divide the " + std::to_string(context.gpus_per_domain) +
                    " GPUs of one scale-up domain of the plant's servers");
    } else if (sp.expert_parallel > 1 && !llm->moe) {
      diags.add(location_of(w, "expert_parallel"), w.path_of("expert_parallel"),
                "must be 1: " + model_name + " has no routed experts");
    } else if (sp.expert_parallel > 1 && sp.expert_parallel % tp != 0) {
      diags.add(location_of(w, "expert_parallel"), w.path_of("expert_parallel"),
                fmt::format("must be a multiple of tensor_parallel ({}): the experts are spread "
                            "over whole tensor-parallel groups",
                            tp));
    } else if (sp.expert_parallel > 1 && llm->moe->routed_experts % sp.expert_parallel != 0) {
      diags.add(location_of(w, "expert_parallel"), w.path_of("expert_parallel"),
                fmt::format("must divide the {} routed experts of {}", llm->moe->routed_experts,
                            model_name));
    } else if (sp.pipeline_parallel > llm->layers) {
      diags.add(location_of(w, "pipeline_parallel"), w.path_of("pipeline_parallel"),
                fmt::format("must be <= the {} layers of {}", llm->layers, model_name));
    } else if ((sp.expert_parallel > 1 || sp.pipeline_parallel > 1) &&
               sp.cost.kind == CostModelKind::roofline) {
      diags.add(location_of(w, "cost_model"), w.path_of("cost_model"),
                "must be calibrated with expert_parallel or pipeline_parallel > 1");
    } else if (sp.prefill_replicas >= sp.replicas) {
      diags.add(
          location_of(w, "prefill_replicas"), w.path_of("prefill_replicas"),
          fmt::format("must be < replicas ({}): the rest of the replicas decode", sp.replicas));
    } else if (static_cast<std::int64_t>(sp.replicas) * sp.gpus_per_replica() >
               context.gpus_in_plant) {
      const std::int64_t n = static_cast<std::int64_t>(sp.replicas) * sp.gpus_per_replica();
      diags.add(location_of(w, "replicas"), w.path_of("replicas"),
                fmt::format("{} replicas of {} GPUs need {} GPUs; the plant has {}", sp.replicas,
                            sp.gpus_per_replica(), n, context.gpus_in_plant));
    } else if (llm->heads % tp != 0) {
      diags.add(
          tp_location, w.path_of("tensor_parallel"),
          "must divide the " + std::to_string(llm->heads) + " attention heads of " + model_name);
    } else if (llm->attention == AttentionKind::gqa && llm->kv_heads % tp != 0 &&
               tp % llm->kv_heads != 0) {
      diags.add(tp_location, w.path_of("tensor_parallel"),
                "must divide, or be a multiple of, the " + std::to_string(llm->kv_heads) +
                    " KV heads of " + model_name);
    } else {
      const HbmBudget budget = serving_hbm_budget(*llm, *gpu, sp).per_gpu;
      if (budget.kv_capacity_tokens() < 1) {
        diags.add(
            tp_location, w.path_of("tensor_parallel"),
            "the " + std::string(to_string(sp.precision.weights)) + " weights of " + model_name +
                " need " + human_bytes(budget.weights.value()) + " per GPU with tensor_parallel " +
                std::to_string(tp) +
                (sp.expert_parallel > 1 ? ", expert_parallel " + std::to_string(sp.expert_parallel)
                                        : "") +
                (sp.pipeline_parallel > 1
                     ? ", pipeline_parallel " + std::to_string(sp.pipeline_parallel)
                     : "") +
                ", more than the " + human_bytes((budget.capacity - budget.reserve).value()) +
                " that " + gpu->name + " has after the memory reserve");
      }
    }
  }
  if (llm) spec->llm = *llm;
  return spec;
}

GpuRequest ServingWorkloadSpec::gpus() const {
  // A replica of several tensor-parallel groups (expert or pipeline parallelism) asks for each
  // of them; the serving model names its walls after the replica.
  const int per_replica = serving.groups_per_replica();
  return GpuRequest{per_replica == 1 ? "replica" : "replica_group", serving.replicas * per_replica,
                    serving.tensor_parallel};
}

std::unique_ptr<Workload> ServingWorkloadSpec::build(const WorkloadContext& context,
                                                     std::vector<GpuGroup*> groups) const {
  return std::make_unique<ServingWorkload>(*this, context, std::move(groups));
}

namespace {

std::unique_ptr<IterationCostModel> make_cost(const ServingWorkloadSpec& s, const GpuSpec& gpu) {
  std::shared_ptr<const kernels::cost::KernelCostModel> kernel_costs;
  if (s.serving.cost.kind == CostModelKind::calibrated)
    kernel_costs = load_kernel_cost_model(s.serving.cost.calibration);
  const ServingSpec& sp = s.serving;
  if (sp.expert_parallel > 1 || sp.pipeline_parallel > 1) {
    ServingParallelism par;
    par.expert_parallel = sp.expert_parallel;
    par.pipeline_parallel = sp.pipeline_parallel;
    par.gpus_per_node = sp.gpus_per_domain;
    par.network = std::make_shared<training::AlphaBetaCollectives>(sp.fabric);
    return std::make_unique<KernelIterationCost>(
        s.llm, gpu, sp.precision, sp.tensor_parallel, kernel_costs,
        HostCost{sp.cost.iteration_overhead, sp.cost.launch_overhead, sp.cost.request_overhead},
        std::move(par));
  }
  return make_iteration_cost(s.llm, gpu, sp.precision, sp.tensor_parallel, sp.cost, kernel_costs);
}

}  // namespace

ServingWorkload::ServingWorkload(const ServingWorkloadSpec& spec, const WorkloadContext& context,
                                 std::vector<GpuGroup*> groups)
    : spec_(spec),
      horizon_(context.horizon),
      wall_threshold_(context.walls.options().threshold),
      model_(context.engine, context.walls, spec_.llm, spec_.serving, spec_.slo,
             make_cost(spec_, groups.at(0)->gpu()), groups, context.streams),
      source_(spec_.arrivals, context.engine.rng(context.streams + ".arrivals"),
              context.engine.rng(context.streams + ".lengths"), context.horizon) {}

void ServingWorkload::start() {
  model_.start(source_);
}

void ServingWorkload::mark_horizon(sim::SimTime) {
  tokens_at_horizon_ = model_.tokens_generated();
  completed_at_horizon_ = model_.requests_completed();
  horizon_marked_ = true;
}

bool ServingWorkload::done() const {
  return model_.done();
}

void ServingWorkload::finish(sim::SimTime end) {
  end_ = end;
  if (!horizon_marked_) mark_horizon(horizon_);
  model_.finish(end);
}

namespace {

// Nearest-rank percentile (Hyndman & Fan type 1 on sorted data); NaN when empty.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(q * static_cast<double>(v.size()));
  const auto i = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[i];
}

const char* status_name(RequestStatus s) {
  switch (s) {
    case RequestStatus::completed:
      return "completed";
    case RequestStatus::unfinished:
      return "unfinished";
    case RequestStatus::rejected:
      return "rejected";
    case RequestStatus::lost:
      return "lost";
  }
  return "?";
}

}  // namespace

void ServingWorkload::add_metrics(Metrics& out) const {
  const auto& requests = model_.requests();
  // Site: from the request's arrival at the serving site. User: plus the light of
  // ServingSpec::users before the first token (0 for users at the site); TPOT is the same at
  // both ends (every token reaches the user one way later).
  std::vector<double> ttft, tpot, e2e, ttft_user, e2e_user, light;
  std::int64_t completed = 0, rejected = 0, unfinished = 0, lost = 0, output_tokens = 0;
  for (const RequestRecord& r : requests) {
    output_tokens += r.generated_tokens;
    light.push_back(r.user_light.value());
    if (r.first_token) {
      ttft.push_back((*r.first_token - r.arrival).seconds().value());
      ttft_user.push_back(ttft.back() + r.user_light.value());
    }
    switch (r.status) {
      case RequestStatus::completed:
        ++completed;
        e2e.push_back((*r.completion - r.arrival).seconds().value());
        e2e_user.push_back(e2e.back() + r.user_light.value());
        if (r.output_tokens > 1) {
          tpot.push_back((*r.completion - *r.first_token).seconds().value() /
                         static_cast<double>(r.output_tokens - 1));
        }
        break;
      case RequestStatus::rejected:
        ++rejected;
        break;
      case RequestStatus::unfinished:
        ++unfinished;
        break;
      case RequestStatus::lost:
        ++lost;
        break;
    }
  }
  const ServingStats& st = model_.stats();
  const double window = (horizon_ - sim::SimTime::zero()).seconds().value();
  const double span = (end_ - sim::SimTime::zero()).seconds().value();
  const int gpus = spec_.serving.replicas * spec_.serving.gpus_per_replica();
  auto add = [&](std::string name, double v, std::string unit) {
    out.push_back(Metric{std::move(name), v, std::move(unit)});
  };
  add("gpus", static_cast<double>(gpus), "");
  add("requests_arrived", static_cast<double>(requests.size()), "");
  add("requests_completed", static_cast<double>(completed), "");
  add("requests_unfinished", static_cast<double>(unfinished), "");
  add("requests_rejected", static_cast<double>(rejected), "");
  add("requests_lost", static_cast<double>(lost), "");
  add("requests_requeued", static_cast<double>(st.requeued), "");
  add("output_tokens", static_cast<double>(output_tokens), "tokens");
  // Over the arrival window [0, simulation.duration): the rate the plant sustained while
  // requests came in. The whole-run figures include the drain, when no request arrives.
  add("throughput_output_tokens", window > 0 ? static_cast<double>(tokens_at_horizon_) / window : 0,
      "tokens/s");
  add("throughput_requests", window > 0 ? static_cast<double>(completed_at_horizon_) / window : 0,
      "1/s");
  add("arrival_rate", window > 0 ? static_cast<double>(requests.size()) / window : 0, "1/s");
  add("throughput_output_tokens_whole_run",
      span > 0 ? static_cast<double>(output_tokens) / span : 0, "tokens/s");
  add("ttft_p50", percentile(ttft, 0.50), "s");
  add("ttft_p90", percentile(ttft, 0.90), "s");
  add("ttft_p99", percentile(ttft, 0.99), "s");
  add("tpot_p50", percentile(tpot, 0.50), "s");
  add("tpot_p90", percentile(tpot, 0.90), "s");
  add("tpot_p99", percentile(tpot, 0.99), "s");
  // What slo.ttft judges: TTFT at the user.
  add("ttft_at_slo_percentile", percentile(ttft_user, spec_.slo.percentile), "s");
  add("tpot_at_slo_percentile", percentile(tpot, spec_.slo.percentile), "s");
  add("e2e_p50", percentile(e2e, 0.50), "s");
  add("e2e_p99", percentile(e2e, 0.99), "s");
  const UserSpec& users = spec_.serving.users;
  if (users.at_distance()) {
    add("ttft_user_p50", percentile(ttft_user, 0.50), "s");
    add("ttft_user_p90", percentile(ttft_user, 0.90), "s");
    add("ttft_user_p99", percentile(ttft_user, 0.99), "s");
    add("e2e_user_p50", percentile(e2e_user, 0.50), "s");
    add("e2e_user_p99", percentile(e2e_user, 0.99), "s");
    add("user_light_p50", percentile(light, 0.50), "s");
    add("user_light_at_slo_percentile", percentile(light, spec_.slo.percentile), "s");
    // The users.propagation wall's figure: light alone against the TTFT budget.
    add("propagation_share_ttft_slo",
        percentile(light, spec_.slo.percentile) / spec_.slo.ttft.value(), "");
    // The great-circle distance at which light alone fills the walls' threshold of the
    // budget (UserSpec::distance_at): where users.propagation is first hit.
    add("propagation_wall_distance", users.distance_at(spec_.slo.ttft, wall_threshold_).meters(),
        "m");
  }
  add("iterations", static_cast<double>(st.iterations), "");
  add("mean_batch_tokens",
      st.iterations > 0 ? st.batch_tokens_sum / static_cast<double>(st.iterations) : 0, "tokens");
  add("kv_blocked_admissions", static_cast<double>(st.kv_blocked_admissions), "");
  add("preemptions", static_cast<double>(st.preemptions), "");
  add("recomputed_tokens", static_cast<double>(st.recomputed_tokens), "tokens");
  add("max_running_requests", static_cast<double>(st.max_running), "");
  if (spec_.serving.prefill_replicas > 0) {
    add("kv_transfers", static_cast<double>(st.kv_transfers), "");
    add("kv_transfer_bytes_per_request",
        st.kv_transfers > 0 ? st.kv_transfer_bytes / static_cast<double>(st.kv_transfers) : kNaN,
        "B");
    add("kv_transfer_time_p50", percentile(st.kv_transfer_seconds, 0.50), "s");
    add("kv_transfer_time_p99", percentile(st.kv_transfer_seconds, 0.99), "s");
    add("kv_handoff_time_p99", percentile(st.kv_handoff_seconds, 0.99), "s");
  }
  if (spec_.serving.expert_parallel > 1 && spec_.llm.moe && st.iterations > 0) {
    // The routing imbalance at the mean batch: the most loaded GPU's expert work over the mean.
    const double tokens =
        st.batch_tokens_sum / static_cast<double>(st.iterations) / spec_.serving.pipeline_parallel;
    const int n = spec_.serving.expert_parallel;
    const double mean = tokens * spec_.llm.moe->active_experts / n;
    add("expert_load_max_over_mean",
        mean > 0 ? expected_max_expert_load(*spec_.llm.moe, tokens, n) / mean : kNaN, "");
  }
  add("weights_per_gpu", model_.weight_bytes_per_gpu().value(), "B");
  add("kv_bytes_per_token_per_gpu", model_.kv_bytes_per_token_per_gpu().value(), "B");
  add("kv_capacity_tokens_per_replica", static_cast<double>(model_.kv_capacity_tokens()), "tokens");
  // Achieved rates against the peaks, while busy: figures to report, never walls (a
  // calibrated iteration never reaches the peak; DESIGN.md "Saturation, not peak ratios").
  const GpuSpec& gpu = model_.gpu();
  const double busy = st.busy_seconds;
  const auto peak = gpu.peak(spec_.serving.precision.compute);
  add("model_flops_utilization_busy", busy > 0 && peak ? st.flops / busy / peak->value() : kNaN,
      "");
  add("hbm_bandwidth_utilization_busy",
      busy > 0 ? st.hbm_bytes / busy / gpu.hbm_bandwidth.value() : kNaN, "");
  // Where the busy time went (shares of all iterations' time, all replicas).
  const double total = st.busy.total();
  add("busy_share_compute", total > 0 ? st.busy.compute / total : kNaN, "");
  add("busy_share_hbm", total > 0 ? st.busy.memory / total : kNaN, "");
  add("busy_share_comm", total > 0 ? st.busy.comm / total : kNaN, "");
  add("busy_share_host", total > 0 ? st.busy.host / total : kNaN, "");
  add("mean_clock_ratio_busy", busy > 0 ? st.clock_weighted_seconds / busy : kNaN, "");
  add("throttled_share_busy", busy > 0 ? st.throttled_seconds / busy : kNaN, "");
  if (model_.uses_fabric()) {
    // Scale-out communication on the plant's fabric (serving.hpp): its closed form, the wait
    // beyond it for links shared with other traffic, and their ratio (1: nothing shared).
    const auto stretch = [](double closed, double extra) {
      return closed > 0 ? (closed + extra) / closed : kNaN;
    };
    add("scale_out_comm_closed_form", st.scale_out_comm_seconds, "s");
    add("scale_out_comm_extra", st.scale_out_extra_seconds, "s");
    add("scale_out_comm_stretch", stretch(st.scale_out_comm_seconds, st.scale_out_extra_seconds),
        "");
    add("scale_out_bytes", st.scale_out_bytes, "B");
    for (int r = 0; r < model_.replicas(); ++r) {
      const auto [closed, extra] = model_.replica_scale_out(r);
      add(fmt::format("replica{}_scale_out_comm_extra", r), extra, "s");
      add(fmt::format("replica{}_scale_out_comm_stretch", r), stretch(closed, extra), "");
    }
  }
  if (model_.kv_on_fabric()) {
    // KV transfers between domains on the fabric: their closed form, the wait beyond it.
    add("kv_transfer_closed_form", st.kv_transfer_closed_form_seconds, "s");
    add("kv_transfer_extra", st.kv_transfer_extra_seconds, "s");
    add("kv_transfer_stretch",
        st.kv_transfer_closed_form_seconds > 0
            ? (st.kv_transfer_closed_form_seconds + st.kv_transfer_extra_seconds) /
                  st.kv_transfer_closed_form_seconds
            : kNaN,
        "");
  }
}

void ServingWorkload::write_tables(sim::h5::ResultFile& f) const {
  sim::h5::Table req;
  std::vector<std::int64_t> id, replica, prompt, output, generated, requeued, preempted,
      decode_replica;
  std::vector<double> arrival, first_token, completion;
  std::vector<std::string> status;
  for (const RequestRecord& r : model_.requests()) {
    id.push_back(r.id);
    replica.push_back(r.replica);
    arrival.push_back(r.arrival.seconds());
    first_token.push_back(r.first_token ? r.first_token->seconds() : kNaN);
    completion.push_back(r.completion ? r.completion->seconds() : kNaN);
    prompt.push_back(r.prompt_tokens);
    output.push_back(r.output_tokens);
    generated.push_back(r.generated_tokens);
    requeued.push_back(r.requeued);
    preempted.push_back(r.preempted);
    decode_replica.push_back(r.decode_replica);
    status.push_back(status_name(r.status));
  }
  req.add("id", "", id)
      .add("replica", "", replica)
      .add("arrival", "s", arrival)
      .add("first_token", "s", first_token)
      .add("completion", "s", completion)
      .add("prompt_tokens", "tokens", prompt)
      .add("output_tokens", "tokens", output)
      .add("generated_tokens", "tokens", generated)
      .add("requeued", "", requeued)
      .add("preempted", "", preempted)
      .add("decode_replica", "", decode_replica)
      .add("status", status);
  if (spec_.serving.users.at_distance()) {
    std::vector<std::int64_t> region;
    std::vector<double> light;
    for (const RequestRecord& r : model_.requests()) {
      region.push_back(r.region);
      light.push_back(r.user_light.value());
    }
    req.add("region", "", region).add("user_light", "s", light);
  }
  f.write_table("/requests", req);
}

std::string ServingWorkload::headline() const {
  const ServingSpec& sp = spec_.serving;
  std::string layout = fmt::format("tensor parallel {}", sp.tensor_parallel);
  if (sp.expert_parallel > 1) layout += fmt::format(", expert parallel {}", sp.expert_parallel);
  if (sp.pipeline_parallel > 1)
    layout += fmt::format(", pipeline parallel {}", sp.pipeline_parallel);
  if (sp.prefill_replicas > 0)
    layout += fmt::format("; {} prefill + {} decode replicas", sp.prefill_replicas,
                          sp.replicas - sp.prefill_replicas);
  if (sp.kv_admission == KvAdmission::paged)
    layout += fmt::format("; paged KV ({}-token blocks)", sp.kv_block_tokens);
  if (sp.users.at_distance()) {
    double nearest = sp.users.regions.front().distance.kilometers(), farthest = nearest;
    for (const UserRegion& g : sp.users.regions) {
      nearest = std::min(nearest, g.distance.kilometers());
      farthest = std::max(farthest, g.distance.kilometers());
    }
    layout += nearest == farthest ? fmt::format("; users {:g} km away", nearest)
                                  : fmt::format("; users {:g}-{:g} km away", nearest, farthest);
  }
  return fmt::format("{} on {} replica(s) x {} {} ({})", spec_.llm.name, sp.replicas,
                     sp.gpus_per_replica(), model_.gpu().name, layout);
}

std::optional<std::string> ServingWorkload::wall_effect(const sim::WallResult& w,
                                                        const Metrics& m) const {
  const double pct = spec_.slo.percentile * 100;
  const UserSpec& users = spec_.serving.users;
  if (w.name == "slo.ttft") {
    std::string at_user;
    if (users.at_distance())
      at_user = fmt::format(" at the user (p{:g} light {:.1f} ms of it)", pct,
                            metric_value(m, "user_light_at_slo_percentile") * 1e3);
    return fmt::format("p{:g} time to first token {:.1f} ms{} against a target of {:.1f} ms", pct,
                       metric_value(m, "ttft_at_slo_percentile") * 1e3, at_user,
                       spec_.slo.ttft.value() * 1e3);
  }
  if (w.name == "users.propagation") {
    return fmt::format(
        "p{:g} light in fiber before the first token {:.1f} ms ({} round trip(s) over {:g}x the "
        "great-circle distance, n = {:g}) = {:.1f} % of the {:.1f} ms TTFT target; light alone "
        "fills {:g} % of it from {:.0f} km",
        pct, metric_value(m, "user_light_at_slo_percentile") * 1e3, 1 + users.handshake_round_trips,
        users.path_factor, users.refractive_index,
        100 * metric_value(m, "propagation_share_ttft_slo"), spec_.slo.ttft.value() * 1e3,
        100 * wall_threshold_, metric_value(m, "propagation_wall_distance") / 1e3);
  }
  if (w.name == "slo.tpot") {
    return fmt::format("p{:g} time per output token {:.1f} ms against a target of {:.1f} ms", pct,
                       metric_value(m, "tpot_at_slo_percentile") * 1e3,
                       spec_.slo.tpot.value() * 1e3);
  }
  if (w.kind == "hbm_capacity" && w.name.starts_with("replica[")) {
    return fmt::format(
        "the KV cache was full: new requests waited for space {} times (p99 TTFT {:.1f} ms)",
        static_cast<std::int64_t>(metric_value(m, "kv_blocked_admissions")),
        metric_value(m, "ttft_p99") * 1e3);
  }
  if (w.name.starts_with("replica[") && w.name.ends_with(".saturation")) {
    const int r = std::stoi(w.name.substr(8));
    const BusySplit& b = model_.replica_saturated(r).total() > 0 ? model_.replica_saturated(r)
                                                                 : model_.replica_busy(r);
    const double t = b.total();
    return fmt::format(
        "iterations ran back to back and left requests waiting; the busy time was {:.0f} % "
        "compute-bound kernels, {:.0f} % HBM-bound kernels, {:.0f} % communication, {:.0f} % host "
        "overhead: {} bound it. Throughput {:.0f} tokens/s against {:.2f} requests/s arriving "
        "(p99 TTFT {:.1f} ms)",
        100 * b.compute / t, 100 * b.memory / t, 100 * b.comm / t, 100 * b.host / t, w.kind,
        metric_value(m, "throughput_output_tokens"), metric_value(m, "arrival_rate"),
        metric_value(m, "ttft_p99") * 1e3);
  }
  return std::nullopt;
}

void ServingWorkload::print_summary(std::ostream& out, const Metrics& m) const {
  auto ms = [](double s) {
    return std::isnan(s) ? std::string("-") : fmt::format("{:.1f} ms", s * 1e3);
  };
  out << fmt::format(
      "throughput  {:.1f} output tokens/s, {:.2f} requests/s over the {:.0f} s arrival window "
      "({:.2f} requests/s arrived; {:.1f} tokens/s over the whole run)\n",
      metric_value(m, "throughput_output_tokens"), metric_value(m, "throughput_requests"),
      (horizon_ - sim::SimTime::zero()).seconds().value(), metric_value(m, "arrival_rate"),
      metric_value(m, "throughput_output_tokens_whole_run"));
  const double pct = spec_.slo.percentile * 100;
  // With users at a distance, the SLO is judged at the user (the "users" line below).
  out << fmt::format("TTFT        p50 {}  p90 {}  p99 {}   ({} p{:g} <= {})\n",
                     ms(metric_value(m, "ttft_p50")), ms(metric_value(m, "ttft_p90")),
                     ms(metric_value(m, "ttft_p99")),
                     spec_.serving.users.at_distance() ? "at the site; SLO at the user" : "SLO",
                     pct, ms(spec_.slo.ttft.value()));
  out << fmt::format("TPOT        p50 {}  p90 {}  p99 {}   (SLO p{:g} <= {})\n",
                     ms(metric_value(m, "tpot_p50")), ms(metric_value(m, "tpot_p90")),
                     ms(metric_value(m, "tpot_p99")), pct, ms(spec_.slo.tpot.value()));
  if (spec_.serving.users.at_distance()) {
    out << fmt::format(
        "users       TTFT at the user p50 {}  p99 {}; E2E p50 {}  p99 {}; light in fiber p50 {} "
        "= {:.1f} % of the TTFT target at p{:g} (all of {:g} % from {:.0f} km)\n",
        ms(metric_value(m, "ttft_user_p50")), ms(metric_value(m, "ttft_user_p99")),
        ms(metric_value(m, "e2e_user_p50")), ms(metric_value(m, "e2e_user_p99")),
        ms(metric_value(m, "user_light_p50")), 100 * metric_value(m, "propagation_share_ttft_slo"),
        pct, 100 * wall_threshold_, metric_value(m, "propagation_wall_distance") / 1e3);
  }
  out << fmt::format(
      "busy time   {:.0f} % compute-bound kernels, {:.0f} % HBM-bound, {:.0f} % communication, "
      "{:.0f} % host; achieved {:.0f} % of peak FLOP/s and {:.0f} % of HBM bandwidth while busy\n",
      100 * metric_value(m, "busy_share_compute"), 100 * metric_value(m, "busy_share_hbm"),
      100 * metric_value(m, "busy_share_comm"), 100 * metric_value(m, "busy_share_host"),
      100 * metric_value(m, "model_flops_utilization_busy"),
      100 * metric_value(m, "hbm_bandwidth_utilization_busy"));
  if (spec_.serving.kv_admission == KvAdmission::paged) {
    out << fmt::format(
        "paged KV    {} preemptions (recompute), {} tokens prefilled again; at most "
        "{} requests running on a replica\n",
        static_cast<std::int64_t>(metric_value(m, "preemptions")),
        static_cast<std::int64_t>(metric_value(m, "recomputed_tokens")),
        static_cast<std::int64_t>(metric_value(m, "max_running_requests")));
  }
  if (spec_.serving.prefill_replicas > 0) {
    out << fmt::format(
        "KV transfer {} prefill -> decode hand-offs, {} per request, p50 {} p99 {} on the wire "
        "(p99 {} with the queue on the prefill replica's links)\n",
        static_cast<std::int64_t>(metric_value(m, "kv_transfers")),
        sim::format_quantity(metric_value(m, "kv_transfer_bytes_per_request"), sim::dims::bytes, 4),
        ms(metric_value(m, "kv_transfer_time_p50")), ms(metric_value(m, "kv_transfer_time_p99")),
        ms(metric_value(m, "kv_handoff_time_p99")));
    if (model_.kv_on_fabric())
      out << fmt::format(
          "            across servers on the plant's network: {:.3f} s in closed form, +{:.3f} s "
          "waiting for links shared with other traffic: stretch {:.3f}\n",
          metric_value(m, "kv_transfer_closed_form"), metric_value(m, "kv_transfer_extra"),
          metric_value(m, "kv_transfer_stretch"));
  }
  if (spec_.serving.expert_parallel > 1) {
    out << fmt::format(
        "experts     {} routed experts over {} GPUs; the most loaded GPU has {:.2f}x "
        "the mean expert load at the mean batch\n",
        spec_.llm.moe->routed_experts, spec_.serving.expert_parallel,
        metric_value(m, "expert_load_max_over_mean"));
  }
  if (model_.uses_fabric()) {
    std::string per_replica;
    for (int r = 0; r < model_.replicas(); ++r)
      per_replica +=
          fmt::format("{}replica[{}] {:.3f}", r == 0 ? "" : ", ", r,
                      metric_value(m, fmt::format("replica{}_scale_out_comm_stretch", r)));
    out << fmt::format(
        "scale-out   {:.3f} s of cross-server communication in closed form, +{:.3f} s waiting for "
        "links shared with other traffic: stretch {:.3f} ({})\n",
        metric_value(m, "scale_out_comm_closed_form"), metric_value(m, "scale_out_comm_extra"),
        metric_value(m, "scale_out_comm_stretch"), per_replica);
  }
  out << fmt::format(
      "KV cache    {} tokens per replica ({} per token per GPU), weights {} per GPU\n",
      static_cast<std::int64_t>(metric_value(m, "kv_capacity_tokens_per_replica")),
      sim::format_quantity(metric_value(m, "kv_bytes_per_token_per_gpu"), sim::dims::bytes, 4),
      sim::format_quantity(metric_value(m, "weights_per_gpu"), sim::dims::bytes, 4));
}

}  // namespace models
