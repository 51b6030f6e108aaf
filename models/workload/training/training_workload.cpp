#include "models/workload/training/training_workload.hpp"

#include "models/workload/training/fabric_file.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "models/common/paths.hpp"
#include "models/network/network_spec.hpp"
#include "models/plant/plant_spec.hpp"
#include "models/scenario/catalog.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/training/plant_fabric.hpp"
#include "sim/quantity.hpp"

namespace models::training {

using sim::config::Bounds;
using sim::config::Diagnostics;
using sim::config::Location;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<std::string_view, 3> kRecompute{"none", "selective", "full"};
constexpr std::array<std::string_view, 2> kAttention{"flash", "unfused"};
constexpr std::array<std::string_view, 2> kOrders{"tp-cp-dp-pp", "tp-cp-pp-dp"};
constexpr std::array<std::string_view, 2> kOverflow{"error", "wall"};

Location location_of(Reader& r, std::string_view key) {
  const Node* n = r.node(key, Need::optional);
  return n ? n->location() : r.location();
}

std::string gigabytes(double b) {
  return fmt::format("{:.1f} GB", b / 1e9);
}

}  // namespace

std::shared_ptr<const WorkloadSpec> read_training_workload(Reader& w,
                                                           const WorkloadReadContext& context) {
  auto spec = std::make_shared<TrainingWorkloadSpec>();
  Diagnostics& diags = w.diagnostics();
  const std::size_t errors_before = diags.size();
  TrainingSpec& t = spec->training;

  // The model: a catalog name, or the dimensions inline (llms.yaml's format).
  const LlmSpec* llm = nullptr;
  std::string model_name;
  std::optional<LlmSpec> inline_model;
  if (const Node* m = w.node("model", Need::optional); m && m->is_mapping()) {
    Reader mr = w.section("model", Need::required);
    const std::string name = mr.string("name", Need::optional).value_or("inline model");
    inline_model = read_llm(mr, name);
    mr.finish();
    llm = &*inline_model;
    model_name = name;
  } else {
    llm = catalog_lookup(w, "model", context.catalog.llms, "model", "llms.yaml", model_name);
  }

  // Parallelism, with the location of each key for the cross-checks below.
  std::map<std::string, Location> where;
  Reader par = w.section("parallel", Need::required);
  Parallelism& p = t.parallel;
  auto dim = [&](const char* key, Need need, int& out) {
    where[key] = location_of(par, key);
    if (auto v = par.integer(key, need, Bounds::between(1, 1 << 20))) out = static_cast<int>(*v);
  };
  dim("tp", Need::required, p.tp);
  dim("pp", Need::required, p.pp);
  dim("dp", Need::required, p.dp);
  dim("vp", Need::optional, p.vp);
  dim("cp", Need::optional, p.cp);
  dim("ep", Need::optional, p.ep);
  if (auto o = par.choice("order", kOrders, Need::optional)) p.order = *parse_rank_order(*o);
  const Location parallel_at = par.location();
  par.finish();
  p.sequence_parallel = w.boolean("sequence_parallel", Need::optional).value_or(true);
  p.distributed_optimizer = w.boolean("distributed_optimizer", Need::optional).value_or(true);
  t.overlap_dp = w.boolean("overlap_dp", Need::optional).value_or(true);
  t.seq_len = static_cast<int>(
      w.integer("seq_len", Need::required, Bounds::between(1, 1 << 24)).value_or(1));
  t.global_batch = static_cast<int>(
      w.integer("global_batch", Need::required, Bounds::between(1, 1e9)).value_or(1));
  t.micro_batch = static_cast<int>(
      w.integer("micro_batch", Need::optional, Bounds::between(1, 1e9)).value_or(1));
  t.recompute =
      *parse_recompute(w.choice("recompute", kRecompute, Need::optional).value_or("none"));
  t.attention =
      *parse_attention_impl(w.choice("attention", kAttention, Need::optional).value_or("flash"));
  if (auto d = w.choice("dtype", kDTypeNames, Need::optional)) t.dtype = *parse_dtype(*d);
  const bool gpus_given = w.has("gpus");
  t.gpus = static_cast<int>(
      w.integer("gpus", Need::optional, Bounds::between(1, 1e8)).value_or(context.gpus_in_plant));

  // The job: tokens or steps, exactly one.
  const bool has_tokens = w.has("tokens"), has_steps = w.has("steps");
  const auto tokens = w.number("tokens", Need::optional, Bounds::positive());
  const auto steps = w.integer("steps", Need::optional, Bounds::between(1, 1e12));
  if (has_tokens == has_steps) {
    diags.add(has_steps ? location_of(w, "steps") : w.location(), w.path_of("tokens"),
              has_steps ? "give tokens or steps, not both"
                        : "missing required key (or give steps): the job to train");
  }
  if (auto s = w.integer("simulated_steps", Need::optional, Bounds::between(1, 1e9)))
    spec->simulated_steps = *s;
  spec->hbm_overflow_is_wall =
      w.choice("hbm_overflow", kOverflow, Need::optional).value_or("error") == "wall";
  if (const Node* cal = w.node("calibration", Need::optional)) {
    if (auto path = w.string("calibration", Need::optional))
      spec->calibration = resolve_relative(cal->location(), *path);
  }

  // The fabric: the plant's network (plant_fabric.hpp); a plant too large to build one falls
  // back to the DGX fabric of its GPU. `workload.fabric` overrides either, key by key.
  const GpuSpec* gpu = context.gpu;
  std::optional<Fabric> base;
  const PlantSpec* plant = context.plant;
  if (gpu && plant && plant->network && plant->topology && t.gpus <= context.gpus_in_plant) {
    try {
      // Earlier workloads of the scenario took the plant's first GPUs (placement in order).
      const int first_gpu = std::max(0, plant->gpus() - context.gpus_in_plant);
      PlantFabric pf = plant_fabric(*plant->network, *plant->topology, *gpu, t.gpus, first_gpu);
      base = std::move(pf.fabric);
      spec->layout = pf.layout;
    } catch (const PlantFabricError& e) {
      // No `fabric:` makes up for cables the plant does not have: its flows need routes.
      diags.add(plant->network->where, plant->network->path + "." + e.key(), e.what());
    }
  }
  if (!base && gpu) base = dgx_fabric(*gpu);
  {
    Reader f = w.section("fabric", Need::optional);
    Fabric fab = base.value_or(Fabric{});
    const bool need_tiers = gpu && !base;
    if (need_tiers && !w.has("fabric")) {
      diags.add(w.location(), w.path_of("fabric"),
                "no DGX fabric is documented for " + gpu->name +
                    " and the plant has no network: give fabric.scale_up and fabric.scale_out");
    }
    fab.gpus_per_node = static_cast<int>(
        f.integer("gpus_per_node", Need::optional, Bounds::between(1, 1024))
            .value_or(base ? base->gpus_per_node : std::max(1, context.gpus_per_domain)));
    fab.scale_up = read_link_tier(f, "scale_up", fab.scale_up, need_tiers && w.has("fabric"));
    fab.scale_out = read_link_tier(f, "scale_out", fab.scale_out, need_tiers && w.has("fabric"));
    if (!base) fab.name = "scenario";
    if (auto v = f.integer("pod_gpus", Need::optional, Bounds::between(1, 1e8)))
      spec->layout.pod_gpus = static_cast<int>(*v);
    if (auto v = f.number("above_pod_oversubscription", Need::optional, Bounds::at_least(1)))
      spec->layout.above_pod_oversubscription = *v;
    f.finish();
    spec->fabric = fab;
  }
  if (w.has("sites")) {
    Reader s = w.section("sites", Need::optional);
    spec->layout.sites =
        static_cast<int>(s.integer("count", Need::required, Bounds::between(1, 2)).value_or(1));
    spec->layout.fiber_length =
        network::read_length(s, "fiber_length", Need::required).value_or(network::Length{});
    spec->layout.site_bandwidth = sim::BytesPerSecond(
        s.quantity("bandwidth", sim::dims::byte_rate, Need::required, Bounds::positive())
            .value_or(1));
    spec->layout.refractive_index =
        s.number("refractive_index", Need::optional, Bounds::between(1, 3))
            .value_or(network::kFiberRefractiveIndex);
    s.finish();
  }
  spec->group_size = std::max(1, context.gpus_per_domain);
  spec->layout.gpus = t.gpus;

  // Cross-checks, once each part reads cleanly.
  if (llm) t.model = *llm;
  if (!llm || !gpu || diags.size() != errors_before) return spec;
  for (const SpecProblem& problem : check_training_spec(t)) {
    std::string path = w.path_of(problem.field);
    Location at = location_of(w, problem.field);
    std::string message = problem.message;
    if (problem.field == "gpus") {
      if (!gpus_given) {
        path = w.path_of("parallel");
        at = parallel_at;
        message += " (the plant's GPUs; set workload.gpus to use part of them)";
      }
    } else if (problem.field == "layers") {
      path = w.path_of("parallel") + ".pp";
      at = where["pp"];
    } else if (problem.field == "heads" || problem.field == "kv_heads") {
      path = w.path_of("parallel") + ".tp";
      at = where["tp"];
    } else if (where.count(problem.field)) {
      path = w.path_of("parallel") + "." + problem.field;
      at = where[problem.field];
    }
    diags.add(at, path, message);
  }
  if (diags.size() != errors_before) return spec;
  const Location gpus_at = gpus_given ? location_of(w, "gpus") : parallel_at;
  const std::string gpus_path = gpus_given ? w.path_of("gpus") : w.path_of("parallel");
  if (t.gpus > context.gpus_in_plant) {
    diags.add(
        gpus_at, gpus_path,
        fmt::format("the job needs {} GPUs; the plant has {}", t.gpus, context.gpus_in_plant));
  } else if (t.gpus % spec->group_size != 0) {
    diags.add(gpus_at, gpus_path,
              fmt::format("the job's {} GPUs must fill whole scale-up domains of {} GPUs", t.gpus,
                          spec->group_size));
  }
  if (spec->layout.sites > 1 && t.gpus % (2 * spec->group_size) != 0) {
    diags.add(location_of(w, "sites"), w.path_of("sites.count"),
              fmt::format("{} GPUs do not split into two sites of whole scale-up domains", t.gpus));
  }
  if (spec->fabric.gpus_per_node > 0 && t.gpus % spec->fabric.gpus_per_node != 0) {
    diags.add(location_of(w, "fabric"), w.path_of("fabric.gpus_per_node"),
              fmt::format("must divide the job's {} GPUs", t.gpus));
  }
  if (!gpu->peak(t.dtype)) {
    diags.add(location_of(w, "dtype"), w.path_of("dtype"),
              gpu->name + " has no " + std::string(to_string(t.dtype)) + " tensor cores");
  }
  const MemoryEstimate mem = estimate_memory(t);
  if (mem.total() > gpu->hbm_capacity && !spec->hbm_overflow_is_wall) {
    diags.add(
        location_of(w, "micro_batch"), w.path_of("micro_batch"),
        fmt::format("the worst pipeline stage needs {} per GPU ({} weights, gradients and "
                    "optimizer state, {} activations) but {} has {}; lower micro_batch, "
                    "recompute more, split further, or set hbm_overflow: wall to run "
                    "anyway",
                    gigabytes(mem.total().value()), gigabytes(mem.weights_and_optimizer.value()),
                    gigabytes(mem.activations.value()), gpu->name,
                    gigabytes(gpu->hbm_capacity.value())));
  }
  spec->tokens_to_train = has_tokens
                              ? tokens.value_or(0)
                              : static_cast<double>(steps.value_or(0)) * spec->tokens_per_step();
  return spec;
}

