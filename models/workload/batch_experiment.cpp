#include "models/workload/batch_experiment.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "models/plant/gpu_group.hpp"
#include "models/workload/serving.hpp"
#include "sim/engine.hpp"

namespace models {

namespace {


// The replica's GPUs alone, as one server would hold them with nothing else drawing power:
// the same clock rule as the plant's groups (the highest clock whose power fits the limit),
// and a record of every iteration.
class RecordingGroup final : public GpuGroup {
 public:
  RecordingGroup(const GpuSpec& gpu, int size, const GpuPowerModel& model, sim::Watts limit)
      : gpu_(gpu), size_(size), model_(model), limit_(limit) {}

  const std::string& name() const override { return name_; }
  const GpuSpec& gpu() const override { return gpu_; }
  int size() const override { return size_; }
  bool running() const override { return true; }
  void on_stop(std::function<void(sim::SimTime)>) override {}

  IterationRun begin_iteration(sim::SimTime, const GpuActivity& a) override {
    IterationRun run;
    run.clock_ratio = model_.clock_for_limit(a, limit_);
    run.duration = sim::Duration::from_seconds(a.duration(run.clock_ratio));
    run.power_per_gpu = model_.power(a, run.clock_ratio);
    iterations.push_back({a, run.clock_ratio, run.power_per_gpu});
    return run;
  }
  void go_idle(sim::SimTime) override {}

  std::vector<BatchIteration> iterations;

 private:
  std::string name_ = "replica[0]";
  GpuSpec gpu_;
  int size_;
  const GpuPowerModel& model_;
  sim::Watts limit_;
};

}  // namespace

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
  spec.cost = e.cost;
  const SloSpec slo{sim::Seconds(1e9), sim::Seconds(1e9), 1.0};

  sim::Engine engine;
  sim::WallMonitor walls;
  const GpuPowerModel model(power_limits_of(gpu), e.power);
  RecordingGroup group(gpu, e.tensor_parallel, model, e.power_limit.value_or(gpu.tdp));
  ServingModel serving(
      engine, walls, llm, spec, slo,
      make_iteration_cost(llm, gpu, e.precision, e.tensor_parallel, e.cost, e.kernel_costs),
      {&group});
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
  // Iterations run back to back from the arrival to the last completion.
  double energy = 0, time = 0, peak = 0;
  for (const BatchIteration& it : group.iterations) {
    const double d = it.activity.duration(it.clock_ratio).value();
    energy += it.power.value() * d;
    time += d;
    peak = std::max(peak, it.power.value());
  }
  t.peak_power = sim::Watts(peak);
  t.average_power = sim::Watts(time > 0 ? energy / time : 0);
  t.prefill_clock_ratio = group.iterations.empty() ? 1 : group.iterations.front().clock_ratio;
  t.iterations = std::move(group.iterations);
  return t;
}

}  // namespace models
