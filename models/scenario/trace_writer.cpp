#include "models/scenario/trace_writer.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace models {

namespace {

// Whole microseconds, rounded half up (times are never negative in a run).
std::int64_t micros(sim::SimTime t) {
  const std::int64_t ns = t.ns();
  return ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);
}

// A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259 §7).
void put_string(fmt::memory_buffer& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// JSON has no NaN or infinity: such a value is written as null.
void put_number(fmt::memory_buffer& out, double v) {
  if (std::isfinite(v)) {
    fmt::format_to(std::back_inserter(out), "{}", v);
  } else {
    out.append(std::string_view("null"));
  }
}

constexpr std::size_t kFlushBytes = 1 << 20;

}  // namespace

JsonTraceWriter::JsonTraceWriter(std::string path) : path_(std::move(path)) {
  temp_path_ = path_ + ".tmp-" + std::to_string(static_cast<long long>(::getpid()));
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) throw std::runtime_error("cannot write the trace file \"" + temp_path_ + "\"");
  buffer_.append(std::string_view("{\"traceEvents\":["));
}

JsonTraceWriter::~JsonTraceWriter() {
  if (file_) std::fclose(file_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
  }
}

void JsonTraceWriter::begin_event() {
  if (events_++ > 0) buffer_.push_back(',');
  buffer_.push_back('\n');
}

void JsonTraceWriter::flush(bool all) {
  if (!all && buffer_.size() < kFlushBytes) return;
  if (buffer_.size() > 0 && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
    throw std::runtime_error("cannot write the trace file \"" + temp_path_ + "\"");
  bytes_ += buffer_.size();
  buffer_.clear();
}

int JsonTraceWriter::process(std::string_view group) {
  if (const auto it = processes_.find(group); it != processes_.end()) return it->second;
  const int pid = next_id_++;
  processes_.emplace(std::string(group), pid);
  begin_event();
  fmt::format_to(std::back_inserter(buffer_),
                 R"({{"ph":"M","pid":{},"name":"process_name","args":{{"name":)", pid);
  put_string(buffer_, group);
  buffer_.append(std::string_view("}}"));
  begin_event();
  fmt::format_to(
      std::back_inserter(buffer_),
      R"({{"ph":"M","pid":{0},"name":"process_sort_index","args":{{"sort_index":{0}}}}})", pid);
  return pid;
}

sim::Tracer::Track JsonTraceWriter::track(std::string_view group, std::string_view lane) {
  const int pid = process(group);
  std::pair<int, std::string> key{pid, std::string(lane)};
  if (const auto it = lanes_.find(key); it != lanes_.end()) return it->second;
  // Thread ids unique over the whole trace, and never a process's id: importers key threads
  // by tid alone (Perfetto names a thread by tid), and read an event without a tid (a
  // counter) as the thread tid = pid of its process.
  const int tid = next_id_++;
  const auto id = static_cast<Track>(tracks_.size());
  tracks_.emplace_back(pid, tid);
  lanes_.emplace(std::move(key), id);
  begin_event();
  fmt::format_to(std::back_inserter(buffer_),
                 R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":)", pid, tid);
  put_string(buffer_, lane);
  buffer_.append(std::string_view("}}"));
  begin_event();
  fmt::format_to(
      std::back_inserter(buffer_),
      R"({{"ph":"M","pid":{},"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
      pid, tid, tid);
  flush(false);
  return id;
}

sim::Tracer::Counter JsonTraceWriter::counter(std::string_view group, std::string_view name,
                                              std::string_view unit) {
  const int pid = process(group);
  std::pair<int, std::string> key{pid, std::string(name)};
  if (const auto it = counter_ids_.find(key); it != counter_ids_.end()) return it->second;
  const auto id = static_cast<Counter>(counters_.size());
  // The argument's name is the unit, so that the viewer's track reads "<name> <unit>"; a
  // ratio has no unit and its argument is "value".
  counters_.push_back({pid, std::string(name), unit.empty() ? "value" : std::string(unit)});
  counter_ids_.emplace(std::move(key), id);
  return id;
}

void JsonTraceWriter::write_args(std::span<const sim::TraceArg> args) {
  if (args.empty()) return;
  buffer_.append(std::string_view(",\"args\":{"));
  bool first = true;
  for (const sim::TraceArg& a : args) {
    if (!first) buffer_.push_back(',');
    first = false;
    put_string(buffer_, a.key);
    buffer_.push_back(':');
    if (a.is_text) {
      put_string(buffer_, a.text);
    } else {
      put_number(buffer_, a.number);
    }
  }
  buffer_.push_back('}');
}

void JsonTraceWriter::slice(Track track, std::string_view name, sim::SimTime start,
                            sim::SimTime end, std::span<const sim::TraceArg> args) {
  if (end < from_ || start > to_) return;
  const auto [pid, tid] = tracks_.at(track);
  const std::int64_t ts = micros(start);
  const std::int64_t dur = std::max<std::int64_t>(0, micros(end) - ts);
  begin_event();
  fmt::format_to(std::back_inserter(buffer_),
                 R"({{"ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"name":)", pid, tid, ts, dur);
  put_string(buffer_, name);
  write_args(args);
  buffer_.push_back('}');
  flush(false);
}

void JsonTraceWriter::instant(Track track, std::string_view name, sim::SimTime at,
                              std::span<const sim::TraceArg> args) {
  if (at < from_ || at > to_) return;
  const auto [pid, tid] = tracks_.at(track);
  begin_event();
  fmt::format_to(std::back_inserter(buffer_),
                 R"({{"ph":"i","s":"t","pid":{},"tid":{},"ts":{},"name":)", pid, tid, micros(at));
  put_string(buffer_, name);
  write_args(args);
  buffer_.push_back('}');
  flush(false);
}

void JsonTraceWriter::sample(Counter counter, sim::SimTime at, double value) {
  if (!std::isfinite(value) || at < from_ || at > to_) return;
  const CounterDef& c = counters_.at(counter);
  begin_event();
  fmt::format_to(std::back_inserter(buffer_), R"({{"ph":"C","pid":{},"ts":{},"name":)", c.pid,
                 micros(at));
  put_string(buffer_, c.name);
  buffer_.append(std::string_view(",\"args\":{"));
  put_string(buffer_, c.unit);
  buffer_.push_back(':');
  put_number(buffer_, value);
  buffer_.append(std::string_view("}}"));
  flush(false);
}

void JsonTraceWriter::commit() {
  if (committed_) return;
  buffer_.append(std::string_view("\n],\"displayTimeUnit\":\"ms\"}\n"));
  flush(true);
  const bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed)
    throw std::runtime_error("cannot write the trace file \"" + temp_path_ + "\"");
  std::error_code ec;
  std::filesystem::rename(temp_path_, path_, ec);
  if (ec) {
    throw std::runtime_error("cannot rename the trace file \"" + temp_path_ + "\" onto \"" + path_ +
                             "\": " + ec.message());
  }
  committed_ = true;
}

}  // namespace models
