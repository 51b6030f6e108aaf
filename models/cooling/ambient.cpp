#include "models/cooling/ambient.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

#include "sim/csv.hpp"
#include "sim/quantity.hpp"

namespace models::cooling {

namespace {

constexpr double kDay = 86400;

sim::Kelvin daily(const DailyCycle& c, double time_of_day) {
  return c.mean +
         c.amplitude * std::cos(2 * std::numbers::pi * (time_of_day - c.peak.value()) / kDay);
}

std::string celsius(sim::Kelvin t) {
  return sim::format_quantity(t.value(), sim::dims::temperature);
}

}  // namespace

AmbientConditions ambient_at(const AmbientSpec& spec, sim::Seconds t) {
  switch (spec.kind) {
    case AmbientKind::constant:
      return spec.constant;
    case AmbientKind::daily: {
      const double tod = t.value() + spec.start.value();
      return {daily(spec.dry_bulb, tod), daily(spec.wet_bulb, tod)};
    }
    case AmbientKind::series: {
      const auto& s = spec.series;
      if (s.empty()) return spec.constant;
      if (t <= s.front().time) return s.front().conditions;
      if (t >= s.back().time) return s.back().conditions;
      const auto hi = std::upper_bound(s.begin(), s.end(), t,
                                       [](sim::Seconds v, const auto& x) { return v < x.time; });
      const auto lo = hi - 1;
      const double w = ((t - lo->time) / (hi->time - lo->time)).value();
      const auto mix = [w](sim::Kelvin a, sim::Kelvin b) { return a + (b - a) * w; };
      return {mix(lo->conditions.dry_bulb, hi->conditions.dry_bulb),
              mix(lo->conditions.wet_bulb, hi->conditions.wet_bulb)};
    }
  }
  return spec.constant;
}

Ambient::Ambient(AmbientSpec spec) : spec_(std::move(spec)) {
  if (spec_.tick <= sim::Duration::ns(0)) throw std::invalid_argument("Ambient: tick must be > 0");
}

sim::SimTime Ambient::tick_start(sim::SimTime now) const {
  const std::int64_t tick = spec_.tick.count_ns();
  std::int64_t k = now.ns() / tick;
  if (now.ns() < 0 && now.ns() % tick != 0) --k;
  return sim::SimTime::from_ns(k * tick);
}

AmbientConditions Ambient::at(sim::SimTime now) const {
  if (spec_.kind == AmbientKind::constant) return spec_.constant;
  return ambient_at(spec_, sim::Seconds(tick_start(now).seconds()));
}

std::optional<sim::SimTime> Ambient::next_change(sim::SimTime now) const {
  if (spec_.kind == AmbientKind::constant) return std::nullopt;
  const sim::SimTime next = tick_start(now) + spec_.tick;
  if (spec_.kind == AmbientKind::series &&
      (spec_.series.empty() || sim::Seconds(tick_start(now).seconds()) >= spec_.series.back().time))
    return std::nullopt;
  return next;
}

std::variant<std::vector<AmbientSample>, std::string> read_ambient_csv(const std::string& path) {
  std::string error;
  const std::optional<sim::csv::Table> table = sim::csv::read(path, error);
  if (!table) return error;
  const std::string columns[3] = {"time_s", "dry_bulb_degC", "wet_bulb_degC"};
  std::size_t index[3] = {0, 0, 0};
  for (int c = 0; c < 3; ++c) {
    const auto i = table->column(columns[c]);
    if (!i) {
      return path + ":1:1: missing column \"" + columns[c] +
             "\" (expected time_s, dry_bulb_degC, wet_bulb_degC)";
    }
    index[c] = *i;
  }
  std::vector<AmbientSample> out;
  std::string previous_time;
  for (const sim::csv::Row& row : table->rows) {
    double v[3] = {0, 0, 0};
    for (int c = 0; c < 3; ++c) {
      const std::size_t i = index[c];
      if (i >= row.cells.size()) {
        return path + ":" + std::to_string(row.line) + ":1: expected " +
               std::to_string(table->header.size()) + " cells, got " +
               std::to_string(row.cells.size());
      }
      if (!sim::csv::parse_double(row.cells[i], v[c]) || !std::isfinite(v[c])) {
        return sim::csv::where(*table, row, i) + columns[c] + ": expected a number (got \"" +
               row.cells[i] + "\")";
      }
    }
    AmbientSample s{sim::Seconds(v[0]), {sim::from_celsius(v[1]), sim::from_celsius(v[2])}};
    if (!out.empty() && !(s.time > out.back().time)) {
      return sim::csv::where(*table, row, index[0]) + "time_s must increase (got \"" +
             row.cells[index[0]] + "\" after \"" + previous_time + "\")";
    }
    if (s.conditions.wet_bulb > s.conditions.dry_bulb) {
      return sim::csv::where(*table, row, index[2]) + "wet bulb (" +
             celsius(s.conditions.wet_bulb) + ") above dry bulb (" +
             celsius(s.conditions.dry_bulb) + ")";
    }
    out.push_back(s);
    previous_time = row.cells[index[0]];
  }
  if (out.empty()) return path + ":1:1: no data rows";
  return out;
}

}  // namespace models::cooling
