#include "models/plant/series.hpp"

namespace models {

std::size_t SeriesSet::define(std::string name, std::string unit) {
  series_.push_back(Series{std::move(name), std::move(unit), {}, {}});
  return series_.size() - 1;
}

void SeriesSet::add(std::size_t series, sim::SimTime t, double value) {
  Series& s = series_.at(series);
  s.time_s.push_back(t.seconds());
  s.value.push_back(value);
}

void SeriesSet::write(sim::h5::ResultFile& file) const {
  for (const Series& s : series_) file.write_series("/timeseries/" + s.name, s.time_s, s.value, s.unit);
}

}  // namespace models
