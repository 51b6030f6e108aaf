// The cost of the plant coupling (coupling_overhead_ratio in `make bench`): the default
// scenario (scenarios/default.yaml, found in the data directory) run with its plant coupled
// (power limits and clocks per iteration, the power tree, the cooling plant, the control
// ticks) against the same workload with `plant.coupling: none` (GPUs at full clock, no power
// or heat), in one process. Loading and validating the scenario is outside the timed loop.
#include <benchmark/benchmark.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "sim/data_dir.hpp"

namespace {

models::ScenarioSpec default_scenario(bool coupled) {
  models::LoadOptions o;
  if (!coupled) o.overrides.push_back("plant.coupling=none");
  return models::load_scenario(sim::data_path("scenarios/default.yaml").string(), o);
}

void BM_DefaultScenario(benchmark::State& state) {
  const models::ScenarioSpec spec = default_scenario(state.range(0) == 1);
  std::uint64_t events = 0;
  for (auto _ : state) {
    const models::RunResult r = models::run_scenario(spec);
    events = r.events;
    benchmark::DoNotOptimize(r.summary.data());
  }
  state.counters["events"] = static_cast<double>(events);
}
// Arg 1: coupled; 0: plant.coupling none.
BENCHMARK(BM_DefaultScenario)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
