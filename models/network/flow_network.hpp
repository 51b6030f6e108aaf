// Transfers as flows over routes, sharing links max-min fairly (max_min.hpp). A flow-level
// model: no packets, no loss, no congestion control; the sharing is recomputed whenever a
// flow starts sending or ends, and rates are constant in between.
//
// A flow of S bytes started at t0 on route R:
//   latency phase  [t0, t0 + L)       L = Topology::latency(R): links + switch hops; no bandwidth
//   used sending phase  [t0 + L, finish)   bytes leave at the flow's max-min rate, recomputed at
//   every change
// Alone on its route, finish = t0 + L + S / B (B the route's bottleneck bandwidth): the α–β
// form, exact up to the 1 ns rounding of simulated time.
//
// The model is a plain state object that answers SimGrid's two questions: next_event() and
// advance(now). FlowScheduler (below) plugs it into a sim::Engine with one pending event,
// rescheduled as rates change; run_flows() runs a list of timed flows to completion on its
// own engine (for collectives and tests).
//
// Every link accounts the bytes it carried and the time it was busy (at least one flow
// sending), and its present load, so that each tier can become a `network` wall.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/network/max_min.hpp"
#include "models/network/topology.hpp"
#include "sim/engine.hpp"
#include "sim/time.hpp"

namespace models::network {

using FlowId = std::uint32_t;

struct LinkUsage {
  sim::Bytes carried{0};
  sim::Seconds busy{0};         // time with at least one flow sending over the link
  sim::BytesPerSecond load{0};  // sum of the rates of the flows on it, now
  std::uint32_t flows = 0;      // flows sending over it, now
};

class FlowNetwork {
 public:
  explicit FlowNetwork(const Topology& topology);

  // Starts a flow at `now` (not before the last advance). `route` must be a simple path of
  // the topology's links; an empty route (source = destination) or a size of 0 completes
  // after the route's latency without using bandwidth.
  FlowId start(sim::SimTime now, Route route, sim::Bytes size);
  // When the next flow enters its sending phase or completes; nullopt when idle.
  std::optional<sim::SimTime> next_event() const;
  // Moves the network to `now` (<= next_event()): charges the bytes sent since the last
  // call, ends latency phases, completes finished flows and recomputes the sharing if
  // anything changed. Returns the flows that completed, by id.
  std::vector<FlowId> advance(sim::SimTime now);

  sim::BytesPerSecond rate(FlowId id) const { return sim::BytesPerSecond(flows_.at(id).rate); }
  sim::Bytes remaining(FlowId id) const { return sim::Bytes(flows_.at(id).remaining); }
  bool finished(FlowId id) const { return flows_.at(id).phase == Phase::done; }
  sim::SimTime finish_time(FlowId id) const { return flows_.at(id).finish; }
  sim::SimTime sending_from(FlowId id) const { return flows_.at(id).sending_from; }
  std::size_t sending_count() const { return sending_.size(); }
  std::size_t unfinished_count() const { return sending_.size() + latency_.size(); }

  std::span<const LinkUsage> usage() const { return usage_; }
  // The links some sending flow crosses now (each once), in no particular order.
  std::span<const LinkId> loaded_links() const { return loaded_links_; }
  const LinkUsage& usage(LinkId id) const { return usage_.at(id); }
  const Topology& topology() const { return *topology_; }

  // Recomputes the max-min rates of the sending flows. advance() and start() call it when
  // the set of sending flows changes; public for benchmarks.
  void recompute_rates();

 private:
  enum class Phase { latency, sending, done };
  struct Flow {
    Route route;
    double remaining = 0;  // bytes
    double rate = 0;       // bytes/s
    sim::SimTime sending_from;
    sim::SimTime predicted_finish = sim::SimTime::max();
    sim::SimTime finish = sim::SimTime::max();
    Phase phase = Phase::latency;
    std::uint32_t sending_index = 0;  // position in sending_
  };
  struct Pending {  // a flow in its latency phase
    sim::SimTime until;
    FlowId id;
    friend bool operator<(const Pending& a, const Pending& b) {  // min-heap on (time, id)
      return a.until != b.until ? a.until > b.until : a.id > b.id;
    }
  };

  void integrate_to(sim::SimTime now);
  void begin_sending(FlowId id);
  void complete(FlowId id, sim::SimTime now);

  const Topology* topology_;
  std::vector<double> capacity_;  // bytes/s by link
  std::vector<Flow> flows_;
  std::vector<Pending> latency_;  // heap
  std::vector<FlowId> sending_;
  std::vector<LinkUsage> usage_;
  std::vector<LinkId> loaded_links_;
  sim::SimTime last_;
  sim::SimTime next_completion_ = sim::SimTime::max();
  MaxMinSolver solver_;
  FlowRoutes routes_scratch_;
  std::vector<double> rates_scratch_;
};

// A FlowNetwork driven by a sim::Engine: exactly one pending engine event (the network's
// next_event()), cancelled and rescheduled when a start or an end changes the rates.
class FlowScheduler {
 public:
  using OnComplete = std::function<void(FlowId, sim::SimTime)>;

  FlowScheduler(sim::Engine& engine, const Topology& topology,
                std::string component = "network.flows");
  FlowScheduler(const FlowScheduler&) = delete;  // the pending event captures `this`
  FlowScheduler& operator=(const FlowScheduler&) = delete;

  // Starts a flow now; `on_complete` runs (from the engine) when its last byte arrives.
  FlowId start(Route route, sim::Bytes size, OnComplete on_complete = {});
  const FlowNetwork& network() const { return network_; }
  FlowNetwork& network() { return network_; }
  bool has_pending_event() const { return engine_->is_pending(pending_); }
  // `callback(now)` runs whenever the rates may have changed: after a start and after every
  // event of the network (before the completions' callbacks), e.g. to judge link walls.
  void on_rates_changed(std::function<void(sim::SimTime)> callback) {
    on_rates_changed_ = std::move(callback);
  }

 private:
  void reschedule();
  void on_event();

  sim::Engine* engine_;
  FlowNetwork network_;
  std::string component_;
  sim::EventId pending_;
  sim::SimTime pending_at_ = sim::SimTime::max();
  std::vector<OnComplete> on_complete_;  // by flow id
  std::function<void(sim::SimTime)> on_rates_changed_;
};

// Runs flows that start at given times to completion, alone on a fresh engine.
struct TimedFlow {
  sim::SimTime start;
  Route route;
  sim::Bytes size;
};
struct FlowOutcome {
  sim::SimTime start;
  sim::SimTime sending_from;  // start + route latency
  sim::SimTime finish;
};
struct FlowRun {
  std::vector<FlowOutcome> flows;  // in input order
  std::vector<LinkUsage> links;    // by link id
  sim::SimTime end;                // last completion
};
FlowRun run_flows(const Topology& topology, std::span<const TimedFlow> flows);

}  // namespace models::network
