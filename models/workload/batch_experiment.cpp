#include "models/workload/batch_experiment.hpp"

#include <memory>
#include <stdexcept>

#include "models/workload/serving.hpp"
#include "sim/engine.hpp"

namespace models {

BatchTimes run_batch_experiment(const LlmSpec& llm, const GpuSpec& gpu, const BatchExperiment& e) {
  if (e.batch < 1 || e.prompt < 1 || e.output < 2 || e.tensor_parallel < 1) {
    throw std::invalid_argument(
        "run_batch_experiment: batch, prompt >= 1, output >= 2, tensor_parallel >= 1");
  }
  ArrivalSpec arrivals;
  arrivals.process = ArrivalSpec::Process::trace;
  for (std::int64_t i = 0; i < e.batch; ++i)
    arrivals.trace.push_back(TraceRow{0.0, e.prompt, e.output});

  ServingSpec spec;
  spec.replicas = 1;
  spec.tensor_parallel = e.tensor_parallel;
  spec.max_batch_requests = static_cast<int>(e.batch);
  spec.max_batch_tokens = e.batch * e.prompt;  // the whole batch prefills in one iteration
  spec.precision = e.precision;
  spec.memory_reserve = 0;
  const SloSpec slo{sim::Seconds(1e9), sim::Seconds(1e9), 1.0};

  sim::Engine engine;
  sim::WallMonitor walls;
  spec.cost = e.cost;
  ServingModel serving(
      engine, walls, llm, gpu, spec, slo,
      make_iteration_cost(llm, gpu, e.precision, e.tensor_parallel, e.cost, e.kernel_costs));
  RequestSource source(arrivals, engine.rng("arrivals"), engine.rng("lengths"),
                       sim::SimTime::max());
  serving.start(source);
  engine.run();

  const auto& reqs = serving.requests();
  for (const RequestRecord& r : reqs) {
    if (r.status != RequestStatus::completed) {
      throw std::invalid_argument("run_batch_experiment: the batch does not fit the KV cache of " +
                                  gpu.name);
    }
  }
  const RequestRecord& first = reqs.front();
  BatchTimes t;
  t.prefill = (*first.first_token - first.arrival).seconds();
  t.decode_step =
      (*first.completion - *first.first_token).seconds() / static_cast<double>(e.output - 1);
  return t;
}

}  // namespace models
