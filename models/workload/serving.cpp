#include "models/workload/serving.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "models/memory/hbm_budget.hpp"

namespace models {

const char* BusySplit::bound_kind() const {
  const double m = std::max({compute, memory, comm, host});
  if (m == compute) return "compute";
  if (m == memory) return "hbm_bandwidth";
  if (m == comm) return "network";
  return "host";
}

GpuActivity activity_of(const IterationCost& c) {
  GpuActivity a;
  a.clocked = c.clocked;
  // Launch gaps are µs long: the GPU stays clocked up through them (busy without work).
  a.unclocked_busy = c.compute_bound + c.memory_bound + c.comm_time - c.clocked + c.launch_wait;
  a.idle = c.host - c.launch_wait;
  a.flops = c.flops_per_gpu;
  a.hbm_bytes = c.hbm_bytes_per_gpu;
  return a;
}

ServingMemory serving_hbm_budget(const LlmSpec& llm, const GpuSpec& gpu, const ServingSpec& spec) {
  const int tp = spec.tensor_parallel, ep = spec.expert_parallel, pp = spec.pipeline_parallel;
  ServingMemory m;
  m.per_gpu = hbm_budget(llm, gpu, spec.precision.weights, spec.precision.kv_cache, tp,
                         spec.memory_reserve);
  const ParamCounts p = count_params(llm);
  const double b = bytes_per_element(spec.precision.weights);
  const double routed = ep > 1 ? p.moe_routed_total : 0;
  m.per_gpu.weights = sim::Bytes(((p.total() - routed) / tp + routed / ep) * b / pp);
  m.per_gpu.kv_per_token = m.per_gpu.kv_per_token / static_cast<double>(pp);
  m.kv_groups = std::max(1, ep / tp);
  return m;
}

namespace {

// The busy split of an iteration run at clock ratio r: the stretch of the clocked part is
// counted as compute (it is SM time).
BusySplit split_at(const IterationCost& c, double r) {
  BusySplit b;
  b.compute = (c.compute_bound + c.clocked * (1 / r - 1)).value();
  b.memory = c.memory_bound.value();
  b.comm = c.comm_time.value();
  b.host = c.host.value();
  return b;
}

void add(BusySplit& to, const BusySplit& b) {
  to.compute += b.compute;
  to.memory += b.memory;
  to.comm += b.comm;
  to.host += b.host;
}

}  // namespace

ServingModel::ServingModel(sim::Engine& engine, sim::WallMonitor& walls, const LlmSpec& llm,
                           const ServingSpec& spec, const SloSpec& slo,
                           std::unique_ptr<IterationCostModel> cost, std::vector<GpuGroup*> groups,
                           const std::string& streams)
    : engine_(engine), walls_(walls), llm_(llm), spec_(spec), slo_(slo), cost_(std::move(cost)) {
  if (groups.empty() ||
      groups.size() != static_cast<std::size_t>(spec_.replicas * spec_.groups_per_replica()))
    throw std::invalid_argument("ServingModel: groups_per_replica() GPU groups per replica");
  if (spec_.prefill_replicas < 0 ||
      (spec_.prefill_replicas > 0 && spec_.prefill_replicas >= spec_.replicas))
    throw std::invalid_argument("ServingModel: prefill_replicas must leave a decode replica");
  if (spec_.kv_block_tokens < 1) throw std::invalid_argument("ServingModel: kv_block_tokens < 1");
  network_ = std::make_shared<training::AlphaBetaCollectives>(spec_.fabric);
  gpu_ = groups.front()->gpu();
  const int tp = spec_.tensor_parallel;
  const int per_replica = spec_.groups_per_replica();
  const ServingMemory memory = serving_hbm_budget(llm_, gpu_, spec_);
  const HbmBudget& budget = memory.per_gpu;
  weight_bytes_per_gpu_ = budget.weights;
  reserve_bytes_per_gpu_ = budget.reserve;
  kv_bytes_per_token_gpu_ = budget.kv_per_token;
  kv_capacity_tokens_ = memory.kv_capacity_tokens();
  if (capacity() < 1) throw std::invalid_argument("the weights leave no HBM for the KV cache");

  replicas_.resize(static_cast<std::size_t>(spec_.replicas));
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    Replica& r = replicas_[i];
    r.index = static_cast<int>(i);
    for (int g = 0; g < per_replica; ++g) {
      GpuGroup* group =
          groups[i * static_cast<std::size_t>(per_replica) + static_cast<std::size_t>(g)];
      if (group->size() != tp) throw std::invalid_argument("ServingModel: group size != tp");
      r.groups.push_back(group);
    }
    // The plant places groups in order, filling each scale-up domain before the next.
    r.domain = static_cast<int>(i * static_cast<std::size_t>(per_replica * tp) /
                                static_cast<std::size_t>(std::max(1, spec_.gpus_per_domain)));
    r.name = per_replica == 1 ? r.groups.front()->name() : "replica[" + std::to_string(i) + "]";
    if (spec_.prefill_replicas > 0)
      r.role = static_cast<int>(i) < spec_.prefill_replicas ? Role::prefill : Role::decode;
    const std::string prefix = r.name + ".";
    // The kind is set in finish(), once the busy time says what bound the replica.
    r.saturation = walls_.add(prefix + "saturation", "compute", 1.0, "", sim::Aggregation::rate);
    r.hbm_capacity = walls_.add(prefix + "hbm_capacity", "hbm_capacity", gpu_.hbm_capacity.value(),
                                "B", sim::Aggregation::level);
    update_capacity_load(r);
    for (GpuGroup* g : r.groups) g->on_stop([this, &r](sim::SimTime at) { on_stop(r, at); });
  }
  // Traffic across scale-up domains goes on the plant's fabric when it has one (file comment).
  // Only then is the fabric asked for: its tier walls appear for a workload that loads it.
  const bool all_to_all_out =
      spec_.expert_parallel > tp && spec_.expert_parallel > spec_.gpus_per_domain;
  const bool stages_out =
      spec_.pipeline_parallel > 1 && spec_.gpus_per_replica() > spec_.gpus_per_domain;
  if (all_to_all_out || stages_out) {
    fabric_ = groups.front()->fabric(FabricUse::scale_out);
    if (fabric_) {
      try {
        for (Replica& r : replicas_) find_scale_out_pairs(r);
      } catch (const std::invalid_argument&) {
        // No route between the replica's servers (`scale_out: {kind: none}`: the plant's
        // servers stand alone): the plant does not model the network the closed form assumes.
        for (Replica& r : replicas_) {
          r.all_to_all_pairs.clear();
          r.stage_pairs.clear();
        }
        fabric_ = nullptr;
      }
    }
  }
  // Tensor parallelism: each iteration's all-reduces load the group's NVLink ports (the
  // plant's NVLink wall), costed in closed form.
  if (tp > 1) scale_up_fabric_ = groups.front()->fabric(FabricUse::scale_up_load);
  // Disaggregated: prefill replicas come first, decode replicas last; when the first and the last
  // are in different domains some KV transfer crosses the NICs.
  if (spec_.prefill_replicas > 0 && replicas_.front().domain != replicas_.back().domain) {
    Fabric* f = groups.front()->fabric(FabricUse::scale_out);
    try {
      if (f)
        (void)f->scale_out({replicas_.front().groups.front(), 0, replicas_.back().groups.front(), 0,
                            sim::Bytes(0)});
      kv_fabric_ = f;
    } catch (const std::invalid_argument&) {
      // No route between them (servers that stand alone): the closed form stays.
    }
  }
  tracer_ = engine_.tracer();
  if (tracer_) {
    for (Replica& r : replicas_) r.trace_track = tracer_->track(r.name, "iterations");
    // The communication an iteration runs (kernel_iteration_cost.hpp): tensor-parallel
    // all-reduces, expert-parallel all-to-alls, pipeline sends.
    std::vector<std::string> kinds;
    if (spec_.tensor_parallel > 1) kinds.emplace_back("all-reduce");
    if (spec_.expert_parallel > spec_.tensor_parallel) kinds.emplace_back("all-to-all");
    if (spec_.pipeline_parallel > 1) kinds.emplace_back("send/recv");
    for (const std::string& k : kinds)
      collective_kinds_ += (collective_kinds_.empty() ? "" : " + ") + k;
  }
  slo_ttft_ = walls_.add("slo.ttft", "latency_slo", slo_.ttft.value(), "s",
                         sim::Aggregation::sample, slo_.percentile);
  slo_tpot_ = walls_.add("slo.tpot", "latency_slo", slo_.tpot.value(), "s",
                         sim::Aggregation::sample, slo_.percentile);
  if (spec_.users.at_distance()) {
    propagation_ = walls_.add("users.propagation", "propagation", slo_.ttft.value(), "s",
                              sim::Aggregation::sample, slo_.percentile);
    // Its own stream: placing users far away leaves arrivals and lengths as they were.
    users_rng_ = engine_.rng(streams + ".users");
  }
}

