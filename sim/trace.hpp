// The trace seam: what a model tells a timeline viewer, when someone asked for a trace.
//
// Models emit only through this interface, and only when the engine has a tracer
// (`Engine::tracer()` is null otherwise: the cost of tracing off is one pointer test). The
// interface knows no file format and no model: a track is a named lane inside a named group
// (a GPU group, the facility, ...), a slice is a named span on a track, a counter is a named
// value over time. The JSON writer of the Chrome / Perfetto trace-event format is one
// implementation (models/scenario/trace_writer.hpp).
//
// Rules a caller keeps (viewers drop slices that break them):
//  - slices of one track nest: a slice lies inside, or entirely after, the ones before it;
//  - a parent slice is emitted before its children (viewers resolve equal start times by
//    the order in the file);
//  - samples of one counter come in time order.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <type_traits>

#include "sim/time.hpp"

namespace sim {

// One argument of a traced event: a number or a text. The text is copied when the event is
// written, so it only has to outlive the call.
struct TraceArg {
  template <typename T>
  requires std::is_arithmetic_v<T>
  constexpr TraceArg(std::string_view k, T v) : key(k), number(static_cast<double>(v)) {}
  constexpr TraceArg(std::string_view k, std::string_view v) : key(k), text(v), is_text(true) {}
  constexpr TraceArg(std::string_view k, const char* v) : key(k), text(v), is_text(true) {}

  std::string_view key;
  double number = 0;
  std::string_view text;
  bool is_text = false;
};

class Tracer {
 public:
  using Track = std::uint32_t;
  using Counter = std::uint32_t;
  using Args = std::initializer_list<TraceArg>;

  virtual ~Tracer() = default;

  // The lane `lane` of group `group`, named in the trace when first asked for; the same
  // names give the same track. Callers keep the id (asking costs a lookup).
  virtual Track track(std::string_view group, std::string_view lane) = 0;
  // Counter `name` of group `group`, its values in `unit` (e.g. "W", "degC", "" for a ratio).
  virtual Counter counter(std::string_view group, std::string_view name, std::string_view unit) = 0;

  // A span [start, end] on `track` (end >= start).
  virtual void slice(Track track, std::string_view name, SimTime start, SimTime end,
                     std::span<const TraceArg> args) = 0;
  // A moment on `track`.
  virtual void instant(Track track, std::string_view name, SimTime at,
                       std::span<const TraceArg> args) = 0;
  // The value of `counter` from `at` on. NaN and infinities are not written (no value).
  virtual void sample(Counter counter, SimTime at, double value) = 0;

  void slice(Track track, std::string_view name, SimTime start, SimTime end, Args args = {}) {
    slice(track, name, start, end, std::span<const TraceArg>(args.begin(), args.size()));
  }
  void instant(Track track, std::string_view name, SimTime at, Args args = {}) {
    instant(track, name, at, std::span<const TraceArg>(args.begin(), args.size()));
  }
};

}  // namespace sim