GpuRequest TrainingWorkloadSpec::gpus() const {
  return GpuRequest{"train", training.gpus / group_size, group_size};
}

std::unique_ptr<Workload> TrainingWorkloadSpec::build(const WorkloadContext& context,
                                                      std::vector<GpuGroup*> groups) const {
  return std::make_unique<TrainingWorkload>(*this, context, std::move(groups));
}

// ---------------------------------------------------------------------------------------

namespace {

CollectiveParts parts_of(const ClusterCollectives& c, const CollectiveCall& call) {
  using Op = CollectiveCall::Op;
  switch (call.op) {
    case Op::reduce_scatter:
      return c.reduce_scatter_parts(call.size, call.group);
    case Op::all_gather:
      return c.all_gather_parts(call.size, call.group);
    case Op::all_reduce:
      return c.all_reduce_parts(call.size, call.group);
    case Op::send_recv:
      return c.send_recv_parts(call.size, call.group);
  }
  return {};
}

}  // namespace

TrainingWorkload::TrainingWorkload(const TrainingWorkloadSpec& spec, const WorkloadContext& context,
                                   std::vector<GpuGroup*> groups)
    : spec_(spec), engine_(context.engine), walls_(context.walls), horizon_(context.horizon) {
  if (groups.empty()) throw std::invalid_argument("TrainingWorkload: no GPU groups");
  gpu_ = groups.front()->gpu();
  collectives_ = std::make_shared<ClusterCollectives>(spec_.fabric, spec_.layout);
  const TrainingStepModel model(spec_.training, gpu_, load_kernel_cost_model(spec_.calibration),
                                collectives_, spec_.fabric.gpus_per_node);
  report_ = model.step();
  const Parallelism& p = spec_.training.parallel;
  const StepBreakdown& d = report_.breakdown;

  // What of the pipeline sends and data-parallel collectives is spent between the sites:
  // each exposed call's cross-site share, in proportion (the exposed part of a partly hidden
  // collective is its tail; which of its steps that is is not modelled).
  sim::Seconds pp_cross(0), dp_cross(0);
  for (const CollectiveCall& call : report_.pp_dp_calls) {
    const CollectiveParts parts = parts_of(*collectives_, call);
    if (parts.total <= sim::Seconds(0)) continue;
    const sim::Seconds exposed =
        call.count * std::max(sim::Seconds(0), parts.total - call.hidden_behind);
    const double share = (exposed / parts.total).value();
    (call.op == CollectiveCall::Op::send_recv ? pp_cross : dp_cross) += share * parts.cross_site;
    propagation_ += share * parts.propagation;
  }
  cross_site_ = pp_cross + dp_cross;

  // Each stage's step as phases (see the README: the 1F1B wavefront). Stage s waits s/(p-1)
  // of the bubble's forward share before its first microbatch and finishes s/(p-1) of its
  // backward share early; the rest of its bubble (and any time it is faster than the
  // slowest stage) is spread over its microbatches as waiting.
  const int m = report_.microbatches;
  const double pp = p.pp;
  const sim::Seconds fb = report_.forward + report_.backward;
  sim::Seconds slowest(0);
  for (const KernelWork& w : report_.stage_microbatch)
    slowest = std::max(slowest, w.total() + report_.microbatch_comm);
  plans_.resize(static_cast<std::size_t>(p.pp));
  for (int s = 0; s < p.pp; ++s) {
    const KernelWork& w = report_.stage_microbatch[static_cast<std::size_t>(s)];
    const double edge = pp > 1 ? s / (pp - 1) : 0.0;
    const double fwd_share = fb > sim::Seconds(0) ? (report_.forward / fb).value() : 0.5;
    const sim::Seconds lead = edge * fwd_share * d.bubble;
    const sim::Seconds tail = edge * (1 - fwd_share) * d.bubble;
    const sim::Seconds own = w.total() + report_.microbatch_comm;
    const sim::Seconds middle =
        std::max(sim::Seconds(0), d.bubble - lead - tail + m * (slowest - own));
    std::vector<Phase>& plan = plans_[static_cast<std::size_t>(s)];
    auto wait = [&](PhaseKind k, sim::Seconds t) {
      if (t > sim::Seconds(0)) plan.push_back({k, GpuActivity{.idle = t}, sim::Seconds(0)});
    };
    wait(PhaseKind::fill, lead);
    const sim::Seconds comm = report_.microbatch_comm + d.pp_comm / static_cast<double>(m);
    for (int i = 0; i < m; ++i) {
      GpuActivity a;
      a.clocked = w.clocked;
      a.unclocked_busy = w.unclocked + comm;
      a.idle = middle / static_cast<double>(m);
      a.flops = w.flops;
      a.hbm_bytes = w.hbm_bytes;
      plan.push_back({PhaseKind::microbatch, a, comm});
    }
    wait(PhaseKind::drain, tail);
    if (d.dp_comm > sim::Seconds(0))
      plan.push_back({PhaseKind::dp_comm, GpuActivity{.unclocked_busy = d.dp_comm}, d.dp_comm});
    const KernelWork& o = report_.optimizer_work;
    plan.push_back({PhaseKind::optimizer,
                    GpuActivity{.clocked = o.clocked,
                                .unclocked_busy = o.unclocked,
                                .flops = o.flops,
                                .hbm_bytes = o.hbm_bytes},
                    sim::Seconds(0)});
  }

  last_microbatch_.assign(plans_.size(), 0);
  for (std::size_t st = 0; st < plans_.size(); ++st)
    for (std::size_t k = 0; k < plans_[st].size(); ++k)
      if (plans_[st][k].kind == PhaseKind::microbatch) last_microbatch_[st] = k;

  // Groups: one per scale-up domain, at its first rank's pipeline stage.
  const int stride = p.pp_stride();
  for (std::size_t i = 0; i < groups.size(); ++i) {
    GroupState g;
    g.group = groups[i];
    const int first_rank = static_cast<int>(i) * spec_.group_size;
    g.stage = (first_rank / stride) % p.pp;
    g.group->on_stop([this](sim::SimTime now) { on_stop(now); });
    groups_.push_back(g);
  }
  fabric_ = groups.front()->fabric(FabricUse::scale_out);
  if (fabric_) build_step_flows(groups);
  // Tensor parallelism inside each group (consecutive ranks), and context parallelism when its
  // rings (cp ranks tp apart) stay in the group: their collectives load the group's NVLink
  // ports (the plant's NVLink wall), costed in closed form.
  const int group_gpus = groups.front()->size();
  if (p.tp > 1 && group_gpus % p.tp == 0)
    scale_up_rings_.push_back({p.tp, 1, report_.microbatch_tp_ring_bytes});
  if (p.cp > 1 && group_gpus % (p.tp * p.cp) == 0)
    scale_up_rings_.push_back({p.cp, p.tp, report_.microbatch_cp_ring_bytes});
  if (!scale_up_rings_.empty()) scale_up_fabric_ = groups.front()->fabric(FabricUse::scale_up_load);
  tracer_ = engine_.tracer();
  if (tracer_) {
    for (GroupState& g : groups_) {
      g.steps_track = tracer_->track(g.group->name(), "steps");
      g.phases_track = tracer_->track(g.group->name(), "phases");
    }
    // What the exposed communication of a microbatch is (step_model.hpp): tensor-parallel
    // all-reduces (reduce-scatter + all-gather with sequence parallelism), context-parallel
    // K/V exchange, expert-parallel all-to-alls, pipeline sends.
    std::vector<std::string> kinds;
    if (p.tp > 1)
      kinds.emplace_back(p.sequence_parallel ? "reduce-scatter + all-gather (TP)"
                                             : "all-reduce (TP)");
    if (p.cp > 1) kinds.emplace_back("send/recv (CP)");
    if (p.ep > 1) kinds.emplace_back("all-to-all (EP)");
    if (p.pp > 1) kinds.emplace_back("send/recv (PP)");
    for (const std::string& k : kinds)
      microbatch_comm_kinds_ += (microbatch_comm_kinds_.empty() ? "" : " + ") + k;
    dp_comm_kinds_ =
        p.distributed_optimizer ? "reduce-scatter + all-gather (DP)" : "all-reduce (DP)";
  }

  // Walls. Each part of the step is judged against the step's compute time at full clock:
  // a part that takes as long as the work itself is a wall (the step is then bound by it
  // more than by the GPUs' arithmetic). Observed once per step.
  const double compute = d.compute.value();
  auto part = [&](const char* name, const char* kind) {
    return walls_.add(name, kind, compute, "s", sim::Aggregation::sample, 1.0);
  };
  walls_ids_.hbm = walls_.add("train.hbm_capacity", "hbm_capacity", report_.hbm_capacity.value(),
                              "B", sim::Aggregation::level);
  walls_.set_load(*walls_ids_.hbm, engine_.now(), report_.memory.total().value());
  if (compute > 0) {
    if (p.tp > 1) walls_ids_.tp = part("train.tp_comm", "network");
    if (p.pp > 1) walls_ids_.pp = part("train.pp_comm", "network");
    if (p.dp * p.cp > 1) walls_ids_.dp = part("train.dp_comm", "network");
    if (p.cp > 1) walls_ids_.cp = part("train.cp_comm", "network");
    if (p.ep > 1) walls_ids_.ep = part("train.ep_comm", "network");
    if (p.pp > 1) walls_ids_.bubble = part("train.pipeline_bubble", "pipeline");
    walls_ids_.optimizer = part("train.optimizer", "hbm_bandwidth");
    if (spec_.layout.sites > 1) {
      walls_ids_.site_link = part("sites.link", "network");
      walls_ids_.propagation = part("sites.propagation", "propagation");
    }
  }
  pp_cross_ = pp_cross;
  dp_cross_ = dp_cross;
}