void ServingModel::start(RequestSource& source) {
  source_ = &source;
  schedule_next_arrival();
}

bool ServingModel::done() const {
  return source_exhausted_ && in_flight_ == 0;
}

void ServingModel::schedule_next_arrival() {
  schedule_arrival(source_->next());
}

void ServingModel::schedule_arrival(std::optional<Arrival> a) {
  if (!a) {
    source_exhausted_ = true;
    if (done()) engine_.stop();
    return;
  }
  const Arrival arrival = *a;
  engine_.schedule_at(
      arrival.at, [this, arrival] { on_arrivals(arrival); }, "serving.arrivals");
}

void ServingModel::on_arrivals(const Arrival& first) {
  // Requests that arrive at the same instant are all queued before any replica picks its
  // next batch: a closed batch submitted at once is prefilled together.
  std::vector<int> touched{on_arrival(first)};
  std::optional<Arrival> next = source_->next();
  while (next && next->at == first.at) {
    touched.push_back(on_arrival(*next));
    next = source_->next();
  }
  for (int r : touched) {
    if (r >= 0) try_start(replicas_[static_cast<std::size_t>(r)]);
  }
  schedule_arrival(next);
}

bool ServingModel::running(const Replica& r) const {
  return std::all_of(r.groups.begin(), r.groups.end(),
                     [](const GpuGroup* g) { return g->running(); });
}

