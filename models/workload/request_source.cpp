#include "models/workload/request_source.hpp"

#include "sim/csv.hpp"

#include <algorithm>
#include <cmath>

namespace models {

std::int64_t LengthDistribution::sample(sim::RngStream& rng) const {
  double x = 0;
  switch (kind) {
    case Kind::constant:
      x = value;
      break;
    case Kind::uniform:
      x = rng.uniform(static_cast<double>(min), static_cast<double>(max) + 1.0 - 1e-9);
      x = std::floor(x);
      break;
    case Kind::lognormal:
      x = rng.lognormal(std::log(median), sigma);
      break;
    case Kind::empirical:
      x = static_cast<double>(samples[rng.uniform_index(samples.size())]);
      break;
  }
  const auto n = static_cast<std::int64_t>(std::llround(x));
  return std::clamp(n, min, max);
}

double LengthDistribution::mean() const {
  switch (kind) {
    case Kind::constant:
      return value;
    case Kind::uniform:
      return (static_cast<double>(min) + static_cast<double>(max)) / 2;
    case Kind::lognormal:
      return median * std::exp(sigma * sigma / 2);
    case Kind::empirical: {
      double s = 0;
      for (auto v : samples) s += static_cast<double>(v);
      return samples.empty() ? 0 : s / static_cast<double>(samples.size());
    }
  }
  return 0;
}

sim::Seconds UserSpec::one_way(std::size_t i) const {
  const network::Length route =
      network::Length::meters(regions.at(i).distance.meters() * path_factor);
  return network::fiber_delay(route, refractive_index);
}

sim::Seconds UserSpec::light_before_first_token(std::size_t i) const {
  return sim::Seconds(2.0 * (1 + handshake_round_trips) * one_way(i).value());
}

network::Length UserSpec::distance_at(sim::Seconds budget, double share) const {
  return network::Length::meters(
      share * budget.value() * network::kSpeedOfLightMetersPerSecond /
      (2.0 * (1 + handshake_round_trips) * path_factor * refractive_index));
}

std::size_t UserSpec::draw(sim::RngStream& rng) const {
  if (regions.size() <= 1) return 0;
  const double u = rng.uniform01();
  double cumulative = 0;
  for (std::size_t i = 0; i + 1 < regions.size(); ++i) {
    cumulative += regions[i].share;
    if (u < cumulative) return i;
  }
  return regions.size() - 1;
}

double ArrivalSpec::trace_period_s() const {
  if (trace.size() < 2) return 0;
  const double span = trace.back().arrival_s - trace.front().arrival_s;
  return trace.back().arrival_s + span / static_cast<double>(trace.size() - 1);
}

RequestSource::RequestSource(const ArrivalSpec& spec, sim::RngStream arrivals_rng,
                             sim::RngStream lengths_rng, sim::SimTime horizon)
    : spec_(&spec),
      arrivals_rng_(arrivals_rng),
      lengths_rng_(lengths_rng),
      horizon_(horizon),
      trace_period_s_(spec.trace_period_s()) {}

std::optional<Arrival> RequestSource::next() {
  Arrival a;
  if (spec_->process == ArrivalSpec::Process::poisson) {
    t_s_ += arrivals_rng_.exponential(spec_->rate_per_s);
    a.at = sim::SimTime::zero() + sim::Duration::from_seconds(sim::Seconds(t_s_));
    a.prompt_tokens = spec_->prompt.sample(lengths_rng_);
    a.output_tokens = spec_->output.sample(lengths_rng_);
  } else {
    const std::size_t n = spec_->trace.size();
    if (n == 0 || (!spec_->repeat && trace_pos_ >= n)) return std::nullopt;
    const std::size_t copy = trace_pos_ / n;
    const TraceRow& r = spec_->trace[trace_pos_++ % n];
    // Copy 0 is the trace's own times exactly (copy x period adds 0).
    const double t_s = r.arrival_s + static_cast<double>(copy) * trace_period_s_;
    a.at =
        sim::SimTime::zero() + sim::Duration::from_seconds(sim::Seconds(t_s * spec_->time_scale));
    a.prompt_tokens = r.prompt_tokens;
    a.output_tokens = r.output_tokens;
  }
  if (a.at >= horizon_) return std::nullopt;
  return a;
}

TraceReadResult read_trace_csv(const std::string& path) {
  TraceReadResult r;
  std::string error;
  const auto t = sim::csv::read(path, error);
  if (!t) {
    r.errors.push_back(error);
    return r;
  }
  const char* names[] = {"arrived_at", "num_prefill_tokens", "num_decode_tokens"};
  std::size_t idx[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (auto c = t->column(names[i])) {
      idx[i] = *c;
    } else {
      r.errors.push_back(path + ":1:1: missing column \"" + names[i] + "\"");
    }
  }
  if (!r.errors.empty()) return r;
  const std::size_t need = std::max({idx[0], idx[1], idx[2]}) + 1;
  double last = -1;
  for (const sim::csv::Row& row : t->rows) {
    if (r.errors.size() > 20) break;  // a wrong file: enough said
    if (row.cells.size() < need) {
      r.errors.push_back(sim::csv::where(*t, row, 0) + "expected " +
                         std::to_string(t->header.size()) + " columns, got " +
                         std::to_string(row.cells.size()));
      continue;
    }
    TraceRow tr;
    long long prompt = 0, output = 0;
    bool ok = true;
    auto bad = [&](int i, const char* what) {
      r.errors.push_back(sim::csv::where(*t, row, idx[i]) + names[i] + ": " + what);
      ok = false;
    };
    if (!sim::csv::parse_double(row.cells[idx[0]], tr.arrival_s) || !std::isfinite(tr.arrival_s) ||
        tr.arrival_s < 0) {
      bad(0, "must be a number >= 0");
    }
    if (!sim::csv::parse_int(row.cells[idx[1]], prompt) || prompt < 1)
      bad(1, "must be an integer >= 1");
    if (!sim::csv::parse_int(row.cells[idx[2]], output) || output < 1)
      bad(2, "must be an integer >= 1");
    if (ok && tr.arrival_s < last) bad(0, "arrival times must not decrease");
    if (!ok) continue;
    tr.prompt_tokens = prompt;
    tr.output_tokens = output;
    last = tr.arrival_s;
    r.rows.push_back(tr);
  }
  return r;
}

ColumnReadResult read_csv_int_column(const std::string& path, const std::string& column) {
  ColumnReadResult r;
  std::string error;
  const auto t = sim::csv::read(path, error);
  if (!t) {
    r.errors.push_back(error);
    return r;
  }
  const auto idx = t->column(column);
  if (!idx) {
    r.errors.push_back(path + ":1:1: missing column \"" + column + "\"");
    return r;
  }
  for (const sim::csv::Row& row : t->rows) {
    if (r.errors.size() > 20) break;
    long long v = 0;
    double d = 0;
    const std::string cell = *idx < row.cells.size() ? row.cells[*idx] : std::string();
    if (sim::csv::parse_int(cell, v) && v >= 1) {
      r.values.push_back(v);
    } else if (sim::csv::parse_double(cell, d) && d >= 1 && d == std::floor(d) && d < 9e18) {
      r.values.push_back(static_cast<std::int64_t>(d));
    } else {
      r.errors.push_back(sim::csv::where(*t, row, *idx) + column + ": must be an integer >= 1");
    }
  }
  if (r.values.empty() && r.errors.empty()) r.errors.push_back(path + ":1:1: no rows");
  return r;
}

}  // namespace models