void TrainingWorkload::build_step_flows(const std::vector<GpuGroup*>& groups) {
  // Rank r is GPU r % group_size of group r / group_size (placement in rank order).
  const Parallelism& p = spec_.training.parallel;
  const int gs = spec_.group_size;
  const int n = spec_.training.gpus;
  const double eta = spec_.fabric.scale_out.efficiency;  // wire bytes = payload / η
  // (from rank, to rank) -> payload, for the pipeline's and the data-parallel flows
  std::map<std::pair<int, int>, double> pp_bytes, dp_bytes;
  sim::Bytes boundary(0), grads(0), weights(0);
  for (const CollectiveCall& call : report_.pp_dp_calls) {
    switch (call.op) {
      case CollectiveCall::Op::send_recv:
        boundary = call.size;
        break;
      case CollectiveCall::Op::reduce_scatter:
        grads = call.size;
        break;
      case CollectiveCall::Op::all_gather:
        weights = call.size;
        break;
      case CollectiveCall::Op::all_reduce:
        grads = weights = call.size;
        break;
    }
  }
  // Pipeline: every microbatch crosses each stage boundary vp times forward (activations)
  // and vp times backward (gradients); interleaved, it also wraps from the last stage to the
  // first vp - 1 times each way (SC'21 §2.2).
  const int m = report_.microbatches;
  if (p.pp > 1 && boundary.value() > 0) {
    const int stride = p.pp_stride();
    for (int r = 0; r < n; ++r) {
      const int stage = (r / stride) % p.pp;
      if (stage + 1 < p.pp) {
        const double b = static_cast<double>(p.vp) * m * boundary.value();
        pp_bytes[{r, r + stride}] += b;
        pp_bytes[{r + stride, r}] += b;
      } else if (p.vp > 1) {
        const int first = r - (p.pp - 1) * stride;
        const double b = static_cast<double>(p.vp - 1) * m * boundary.value();
        pp_bytes[{r, first}] += b;
        pp_bytes[{first, r}] += b;
      }
    }
  }
  // Data parallel: the ring over each group's dp·cp ranks (same tensor index, same stage),
  // across servers on the rails: each member sends its (N-1)/N share of S/g to the member at
  // its position in the next server (alpha_beta_collectives.hpp). Reduce-scatter of the
  // gradients plus all-gather of the weights (all-reduce: both halves of the gradients).
  if (p.dp * p.cp > 1 && grads.value() > 0) {
    const int per_node = std::max(1, spec_.fabric.gpus_per_node);
    std::map<std::pair<int, int>, std::vector<int>> rings;  // (tp index, stage) -> ranks
    for (int r = 0; r < n; ++r) rings[{r % p.tp, (r / p.pp_stride()) % p.pp}].push_back(r);
    const double total = grads.value() + weights.value();
    // A ring over `members` across their servers: each sends (N-1)/N of S/g to its peer in
    // the next server.
    auto ring = [&](const std::vector<int>& members) {
      const int size = static_cast<int>(members.size());
      int g = 0;  // members in the first member's server
      for (int r : members) g += r / per_node == members.front() / per_node ? 1 : 0;
      if (g < 1 || size % g != 0 || size / g < 2) return;
      const double servers = size / g;
      const double b = (servers - 1) / servers / g * total;
      for (int j = 0; j < size; ++j)
        dp_bytes[{members[static_cast<std::size_t>(j)],
                  members[static_cast<std::size_t>((j + g) % size)]}] += b;
    };
    const bool two_sites = spec_.layout.sites == 2;
    for (const auto& [key, members] : rings) {
      // Over two sites the collective is hierarchical (cluster_collectives.hpp): a ring in
      // each site, then each member exchanges its S/n shard with its peer across.
      std::vector<int> a, b;
      for (int r : members) (r < n / 2 ? a : b).push_back(r);
      if (!two_sites || a.empty() || a.size() != b.size()) {
        ring(members);
        continue;
      }
      ring(a);
      ring(b);
      const double shard = total / static_cast<double>(members.size());
      for (std::size_t j = 0; j < a.size(); ++j) {
        dp_bytes[{a[j], b[j]}] += shard;
        dp_bytes[{b[j], a[j]}] += shard;
      }
    }
  }
  // By destination, both sets together: the router keeps a bounded cache of distance
  // vectors, one per destination (models/network/routing.hpp), so each is computed once.
  struct Pending {
    int from, to;
    double payload;
    FlowSet* set;
  };
  std::vector<Pending> all;
  for (const auto& [pair, payload] : pp_bytes)
    all.push_back({pair.first, pair.second, payload, &pp_set_});
  for (const auto& [pair, payload] : dp_bytes)
    all.push_back({pair.first, pair.second, payload, &dp_set_});
  std::stable_sort(all.begin(), all.end(), [](const Pending& x, const Pending& y) {
    return std::pair(x.to, x.from) < std::pair(y.to, y.from);
  });
  for (const Pending& f : all) {
    const FabricTransfer t{groups.at(static_cast<std::size_t>(f.from / gs)), f.from % gs,
                           groups.at(static_cast<std::size_t>(f.to / gs)), f.to % gs,
                           sim::Bytes(f.payload / eta)};
    if (f.payload <= 0 || !fabric_->scale_out(t)) continue;
    f.set->flows.push_back(t);
    f.set->bytes += t.bytes.value();
  }
}