std::int64_t ServingModel::capacity() const {
  if (spec_.kv_admission == KvAdmission::reserve) return kv_capacity_tokens_;
  const std::int64_t b = spec_.kv_block_tokens;
  return kv_capacity_tokens_ / b * b;
}

std::int64_t ServingModel::kv_hold(std::int64_t tokens) const {
  if (spec_.kv_admission == KvAdmission::reserve) return tokens;
  const std::int64_t b = spec_.kv_block_tokens;
  return (tokens + b - 1) / b * b;
}

int ServingModel::route(Role want) {
  const int n = static_cast<int>(replicas_.size());
  auto serves = [&](const Replica& r) { return r.role == Role::both || r.role == want; };
  if (spec_.router == Router::round_robin) {
    for (int k = 0; k < n; ++k) {
      const int r = (next_round_robin_ + k) % n;
      const Replica& rep = replicas_[static_cast<std::size_t>(r)];
      if (serves(rep) && running(rep)) {
        next_round_robin_ = (r + 1) % n;
        return r;
      }
    }
    return -1;
  }
  int best = -1;
  std::size_t best_load = SIZE_MAX;
  for (const Replica& r : replicas_) {
    if (!serves(r) || !running(r)) continue;
    const std::size_t load =
        r.waiting.size() + r.running.size() + static_cast<std::size_t>(r.incoming);
    if (load < best_load) {
      best_load = load;
      best = r.index;
    }
  }
  return best;
}

int ServingModel::on_arrival(const Arrival& a) {
  RequestRecord rec;
  rec.id = static_cast<std::int64_t>(records_.size());
  rec.arrival = engine_.now();
  rec.prompt_tokens = a.prompt_tokens;
  rec.output_tokens = a.output_tokens;
  if (propagation_) {
    const std::size_t region = spec_.users.draw(*users_rng_);
    rec.region = static_cast<int>(region);
    rec.user_light = spec_.users.light_before_first_token(region);
    walls_.observe(*propagation_, engine_.now(), rec.user_light.value());
  }
  if (kv_hold(rec.prompt_tokens + rec.output_tokens) > capacity()) {
    rec.status = RequestStatus::rejected;  // could never be admitted
    records_.push_back(rec);
    return -1;
  }
  records_.push_back(rec);
  ++in_flight_;
  return route_to_queue(rec.id);
}

void ServingModel::requeue(std::int64_t id) {
  RequestRecord& rec = records_[static_cast<std::size_t>(id)];
  rec.generated_tokens = 0;
  ++rec.requeued;
  ++stats_.requeued;
  const int to = route_to_queue(id);
  if (to >= 0) try_start(replicas_[static_cast<std::size_t>(to)]);
}

int ServingModel::route_to_queue(std::int64_t id) {
  RequestRecord& rec = records_[static_cast<std::size_t>(id)];
  rec.replica = route(Role::prefill);
  if (rec.replica < 0) {  // no replica has power
    rec.status = RequestStatus::lost;
    --in_flight_;
    return -1;
  }
  replicas_[static_cast<std::size_t>(rec.replica)].waiting.push_back(id);
  return rec.replica;
}

void ServingModel::update_capacity_load(Replica& r) {
  double demand = weight_bytes_per_gpu_.value() + reserve_bytes_per_gpu_.value() +
                  static_cast<double>(r.kv_tokens_reserved) * kv_bytes_per_token_gpu_.value();
  if (r.kv_blocked && !r.waiting.empty()) {
    const RequestRecord& head = records_[static_cast<std::size_t>(r.waiting.front())];
    const std::int64_t wanted = spec_.kv_admission == KvAdmission::reserve
                                    ? head.prompt_tokens + head.output_tokens
                                    : kv_hold(head.prompt_tokens + head.generated_tokens);
    demand += static_cast<double>(wanted) * kv_bytes_per_token_gpu_.value();
  }
  walls_.set_load(r.hbm_capacity, engine_.now(), demand);
}

