#include "sim/wall_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sim {

namespace {
// Relative slack when comparing against the threshold: a window that was busy all the time
// must count as 100 % even though its integral went through floating-point sums.
constexpr double kSlack = 1e-9;
}  // namespace

const char* to_string(Aggregation a) {
  switch (a) {
    case Aggregation::level:
      return "level";
    case Aggregation::rate:
      return "rate";
    case Aggregation::sample:
      return "sample";
  }
  return "?";
}

WallMonitor::WallMonitor(WallOptions options, SimTime start)
    : options_(options), start_(start), end_(start) {
  if (options_.window <= Duration::ns(0))
    throw std::invalid_argument("WallMonitor: window must be > 0");
  if (!(options_.threshold > 0)) throw std::invalid_argument("WallMonitor: threshold must be > 0");
}

void RunningQuantile::add(double x) {
  if (!low_.empty() && x > low_.top()) {
    high_.push(x);
  } else {
    low_.push(x);
  }
  // Keep exactly ceil(q*n) values in the low heap, so its top is the nearest-rank quantile.
  const auto n = static_cast<double>(low_.size() + high_.size());
  const auto want = static_cast<std::size_t>(std::max(1.0, std::ceil(q_ * n - 1e-9)));
  while (low_.size() > want) {
    high_.push(low_.top());
    low_.pop();
  }
  while (low_.size() < want && !high_.empty()) {
    low_.push(high_.top());
    high_.pop();
  }
}

double RunningQuantile::value() const {
  return low_.empty() ? std::numeric_limits<double>::quiet_NaN() : low_.top();
}

ResourceId WallMonitor::add(std::string name, std::string kind, double limit, std::string unit,
                            Aggregation aggregation, double quantile) {
  name = scope_.apply(std::move(name));
  if (!(limit > 0) || !std::isfinite(limit)) {
    throw std::invalid_argument("WallMonitor: resource " + name + " needs a finite limit > 0");
  }
  if (!(quantile > 0 && quantile <= 1)) {
    throw std::invalid_argument("WallMonitor: resource " + name + " needs a quantile in (0, 1]");
  }
  State s;
  s.result.quantile = quantile;
  s.running = RunningQuantile(quantile);
  s.result.name = std::move(name);
  s.result.kind = std::move(kind);
  s.result.unit = std::move(unit);
  s.result.limit = limit;
  s.result.aggregation = aggregation;
  s.last = start_;
  resources_.push_back(std::move(s));
  return ResourceId{static_cast<std::uint32_t>(resources_.size() - 1)};
}

void WallMonitor::close_bin(State& s, SimTime bin_end, double covered_s) {
  double util;
  if (s.result.aggregation == Aggregation::sample) {
    util = s.running.value() / s.result.limit;  // NaN before the first sample
  } else {
    util = covered_s > 0 ? s.bin_integral / covered_s / s.result.limit : 0.0;
  }
  if (s.result.aggregation == Aggregation::rate && covered_s > 0) {
    s.result.peak_utilization = std::max(s.result.peak_utilization, util);
    // The window was at the wall: the hit is dated at its start (the load that filled it was
    // there from then on, on average), so a wall is reported within one window of the
    // moment it began to bind.
    if (!s.result.first_hit && util >= options_.threshold * (1 - kSlack))
      s.result.first_hit = bin_end - Duration::from_seconds(sim::Seconds(covered_s));
  }
  s.result.series_time_s.push_back(bin_end.seconds());
  s.result.series_utilization.push_back(util);
  s.bin_integral = 0;
}

void WallMonitor::advance(State& s, SimTime now) {
  if (now < s.last)
    throw std::logic_error("WallMonitor: load of " + s.result.name + " went back in time");
  const std::int64_t w = options_.window.count_ns();
  while (true) {
    const SimTime bin_end = start_ + Duration::ns((s.bin + 1) * w);
    if (now < bin_end) break;
    const double dt = (bin_end - s.last).seconds().value();
    s.bin_integral += s.load * dt;
    s.total_integral += s.load * dt;
    close_bin(s, bin_end, options_.window.seconds().value());
    s.last = bin_end;
    ++s.bin;
  }
  const double dt = (now - s.last).seconds().value();
  s.bin_integral += s.load * dt;
  s.total_integral += s.load * dt;
  s.last = now;
}

