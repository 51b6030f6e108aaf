// Where serving requests come from: a Poisson process with length distributions, or a
// recorded trace (arrival time, prompt tokens, output tokens) replayed with a time scale.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
};

struct Arrival {
  sim::SimTime at;
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
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
