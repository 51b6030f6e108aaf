// The `serving` workload kind: LLM inference serving (serving.hpp) as a Workload.
//
// YAML (`workload:`):
//   kind: serving
//   model: llama-3-70b            # a key of llms:
//   arrivals: {process: poisson | trace, ...}
//   slo: {ttft: 2 s, tpot: 100 ms, percentile: 99 %}
//   replicas: 2                   # GPU groups of tensor_parallel GPUs, placed by the plant
//   tensor_parallel: 4            # within one scale-up domain (server or NVL72 rack)
//   max_batch_tokens: 8192
//   max_batch_requests: 256
//   weight_dtype / kv_cache_dtype / compute_dtype, memory_reserve, router,
//   cost_model (calibrated | roofline), calibration, iteration_overhead, request_overhead,
//   launch_overhead
//   users: {distance: 2000 km}   # or regions: [{name, share, distance}]; path_factor,
//                                # refractive_index, handshake_round_trips (request_source.hpp)
#pragma once

#include <memory>

#include "models/workload/llm_spec.hpp"
#include "models/workload/request_source.hpp"
#include "models/workload/serving.hpp"
#include "models/workload/workload.hpp"

namespace models {

class ServingWorkloadSpec final : public WorkloadSpec {
 public:
  LlmSpec llm;
  ArrivalSpec arrivals;
  SloSpec slo;
  ServingSpec serving;

  std::string_view kind() const override { return "serving"; }
  GpuRequest gpus() const override;
  std::unique_ptr<Workload> build(const WorkloadContext& context,
                                  std::vector<GpuGroup*> groups) const override;
};

// The reader behind WorkloadKind "serving".
std::shared_ptr<const WorkloadSpec> read_serving_workload(sim::config::Reader& workload,
                                                          const WorkloadReadContext& context);

// The running serving workload: the model plus its request source and reporting.
class ServingWorkload final : public Workload {
 public:
  ServingWorkload(const ServingWorkloadSpec& spec, const WorkloadContext& context,
                  std::vector<GpuGroup*> groups);

  void start() override;
  void mark_horizon(sim::SimTime horizon) override;
  bool done() const override;
  void finish(sim::SimTime end) override;
  void add_metrics(Metrics& out) const override;
  void write_tables(sim::h5::ResultFile& file) const override;
  std::string headline() const override;
  std::optional<std::string> wall_effect(const sim::WallResult& w,
                                         const Metrics& summary) const override;
  void print_summary(std::ostream& out, const Metrics& summary) const override;

  const ServingModel& model() const { return model_; }
  const ServingWorkloadSpec& spec() const { return spec_; }

 private:
  ServingWorkloadSpec spec_;
  sim::SimTime horizon_;
  double wall_threshold_ = 1;  // walls.threshold, for the distance users.propagation is hit at
  ServingModel model_;
  RequestSource source_;
  // Counters when the arrival window closed.
  std::int64_t tokens_at_horizon_ = 0;
  std::int64_t completed_at_horizon_ = 0;
  bool horizon_marked_ = false;
  sim::SimTime end_;
};

}  // namespace models
