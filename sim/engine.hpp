// The discrete-event engine: a clock, a totally ordered event queue and the root of the
// named random streams. One Engine per simulated run; there are no globals, so a sweep can
// run one engine per thread.
//
// Order: events run by (time, sequence number); the sequence number is the order in which
// they were scheduled, so equal times run first-scheduled-first and a run is reproducible.
// The queue is a 4-ary min-heap of small plain entries (time, seq, slot); callbacks live in
// a slot table so the heap moves 16-byte values, not closures. Cancellation is lazy: the
// cancelled event's slot is freed, and its heap entry, which no longer matches the slot, is
// skipped when it surfaces.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.hpp"
#include "sim/time.hpp"

namespace sim {

using Callback = std::function<void()>;
class Tracer;

// Identifies a scheduled event for cancel(); stays valid (and harmless) after the event ran.
struct EventId {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
  friend constexpr bool operator==(EventId, EventId) = default;
};

// A component asked for an event before the current time: a model bug, never user input.
class SchedulingError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class Engine {
 public:
  // `master_seed` and `scenario_id` seed every named random stream (see rng()).
  explicit Engine(std::uint64_t master_seed = 0, std::string scenario_id = {});

  SimTime now() const { return now_; }

  // Schedules `cb` at absolute time `at`. `component` names the caller in the error raised
  // when `at` is before now().
  EventId schedule_at(SimTime at, Callback cb, std::string_view component);
  EventId schedule_in(Duration delay, Callback cb, std::string_view component) {
    return schedule_at(now_ + delay, std::move(cb), component);
  }
  // Returns true if the event was pending and is now cancelled.
  bool cancel(EventId id);
  bool is_pending(EventId id) const;

  // Runs events until none is left or stop() is called.
  void run();
  // Runs every event with time <= `end`, then sets the clock to `end` (if later than now).
  void run_until(SimTime end);
  // Runs the next event, if any. Returns false when the queue is empty.
  bool step();
  // Makes run()/run_until() return after the current event.
  void stop() { stop_requested_ = true; }

  std::size_t pending() const { return live_; }
  std::uint64_t events_processed() const { return processed_; }

  // A reproducible random stream for component `name`, seeded from (master seed, scenario
  // id, name). Two engines with the same seeds give identical streams; streams of
  // different names are independent of each other and of the order they are created in.
  RngStream rng(std::string_view name) const { return RngStream(master_seed_, scenario_id_, name); }
  std::uint64_t master_seed() const { return master_seed_; }
  const std::string& scenario_id() const { return scenario_id_; }

  // Where models send trace events (sim/trace.hpp); null, the default, when nobody asked for
  // a trace. Set before the models are built: they take their tracks when they are.
  Tracer* tracer() const { return tracer_; }
  void set_tracer(Tracer* tracer) { tracer_ = tracer; }

 private:
  // 16 bytes, so that a node's four children take one cache line's worth: the heap is
  // memory-bound at 1e5..1e6 pending events. seq can be 32 bits because compact() renumbers
  // the pending events from 0 (keeping their order), and schedule_at() calls it before the
  // counter would reach kFreeSlot.
  struct Entry {
    std::int64_t time_ns;
    std::uint32_t seq;
    std::uint32_t slot;
  };
  // No event is ever given this seq (see schedule_at), so it marks a free slot.
  static constexpr std::uint32_t kFreeSlot = UINT32_MAX;
  struct Slot {
    Callback callback;
    std::uint32_t generation = 0;   // tells the EventIds of successive events apart
    std::uint32_t seq = kFreeSlot;  // the pending event's seq: tells its entry from stale ones
  };

  // Equal times are rare, so the first test predicts well and the second can compile to a
  // conditional move, which keeps the choice among a node's children free of mispredictions.
  static bool before(const Entry& a, const Entry& b) {
    return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.seq < b.seq;
  }
  bool is_live(const Entry& e) const { return slots_[e.slot].seq == e.seq; }
  void heap_push(Entry e);
  Entry heap_pop();
  bool pop_live(Entry& out);
  void dispatch(const Entry& e);
  void release(std::uint32_t slot);
  void compact();

  SimTime now_;
  std::uint32_t next_seq_ = 0;
  std::uint64_t processed_ = 0;
  std::size_t live_ = 0;
  bool stop_requested_ = false;
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t master_seed_;
  std::string scenario_id_;
  Tracer* tracer_ = nullptr;
};

}  // namespace sim
