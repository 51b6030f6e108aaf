#include "models/scenario/run.hpp"

#include <algorithm>
#include <limits>

#include "models/scenario/run_state.hpp"
#include "models/scenario/summary.hpp"

namespace models {

const Plant& RunResult::plant() const {
  return *state->plant;
}

const Workload& RunResult::workload() const {
  return *state->workload;
}

const WorkloadSet* RunResult::workload_set() const {
  return dynamic_cast<const WorkloadSet*>(state->workload.get());
}

const sim::WallResult* RunResult::first_wall() const {
  if (walls.empty() || !walls.front().first_hit) return nullptr;
  return &walls.front();
}

double RunResult::metric(const std::string& name) const {
  return metric_value(summary, name);
}

RunResult run_scenario(const ScenarioSpec& spec, const std::function<void(double)>& progress,
                       sim::Tracer* tracer) {
  auto state = std::make_shared<RunState>(spec.seed, spec.name, spec.walls);
  sim::Engine& engine = state->engine;
  engine.set_tracer(tracer);  // before the models are built: they take their tracks then
  const sim::SimTime horizon = sim::SimTime::zero() + spec.duration;

  state->plant = std::make_unique<Plant>(engine, state->walls, spec.plant);
  if (spec.workload) {
    std::vector<GpuGroup*> groups = state->plant->place(spec.workload->gpus());
    state->workload = spec.workload->build(
        WorkloadContext{.engine = engine, .walls = state->walls, .horizon = horizon},
        std::move(groups));
  } else {
    // Several workloads: each placed and built under its name (workload_set.hpp).
    state->workload =
        std::make_unique<WorkloadSet>(spec.workloads, *state->plant, engine, state->walls, horizon);
  }
  state->plant->start();
  Workload& workload = *state->workload;
  workload.start();

  // Arrivals, then the drain (in-flight work may finish up to the drain time), in steps of
  // 1 % of the total so that a long run can show its progress. The workload stops the
  // engine the moment it is done; the plant's periodic events never keep a run alive.
  const sim::SimTime limit = horizon + spec.drain;
  const sim::Duration step = std::max(
      sim::Duration::ns(1), sim::Duration::ns((limit - sim::SimTime::zero()).count_ns() / 100));
  bool horizon_marked = false;
  for (sim::SimTime t = sim::SimTime::zero() + step;; t = t + step) {
    if (t > limit) t = limit;
    if (!horizon_marked && t >= horizon) {
      // Throughput is counted over the arrival window: take the counters at its end.
      if (!workload.done()) engine.run_until(horizon);
      workload.mark_horizon(horizon);
      horizon_marked = true;
    }
    if (!workload.done()) engine.run_until(t);
    if (progress) progress(std::min(1.0, engine.now().seconds() / limit.seconds()));
    if (workload.done() || t == limit) break;
  }
  // A workload done early (a short trace) leaves the plant running idle to the horizon.
  if (engine.now() < horizon) engine.run_until(horizon);
  // The run ends when the workload is done (or at the drain limit), never before the horizon.
  const sim::SimTime end = std::max(engine.now(), horizon);
  workload.finish(end);
  state->plant->finish(end);
  state->walls.finish(end);
  engine.set_tracer(nullptr);  // the finished run outlives the caller's tracer

  RunResult out;
  out.end = end;
  out.events = engine.events_processed();
  out.walls = state->walls.results();
  out.state = state;
  out.summary = summarize(out);
  return out;
}

}  // namespace models
