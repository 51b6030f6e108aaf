// The `training` workload kind: a data/tensor/pipeline-parallel training job on the plant
// (issue 9 §5-§6). The step model (step_model.hpp) gives each pipeline stage's work per
// microbatch; here the steps run on the plant's GPU groups, one group per scale-up domain,
// phase by phase, so that the hall's power follows the step: compute, exposed
// communication, pipeline bubble, optimizer.
//
// YAML (`workload:`):
//   kind: training
//   model: llama-3-405b          # a key of llms:, or a mapping in the llms.yaml format
//   gpus: 16384                  # optional: default all the plant's GPUs
//   parallel: {tp: 8, pp: 16, vp: 1, cp: 1, dp: 128, ep: 1, order: tp-cp-pp-dp}
//   sequence_parallel: true      # optional (default true)
//   distributed_optimizer: true  # optional (default true)
//   overlap_dp: true             # optional (default true)
//   seq_len: 8192
//   global_batch: 2048           # sequences per step
//   micro_batch: 1               # optional (default 1)
//   recompute: none              # none | selective | full (default none)
//   attention: flash             # flash | unfused (default flash)
//   dtype: bf16                  # optional
//   tokens: 15.6e12              # the job: tokens to train, or
//   steps: 7600                  #          steps to train (exactly one of the two)
//   simulated_steps: 3           # optional: steps to simulate (default: every step that
//                                #   starts within simulation.duration)
//   hbm_overflow: error          # error | wall: what activations beyond HBM do (below)
//   calibration: path            # optional kernel calibration (default: the shipped one)
//   fabric:                      # optional override: by default every figure is read off
//     gpus_per_node: 8           #   the plant's network (plant_fabric.hpp; the DGX fabric
//     scale_up:  {bandwidth: 450 GB/s, step_latency: 3.37 us, efficiency: 50.7 %}
//     scale_out: {bandwidth: 400 Gb/s, step_latency: 5 us, efficiency: 94 %}
//     pod_gpus: 3072             #   of the GPU for a plant too large to build one); each
//     above_pod_oversubscription: 7   # key given replaces the plant's figure
//   sites:                       # optional override of plant.network.sites: the job split
//     count: 2                   #   over two sites
//     fiber_length: 100 km
//     bandwidth: 100 Tb/s        # between the sites, per direction, in all
//     refractive_index: 1.468    # optional (models/network/propagation.hpp)
//
// The plant's network is the one description of the fabric: pods, oversubscription and
// sites belong in `plant.network`; the two overrides above are for ablations. On it the
// step's scale-out traffic runs as flows (README "On the shared fabric").
//
// HBM: when the worst stage's weights, optimizer state and activations exceed the GPU's
// HBM (activation_memory.hpp), `hbm_overflow: error` (the default) rejects the scenario with
// the numbers; `wall` runs it anyway (the step time is what it would be with the memory)
// and the `train.hbm_capacity` wall is hit at t = 0 — for asking "how far over".
#pragma once

#include <memory>
#include <optional>

#include "models/workload/training/cluster_collectives.hpp"
#include "models/workload/training/step_model.hpp"
#include "models/workload/training/training_spec.hpp"
#include "models/workload/workload.hpp"
#include "sim/trace.hpp"

namespace models::training {

class TrainingWorkloadSpec final : public WorkloadSpec {
 public:
  TrainingSpec training;
  Fabric fabric;
  ClusterLayout layout;
  double tokens_to_train = 0;  // the job (from `tokens`, or `steps` × tokens per step)
  std::optional<std::int64_t> simulated_steps;
  bool hbm_overflow_is_wall = false;
  std::string calibration;
  int group_size = 8;  // GPUs per plant group: one scale-up domain

  std::string_view kind() const override { return "training"; }
  GpuRequest gpus() const override;
  std::unique_ptr<Workload> build(const WorkloadContext& context,
                                  std::vector<GpuGroup*> groups) const override;