void TrainingWorkload::start() {
  begin_step(engine_.now());
}

void TrainingWorkload::begin_step(sim::SimTime now) {
  const bool more = now < horizon_ && !stopped_ &&
                    (!spec_.simulated_steps || steps_started_ < *spec_.simulated_steps);
  if (!more) {
    in_step_ = false;
    for (GroupState& g : groups_) g.group->go_idle(now);
    engine_.stop();
    return;
  }
  ++steps_started_;
  in_step_ = true;
  step_start_ = now;
  running_ = groups_.size();
  barrier_pending_ = false;
  dp_requested_ = false;
  ++flow_epoch_;
  for (FlowSet* set : {&pp_set_, &dp_set_}) {
    set->ran = set->running = false;
    set->taken = sim::Seconds(0);
  }
  if (fabric_ && !pp_set_.flows.empty()) start_set(pp_set_, now);
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    GroupState& g = groups_[i];
    g.phase = 0;
    g.record = StepRecord{};
    g.record.start = now;
    g.clock_weighted = g.busy = 0;
    g.compute_energy = g.compute_time = g.comm_energy = g.comm_time = 0;
    run_phase(i, now);
  }
}

void TrainingWorkload::trace_phase(GroupState& g, sim::SimTime end, const char* cut) {
  if (!g.phase_start) return;
  const sim::SimTime start = *g.phase_start;
  g.phase_start.reset();
  const Phase& ph = plans_[static_cast<std::size_t>(g.stage)][g.phase - 1];
  const char* ended = cut ? cut : "completed";
  const auto index = static_cast<std::int64_t>(g.phase - 1);
  switch (ph.kind) {
    case PhaseKind::fill:
      tracer_->slice(g.phases_track, "pipeline fill (bubble)", start, end, {{"ended", ended}});
      break;
    case PhaseKind::drain:
      tracer_->slice(g.phases_track, "pipeline drain (bubble)", start, end, {{"ended", ended}});
      break;
    case PhaseKind::microbatch: {
      tracer_->slice(g.phases_track, "microbatch", start, end,
                     {{"phase", index}, {"stage", g.stage}, {"ended", ended}});
      if (cut) break;
      // Inside it: the exposed communication, then the wait for the slowest stage (the
      // bubble spread over the microbatches); where the communication falls among the
      // kernels is not modelled, so it is one block before the wait.
      const sim::Duration wait = sim::Duration::from_seconds(ph.activity.idle);
      const sim::Duration comm = sim::Duration::from_seconds(ph.comm);
      const sim::SimTime wait_start = end - wait;
      if (comm > sim::Duration::ns(0) && wait_start - comm >= start)
        tracer_->slice(g.phases_track, "collectives", wait_start - comm, wait_start,
                       {{"kinds", microbatch_comm_kinds_}});
      if (wait > sim::Duration::ns(0) && wait_start >= start)
        tracer_->slice(g.phases_track, "pipeline wait (bubble)", wait_start, end);
      break;
    }
    case PhaseKind::dp_comm:
      tracer_->slice(g.phases_track, "data-parallel collectives", start, end,
                     {{"kinds", dp_comm_kinds_}, {"ended", ended}});
      break;
    case PhaseKind::optimizer:
      tracer_->slice(g.phases_track, "optimizer", start, end, {{"ended", ended}});
      break;
  }
  if (cut) {
    tracer_->slice(g.steps_track, "step", step_start_, end,
                   {{"step", steps_started_}, {"ended", cut}});
  }
}

