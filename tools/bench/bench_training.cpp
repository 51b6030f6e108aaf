// One Llama-3-405B training step on 16,384 H100s through the whole run
// (training_step_16k_gpus_s in `make bench`): scenarios/examples/llama3_405b_16k_h100.yaml
// with one simulated step — the step model, 2,048 GPU groups running the step phase by phase
// through the plant's power model, power tree (3,000+ stages) and walls. Loading and
// validating the scenario is outside the timed loop. Issue 9 §8 target: <= 10 s.
#include <chrono>

#include <benchmark/benchmark.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "sim/data_dir.hpp"

namespace {

void BM_TrainingStep16k(benchmark::State& state) {
  models::LoadOptions o;
  o.overrides = {"workload.simulated_steps=1"};
  const models::ScenarioSpec spec = models::load_scenario(
      sim::data_path("scenarios/examples/llama3_405b_16k_h100.yaml").string(), o);
  std::uint64_t events = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const models::RunResult r = models::run_scenario(spec);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    events = r.events;
    if (r.metric("training_steps") != 1) state.SkipWithError("not one step");
    benchmark::DoNotOptimize(r.summary.data());
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["events_per_s"] = static_cast<double>(events) / seconds;
}
BENCHMARK(BM_TrainingStep16k)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