void WallMonitor::set_load(ResourceId id, SimTime now, double load) {
  State& s = resources_.at(id.index);
  if (s.result.aggregation == Aggregation::sample) {
    throw std::logic_error("WallMonitor: " + s.result.name + " takes samples, not loads");
  }
  advance(s, now);
  s.load = load;
  if (s.result.aggregation == Aggregation::level) {
    const double util = load / s.result.limit;
    s.result.peak_utilization = std::max(s.result.peak_utilization, util);
    if (!s.result.first_hit && util >= options_.threshold * (1 - kSlack)) s.result.first_hit = now;
  }
}

void WallMonitor::set_kind(ResourceId id, std::string kind) {
  resources_.at(id.index).result.kind = std::move(kind);
}

void WallMonitor::observe(ResourceId id, SimTime now, double value) {
  State& s = resources_.at(id.index);
  if (s.result.aggregation != Aggregation::sample) {
    throw std::logic_error("WallMonitor: " + s.result.name + " takes loads, not samples");
  }
  advance(s, now);
  s.sample_sum += value;
  ++s.samples;
  s.running.add(value);
  if (s.samples >= min_samples(s)) judge_sample(s, now);
}

// A q-quantile needs 1 / (1 - q) observations before it is more than the maximum.
std::int64_t WallMonitor::min_samples(const State& s) {
  const double q = s.result.quantile;
  return q >= 1 ? 1 : static_cast<std::int64_t>(std::ceil(1 / (1 - q) - 1e-9));
}

void WallMonitor::judge_sample(State& s, SimTime now) {
  const double util = s.running.value() / s.result.limit;
  s.result.peak_utilization = std::max(s.result.peak_utilization, util);
  if (!s.result.first_hit && util >= options_.threshold * (1 - kSlack)) s.result.first_hit = now;
}

void WallMonitor::finish(SimTime end) {
  if (finished_) throw std::logic_error("WallMonitor: finish() called twice");
  finished_ = true;
  end_ = end;
  const double span = (end - start_).seconds().value();
  for (State& s : resources_) {
    advance(s, end);
    const SimTime bin_start = start_ + Duration::ns(s.bin * options_.window.count_ns());
    const double covered = (end - bin_start).seconds().value();
    if (covered > 0) close_bin(s, end, covered);
    if (s.result.aggregation == Aggregation::sample) {
      // Too few observations to have judged on the way: judge the whole run, at its end.
      if (s.samples > 0 && s.samples < min_samples(s)) judge_sample(s, end);
      s.result.mean_utilization =
          s.samples > 0 ? s.sample_sum / static_cast<double>(s.samples) / s.result.limit : 0;
    } else {
      s.result.mean_utilization = span > 0 ? s.total_integral / span / s.result.limit : 0;
    }
  }
}

std::vector<WallResult> WallMonitor::results() const {
  if (!finished_) throw std::logic_error("WallMonitor: results() before finish()");
  std::vector<WallResult> out;
  out.reserve(resources_.size());
  for (const State& s : resources_) out.push_back(s.result);
  // Hit walls first, earliest first; then the rest, nearest (highest peak) first. Ties keep
  // registration order, so the ranking is deterministic.
  std::stable_sort(out.begin(), out.end(), [](const WallResult& a, const WallResult& b) {
    if (a.first_hit.has_value() != b.first_hit.has_value()) return a.first_hit.has_value();
    if (a.first_hit && *a.first_hit != *b.first_hit) return *a.first_hit < *b.first_hit;
    return a.peak_utilization > b.peak_utilization;
  });
  for (std::size_t i = 0; i < out.size(); ++i) out[i].rank = static_cast<int>(i + 1);
  return out;
}

}  // namespace sim