void TrainingWorkload::run_phase(std::size_t i, sim::SimTime now) {
  if (stopped_) return;
  GroupState& g = groups_[i];
  if (tracer_) trace_phase(g, now, nullptr);
  const std::vector<Phase>& plan = plans_[static_cast<std::size_t>(g.stage)];
  if (g.phase >= plan.size()) {
    on_group_done(i, now);
    return;
  }
  const Phase& ph = plan[g.phase++];
  if (!dp_requested_ && g.phase - 1 == last_microbatch_[static_cast<std::size_t>(g.stage)]) {
    // The first group to begin its last microbatch: the gradients' reduce-scatter follows
    // its backward. The data-parallel flows start now, or once the pipeline's have arrived
    // (so that the job's own two sets never share a link).
    dp_requested_ = true;
    if (fabric_ && !dp_set_.flows.empty() && !pp_set_.running) start_set(dp_set_, now);
  }
  const IterationRun run = g.group->begin_iteration(now, ph.activity);
  if (scale_up_fabric_) {  // replaces the previous phase's: none outside microbatches
    scale_up_fabric_->scale_up_load(*g.group,
                                    ph.kind == PhaseKind::microbatch
                                        ? std::span<const ScaleUpRing>(scale_up_rings_)
                                        : std::span<const ScaleUpRing>(),
                                    run.duration);
  }
  if (tracer_) g.phase_start = now;
  const double dur = run.duration.seconds().value();
  const double waiting = ph.activity.idle.value();
  StepRecord& r = g.record;
  switch (ph.kind) {
    case PhaseKind::fill:
    case PhaseKind::drain:
      r.bubble += sim::Seconds(dur);
      break;
    case PhaseKind::microbatch:
      r.bubble += sim::Seconds(waiting);
      r.comm += ph.comm;
      r.compute += sim::Seconds(dur - waiting) - ph.comm;
      g.compute_energy += run.power_per_gpu.value() * dur;
      g.compute_time += dur;
      break;
    case PhaseKind::dp_comm:
      r.comm += sim::Seconds(dur);
      g.comm_energy += run.power_per_gpu.value() * dur;
      g.comm_time += dur;
      break;
    case PhaseKind::optimizer:
      r.optimizer += sim::Seconds(dur);
      break;
  }
  if (dur - waiting > 0 && ph.kind != PhaseKind::fill && ph.kind != PhaseKind::drain) {
    g.clock_weighted += run.clock_ratio * (dur - waiting);
    g.busy += dur - waiting;
  }
  engine_.schedule_at(
      now + run.duration, [this, i] { run_phase(i, engine_.now()); }, "train.phase");
}

