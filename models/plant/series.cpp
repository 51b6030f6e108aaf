#include "models/plant/series.hpp"

namespace models {

std::size_t SeriesSet::define(std::string name, std::string unit) {
  series_.push_back(Series{std::move(name), std::move(unit), {}, {}});
  if (tracer_) define_counter(series_.back());
  return series_.size() - 1;
}

void SeriesSet::add(std::size_t series, sim::SimTime t, double value) {
  Series& s = series_.at(series);
  s.time_s.push_back(t.seconds());
  s.value.push_back(value);
  if (tracer_) tracer_->sample(s.counter, t, value);
}

void SeriesSet::trace_to(sim::Tracer* tracer) {
  tracer_ = tracer;
  if (tracer_)
    for (Series& s : series_) define_counter(s);
}

void SeriesSet::define_counter(Series& s) {
  const std::size_t dot = s.name.find('.');
  const std::string_view name(s.name);
  s.counter = dot == std::string::npos
                  ? tracer_->counter(name, name, s.unit)
                  : tracer_->counter(name.substr(0, dot), name.substr(dot + 1), s.unit);
}

void SeriesSet::write(sim::h5::ResultFile& file) const {
  for (const Series& s : series_)
    file.write_series("/timeseries/" + s.name, s.time_s, s.value, s.unit);
}

}  // namespace models
