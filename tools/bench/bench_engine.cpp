// The "hold" model (Vaucher & Duval 1975; Jones 1986, "An empirical comparison of
// priority-queue and event-set implementations"): N events are pending; each step removes the
// earliest and inserts one at (its time + a random increment), so the queue stays at N.
//
// sim::Engine is compared with a bare std::priority_queue doing the same pop + push on the
// same (time, seq) keys with the same increments. The ratio engine / bare is the price of
// what the engine adds: callbacks, the slot table, lazy cancellation.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "sim/engine.hpp"
#include "sim/random.hpp"

namespace {

// Exponential increments with a 1 ms mean, drawn once so that both queues see the identical
// stream and neither pays for the generator inside the timed loop. 2^20 values cover the
// pre-fill of the largest queue; the loop then cycles through them.
const std::vector<std::int64_t>& increment_table() {
  static const std::vector<std::int64_t> table = [] {
    std::vector<std::int64_t> values(std::size_t{1} << 20);
    sim::RngStream rng(1, "bench", "hold.increments");
    for (auto& v : values) v = static_cast<std::int64_t>(rng.exponential(1.0) * 1e6);
    return values;
  }();
  return table;
}

// Each benchmark run reads the table from its start.
class Increments {
 public:
  std::int64_t next() { return table_[index_++ & (table_.size() - 1)]; }

 private:
  const std::vector<std::int64_t>& table_ = increment_table();
  std::size_t index_ = 0;
};

class EngineHold {
 public:
  explicit EngineHold(std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      engine_.schedule_at(
          sim::SimTime::from_ns(increments_.next()), [this] { on_event(); }, "hold");
    }
  }
  sim::Engine& engine() { return engine_; }

 private:
  // Captures only `this`, so std::function stores the closure inline (no allocation).
  void on_event() {
    engine_.schedule_in(
        sim::Duration::ns(increments_.next()), [this] { on_event(); }, "hold");
  }
  sim::Engine engine_;
  Increments increments_;
};

void BM_EngineHold(benchmark::State& state) {
  EngineHold hold(state.range(0));
  sim::Engine& engine = hold.engine();
  for (auto _ : state) {
    engine.step();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["pending"] = static_cast<double>(engine.pending());
}

struct BareEvent {
  std::int64_t time;
  std::uint64_t seq;
};
// std::priority_queue is a max-heap: "greater" puts the earliest (time, seq) on top.
struct Later {
  bool operator()(const BareEvent& a, const BareEvent& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

void BM_BareHold(benchmark::State& state) {
  Increments increments;
  std::priority_queue<BareEvent, std::vector<BareEvent>, Later> queue;
  std::uint64_t seq = 0;
  for (std::int64_t i = 0; i < state.range(0); ++i) queue.push({increments.next(), seq++});
  for (auto _ : state) {
    const BareEvent e = queue.top();
    queue.pop();
    queue.push({e.time + increments.next(), seq++});
  }
  benchmark::DoNotOptimize(queue.top());
  state.SetItemsProcessed(state.iterations());
  state.counters["pending"] = static_cast<double>(queue.size());
}

}  // namespace

BENCHMARK(BM_EngineHold)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_BareHold)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

BENCHMARK_MAIN();
