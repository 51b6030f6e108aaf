#include "models/workload/serving.hpp"

#include "models/memory/hbm_budget.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace models {

ServingModel::ServingModel(sim::Engine& engine, sim::WallMonitor& walls, const LlmSpec& llm,
                           const GpuSpec& gpu, const ServingSpec& spec, const SloSpec& slo,
                           std::unique_ptr<IterationCostModel> cost)
    : engine_(engine),
      walls_(walls),
      llm_(llm),
      gpu_(gpu),
      spec_(spec),
      slo_(slo),
      cost_(std::move(cost)) {
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

  const auto peak = gpu_.peak(spec_.precision.compute);
  replicas_.resize(static_cast<std::size_t>(spec_.replicas));
  for (int i = 0; i < spec_.replicas; ++i) {
    Replica& r = replicas_[static_cast<std::size_t>(i)];
    r.index = i;
    const std::string prefix = "replica[" + std::to_string(i) + "].";
    r.compute =
        walls_.add(prefix + "compute", "compute", peak->value(), "FLOP/s", sim::Aggregation::rate);
    r.hbm_bandwidth = walls_.add(prefix + "hbm_bandwidth", "hbm_bandwidth",
                                 gpu_.hbm_bandwidth.value(), "B/s", sim::Aggregation::rate);
    r.hbm_capacity = walls_.add(prefix + "hbm_capacity", "hbm_capacity", gpu_.hbm_capacity.value(),
                                "B", sim::Aggregation::level);
    if (tp > 1) {
      r.scale_up = walls_.add(prefix + "scale_up", "network", gpu_.scale_up_one_direction().value(),
                              "B/s", sim::Aggregation::rate);
    }
    update_capacity_load(r);
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

void ServingModel::schedule_next_arrival() {
  std::optional<Arrival> a = source_->next();
  if (!a) return;
  const Arrival arrival = *a;
  engine_.schedule_at(
      arrival.at,
      [this, arrival] {
        on_arrival(arrival);
        schedule_next_arrival();
      },
      "serving.arrivals");
}

int ServingModel::route() {
  if (spec_.router == Router::round_robin) {
    const int r = next_round_robin_;
    next_round_robin_ = (next_round_robin_ + 1) % spec_.replicas;
    return r;
  }
  int best = 0;
  std::size_t best_load = SIZE_MAX;
  for (const Replica& r : replicas_) {
    const std::size_t load = r.waiting.size() + r.running.size();
    if (load < best_load) {
      best_load = load;
      best = r.index;
    }
  }
  return best;
}

void ServingModel::on_arrival(const Arrival& a) {
  RequestRecord rec;
  rec.id = static_cast<std::int64_t>(records_.size());
  rec.arrival = engine_.now();
  rec.prompt_tokens = a.prompt_tokens;
  rec.output_tokens = a.output_tokens;
  if (rec.prompt_tokens + rec.output_tokens > kv_capacity_tokens_) {
    rec.status = RequestStatus::rejected;  // could never be admitted
    records_.push_back(rec);
    return;
  }
  rec.replica = route();
  records_.push_back(rec);
  Replica& r = replicas_[static_cast<std::size_t>(rec.replica)];
  r.waiting.push_back(rec.id);
  try_start(r);
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
  if (r.busy) return;
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

  // Then admissions, first come first served, while the KV cache can hold them.
  const bool was_blocked = r.kv_blocked;
  r.kv_blocked = false;
  while (budget > 0 && !r.waiting.empty() &&
         r.running.size() < static_cast<std::size_t>(spec_.max_batch_requests)) {
    const std::int64_t id = r.waiting.front();
    const RequestRecord& rec = records_[static_cast<std::size_t>(id)];
    const std::int64_t need = rec.prompt_tokens + rec.output_tokens;
    if (r.kv_tokens_reserved + need > kv_capacity_tokens_) {
      r.kv_blocked = true;
      if (!was_blocked) ++stats_.kv_blocked_admissions;
      break;
    }
    r.waiting.pop_front();
    r.kv_tokens_reserved += need;
    r.running.push_back(Running{id, 0});
    const std::int64_t chunk = std::min(rec.prompt_tokens, budget);
    batch.prefills.push_back({chunk, 0, chunk == rec.prompt_tokens});
    r.chunk_of.emplace_back(r.running.size() - 1, chunk);
    budget -= chunk;
  }
  update_capacity_load(r);

  if (batch.decodes == 0 && batch.prefills.empty()) return;  // idle until something arrives

  const IterationCost c = cost_->cost(batch, 1.0);
  sim::Duration d = sim::Duration::from_seconds(c.time);
  if (d < sim::Duration::ns(1)) d = sim::Duration::ns(1);
  const double secs = d.seconds().value();
  const sim::SimTime now = engine_.now();
  walls_.set_load(r.compute, now, c.flops_per_gpu.value() / secs);
  walls_.set_load(r.hbm_bandwidth, now, c.hbm_bytes_per_gpu.value() / secs);
  if (spec_.tensor_parallel > 1)
    walls_.set_load(r.scale_up, now, c.link_bytes_per_gpu.value() / secs);

  ++stats_.iterations;
  stats_.batch_tokens_sum += static_cast<double>(batch.tokens());
  r.busy = true;
  engine_.schedule_in(
      d, [this, &r] { on_iteration_end(r); }, "serving.replica");
}

void ServingModel::on_iteration_end(Replica& r) {
  const sim::SimTime now = engine_.now();
  r.busy = false;

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
    }
  }
  for (const auto& [idx, tokens] : r.chunk_of) {
    Running& run = r.running[idx];
    RequestRecord& rec = records_[static_cast<std::size_t>(run.request)];
    run.prefilled += tokens;
    stats_.prefill_tokens += tokens;
    if (run.prefilled == rec.prompt_tokens) {
      // The iteration that completes the prompt also samples the first output token.
      rec.first_token = now;
      rec.generated_tokens = 1;
      walls_.observe(slo_ttft_, now, (now - rec.arrival).seconds().value());
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

  walls_.set_load(r.compute, now, 0);
  walls_.set_load(r.hbm_bandwidth, now, 0);
  if (spec_.tensor_parallel > 1) walls_.set_load(r.scale_up, now, 0);
  try_start(r);
}

void ServingModel::finish(sim::SimTime end) {
  (void)end;
  for (RequestRecord& rec : records_) {
    if (rec.status != RequestStatus::rejected && !rec.completion)
      rec.status = RequestStatus::unfinished;
  }
}

}  // namespace models
