// Where serving requests come from: a Poisson process with length distributions, or a
// recorded trace (arrival time, prompt tokens, output tokens) replayed with a time scale.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/network/propagation.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace models {

// Token-length distributions, sampled with the project's own RNG; results are rounded to
// the nearest integer and clamped to [min, max].
struct LengthDistribution {
  enum class Kind { constant, uniform, lognormal, empirical };
  Kind kind = Kind::constant;
  double value = 0;              // constant
  double median = 0, sigma = 0;  // lognormal: median = exp(mu)
  std::int64_t min = 1, max = 1 << 20;
  std::vector<std::int64_t> samples;  // empirical: drawn uniformly (bootstrap)

  std::int64_t sample(sim::RngStream& rng) const;
  double mean() const;  // of the unclamped distribution (empirical: of the samples)
};

struct TraceRow {
  double arrival_s = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct ArrivalSpec {
  enum class Process { poisson, trace };
  Process process = Process::poisson;
  double rate_per_s = 0;  // poisson
  LengthDistribution prompt, output;
  std::vector<TraceRow> trace;  // trace, sorted by arrival
  std::string trace_path;
  double time_scale = 1;  // trace arrival times are multiplied by this
  // The trace replayed back to back until the horizon: copy k of row i arrives at
  // (t_i + k period) x time_scale, the period being trace_period_s().
  bool repeat = false;
  // The last arrival plus one mean gap, t_last + (t_last - t_first) / (n - 1): the next copy
  // starts one mean gap after the last arrival, so a repeated trace keeps its mean rate,
  // (n - 1) / (t_last - t_first). 0 for fewer than two rows.
  double trace_period_s() const;
};

struct Arrival {
  sim::SimTime at;
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
};

// Where the users are (`workload.users`): regions at a great-circle distance from the serving
// site, each sending a share of the requests. Arrival times are at the site (the arrival
// process or trace as given); a user in region i sent the request earlier and sees every token
// later. Light in fiber only (models/network/propagation.hpp, t = L n / c), over a fiber route
// `path_factor` times the great-circle distance:
//
//   one way      t1 = d · path_factor · n / c
//   TTFT (user)  = TTFT (site) + 2 (1 + h) t1    (h handshake round trips before the request)
//   E2E  (user)  = E2E  (site) + 2 (1 + h) t1
//   TPOT (user)  = TPOT (site)                   (every token arrives t1 later)
//
// path_factor: fiber route length / great-circle distance. Default 1.3, the median over the
// 120 largest US population centres of shortest paths through the long-haul conduits of the
// InterTubes map; measured Internet paths follow the rule of thumb 2.1 (Bozkurt et al.,
// "Dissecting Latency in the Internet's Fiber Infrastructure", arXiv:1811.10737, 2018).
// h: round trips before the request can be sent: 0 on an open connection (HTTP/2 keep-alive,
// the usual API client); 2 for a new TCP (three-way handshake, RFC 9293 §3.5) plus TLS 1.3
// (full handshake 1-RTT, RFC 8446 §2) connection; 1 for new QUIC (RFC 9000/9001). Only the
// light of those round trips is counted: no server, stack or queueing time.
struct UserRegion {
  std::string name;
  double share = 1;          // of the requests; the shares sum to 1
  network::Length distance;  // great-circle, user to serving site
};

inline constexpr double kFiberPathFactor = 1.3;

struct UserSpec {
  std::vector<UserRegion> regions;  // empty: users at the site, no delay
  double path_factor = kFiberPathFactor;
  double refractive_index = network::kFiberRefractiveIndex;
  int handshake_round_trips = 0;

  bool at_distance() const { return !regions.empty(); }
  // Light one way between region `i` and the site: fiber_delay(d · path_factor, n).
  sim::Seconds one_way(std::size_t i) const;
  // Light a user of region `i` waits for before the first token, beyond the site's TTFT:
  // 2 (1 + h) one_way(i).
  sim::Seconds light_before_first_token(std::size_t i) const;
  // The great-circle distance at which that light alone is `share` of `budget`:
  // d = share · budget · c / (2 (1 + h) · path_factor · n).
  network::Length distance_at(sim::Seconds budget, double share) const;
  // A region drawn by its share (inverse CDF on one uniform); 0 when there is one region.
  std::size_t draw(sim::RngStream& rng) const;
};

// Produces arrivals in time order, lazily, until `horizon` (exclusive).
class RequestSource {
 public:
  RequestSource(const ArrivalSpec& spec, sim::RngStream arrivals_rng, sim::RngStream lengths_rng,
                sim::SimTime horizon);
  std::optional<Arrival> next();

 private:
  const ArrivalSpec* spec_;
  sim::RngStream arrivals_rng_;
  sim::RngStream lengths_rng_;
  sim::SimTime horizon_;
  double t_s_ = 0;
  std::size_t trace_pos_ = 0;
  double trace_period_s_ = 0;  // spec_->trace_period_s(), once
};

// Reads a trace CSV with a header naming the columns arrived_at, num_prefill_tokens,
// num_decode_tokens (the format of ../shared/data/traces). Problems are returned as
// "path:line:col: message" strings, all of them.
struct TraceReadResult {
  std::vector<TraceRow> rows;
  std::vector<std::string> errors;
};
TraceReadResult read_trace_csv(const std::string& path);

// Reads one integer column of a CSV (for empirical length distributions).
struct ColumnReadResult {
  std::vector<std::int64_t> values;
  std::vector<std::string> errors;
};
ColumnReadResult read_csv_int_column(const std::string& path, const std::string& column);

}  // namespace models