void TrainingWorkload::on_group_done(std::size_t i, sim::SimTime now) {
  GroupState& g = groups_[i];
  g.record.end = now;
  g.group->go_idle(now);  // waits for the others at the step's end
  if (tracer_) {
    tracer_->slice(g.steps_track, "step", step_start_, now,
                   {{"step", steps_started_}, {"stage", g.stage}, {"ended", "completed"}});
  }
  if (--running_ > 0) return;
  // The last group to finish set the step's length: its split is the step's. Groups that
  // finish together (every stage at full clock) are told apart by their compute: the
  // slowest stage's split is the step's.
  std::size_t critical = i;
  for (std::size_t k = 0; k < groups_.size(); ++k)
    if (groups_[k].record.end == now &&
        groups_[k].record.compute > groups_[critical].record.compute)
      critical = k;
  const GroupState& c = groups_[critical];
  StepRecord r = c.record;
  r.start = step_start_;
  r.end = now;
  r.barrier = sim::Seconds(0);
  r.cross_site = cross_site_;
  r.propagation = propagation_;
  r.clock_ratio = c.busy > 0 ? c.clock_weighted / c.busy : 1.0;
  r.compute_power_per_gpu = c.compute_time > 0 ? c.compute_energy / c.compute_time : kNaN;
  r.comm_power_per_gpu = c.comm_time > 0 ? c.comm_energy / c.comm_time : kNaN;
  pending_ = r;
  barrier_at_ = now;
  if (flows_pending()) {
    barrier_pending_ = true;  // on_set_done closes the step
    return;
  }
  close_step(now);
}

bool TrainingWorkload::flows_pending() const {
  const bool dp_waiting = dp_requested_ && !dp_set_.ran && fabric_ && !dp_set_.flows.empty();
  return pp_set_.running || dp_set_.running || dp_waiting;
}

void TrainingWorkload::start_set(FlowSet& set, sim::SimTime now) {
  // Alone (sharing only among themselves) the flows take the same time every step.
  if (!set.alone) set.alone = fabric_->uncontended(set.flows);
  set.running = set.ran = true;
  set.started = now;
  const std::uint64_t epoch = flow_epoch_;
  FlowSet* s = &set;
  fabric_->start(set.flows, [this, s, epoch](sim::SimTime t) { on_set_done(*s, epoch, t); });
}

void TrainingWorkload::on_set_done(FlowSet& set, std::uint64_t epoch, sim::SimTime t) {
  if (epoch != flow_epoch_ || stopped_) return;  // a stopped job's flows
  set.running = false;
  set.taken = (t - set.started).seconds();
  set.taken_sum += set.taken.value();
  set.runs += 1;
  if (&set == &pp_set_ && dp_requested_ && !dp_set_.ran && !dp_set_.flows.empty())
    start_set(dp_set_, t);
  if (barrier_pending_ && !flows_pending()) {
    barrier_pending_ = false;
    close_step(t);
  }
}

void TrainingWorkload::close_step(sim::SimTime now) {
  // The step ends when its closed form did plus what its flows took beyond their time alone
  // (links shared with another job), and not before its last flow has arrived. Alone, when
  // the flows fit in the step, it is exactly the closed form.
  const sim::Seconds wait = pp_set_.wait() + dp_set_.wait();
  const sim::SimTime end = std::max(now, barrier_at_ + sim::Duration::from_seconds(wait));
  if (end > engine_.now()) {
    engine_.schedule_at(
        end, [this] { finish_step(engine_.now()); }, "train.fabric_wait");
    return;
  }
  finish_step(end);
}

void TrainingWorkload::finish_step(sim::SimTime end) {
  if (stopped_) return;
  StepRecord r = pending_;
  r.end = end;
  r.fabric_wait = (end - barrier_at_).seconds();
  r.fabric_taken_pp = pp_set_.taken;
  r.fabric_taken_dp = dp_set_.taken;
  if (tracer_ && end > barrier_at_) {
    for (GroupState& g : groups_)
      tracer_->slice(g.phases_track, "waiting for the fabric (flows beyond the closed form)",
                     barrier_at_, end,
                     {{"pp_flows_alone_s", pp_set_.alone.value_or(sim::Seconds(0)).value()},
                      {"pp_flows_taken_s", pp_set_.taken.value()},
                      {"dp_flows_alone_s", dp_set_.alone.value_or(sim::Seconds(0)).value()},
                      {"dp_flows_taken_s", dp_set_.taken.value()}});
  }
  r.comm += r.fabric_wait;
  steps_.push_back(r);
  in_step_ = false;

  const StepBreakdown& d = report_.breakdown;
  auto observe = [&](const std::optional<sim::ResourceId>& id, sim::Seconds v) {
    if (id) walls_.observe(*id, end, v.value());
  };
  observe(walls_ids_.tp, d.tp_comm);
  observe(walls_ids_.pp, d.pp_comm - pp_cross_);
  observe(walls_ids_.dp, d.dp_comm - dp_cross_);
  observe(walls_ids_.cp, d.cp_comm);
  observe(walls_ids_.ep, d.ep_comm);
  observe(walls_ids_.bubble, r.bubble);
  observe(walls_ids_.optimizer, r.optimizer);
  observe(walls_ids_.site_link, cross_site_ - propagation_);
  observe(walls_ids_.propagation, propagation_);
  begin_step(end);
}

void TrainingWorkload::on_stop(sim::SimTime now) {
  // Synchronous training cannot go on without every rank: the job stops (a real one would
  // restart from its last checkpoint, which is not modelled).
  if (stopped_) return;
  if (tracer_)
    for (GroupState& g : groups_) trace_phase(g, now, "lost: a GPU group of the job stopped");
  stopped_ = true;
  in_step_ = false;
  ++flow_epoch_;  // flows in flight no longer close a step
  for (GroupState& g : groups_)
    if (g.group->running()) g.group->go_idle(now);
  engine_.stop();
}

void TrainingWorkload::mark_horizon(sim::SimTime) {
  steps_at_horizon_ = static_cast<std::int64_t>(steps_.size());
}

bool TrainingWorkload::done() const {
  return !in_step_;
}

void TrainingWorkload::finish(sim::SimTime end) {
  end_ = end;
  if (tracer_)
    for (GroupState& g : groups_) trace_phase(g, end, "unfinished at the end of the run");
}