void ServingModel::preempt_last(Replica& r) {
  const Running victim = r.running.back();
  r.running.pop_back();
  RequestRecord& rec = records_[static_cast<std::size_t>(victim.request)];
  ++rec.preempted;
  ++stats_.preemptions;
  r.kv_tokens_reserved -= victim.kv_tokens;
  r.waiting.push_front(victim.request);
}

void ServingModel::try_start(Replica& r) {
  if (r.busy || !running(r)) return;
  BatchShape batch;
  r.chunk_of.clear();
  std::int64_t budget = spec_.max_batch_tokens;
  const bool paged = spec_.kv_admission == KvAdmission::paged;
  const std::int64_t cap = capacity();
  auto free_tokens = [&] { return cap - r.kv_tokens_reserved; };

  // A decode replica takes the requests whose KV has arrived: they decode from this iteration.
  while (r.role == Role::decode && !r.waiting.empty() &&
         r.running.size() < static_cast<std::size_t>(spec_.max_batch_requests)) {
    const std::int64_t id = r.waiting.front();
    RequestRecord& rec = records_[static_cast<std::size_t>(id)];
    const std::int64_t hold =
        paged ? kv_hold(rec.prompt_tokens) : kv_hold(rec.prompt_tokens + rec.output_tokens);
    if (hold > free_tokens()) break;
    r.waiting.pop_front();
    r.kv_tokens_reserved += hold;
    r.running.push_back(Running{id, rec.prompt_tokens, rec.prompt_tokens, hold});
  }

  // Paged: every decode writes one more token; one whose context crosses into a new block
  // takes it, and when blocks run out the latest admitted request is preempted (recompute).
  if (paged) {
    for (;;) {
      std::int64_t grow = 0;
      for (const Running& run : r.running) {
        const RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
        if (run.prefilled == run.target)
          grow += std::max<std::int64_t>(
              0, kv_hold(rec.prompt_tokens + rec.generated_tokens) - run.kv_tokens);
      }
      if (grow <= free_tokens() || r.running.empty()) break;
      preempt_last(r);
    }
    for (Running& run : r.running) {
      const RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
      if (run.prefilled != run.target) continue;
      const std::int64_t need = kv_hold(rec.prompt_tokens + rec.generated_tokens);
      if (need > run.kv_tokens) {
        r.kv_tokens_reserved += need - run.kv_tokens;
        run.kv_tokens = need;
      }
    }
  }

  // Decodes first: each running request past its prompt generates one token.
  for (const Running& run : r.running) {
    const RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    if (run.prefilled == run.target) {
      ++batch.decodes;
      batch.decode_context_sum += static_cast<double>(rec.prompt_tokens + rec.generated_tokens);
      batch.decode_contexts.push_back(rec.prompt_tokens + rec.generated_tokens);
    }
  }
  budget -= batch.decodes;

  // Then prompt chunks of requests already admitted, in admission order.
  for (std::size_t i = 0; i < r.running.size() && budget > 0; ++i) {
    const Running& run = r.running[i];
    const std::int64_t left = run.target - run.prefilled;
    if (left <= 0) continue;
    const std::int64_t chunk = std::min(left, budget);
    batch.prefills.push_back({chunk, run.prefilled, chunk == left});
    r.chunk_of.emplace_back(i, chunk);
    budget -= chunk;
  }

  // Then admissions, first come first served, while the KV cache can hold them. The KV
  // state changes only when the head was actually tried against the cache: an admission
  // skipped because the budget or the batch is full leaves it as it was, so a blocked head
  // is counted once however many iterations it waits.
  while (r.role != Role::decode && budget > 0 && !r.waiting.empty() &&
         r.running.size() < static_cast<std::size_t>(spec_.max_batch_requests)) {
    const std::int64_t id = r.waiting.front();
    const RequestRecord& rec = records_[static_cast<std::size_t>(id)];
    // A preempted request prefills its prompt and what it had generated (recompute).
    const std::int64_t target = rec.prompt_tokens + rec.generated_tokens;
    const std::int64_t hold = paged                     ? kv_hold(target)
                              : r.role == Role::prefill ? target
                                                        : rec.prompt_tokens + rec.output_tokens;
    if (hold > free_tokens()) {
      r.kv_blocked = true;
      if (r.kv_blocked_request != id) {
        ++stats_.kv_blocked_admissions;
        r.kv_blocked_request = id;
      }
      break;
    }
    r.kv_blocked = false;
    r.waiting.pop_front();
    r.kv_tokens_reserved += hold;
    if (rec.generated_tokens > 0) stats_.recomputed_tokens += target;
    r.running.push_back(Running{id, 0, target, hold});
    const std::int64_t chunk = std::min(target, budget);
    batch.prefills.push_back({chunk, 0, chunk == target});
    r.chunk_of.emplace_back(r.running.size() - 1, chunk);
    budget -= chunk;
  }
  if (r.waiting.empty()) r.kv_blocked = false;
  stats_.max_running = std::max(stats_.max_running, static_cast<std::int64_t>(r.running.size()));
  update_capacity_load(r);

  const sim::SimTime now = engine_.now();
  if (batch.decodes == 0 && batch.prefills.empty()) {  // idle until something arrives
    for (GpuGroup* g : r.groups) g->go_idle(now);
    if (r.saturated) {
      r.saturated = false;
      walls_.set_load(r.saturation, now, 0);
    }
    return;
  }

  const IterationCost c = cost_->cost(batch, 1.0);
  // The groups run in lock step: the slowest (lowest clock) sets the iteration.
  IterationRun run;
  run.duration = sim::Duration::ns(0);
  for (GpuGroup* g : r.groups) {
    const IterationRun gr = g->begin_iteration(now, activity_of(c));
    if (gr.duration > run.duration) run = gr;
  }
  sim::Duration d = run.duration;
  if (d < sim::Duration::ns(1)) d = sim::Duration::ns(1);
  const double secs = d.seconds().value();
  if (scale_up_fabric_) {  // replaces the previous iteration's (0 bytes: none)
    for (GpuGroup* g : r.groups)
      scale_up_fabric_->scale_up_load(*g, g->size(),
                                      c.tp_ring_bytes_per_gpu + c.ep_in_group_bytes_per_gpu, d);
  }

  // Work left behind that is not waiting for KV space: the replica runs at its throughput.
  const bool saturated = !r.waiting.empty() && !r.kv_blocked;
  if (saturated != r.saturated) {
    r.saturated = saturated;
    walls_.set_load(r.saturation, now, saturated ? 1.0 : 0.0);
  }
  r.busy_split_now = split_at(c, run.clock_ratio);
  if (tracer_) {
    IterationTrace& t = r.trace_now;
    t.start = now;
    t.prefills = static_cast<std::int64_t>(batch.prefills.size());
    t.prefill_tokens = 0;
    for (const PrefillChunk& p : batch.prefills) t.prefill_tokens += p.tokens;
    t.decodes = batch.decodes;
    t.decode_context_mean =
        batch.decodes > 0 ? batch.decode_context_sum / static_cast<double>(batch.decodes) : 0.0;
    t.kv_tokens = r.kv_tokens_reserved;
    t.waiting = static_cast<std::int64_t>(r.waiting.size());
    t.clock_ratio = run.clock_ratio;
    t.host_wait = sim::Duration::from_seconds(c.host - c.launch_wait);
    t.comm = sim::Duration::from_seconds(c.comm_time);
  }

  ++stats_.iterations;
  stats_.batch_tokens_sum += static_cast<double>(batch.tokens());
  stats_.flops += c.flops_per_gpu.value();
  stats_.hbm_bytes += c.hbm_bytes_per_gpu.value();
  stats_.busy_seconds += secs;
  stats_.clock_weighted_seconds += run.clock_ratio * secs;
  if (run.clock_ratio < 1) stats_.throttled_seconds += secs;
  r.busy = true;
  end_iteration_at(r, now, d, c, run.clock_ratio);
}