  double tokens_per_step() const {
    return static_cast<double>(training.global_batch) * training.seq_len;
  }
};

// The reader behind WorkloadKind "training".
std::shared_ptr<const WorkloadSpec> read_training_workload(sim::config::Reader& workload,
                                                           const WorkloadReadContext& context);

// Where one step's time went on the group that finished it last (the critical one).
struct StepRecord {
  sim::SimTime start, end;
  sim::Seconds compute{0};      // kernels at the clocks the plant allowed
  sim::Seconds comm{0};         // exposed TP/CP/EP, PP and DP communication in the fabric
  sim::Seconds cross_site{0};   // exposed between the sites (bandwidth and latency)
  sim::Seconds propagation{0};  // of which light in fiber
  sim::Seconds bubble{0};       // pipeline fill, drain and stage imbalance
  sim::Seconds optimizer{0};
  // Waited for the plant's fabric beyond the closed forms (part of comm): the step's
  // scale-out flows took this much longer than alone (another job on the same links).
  sim::Seconds fabric_wait{0};
  // The step's flows, from their start to their last arrival (0: none): pipeline sends and
  // data-parallel collectives.
  sim::Seconds fabric_taken_pp{0}, fabric_taken_dp{0};
  sim::Seconds barrier{0};           // waiting for slower groups at the step's end
  double clock_ratio = 1;            // time-weighted over the group's busy phases
  double compute_power_per_gpu = 0;  // W, mean over the microbatch phases
  double comm_power_per_gpu = 0;     // W, the exposed data-parallel phase (NaN if none)
  sim::Seconds duration() const { return (end - start).seconds(); }
};

class TrainingWorkload final : public Workload {
 public:
  TrainingWorkload(const TrainingWorkloadSpec& spec, const WorkloadContext& context,
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

  const StepReport& model_step() const { return report_; }
  const std::vector<StepRecord>& steps() const { return steps_; }

  // One phase of a group's step, at full clock.
  enum class PhaseKind { fill, microbatch, drain, dp_comm, optimizer };
  struct Phase {
    PhaseKind kind;
    GpuActivity activity;
    sim::Seconds comm{0};  // the exposed communication in it (not clocked)
  };
  const std::vector<Phase>& plan(int stage) const {
    return plans_.at(static_cast<std::size_t>(stage));
  }

 private:
  struct GroupState {
    GpuGroup* group = nullptr;
    int stage = 0;
    std::size_t phase = 0;
    StepRecord record;  // this group's own split of the current step
    double clock_weighted = 0, busy = 0;
    double compute_energy = 0, compute_time = 0;
    double comm_energy = 0, comm_time = 0;
    // Tracing (sim/trace.hpp): its "steps" and "phases" lanes, and the phase in flight.
    sim::Tracer::Track steps_track = 0, phases_track = 0;
    std::optional<sim::SimTime> phase_start;
  };

  void begin_step(sim::SimTime now);
  void run_phase(std::size_t g, sim::SimTime now);
  void on_group_done(std::size_t g, sim::SimTime now);
  // The step's scale-out transfers on the plant's fabric (README "On the shared fabric").
  void build_step_flows(const std::vector<GpuGroup*>& groups);
  struct FlowSet;
  void start_set(FlowSet& set, sim::SimTime now);
  void on_set_done(FlowSet& set, std::uint64_t epoch, sim::SimTime t);
  bool flows_pending() const;
  // Every group is done (at barrier_at_) and the step's flows have arrived: the step ends
  // when its closed form did plus what its flows waited for shared links.
  void close_step(sim::SimTime now);
  void finish_step(sim::SimTime end);
  void on_stop(sim::SimTime now);
  // The phase in flight of `g` (plan[g.phase - 1]) as a slice ending at `end`; `cut` says
  // why it ended early (null: it completed). A cut phase also ends the group's step slice.
  void trace_phase(GroupState& g, sim::SimTime end, const char* cut);

  TrainingWorkloadSpec spec_;
  sim::Engine& engine_;
  sim::WallMonitor& walls_;
  sim::SimTime horizon_;
  std::shared_ptr<const ClusterCollectives> collectives_;
  StepReport report_;
  GpuSpec gpu_;
  std::vector<std::vector<Phase>> plans_;  // per stage
  std::vector<GroupState> groups_;
  // Exposed between the sites per step, from the pipeline and data-parallel calls.
  sim::Seconds cross_site_{0}, propagation_{0}, pp_cross_{0}, dp_cross_{0};
  std::vector<StepRecord> steps_;
  // The plant's fabric (null without a network) and one aggregate flow per GPU pair of the
  // step's traffic that leaves a scale-up domain, in two sets: the pipeline sends (started
  // at the step's start) and the data-parallel reduce-scatter + all-gather (started when the
  // first group begins its last microbatch, behind whose backward the reduce-scatter runs,
  // or when the pipeline's flows have arrived if later).
  models::Fabric* fabric_ = nullptr;
  // The plant's, told each microbatch phase's tensor-parallel ring bytes (Fabric::
  // scale_up_load, rings of tp GPUs in the group): the NVLink wall's load, time unchanged.
  models::Fabric* scale_up_fabric_ = nullptr;
  std::vector<models::ScaleUpRing> scale_up_rings_;  // TP, and CP inside the group
  struct FlowSet {
    std::vector<FabricTransfer> flows;
    double bytes = 0;
    std::optional<sim::Seconds> alone;  // the same flows on an idle network
    bool running = false, ran = false;  // this step
    sim::SimTime started;
    sim::Seconds taken{0};  // this step's, start to last arrival
    double taken_sum = 0, runs = 0;
    sim::Seconds wait() const {
      return ran && alone ? std::max(sim::Seconds(0), taken - *alone) : sim::Seconds(0);
    }
  };
  FlowSet pp_set_, dp_set_;
  std::vector<std::size_t> last_microbatch_;  // per stage: its last microbatch's plan index
  bool dp_requested_ = false;                 // a group began its last microbatch this step
  std::uint64_t flow_epoch_ = 0;              // the step whose flows may close it
  bool barrier_pending_ = false;              // every group done; waiting for the flows
  sim::SimTime barrier_at_;
  StepRecord pending_;       // the step's record, closed by finish_step
  std::size_t running_ = 0;  // groups still in the current step
  sim::SimTime step_start_;
  bool in_step_ = false;
  bool stopped_ = false;  // a group lost power or shut down
  std::int64_t steps_started_ = 0;
  std::int64_t steps_at_horizon_ = 0;
  sim::SimTime end_;
  sim::Tracer* tracer_ = nullptr;                      // the engine's, if any
  std::string microbatch_comm_kinds_, dp_comm_kinds_;  // for the trace
  struct Walls {
    std::optional<sim::ResourceId> hbm, tp, pp, dp, cp, ep, bubble, optimizer, site_link,
        propagation;
  } walls_ids_;
};

}  // namespace models::training
