#include "models/network/flow_network.hpp"

#include <algorithm>
#include <stdexcept>

namespace models::network {

namespace {

// A flow whose predicted remainder is below one nanosecond of sending is done: simulated
// time cannot tell it from zero.
constexpr double kOneNanosecond = 1e-9;
// Predictions past this are "never" for the event queue (31 years; int64 ns spans 292).
constexpr double kLongestPredictionSeconds = 1e9;

}  // namespace

FlowNetwork::FlowNetwork(const Topology& topology)
    : topology_(&topology), usage_(topology.link_count()) {
  capacity_.reserve(topology.link_count());
  for (const Link& l : topology.links()) capacity_.push_back(l.bandwidth.value());
}

FlowId FlowNetwork::start(sim::SimTime now, Route route, sim::Bytes size) {
  if (now < last_) throw std::logic_error("FlowNetwork::start: before the last advance");
  if (size.value() < 0) throw std::invalid_argument("FlowNetwork::start: negative size");
  for (LinkId l : route)
    if (l >= capacity_.size()) throw std::invalid_argument("FlowNetwork::start: no such link");
  integrate_to(now);
  const auto id = static_cast<FlowId>(flows_.size());
  Flow flow;
  flow.remaining = size.value();
  flow.sending_from = now + sim::Duration::from_seconds(topology_->latency(route));
  flow.route = std::move(route);
  flows_.push_back(std::move(flow));
  latency_.push_back({flows_.back().sending_from, id});
  std::push_heap(latency_.begin(), latency_.end());
  return id;
}

std::optional<sim::SimTime> FlowNetwork::next_event() const {
  sim::SimTime next = next_completion_;
  if (!latency_.empty()) next = std::min(next, latency_.front().until);
  if (next == sim::SimTime::max()) return std::nullopt;
  return next;
}

void FlowNetwork::integrate_to(sim::SimTime now) {
  if (now <= last_) return;
  const double dt = (now - last_).seconds().value();
  for (FlowId id : sending_) flows_[id].remaining -= flows_[id].rate * dt;
  for (LinkId l : loaded_links_) {
    usage_[l].carried += usage_[l].load * sim::Seconds(dt);
    usage_[l].busy += sim::Seconds(dt);
  }
  last_ = now;
}

void FlowNetwork::begin_sending(FlowId id) {
  Flow& f = flows_[id];
  f.phase = Phase::sending;
  f.sending_index = static_cast<std::uint32_t>(sending_.size());
  sending_.push_back(id);
}

void FlowNetwork::complete(FlowId id, sim::SimTime now) {
  Flow& f = flows_[id];
  if (f.phase == Phase::sending) {
    // The residual of the last integration step (a fraction of a nanosecond's bytes, either
    // sign) goes to the links too, so that each link's carried bytes add up exactly.
    for (LinkId l : f.route) usage_[l].carried += sim::Bytes(f.remaining);
    const FlowId moved = sending_.back();
    sending_[f.sending_index] = moved;
    flows_[moved].sending_index = f.sending_index;
    sending_.pop_back();
  }
  f.phase = Phase::done;
  f.remaining = 0;
  f.rate = 0;
  f.finish = now;
}

std::vector<FlowId> FlowNetwork::advance(sim::SimTime now) {
  if (now < last_) throw std::logic_error("FlowNetwork::advance: time went backwards");
  if (auto next = next_event(); next && now > *next)
    throw std::logic_error("FlowNetwork::advance: past the next event");
  integrate_to(now);
  std::vector<FlowId> completed;
  for (FlowId id : sending_) {
    const Flow& f = flows_[id];
    if (f.predicted_finish <= now || f.remaining <= f.rate * kOneNanosecond)
      completed.push_back(id);
  }
  bool changed = !completed.empty();
  for (FlowId id : completed) complete(id, now);
  while (!latency_.empty() && latency_.front().until <= now) {
    std::pop_heap(latency_.begin(), latency_.end());
    const FlowId id = latency_.back().id;
    latency_.pop_back();
    if (flows_[id].route.empty() || flows_[id].remaining <= 0) {
      complete(id, now);
      completed.push_back(id);
    } else {
      begin_sending(id);
      changed = true;
    }
  }
  if (changed) recompute_rates();
  std::sort(completed.begin(), completed.end());
  return completed;
}

void FlowNetwork::recompute_rates() {
  routes_scratch_.clear();
  for (FlowId id : sending_) routes_scratch_.add(flows_[id].route);
  rates_scratch_.resize(sending_.size());
  solver_.solve(capacity_, routes_scratch_, rates_scratch_);

  for (LinkId l : loaded_links_) usage_[l].load = sim::BytesPerSecond(0), usage_[l].flows = 0;
  loaded_links_.clear();
  next_completion_ = sim::SimTime::max();
  for (std::size_t i = 0; i < sending_.size(); ++i) {
    Flow& f = flows_[sending_[i]];
    f.rate = rates_scratch_[i];
    for (LinkId l : f.route) {
      if (usage_[l].flows++ == 0) loaded_links_.push_back(l);
      usage_[l].load += sim::BytesPerSecond(f.rate);
    }
    const double seconds_left = std::max(0.0, f.remaining) / f.rate;
    f.predicted_finish = f.rate > 0 && seconds_left < kLongestPredictionSeconds
                             ? last_ + sim::Duration::from_seconds(sim::Seconds(seconds_left))
                             : sim::SimTime::max();
    next_completion_ = std::min(next_completion_, f.predicted_finish);
  }
}

FlowScheduler::FlowScheduler(sim::Engine& engine, const Topology& topology, std::string component)
    : engine_(&engine), network_(topology), component_(std::move(component)) {}

FlowId FlowScheduler::start(Route route, sim::Bytes size, OnComplete on_complete) {
  const FlowId id = network_.start(engine_->now(), std::move(route), size);
  if (on_complete_.size() <= id) on_complete_.resize(id + 1);
  on_complete_[id] = std::move(on_complete);
  reschedule();
  if (on_rates_changed_) on_rates_changed_(engine_->now());
  return id;
}

void FlowScheduler::reschedule() {
  const std::optional<sim::SimTime> next = network_.next_event();
  if (next && *next == pending_at_ && engine_->is_pending(pending_)) return;
  engine_->cancel(pending_);
  pending_at_ = next.value_or(sim::SimTime::max());
  if (next)
    pending_ = engine_->schedule_at(
        *next, [this] { on_event(); }, component_);
}

void FlowScheduler::on_event() {
  pending_at_ = sim::SimTime::max();
  const sim::SimTime now = engine_->now();
  const std::vector<FlowId> completed = network_.advance(now);
  reschedule();
  if (on_rates_changed_) on_rates_changed_(now);
  for (FlowId id : completed) {
    if (!on_complete_[id]) continue;
    OnComplete callback = std::move(on_complete_[id]);
    on_complete_[id] = nullptr;
    callback(id, now);
  }
}

FlowRun run_flows(const Topology& topology, std::span<const TimedFlow> flows) {
  sim::Engine engine;
  FlowScheduler scheduler(engine, topology);
  std::vector<FlowId> ids(flows.size());
  for (std::size_t i = 0; i < flows.size(); ++i) {
    engine.schedule_at(
        flows[i].start, [&, i] { ids[i] = scheduler.start(flows[i].route, flows[i].size); },
        "network.run_flows");
  }
  engine.run();
  FlowRun run;
  const FlowNetwork& network = scheduler.network();
  for (std::size_t i = 0; i < flows.size(); ++i) {
    run.flows.push_back(
        {flows[i].start, network.sending_from(ids[i]), network.finish_time(ids[i])});
    run.end = std::max(run.end, run.flows.back().finish);
  }
  run.links.assign(network.usage().begin(), network.usage().end());
  return run;
}

}  // namespace models::network
