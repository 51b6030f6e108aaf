#include "sim/engine.hpp"

#include <algorithm>
#include <utility>

#include "sim/time_format.hpp"

namespace sim {

namespace {
// A 4-ary heap is shallower than a binary one (log4 n levels) and its four children share a
// cache line or two, which pays off at 1e5..1e6 pending events (LaMarca & Ladner 1996).
constexpr std::size_t kArity = 4;
}  // namespace

Engine::Engine(std::uint64_t master_seed, std::string scenario_id)
    : master_seed_(master_seed), scenario_id_(std::move(scenario_id)) {}

EventId Engine::schedule_at(SimTime at, Callback cb, std::string_view component) {
  if (at < now_) {
    throw SchedulingError(std::string(component) + " scheduled an event at t=" + format_time(at) +
                          ", before the current time t=" + format_time(now_));
  }
  if (next_seq_ == kFreeSlot) compact();  // renumbers from 0, so seqs never reach kFreeSlot
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.callback = std::move(cb);
  s.seq = next_seq_++;
  ++live_;
  heap_push(Entry{at.ns(), s.seq, slot});
  return EventId{slot, s.generation};
}

bool Engine::is_pending(EventId id) const {
  return id.slot < slots_.size() && slots_[id.slot].seq != kFreeSlot &&
         slots_[id.slot].generation == id.generation;
}

bool Engine::cancel(EventId id) {
  if (!is_pending(id)) return false;
  release(id.slot);
  // Dead entries stay in the heap until they surface; rebuild when they dominate so that
  // a model that keeps rescheduling (threshold crossings) cannot grow the heap unboundedly.
  if (heap_.size() > 1024 && heap_.size() > 4 * live_) compact();
  return true;
}

void Engine::release(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.callback = nullptr;
  s.seq = kFreeSlot;
  ++s.generation;
  --live_;
  free_slots_.push_back(slot);
}

void Engine::heap_push(Entry e) {
  std::size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

Engine::Entry Engine::heap_pop() {
  const Entry top = heap_.front();
  const Entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  Entry* h = heap_.data();
  std::size_t i = 0;
  while (true) {
    const std::size_t first = i * kArity + 1;
    std::size_t best = first;
    if (first + kArity <= n) {
      // The children are compared without branches (a mispredicted branch per level costs
      // more than the comparisons), so the CPU cannot speculate into the next level: fetch
      // the grandchildren meanwhile, each group a likely cache miss in a big heap.
      const std::size_t grand = first * kArity + 1;
      for (std::size_t k = 0; k < kArity; ++k) {
        __builtin_prefetch(h + std::min(grand + k * kArity, n - 1));
      }
      const std::size_t a = first + before(h[first + 1], h[first]);
      const std::size_t b = first + 2 + before(h[first + 3], h[first + 2]);
      best = before(h[b], h[a]) ? b : a;
    } else if (first < n) {
      for (std::size_t c = first + 1; c < n; ++c) best = before(h[c], h[best]) ? c : best;
    } else {
      break;
    }
    if (!before(h[best], last)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = last;
  return top;
}

bool Engine::pop_live(Entry& out) {
  while (!heap_.empty()) {
    out = heap_pop();
    if (is_live(out)) return true;
  }
  return false;
}

// Drops the dead entries and renumbers the live ones 0..n-1 in their order of execution: the
// order is unchanged, and the sorted array is a valid heap.
void Engine::compact() {
  std::erase_if(heap_, [this](const Entry& e) { return !is_live(e); });
  std::sort(heap_.begin(), heap_.end(), before);
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    heap_[i].seq = static_cast<std::uint32_t>(i);
    slots_[heap_[i].slot].seq = static_cast<std::uint32_t>(i);
  }
  next_seq_ = static_cast<std::uint32_t>(heap_.size());
}

bool Engine::step() {
  Entry e;
  if (!pop_live(e)) return false;
  dispatch(e);
  return true;
}

void Engine::dispatch(const Entry& e) {
  now_ = SimTime::from_ns(e.time_ns);
  // Move the callback out before running it: it may schedule events, which can reuse this
  // slot or grow the slot table.
  Callback cb = std::move(slots_[e.slot].callback);
  release(e.slot);
  ++processed_;
  // In a big queue the next event's slot is a cache miss; fetch it while this one runs.
  if (!heap_.empty()) __builtin_prefetch(&slots_[heap_.front().slot]);
  cb();
}

void Engine::run() {
  stop_requested_ = false;
  while (!stop_requested_ && step()) {
  }
}

void Engine::run_until(SimTime end) {
  stop_requested_ = false;
  while (!stop_requested_) {
    Entry e;
    if (!pop_live(e)) break;
    if (e.time_ns > end.ns()) {
      heap_push(e);  // not due yet: put it back unchanged (same seq keeps its order)
      break;
    }
    dispatch(e);
  }
  if (!stop_requested_ && now_ < end) now_ = end;
}

}  // namespace sim