void ServingModel::find_scale_out_pairs(Replica& r) {
  const int tp = spec_.tensor_parallel;
  const int pp = spec_.pipeline_parallel;
  // A replica's groups: ep / tp attention groups per stage, stage after stage (serving.hpp).
  const int per_stage = std::max(1, spec_.expert_parallel / tp);
  const auto group = [&](int stage, int a) {
    return r.groups[static_cast<std::size_t>(stage * per_stage + a)];
  };
  for (int st = 0; st < pp; ++st) {
    for (int a = 0; a < per_stage; ++a) {
      for (int b = 0; b < per_stage; ++b) {
        if (a == b) continue;  // a group's own GPUs share its NVSwitch
        for (int i = 0; i < tp; ++i)
          for (int j = 0; j < tp; ++j) {
            const FabricTransfer t{group(st, a), i, group(st, b), j, sim::Bytes(0)};
            if (fabric_->scale_out(t)) r.all_to_all_pairs.push_back(t);
          }
      }
      if (st + 1 < pp)
        for (int i = 0; i < tp; ++i) {
          const FabricTransfer t{group(st, a), i, group(st + 1, a), i, sim::Bytes(0)};
          if (fabric_->scale_out(t)) r.stage_pairs.push_back(t);
        }
    }
  }
}

