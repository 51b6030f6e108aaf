// `firstwall run --trace trace.json`: the run's timeline in the Chrome / Perfetto JSON
// trace-event format ("Trace Event Format", the catapult document that chrome://tracing and
// Perfetto's JSON importer read):
//
//   {"traceEvents":[ {event}, ... ],"displayTimeUnit":"ms"}
//
//   group  -> a process: "M" process_name (and process_sort_index: creation order)
//   lane   -> a thread of it: "M" thread_name (and thread_sort_index); pids and tids are
//             drawn from one sequence, so every tid is unique and none is a pid
//   slice  -> "X" complete event, ts and dur in microseconds
//   instant-> "i" with "s":"t" (thread scope)
//   counter-> "C" on the group's process, one argument named by the unit (Perfetto names
//             the track "<name> <unit>")
//
// Times are whole microseconds, rounded from the simulation's nanoseconds endpoint by
// endpoint (dur = round(end) - round(start)): rounding is monotone, so slices that nest in
// nanoseconds still nest, and integers reach every importer exactly (a fractional ts is
// converted through a double, which can move an endpoint by 1 ns and break the nesting).
//
// Streamed: events go to a temporary file through a buffer as they come (a trace of a
// million requests is never held in memory); commit() closes the JSON and renames the file
// onto its path. A writer destroyed without commit() (the run failed) removes its file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/trace.hpp"

namespace models {

class JsonTraceWriter final : public sim::Tracer {
 public:
  // Opens `<path>.tmp-<pid>`; throws std::runtime_error when it cannot.
  explicit JsonTraceWriter(std::string path);
  ~JsonTraceWriter() override;
  JsonTraceWriter(const JsonTraceWriter&) = delete;
  JsonTraceWriter& operator=(const JsonTraceWriter&) = delete;

  using sim::Tracer::instant;
  using sim::Tracer::slice;
  Track track(std::string_view group, std::string_view lane) override;
  Counter counter(std::string_view group, std::string_view name, std::string_view unit) override;
  void slice(Track track, std::string_view name, sim::SimTime start, sim::SimTime end,
             std::span<const sim::TraceArg> args) override;
  void instant(Track track, std::string_view name, sim::SimTime at,
               std::span<const sim::TraceArg> args) override;
  void sample(Counter counter, sim::SimTime at, double value) override;

  // Keeps only what touches [from, to] of simulated time: slices that overlap it (whole, so
  // that what nests still nests), instants and counter samples inside it. A trace of an hour
  // of a hall is gigabytes; a window of it opens in a viewer.
  void set_window(sim::SimTime from, sim::SimTime to) {
    from_ = from;
    to_ = to;
  }

  // Ends the JSON, flushes, and renames the file onto its path (atomic on one file system).
  void commit();

  std::uint64_t events() const { return events_; }  // written so far, metadata included
  std::uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  int process(std::string_view group);
  void begin_event();
  void write_args(std::span<const sim::TraceArg> args);
  void flush(bool all);

  std::string path_, temp_path_;
  std::FILE* file_ = nullptr;
  fmt::memory_buffer buffer_;
  std::uint64_t events_ = 0, bytes_ = 0;
  std::map<std::string, int, std::less<>> processes_;           // group -> pid
  std::map<std::pair<int, std::string>, Track> lanes_;          // (pid, lane) -> track
  std::vector<std::pair<int, int>> tracks_;                     // track -> (pid, tid)
  std::map<std::pair<int, std::string>, Counter> counter_ids_;  // (pid, name) -> counter
  struct CounterDef {
    int pid;
    std::string name, unit;
  };
  std::vector<CounterDef> counters_;
  sim::SimTime from_ = sim::SimTime::zero(), to_ = sim::SimTime::max();
  int next_id_ = 1;  // pids and tids come from one sequence: no tid is any process's pid
  bool committed_ = false;
};

}  // namespace models
