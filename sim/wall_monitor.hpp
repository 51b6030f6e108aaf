// Resources and the generic wall monitor.
//
// Every model registers the resources it can run out of: a name ("replica[0].hbm_capacity"),
// a kind ("compute", "hbm_capacity", "power", "latency_slo", ...), a limit and a unit. It
// then reports the load over time. The monitor knows nothing of the models: it turns loads
// into utilization = load / limit, the first time each resource reaches the threshold, its
// peak and its mean, and ranks resources into a verdict: those hit by first-hit time, then
// the rest by peak utilization (the nearest wall first, with its headroom).
//
// How a load is judged depends on what it is:
//  - level:  a state held until changed (bytes allocated, watts drawn, temperature). Judged
//            at every instant: first hit is the exact time the level reached the threshold.
//  - rate:   a flow held piecewise constant (FLOP/s, B/s on a link). A roofline model makes
//            the bound resource 100 % busy within every single iteration, which says nothing
//            about saturation; saturation is the flow averaged over a window. Judged per
//            window: first hit is the START of the first window whose mean reached the
//            threshold (the load that filled that window was there from its start on average;
//            dating the hit at the window's start reports a wall within one window of the
//            moment it began to bind).
//  - sample: observations at instants (one request's time to first token against its SLO).
//            Judged by a quantile q of all observations so far (SLOs are percentiles: "p99
//            TTFT <= 2 s"): first hit is the first observation after which the running
//            q-quantile reached the threshold, once there are enough observations for it
//            (1 / (1 - q); a run with fewer is judged once, at its end). q = 1 judges every
//            observation. Peak is the highest running quantile; mean is over observations.
// Loads may exceed the limit: models report *demand* (e.g. the KV bytes that waiting
// requests need), so "the wall was hit" means demand met the limit.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace sim {

enum class Aggregation { level, rate, sample };

struct ResourceId {
  std::uint32_t index = 0;
};

struct WallOptions {
  double threshold = 1.0;            // utilization that counts as hitting the wall
  Duration window = Duration::s(1);  // averaging window of rate resources and series bins
};

struct WallResult {
  std::string name;
  std::string kind;
  std::string unit;
  double limit = 0;
  Aggregation aggregation = Aggregation::level;
  double peak_utilization = 0;
  double mean_utilization = 0;
  std::optional<SimTime> first_hit;
  int rank = 0;         // 1 = the first wall
  double quantile = 1;  // sample resources: the quantile judged
  // Utilization per window (level: time-mean; rate: window mean; sample: the running quantile
  // at the window's end, NaN before the first sample). time_s is each window's end.
  std::vector<double> series_time_s;
  std::vector<double> series_utilization;
};

// The nearest-rank q-quantile (the ceil(q*n)-th smallest) of a growing set of values, in
// O(log n) per value: a max-heap holds the ceil(q*n) smallest values, a min-heap the rest.
class RunningQuantile {
 public:
  explicit RunningQuantile(double q = 1.0) : q_(q) {}
  void add(double x);
  std::int64_t count() const { return static_cast<std::int64_t>(low_.size() + high_.size()); }
  double value() const;  // NaN when empty

 private:
  double q_;
  std::priority_queue<double> low_;
  std::priority_queue<double, std::vector<double>, std::greater<double>> high_;
};

// The names one part of a run registers (one workload of several sharing a plant) carry
// its prefix, so that its walls stand apart from another's in the ranking and the files.
// `prefix` is prepended to every name, except to names that already begin with `kept`
// (names a workload builds from its GPU groups' names, which the plant gave the prefix when
// it placed them). The empty scope leaves names as they are.
struct NameScope {
  std::string prefix;  // e.g. "chat."
  std::string kept;    // e.g. "chat.replica["; empty: none kept
  std::string apply(std::string name) const {
    if (prefix.empty() || (!kept.empty() && name.starts_with(kept))) return name;
    return prefix + name;
  }
};

class WallMonitor {
 public:
  explicit WallMonitor(WallOptions options = {}, SimTime start = SimTime::zero());

  // Registers a resource; `limit` must be > 0 (in `unit`, the same unit as the loads).
  // `quantile` (in (0, 1]) applies to sample resources only. The name is the current
  // scope's (set_scope).
  ResourceId add(std::string name, std::string kind, double limit, std::string unit,
                 Aggregation aggregation, double quantile = 1.0);

  // level/rate: the load from `now` on. Calls must come in non-decreasing time.
  void set_load(ResourceId id, SimTime now, double load);
  // sample: one observation at `now`.
  void observe(ResourceId id, SimTime now, double value);

  // A resource whose kind is known only at the end (e.g. a saturation wall whose kind is the
  // part of the busy time that bound it). Call before results().
  void set_kind(ResourceId id, std::string kind);

  // Closes the run at `end` (partial last window counts for its covered time).
  void finish(SimTime end);

  // Valid after finish(): one result per resource, sorted by rank.
  std::vector<WallResult> results() const;

  // The scope of the names add() is given from now on (NameScope); {} ends it.
  void set_scope(NameScope scope) { scope_ = std::move(scope); }
  const NameScope& scope() const { return scope_; }

  const WallOptions& options() const { return options_; }
  std::size_t size() const { return resources_.size(); }
  double current_load(ResourceId id) const { return resources_[id.index].load; }

 private:
  struct State {
    WallResult result;
    double load = 0;
    SimTime last;             // time of the last load change (level/rate)
    std::int64_t bin = 0;     // index of the open window
    double bin_integral = 0;  // ∫ load dt within the open window (load·s)
    double total_integral = 0;
    double sample_sum = 0;
    std::int64_t samples = 0;
    RunningQuantile running;
  };
  void advance(State& s, SimTime now);
  void close_bin(State& s, SimTime bin_end, double covered_s);
  static std::int64_t min_samples(const State& s);
  void judge_sample(State& s, SimTime now);

  WallOptions options_;
  SimTime start_;
  SimTime end_;
  bool finished_ = false;
  std::vector<State> resources_;
  NameScope scope_;
};

const char* to_string(Aggregation a);

}  // namespace sim
