#include "models/workload/request_source.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace models {

std::int64_t LengthDistribution::sample(sim::RngStream& rng) const {
  double x = 0;
  switch (kind) {
    case Kind::constant: x = value; break;
    case Kind::uniform: x = rng.uniform(static_cast<double>(min), static_cast<double>(max) + 1.0 - 1e-9); x = std::floor(x); break;
    case Kind::lognormal: x = rng.lognormal(std::log(median), sigma); break;
    case Kind::empirical: x = static_cast<double>(samples[rng.uniform_index(samples.size())]); break;
  }
  const auto n = static_cast<std::int64_t>(std::llround(x));
  return std::clamp(n, min, max);
}

double LengthDistribution::mean() const {
  switch (kind) {
    case Kind::constant: return value;
    case Kind::uniform: return (static_cast<double>(min) + static_cast<double>(max)) / 2;
    case Kind::lognormal: return median * std::exp(sigma * sigma / 2);
    case Kind::empirical: {
      double s = 0;
      for (auto v : samples) s += static_cast<double>(v);
      return samples.empty() ? 0 : s / static_cast<double>(samples.size());
    }
  }
  return 0;
}

RequestSource::RequestSource(const ArrivalSpec& spec, sim::RngStream arrivals_rng,
                             sim::RngStream lengths_rng, sim::SimTime horizon)
    : spec_(&spec), arrivals_rng_(arrivals_rng), lengths_rng_(lengths_rng), horizon_(horizon) {}

std::optional<Arrival> RequestSource::next() {
  Arrival a;
  if (spec_->process == ArrivalSpec::Process::poisson) {
    t_s_ += arrivals_rng_.exponential(spec_->rate_per_s);
    a.at = sim::SimTime::zero() + sim::Duration::from_seconds(sim::Seconds(t_s_));
    a.prompt_tokens = spec_->prompt.sample(lengths_rng_);
    a.output_tokens = spec_->output.sample(lengths_rng_);
  } else {
    if (trace_pos_ >= spec_->trace.size()) return std::nullopt;
    const TraceRow& r = spec_->trace[trace_pos_++];
    a.at = sim::SimTime::zero() + sim::Duration::from_seconds(sim::Seconds(r.arrival_s * spec_->time_scale));
    a.prompt_tokens = r.prompt_tokens;
    a.output_tokens = r.output_tokens;
  }
  if (a.at >= horizon_) return std::nullopt;
  return a;
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
    out.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

template <class T>
bool parse_number(const std::string& s, T& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

// Column index (1-based) of each header cell, for "path:line:col" messages.
int column_of(const std::string& line, std::size_t cell) {
  int col = 1;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < line.size() && seen < cell; ++i) {
    if (line[i] == ',') {
      ++seen;
      col = static_cast<int>(i) + 2;
    }
  }
  return col;
}

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::pair<int, std::string>> lines;  // (line number, text)
  std::string error;
};

CsvTable read_csv(const std::string& path) {
  CsvTable t;
  std::ifstream in(path);
  if (!in) {
    t.error = path + ":1:1: cannot read file";
    return t;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      t.header = split_csv_line(line);
      continue;
    }
    if (line.empty() || line == "\r") continue;
    t.lines.emplace_back(n, line);
  }
  if (n == 0) t.error = path + ":1:1: empty file (expected a header line)";
  return t;
}

int find_column(const CsvTable& t, const std::string& name) {
  for (std::size_t i = 0; i < t.header.size(); ++i) {
    if (t.header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

TraceReadResult read_trace_csv(const std::string& path) {
  TraceReadResult r;
  const CsvTable t = read_csv(path);
  if (!t.error.empty()) {
    r.errors.push_back(t.error);
    return r;
  }
  const char* names[] = {"arrived_at", "num_prefill_tokens", "num_decode_tokens"};
  int idx[3];
  for (int i = 0; i < 3; ++i) {
    idx[i] = find_column(t, names[i]);
    if (idx[i] < 0) r.errors.push_back(path + ":1:1: missing column \"" + names[i] + "\"");
  }
  if (!r.errors.empty()) return r;
  double last = -1;
  for (const auto& [ln, text] : t.lines) {
    const auto cells = split_csv_line(text);
    TraceRow row;
    bool ok = true;
    auto bad = [&](int i, const char* what) {
      r.errors.push_back(path + ":" + std::to_string(ln) + ":" + std::to_string(column_of(text, static_cast<std::size_t>(idx[i]))) +
                         ": " + names[i] + ": " + what);
      ok = false;
    };
    const std::size_t need = static_cast<std::size_t>(std::max({idx[0], idx[1], idx[2]})) + 1;
    if (cells.size() < need) {
      r.errors.push_back(path + ":" + std::to_string(ln) + ":1: expected " + std::to_string(t.header.size()) +
                         " columns, got " + std::to_string(cells.size()));
      if (r.errors.size() > 20) break;
      continue;
    }
    if (!parse_number(cells[idx[0]], row.arrival_s) || !std::isfinite(row.arrival_s) || row.arrival_s < 0) bad(0, "must be a number >= 0");
    if (!parse_number(cells[idx[1]], row.prompt_tokens) || row.prompt_tokens < 1) bad(1, "must be an integer >= 1");
    if (!parse_number(cells[idx[2]], row.output_tokens) || row.output_tokens < 1) bad(2, "must be an integer >= 1");
    if (ok && row.arrival_s < last) bad(0, "arrival times must not decrease");
    if (ok) {
      last = row.arrival_s;
      r.rows.push_back(row);
    }
    if (r.errors.size() > 20) break;  // a wrong file: enough said
  }
  return r;
}

ColumnReadResult read_csv_int_column(const std::string& path, const std::string& column) {
  ColumnReadResult r;
  const CsvTable t = read_csv(path);
  if (!t.error.empty()) {
    r.errors.push_back(t.error);
    return r;
  }
  const int idx = find_column(t, column);
  if (idx < 0) {
    r.errors.push_back(path + ":1:1: missing column \"" + column + "\"");
    return r;
  }
  for (const auto& [ln, text] : t.lines) {
    const auto cells = split_csv_line(text);
    std::int64_t v = 0;
    double d = 0;
    if (static_cast<std::size_t>(idx) < cells.size() && parse_number(cells[idx], v) && v >= 1) {
      r.values.push_back(v);
    } else if (static_cast<std::size_t>(idx) < cells.size() && parse_number(cells[idx], d) && d >= 1 && d == std::floor(d)) {
      r.values.push_back(static_cast<std::int64_t>(d));
    } else {
      r.errors.push_back(path + ":" + std::to_string(ln) + ":" + std::to_string(column_of(text, static_cast<std::size_t>(idx))) +
                         ": " + column + ": must be an integer >= 1");
      if (r.errors.size() > 20) break;
    }
  }
  if (r.values.empty() && r.errors.empty()) r.errors.push_back(path + ":1:1: no rows");
  return r;
}

}  // namespace models