namespace {

double mean_of(const std::vector<StepRecord>& steps, sim::Seconds StepRecord::*field) {
  if (steps.empty()) return kNaN;
  double s = 0;
  for (const StepRecord& r : steps) s += (r.*field).value();
  return s / static_cast<double>(steps.size());
}

}  // namespace

void TrainingWorkload::add_metrics(Metrics& out) const {
  auto add = [&](std::string name, double v, std::string unit) {
    out.push_back(Metric{std::move(name), v, std::move(unit)});
  };
  const TrainingSpec& t = spec_.training;
  const double n = static_cast<double>(steps_.size());
  double step = kNaN, clock = kNaN, pc = kNaN, pm = kNaN;
  if (!steps_.empty()) {
    step = clock = pc = 0;
    double pm_sum = 0, pm_n = 0;
    for (const StepRecord& r : steps_) {
      step += r.duration().value() / n;
      clock += r.clock_ratio / n;
      pc += r.compute_power_per_gpu / n;
      if (!std::isnan(r.comm_power_per_gpu)) {
        pm_sum += r.comm_power_per_gpu;
        ++pm_n;
      }
    }
    pm = pm_n > 0 ? pm_sum / pm_n : kNaN;
  }
  const double tokens_per_step = spec_.tokens_per_step();
  const double peak = gpu_.peak(t.dtype)->value();
  add("gpus", t.gpus, "");
  add("training_steps", n, "");
  add("training_steps_in_window", static_cast<double>(steps_at_horizon_), "");
  add("tokens_trained", n * tokens_per_step, "tokens");
  add("tokens_per_step", tokens_per_step, "tokens");
  add("step_time", step, "s");
  add("step_time_full_clock", report_.step_time.value(), "s");
  add("tokens_per_second", tokens_per_step / step, "tokens/s");
  add("mfu", report_.model_flops.value() / (step * t.gpus * peak), "");
  add("hardware_flops_per_gpu", report_.hardware_flops.value() / (step * t.gpus), "FLOP/s");
  // Where the step went (the critical group's split, mean over steps), as shares of it.
  const double compute = mean_of(steps_, &StepRecord::compute);
  const double comm = mean_of(steps_, &StepRecord::comm);
  const double cross = cross_site_.value(), light = propagation_.value();
  add("share_compute", compute / step, "");
  add("share_exposed_comm", comm / step, "");
  add("share_exposed_comm_fabric", (comm - cross) / step, "");
  add("share_cross_site", cross / step, "");
  add("propagation_share", light / step, "");
  add("share_bubble", mean_of(steps_, &StepRecord::bubble) / step, "");
  add("share_optimizer", mean_of(steps_, &StepRecord::optimizer) / step, "");
  // Its scale-out traffic on the plant's fabric: what the step waited beyond the closed
  // forms for links another job shares (part of share_exposed_comm).
  const double wait = mean_of(steps_, &StepRecord::fabric_wait);
  auto mean_taken = [](const FlowSet& f) { return f.runs > 0 ? f.taken_sum / f.runs : kNaN; };
  add("fabric_flows_per_step", static_cast<double>(pp_set_.flows.size() + dp_set_.flows.size()),
      "");
  add("fabric_bytes_per_step", pp_set_.bytes + dp_set_.bytes, "B");
  add("fabric_pp_flows_alone", pp_set_.alone ? pp_set_.alone->value() : kNaN, "s");
  add("fabric_pp_flows_taken", mean_taken(pp_set_), "s");
  add("fabric_dp_flows_alone", dp_set_.alone ? dp_set_.alone->value() : kNaN, "s");
  add("fabric_dp_flows_taken", mean_taken(dp_set_), "s");
  add("fabric_wait", wait, "s");
  add("share_fabric_wait", wait / step, "");
  const StepBreakdown& d = report_.breakdown;
  add("exposed_tp_comm", d.tp_comm.value(), "s");
  add("exposed_pp_comm", d.pp_comm.value(), "s");
  add("exposed_dp_comm", d.dp_comm.value(), "s");
  add("exposed_cp_comm", d.cp_comm.value(), "s");
  add("exposed_ep_comm", d.ep_comm.value(), "s");
  add("exposed_cross_site", cross, "s");
  add("propagation_per_step", light, "s");
  add("fiber_delay_one_way", collectives_->fiber_delay().value(), "s");
  add("mean_clock_ratio", clock, "");
  add("memory_per_gpu", report_.memory.total().value(), "B");
  add("activations_per_gpu", report_.memory.activations.value(), "B");
  add("hbm_capacity_per_gpu", report_.hbm_capacity.value(), "B");
  // Power of the GPUs in the two kinds of phase and the swing of the job between them.
  add("gpu_power_compute_phase", pc, "W");
  add("gpu_power_comm_phase", pm, "W");
  add("gpu_power_swing_job", std::isnan(pm) ? kNaN : (pc - pm) * t.gpus, "W");
  // The job to train: tokens / tokens per step × the simulated step time (a fractional last
  // step counts its share).
  const double steps_to_train = spec_.tokens_to_train / tokens_per_step;
  add("tokens_to_train", spec_.tokens_to_train, "tokens");
  add("steps_to_train", steps_to_train, "");
  add("time_to_train", steps_to_train * step, "s");
  add("time_to_train_days", steps_to_train * step / 86400, "d");
}

void TrainingWorkload::write_tables(sim::h5::ResultFile& f) const {
  sim::h5::Table table;
  std::vector<std::int64_t> index;
  std::vector<double> start, time, tps, mfu, compute, comm, cross, light, bubble, opt, clock, pc,
      pm, wait;
  const TrainingSpec& t = spec_.training;
  const double peak = gpu_.peak(t.dtype)->value();
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const StepRecord& r = steps_[i];
    const double s = r.duration().value();
    index.push_back(static_cast<std::int64_t>(i));
    start.push_back(r.start.seconds());
    time.push_back(s);
    tps.push_back(spec_.tokens_per_step() / s);
    mfu.push_back(report_.model_flops.value() / (s * t.gpus * peak));
    compute.push_back(r.compute.value());
    comm.push_back(r.comm.value());
    cross.push_back(r.cross_site.value());
    light.push_back(r.propagation.value());
    bubble.push_back(r.bubble.value());
    opt.push_back(r.optimizer.value());
    clock.push_back(r.clock_ratio);
    pc.push_back(r.compute_power_per_gpu);
    pm.push_back(r.comm_power_per_gpu);
    wait.push_back(r.fabric_wait.value());
  }
  table.add("step", "", index)
      .add("start", "s", start)
      .add("step_time", "s", time)
      .add("tokens_per_second", "tokens/s", tps)
      .add("mfu", "", mfu)
      .add("compute", "s", compute)
      .add("exposed_comm", "s", comm)
      .add("cross_site", "s", cross)
      .add("propagation", "s", light)
      .add("bubble", "s", bubble)
      .add("optimizer", "s", opt)
      .add("clock_ratio", "", clock)
      .add("gpu_power_compute_phase", "W", pc)
      .add("gpu_power_comm_phase", "W", pm)
      .add("fabric_wait", "s", wait);
  f.write_table("/training_steps", table);
}