void ServingModel::end_iteration_at(Replica& r, sim::SimTime start, sim::Duration d,
                                    const IterationCost& c, double clock_ratio) {
  std::vector<FabricTransfer> flows;
  if (fabric_ && c.scale_out_comm.value() > 0) {
    for (FabricTransfer t : r.all_to_all_pairs) {
      t.bytes = c.all_to_all_pair;
      if (t.bytes.value() > 0) flows.push_back(t);
    }
    for (FabricTransfer t : r.stage_pairs) {
      t.bytes = c.stage_send;
      if (t.bytes.value() > 0) flows.push_back(t);
    }
  }
  if (flows.empty()) {
    r.iteration_end = engine_.schedule_in(
        d, [this, &r] { on_iteration_end(r); }, "serving.replica");
    return;
  }
  const sim::Duration alone = sim::Duration::from_seconds(fabric_->uncontended(flows));
  r.scale_out_comm += c.scale_out_comm.value();
  stats_.scale_out_comm_seconds += c.scale_out_comm.value();
  for (const FabricTransfer& t : flows) stats_.scale_out_bytes += t.bytes.value();
  const int epoch = r.epoch;
  fabric_->start(flows, [this, &r, epoch, start, d, alone, clock_ratio](sim::SimTime t) {
    if (r.epoch != epoch) return;  // the replica stopped: the iteration is lost
    // Alone the flows take `alone`; what they took beyond it is the wait for shared links.
    const sim::Duration waited = std::max(sim::Duration::ns(0), (t - start) - alone);
    const sim::SimTime end = std::max(t, start + d + waited);
    const double extra = (end - (start + d)).seconds().value();
    if (extra > 0) {
      r.busy_split_now.comm += extra;
      r.scale_out_extra += extra;
      stats_.scale_out_extra_seconds += extra;
      stats_.busy_seconds += extra;
      stats_.clock_weighted_seconds += clock_ratio * extra;
      if (clock_ratio < 1) stats_.throttled_seconds += extra;
      if (tracer_) r.trace_now.comm += end - (start + d);
    }
    r.iteration_end = engine_.schedule_at(
        end, [this, &r] { on_iteration_end(r); }, "serving.replica");
  });
}

sim::Seconds ServingModel::kv_transfer_time(std::int64_t tokens, int from, int to) const {
  const Replica& a = replicas_.at(static_cast<std::size_t>(from));
  const Replica& b = replicas_.at(static_cast<std::size_t>(to));
  // The request's KV (LlmSpec's bytes per token, counted once: MLA's latent is replicated on
  // every GPU of a tensor-parallel group but sent once) goes over the tp GPUs' links in
  // parallel, 1/tp each, on the tier the two replicas share.
  return network_->send_recv(kv_bytes_per_link(tokens),
                             training::CommGroup{2, a.domain == b.domain ? 2 : 1});
}

sim::Bytes ServingModel::kv_bytes_per_link(std::int64_t tokens) const {
  return sim::Bytes(static_cast<double>(tokens) *
                    kv_bytes_per_token(llm_, spec_.precision.kv_cache) / spec_.tensor_parallel);
}

void ServingModel::send_next_kv(Replica& r) {
  if (r.kv_queue.empty()) {
    r.kv_sending = false;
    return;
  }
  r.kv_sending = true;
  const std::function<void()> send = std::move(r.kv_queue.front());
  r.kv_queue.pop_front();
  send();
}

void ServingModel::release(Replica& r, std::int64_t kv_tokens) {
  r.kv_tokens_reserved -= kv_tokens;
  update_capacity_load(r);
}

