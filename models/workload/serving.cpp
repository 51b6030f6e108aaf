#include "models/workload/serving.hpp"

#include <algorithm>
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
                           std::unique_ptr<IterationCostModel> cost, std::vector<GpuGroup*> groups)
    : engine_(engine), walls_(walls), llm_(llm), spec_(spec), slo_(slo), cost_(std::move(cost)) {
  if (groups.size() != static_cast<std::size_t>(spec_.replicas) || groups.empty())
    throw std::invalid_argument("ServingModel: one GPU group per replica");
  gpu_ = groups.front()->gpu();
  const int tp = spec_.tensor_parallel;
  const HbmBudget budget = hbm_budget(llm_, gpu_, spec_.precision.weights, spec_.precision.kv_cache,
                                      tp, spec_.memory_reserve);
  weight_bytes_per_gpu_ = budget.weights;
  reserve_bytes_per_gpu_ = budget.reserve;
  kv_bytes_per_token_gpu_ = budget.kv_per_token;
  kv_capacity_tokens_ = budget.kv_capacity_tokens();
  if (kv_capacity_tokens_ < 1) {
    throw std::invalid_argument("the weights leave no HBM for the KV cache");
  }

  replicas_.resize(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    Replica& r = replicas_[i];
    r.index = static_cast<int>(i);
    r.group = groups[i];
    if (r.group->size() != tp) throw std::invalid_argument("ServingModel: group size != tp");
    const std::string prefix = r.group->name() + ".";
    // The kind is set in finish(), once the busy time says what bound the replica.
    r.saturation = walls_.add(prefix + "saturation", "compute", 1.0, "", sim::Aggregation::rate);
    r.hbm_capacity = walls_.add(prefix + "hbm_capacity", "hbm_capacity", gpu_.hbm_capacity.value(),
                                "B", sim::Aggregation::level);
    update_capacity_load(r);
    r.group->on_stop([this, &r](sim::SimTime at) { on_stop(r, at); });
  }
  slo_ttft_ = walls_.add("slo.ttft", "latency_slo", slo_.ttft.value(), "s",
                         sim::Aggregation::sample, slo_.percentile);
  slo_tpot_ = walls_.add("slo.tpot", "latency_slo", slo_.tpot.value(), "s",
                         sim::Aggregation::sample, slo_.percentile);
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
  engine_.schedule_at(arrival.at, [this, arrival] { on_arrivals(arrival); }, "serving.arrivals");
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

int ServingModel::route() {
  const int n = static_cast<int>(replicas_.size());
  if (spec_.router == Router::round_robin) {
    for (int k = 0; k < n; ++k) {
      const int r = (next_round_robin_ + k) % n;
      if (replicas_[static_cast<std::size_t>(r)].group->running()) {
        next_round_robin_ = (r + 1) % n;
        return r;
      }
    }
    return -1;
  }
  int best = -1;
  std::size_t best_load = SIZE_MAX;
  for (const Replica& r : replicas_) {
    if (!r.group->running()) continue;
    const std::size_t load = r.waiting.size() + r.running.size();
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
  if (rec.prompt_tokens + rec.output_tokens > kv_capacity_tokens_) {
    rec.status = RequestStatus::rejected;  // could never be admitted
    records_.push_back(rec);
    return -1;
  }
  records_.push_back(rec);
  ++in_flight_;
  return route_to_queue(rec.id);
}

int ServingModel::route_to_queue(std::int64_t id) {
  RequestRecord& rec = records_[static_cast<std::size_t>(id)];
  rec.replica = route();
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
    demand += static_cast<double>(head.prompt_tokens + head.output_tokens) *
              kv_bytes_per_token_gpu_.value();
  }
  walls_.set_load(r.hbm_capacity, engine_.now(), demand);
}

void ServingModel::try_start(Replica& r) {
  if (r.busy || !r.group->running()) return;
  BatchShape batch;
  r.chunk_of.clear();
  std::int64_t budget = spec_.max_batch_tokens;

  // Decodes first: each running request past its prompt generates one token.
  for (const Running& run : r.running) {
    const RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    if (run.prefilled == rec.prompt_tokens) {
      ++batch.decodes;
      batch.decode_context_sum += static_cast<double>(rec.prompt_tokens + rec.generated_tokens);
      batch.decode_contexts.push_back(rec.prompt_tokens + rec.generated_tokens);
    }
  }
  budget -= batch.decodes;

  // Then prompt chunks of requests already admitted, in admission order.
  for (std::size_t i = 0; i < r.running.size() && budget > 0; ++i) {
    const Running& run = r.running[i];
    const RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    const std::int64_t left = rec.prompt_tokens - run.prefilled;
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
  while (budget > 0 && !r.waiting.empty() &&
         r.running.size() < static_cast<std::size_t>(spec_.max_batch_requests)) {
    const std::int64_t id = r.waiting.front();
    const RequestRecord& rec = records_[static_cast<std::size_t>(id)];
    const std::int64_t need = rec.prompt_tokens + rec.output_tokens;
    if (r.kv_tokens_reserved + need > kv_capacity_tokens_) {
      r.kv_blocked = true;
      if (r.kv_blocked_request != id) {
        ++stats_.kv_blocked_admissions;
        r.kv_blocked_request = id;
      }
      break;
    }
    r.kv_blocked = false;
    r.waiting.pop_front();
    r.kv_tokens_reserved += need;
    r.running.push_back(Running{id, 0});
    const std::int64_t chunk = std::min(rec.prompt_tokens, budget);
    batch.prefills.push_back({chunk, 0, chunk == rec.prompt_tokens});
    r.chunk_of.emplace_back(r.running.size() - 1, chunk);
    budget -= chunk;
  }
  if (r.waiting.empty()) r.kv_blocked = false;
  update_capacity_load(r);

  const sim::SimTime now = engine_.now();
  if (batch.decodes == 0 && batch.prefills.empty()) {  // idle until something arrives
    r.group->go_idle(now);
    if (r.saturated) {
      r.saturated = false;
      walls_.set_load(r.saturation, now, 0);
    }
    return;
  }

  const IterationCost c = cost_->cost(batch, 1.0);
  const IterationRun run = r.group->begin_iteration(now, activity_of(c));
  sim::Duration d = run.duration;
  if (d < sim::Duration::ns(1)) d = sim::Duration::ns(1);
  const double secs = d.seconds().value();

  // Work left behind that is not waiting for KV space: the replica runs at its throughput.
  const bool saturated = !r.waiting.empty() && !r.kv_blocked;
  if (saturated != r.saturated) {
    r.saturated = saturated;
    walls_.set_load(r.saturation, now, saturated ? 1.0 : 0.0);
  }
  r.busy_split_now = split_at(c, run.clock_ratio);

  ++stats_.iterations;
  stats_.batch_tokens_sum += static_cast<double>(batch.tokens());
  stats_.flops += c.flops_per_gpu.value();
  stats_.hbm_bytes += c.hbm_bytes_per_gpu.value();
  stats_.busy_seconds += secs;
  stats_.clock_weighted_seconds += run.clock_ratio * secs;
  if (run.clock_ratio < 1) stats_.throttled_seconds += secs;
  r.busy = true;
  r.iteration_end = engine_.schedule_in(
      d, [this, &r] { on_iteration_end(r); }, "serving.replica");
}

void ServingModel::on_iteration_end(Replica& r) {
  const sim::SimTime now = engine_.now();
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
    if (r.running[i].prefilled == rec.prompt_tokens) {
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
    if (run.prefilled == rec.prompt_tokens) {
      // The iteration that completes the prompt also samples the first output token.
      if (!rec.first_token) {
        rec.first_token = now;
        walls_.observe(slo_ttft_, now, (now - rec.arrival).seconds().value());
      }
      rec.generated_tokens = 1;
      ++stats_.output_tokens;
    }
  }

  // Completions free their KV reservation.
  std::vector<Running> still;
  still.reserve(r.running.size());
  for (const Running& run : r.running) {
    RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    if (rec.generated_tokens >= rec.output_tokens) {
      rec.completion = now;
      rec.status = RequestStatus::completed;
      r.kv_tokens_reserved -= rec.prompt_tokens + rec.output_tokens;
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

  try_start(r);
  if (done()) engine_.stop();
}

void ServingModel::on_stop(Replica& r, sim::SimTime at) {
  engine_.cancel(r.iteration_end);
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
  for (std::int64_t id : orphans) {
    RequestRecord& rec = records_[static_cast<std::size_t>(id)];
    rec.generated_tokens = 0;
    ++rec.requeued;
    ++stats_.requeued;
    const int to = route_to_queue(id);
    if (to >= 0) try_start(replicas_[static_cast<std::size_t>(to)]);
  }
  if (done()) engine_.stop();
}

void ServingModel::finish(sim::SimTime end) {
  (void)end;
  for (RequestRecord& rec : records_) {
    if (rec.status == RequestStatus::unfinished && rec.completion) rec.status = RequestStatus::completed;
  }
  for (Replica& r : replicas_) {
    const BusySplit& basis = r.saturated_busy.total() > 0 ? r.saturated_busy : r.busy_total;
    walls_.set_kind(r.saturation, basis.total() > 0 ? basis.bound_kind() : "compute");
  }
}

}  // namespace models