std::string TrainingWorkload::headline() const {
  const TrainingSpec& t = spec_.training;
  const Parallelism& p = t.parallel;
  std::string s = fmt::format(
      "{} training on {} {} (TP {} PP {}{} DP {}{}{}, order {}), {} x {} tokens per step",
      t.model.name, t.gpus, gpu_.name, p.tp, p.pp, p.vp > 1 ? fmt::format(" (vp {})", p.vp) : "",
      p.dp, p.cp > 1 ? fmt::format(" CP {}", p.cp) : "",
      p.ep > 1 ? fmt::format(" EP {}", p.ep) : "", to_string(p.order), t.global_batch, t.seq_len);
  if (spec_.layout.sites > 1)
    s += fmt::format("; two sites {:g} km apart", spec_.layout.fiber_length.kilometers());
  return s;
}

std::optional<std::string> TrainingWorkload::wall_effect(const sim::WallResult& w,
                                                         const Metrics& m) const {
  if (w.name == "train.hbm_capacity") {
    return fmt::format(
        "the worst pipeline stage needs {} per GPU ({} of it activations) against {}: the job "
        "does not fit as configured (hbm_overflow: wall ran it anyway)",
        gigabytes(report_.memory.total().value()), gigabytes(report_.memory.activations.value()),
        gigabytes(report_.hbm_capacity.value()));
  }
  if (!w.name.starts_with("train.") && !w.name.starts_with("sites.")) return std::nullopt;
  const double step = metric_value(m, "step_time");
  const double value = w.peak_utilization * w.limit;
  std::string what = w.name;
  if (w.name == "sites.propagation") {
    what = fmt::format("light in {:g} km of fiber ({:.3f} ms one way)",
                       spec_.layout.fiber_length.kilometers(),
                       collectives_->fiber_delay().value() * 1e3);
  } else if (w.name == "sites.link") {
    what = "the link between the sites";
  }
  return fmt::format(
      "{} took {:.3f} s of a {:.3f} s step ({:.1f} %), {:.2f} x the step's compute time; MFU "
      "{:.1f} %, {:.0f} tokens/s",
      what, value, step, 100 * value / step, w.peak_utilization, 100 * metric_value(m, "mfu"),
      metric_value(m, "tokens_per_second"));
}

void TrainingWorkload::print_summary(std::ostream& out, const Metrics& m) const {
  const double step = metric_value(m, "step_time");
  out << fmt::format(
      "training    {} step(s) of {:.3f} s (model at full clock {:.3f} s): {:.0f} tokens/s, MFU "
      "{:.1f} %, {:.0f} TFLOP/s per GPU with recompute, clock ratio {:.3f}\n",
      static_cast<std::int64_t>(metric_value(m, "training_steps")), step, report_.step_time.value(),
      metric_value(m, "tokens_per_second"), 100 * metric_value(m, "mfu"),
      metric_value(m, "hardware_flops_per_gpu") / 1e12, metric_value(m, "mean_clock_ratio"));
  const StepBreakdown& d = report_.breakdown;
  out << fmt::format(
      "step split  compute {:.1f} %, exposed communication {:.1f} % (TP {:.3f} s, PP {:.3f}, DP "
      "{:.3f}, CP {:.3f}, EP {:.3f}; between sites {:.3f} s, of which light {:.3f} ms = {:.3f} "
      "%), bubble {:.1f} %, optimizer {:.1f} %\n",
      100 * metric_value(m, "share_compute"), 100 * metric_value(m, "share_exposed_comm"),
      d.tp_comm.value(), d.pp_comm.value(), d.dp_comm.value(), d.cp_comm.value(), d.ep_comm.value(),
      cross_site_.value(), propagation_.value() * 1e3, 100 * metric_value(m, "propagation_share"),
      100 * metric_value(m, "share_bubble"), 100 * metric_value(m, "share_optimizer"));
  if (!pp_set_.flows.empty() || !dp_set_.flows.empty()) {
    // A set with no flows (pp = 1, or dp = 1) has no times: say so rather than print NaN.
    auto set_times = [&](const char* what, const char* key, bool empty) {
      if (empty) return fmt::format("no {}", what);
      return fmt::format("{} alone {:.4f} s, took {:.4f} s", what,
                         metric_value(m, fmt::format("fabric_{}_flows_alone", key)),
                         metric_value(m, fmt::format("fabric_{}_flows_taken", key)));
    };
    out << fmt::format(
        "fabric      {} scale-out flows per step ({}) on the plant's network: {}; {} (means); "
        "the step waited {:.4f} s on the fabric beyond its closed form ({:.2f} %)\n",
        pp_set_.flows.size() + dp_set_.flows.size(),
        sim::format_quantity(pp_set_.bytes + dp_set_.bytes, sim::dims::bytes, 4),
        set_times("pipeline sends", "pp", pp_set_.flows.empty()),
        set_times("data-parallel", "dp", dp_set_.flows.empty()), metric_value(m, "fabric_wait"),
        100 * metric_value(m, "share_fabric_wait"));
  }
  out << fmt::format(
      "to train    {:.4g} tokens: {:.0f} steps, {:.2f} days at the simulated step time\n",
      spec_.tokens_to_train, metric_value(m, "steps_to_train"),
      metric_value(m, "time_to_train_days"));
  out << fmt::format(
      "memory      {} per GPU ({} activations) of {}\n", gigabytes(report_.memory.total().value()),
      gigabytes(report_.memory.activations.value()), gigabytes(report_.hbm_capacity.value()));
  out << fmt::format(
      "GPU power   {:.0f} W per GPU in microbatch phases, {} in the exposed data-parallel phase: "
      "the job swings by {}\n",
      metric_value(m, "gpu_power_compute_phase"),
      std::isnan(metric_value(m, "gpu_power_comm_phase"))
          ? std::string("- (none)")
          : fmt::format("{:.0f} W", metric_value(m, "gpu_power_comm_phase")),
      std::isnan(metric_value(m, "gpu_power_swing_job"))
          ? std::string("-")
          : sim::format_quantity(metric_value(m, "gpu_power_swing_job"), sim::dims::power, 4));
}

}  // namespace models::training