void ServingModel::hand_off(Replica& from, const Running& run) {
  const std::int64_t id = run.request;
  RequestRecord& rec = records_[static_cast<std::size_t>(id)];
  const sim::SimTime now = engine_.now();
  const int to = route(Role::decode);
  const int from_epoch = from.epoch;
  if (to < 0) {  // no decode replica has power
    release(from, run.kv_tokens);
    rec.status = RequestStatus::lost;
    --in_flight_;
    return;
  }
  Replica& dst = replicas_[static_cast<std::size_t>(to)];
  const sim::Seconds t = kv_transfer_time(rec.prompt_tokens, from.index, to);
  ++dst.incoming;
  ++stats_.kv_transfers;
  stats_.kv_transfer_bytes +=
      static_cast<double>(rec.prompt_tokens) * kv_bytes_per_token(llm_, spec_.precision.kv_cache);
  const std::int64_t prompt = rec.prompt_tokens;
  // The transfer from `start` to `end`, `seconds` on the wire, in the statistics and the trace.
  const auto record = [this, &from, &dst, id, now, prompt](sim::SimTime start, sim::SimTime end,
                                                           double seconds) {
    stats_.kv_transfer_seconds.push_back(seconds);
    stats_.kv_handoff_seconds.push_back((end - now).seconds().value());
    if (tracer_) {
      // One prefill replica's transfers go one after another (its links are a FIFO), so they
      // never overlap on its lane.
      if (!from.kv_track) from.kv_track = tracer_->track(from.name, "kv transfers");
      tracer_->slice(*from.kv_track, "kv transfer (send/recv)", start, end,
                     {{"request", id},
                      {"to", dst.name},
                      {"prompt_tokens", prompt},
                      {"bytes", static_cast<double>(prompt) *
                                    kv_bytes_per_token(llm_, spec_.precision.kv_cache)}});
    }
  };
  const int dst_epoch = dst.epoch;
  const auto arrive = [this, &from, &dst, id, kv = run.kv_tokens, from_epoch, dst_epoch] {
    if (from.epoch == from_epoch) {
      release(from, kv);
      try_start(from);
    }
    --dst.incoming;
    RequestRecord& q = records_[static_cast<std::size_t>(id)];
    if (dst.epoch == dst_epoch && running(dst)) {
      q.decode_replica = dst.index;
      dst.waiting.push_back(id);
      try_start(dst);
    } else {  // the decode replica stopped: start again
      requeue(id);
    }
    if (done()) engine_.stop();
  };
  if (!kv_fabric_ || from.domain == dst.domain) {
    const sim::SimTime start = std::max(now, from.links_free);
    const sim::SimTime end = start + sim::Duration::from_seconds(t);
    from.links_free = end;
    record(start, end, t.value());
    engine_.schedule_at(end, arrive, "serving.kv_transfer");
    return;
  }
  // On the fabric: when the prefill replica's previous transfer has arrived, the flows start;
  // the transfer takes its closed form plus what the flows took beyond their time alone.
  const sim::Bytes bytes = kv_bytes_per_link(prompt);
  from.kv_queue.push_back([this, &from, &dst, t, bytes, record, arrive] {
    std::vector<FabricTransfer> flows;
    for (int i = 0; i < spec_.tensor_parallel; ++i)
      flows.push_back({from.groups.front(), i, dst.groups.front(), i, bytes});
    const sim::Duration alone = sim::Duration::from_seconds(kv_fabric_->uncontended(flows));
    const sim::SimTime start = engine_.now();
    kv_fabric_->start(flows, [this, &from, t, alone, start, record, arrive](sim::SimTime done_at) {
      const sim::Duration closed = sim::Duration::from_seconds(t);
      const sim::Duration waited = std::max(sim::Duration::ns(0), (done_at - start) - alone);
      const sim::SimTime end = std::max(done_at, start + closed + waited);
      stats_.kv_transfer_closed_form_seconds += closed.seconds().value();
      stats_.kv_transfer_extra_seconds += (end - (start + closed)).seconds().value();
      record(start, end, (end - start).seconds().value());
      engine_.schedule_at(
          end,
          [this, &from, arrive] {
            send_next_kv(from);
            arrive();
          },
          "serving.kv_transfer");
    });
  });
  if (!from.kv_sending) send_next_kv(from);
}

void ServingModel::trace_iteration(Replica& r, sim::SimTime end, const char* cut) {
  const IterationTrace& t = r.trace_now;
  const char* name = t.decodes == 0 ? "prefill" : t.prefills == 0 ? "decode" : "prefill + decode";
  const bool paged = spec_.kv_admission == KvAdmission::paged;
  const std::array<sim::TraceArg, 9> shape = {
      sim::TraceArg{"prefill_tokens", t.prefill_tokens},
      {"prefill_requests", t.prefills},
      {"decode_requests", t.decodes},
      {"decode_context_mean", t.decode_context_mean},
      {"kv_tokens_held", t.kv_tokens},
      {"waiting_requests", t.waiting},
      {"clock_ratio", t.clock_ratio},
      {"ended", cut ? cut : "completed"},
      {"kv_blocks_held", paged ? t.kv_tokens / spec_.kv_block_tokens : 0}};  // paged only
  tracer_->slice(r.trace_track, name, t.start, end,
                 std::span<const sim::TraceArg>(shape.data(), paged ? 9 : 8));
  // Inside it (children after their parent): the host's part, during which the GPUs wait,
  // first; the collectives, summed, last. The model costs them as one sum, not overlapped
  // with the kernels (kernel_iteration_cost.hpp); where they fall among the kernels is not
  // modelled, so they are drawn as one block at the iteration's end.
  const sim::SimTime host_end = std::min(end, t.start + t.host_wait);
  if (host_end > t.start) tracer_->slice(r.trace_track, "host", t.start, host_end);
  if (!cut && t.comm > sim::Duration::ns(0) && end - t.comm >= host_end) {
    tracer_->slice(r.trace_track, "collectives", end - t.comm, end, {{"kinds", collective_kinds_}});
  }
}

void ServingModel::on_iteration_end(Replica& r) {
  const sim::SimTime now = engine_.now();
  if (tracer_) trace_iteration(r, now, nullptr);
  r.busy = false;
  add(r.busy_total, r.busy_split_now);
  add(stats_.busy, r.busy_split_now);
  if (r.saturated) {
    add(r.saturated_busy, r.busy_split_now);
    add(stats_.saturated, r.busy_split_now);
  }

  // Decode steps: every request that was past its prompt at the start got one token. They
  // are exactly those not in chunk_of whose prompt is complete.
  std::vector<bool> chunked(r.running.size(), false);
  for (const auto& [idx, tokens] : r.chunk_of) chunked[idx] = true;
  for (std::size_t i = 0; i < r.running.size(); ++i) {
    if (chunked[i]) continue;
    RequestRecord& rec = records_[static_cast<std::size_t>(r.running[i].request)];
    if (r.running[i].prefilled == r.running[i].target) {
      ++rec.generated_tokens;
      ++stats_.decode_tokens;
      ++stats_.output_tokens;
    }
  }
  for (const auto& [idx, tokens] : r.chunk_of) {
    Running& run = r.running[idx];
    RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    run.prefilled += tokens;
    stats_.prefill_tokens += tokens;
    if (run.prefilled == run.target) {
      // The iteration that completes the prompt also samples the next output token: the first
      // one, or after a recompute the one after those it had generated.
      if (!rec.first_token) {
        rec.first_token = now;
        walls_.observe(slo_ttft_, now,
                       (now - rec.arrival).seconds().value() + rec.user_light.value());
      }
      ++rec.generated_tokens;
      ++stats_.output_tokens;
    }
  }

  // Completions free their KV; a prefill replica hands finished prompts to the decode pool.
  std::vector<Running> still;
  std::vector<Running> handed;
  still.reserve(r.running.size());
  for (const Running& run : r.running) {
    RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    if (rec.generated_tokens < rec.output_tokens && r.role == Role::prefill &&
        run.prefilled == run.target) {
      handed.push_back(run);
      continue;
    }
    if (rec.generated_tokens >= rec.output_tokens) {
      rec.completion = now;
      rec.status = RequestStatus::completed;
      r.kv_tokens_reserved -= run.kv_tokens;
      --in_flight_;
      ++completed_;
      if (rec.output_tokens > 1) {
        const double tpot =
            (now - *rec.first_token).seconds().value() / static_cast<double>(rec.output_tokens - 1);
        walls_.observe(slo_tpot_, now, tpot);
      }
    } else {
      still.push_back(run);
    }
  }
  r.running.swap(still);
  r.chunk_of.clear();
  for (const Running& run : handed) hand_off(r, run);
  update_capacity_load(r);

  try_start(r);
  if (done()) engine_.stop();
}

void ServingModel::on_stop(Replica& r, sim::SimTime at) {
  ++r.epoch;
  for (GpuGroup* g : r.groups) {
    if (g->running()) g->go_idle(at);
  }
  engine_.cancel(r.iteration_end);
  if (tracer_ && r.busy) trace_iteration(r, at, "lost: a GPU group of the replica stopped");
  r.busy = false;
  r.chunk_of.clear();
  if (r.saturated) {
    r.saturated = false;
    walls_.set_load(r.saturation, at, 0);
  }
  // Everything the replica held starts again elsewhere, in its original order: admitted
  // requests first (they arrived earlier), then the queue.
  std::vector<std::int64_t> orphans;
  for (const Running& run : r.running) orphans.push_back(run.request);
  orphans.insert(orphans.end(), r.waiting.begin(), r.waiting.end());
  r.running.clear();
  r.waiting.clear();
  r.kv_tokens_reserved = 0;
  r.kv_blocked = false;
  update_capacity_load(r);
  for (std::int64_t id : orphans) requeue(id);
  if (done()) engine_.stop();
}

void ServingModel::finish(sim::SimTime end) {
  for (RequestRecord& rec : records_) {
    if (rec.status == RequestStatus::unfinished && rec.completion)
      rec.status = RequestStatus::completed;
  }
  for (Replica& r : replicas_) {
    if (tracer_ && r.busy) trace_iteration(r, end, "unfinished at the end of the run");
    const BusySplit& basis = r.saturated_busy.total() > 0 ? r.saturated_busy : r.busy_total;
    walls_.set_kind(r.saturation, basis.total() > 0 ? basis.bound_kind() : "compute");
  }
}

}  // namespace models
