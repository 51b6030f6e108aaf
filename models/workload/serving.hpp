// LLM inference serving: replicas of `tp` GPUs with continuous batching.
//
// Scheduling (one iteration = one event, as in vLLM / Sarathi-Serve):
//  - Every running request that has finished its prompt decodes one token per iteration.
//  - The rest of the iteration's token budget (max_batch_tokens) goes to prompt chunks:
//    first requests already being prefilled, then new ones admitted from the queue
//    (chunked prefill, Agrawal et al. 2024, "Taming throughput-latency tradeoff ...").
//  - Admission is first-come-first-served; when the head of the queue does not fit, it and
//    everything behind it wait (no overtaking). A request larger than the whole cache is
//    rejected at arrival. Two KV policies (`kv_admission`):
//    reserve  full reservation: admitted only when the cache can hold the prompt plus all
//             its output tokens, so admitted requests never stall or get preempted (the
//             conservative policy of Orca-style schedulers);
//    paged    vLLM's PagedAttention (Kwon et al., SOSP'23): the cache is blocks of
//             `kv_block_tokens` tokens; a request is admitted when blocks for its prompt are
//             free, and each decode step takes a new block when its context crosses a block
//             boundary. When a step's blocks are not free, the most recently admitted running
//             request is preempted (vLLM's default order) by recompute: its blocks are freed
//             and it goes back to the head of the queue; readmitted, it prefills its prompt and
//             the tokens it had generated as one prompt (vLLM's RECOMPUTE mode), then goes on.
//             Recompute rather than swap: vLLM chooses it whenever a sequence group has one
//             sequence (no beam search), because re-prefilling costs less than moving the
//             blocks over PCIe and back (vllm/core/scheduler.py, PreemptionMode).
//  - Disaggregated prefill and decode (Splitwise, Patel et al., ISCA'24; `prefill_replicas`):
//    the first replicas only prefill, the others only decode. When a prompt completes (its
//    first token is sampled on the prefill replica), the request's KV cache - prompt x KV
//    bytes per token, each GPU its shard to its counterpart - is sent to the decode replica
//    with the fewest outstanding requests, over NVLink when both are in one scale-up domain,
//    else over the GPUs' NICs: alpha + bytes / (eta B) (the fabric's send/recv), the transfers
//    of one prefill replica one after another on its links (a FIFO). The prefill replica
//    holds the KV until the transfer ends. Splitwise overlaps the transfer with the prefill
//    layer by layer; here it follows the prefill (the upper bound of its cost).
//  - Each request goes, on arrival, to the running replica with the fewest outstanding
//    requests (ties: lowest index), or round robin.
// Each replica runs on GpuGroups of the plant (one, or with expert or pipeline parallelism one
// per tensor-parallel group: ep / tp per stage, times pp stages): the iteration's activity at
// full clock goes to every group, each picks its clock (power limit, temperature), and the
// slowest sets the iteration (they run in lock step).
// A replica whose group stops (breaker trip, thermal shutdown) loses its in-flight work: its
// requests go back to the queues of the running replicas (their prompt is computed again) or,
// when none runs, are lost.
//
// Cross-server communication on a plant with a network (models/plant/fabric.hpp): a replica
// whose expert-parallel all-to-alls or pipeline sends cross scale-up domains starts, with each
// iteration, that iteration's scale-out bytes as flows on the plant's fabric (each GPU pair's
// dispatch and combine bytes, or each GPU's stage sends, summed over the iteration; pairs
// inside one domain stay on NVLink, closed form). The flows share the fabric max-min with every
// other job's; the iteration lasts its closed-form time plus (the flows' time - their time
// alone on an idle fabric), so alone it is the closed form exactly, and a replica whose flows
// meet others' on an oversubscribed spine waits what the sharing costs. Simplification: one
// aggregate flow per GPU pair per iteration, not one per layer's collective; the latency
// terms cancel in the difference, the bandwidth share is the one a steady collective sees.
// When the flows alone outlast the iteration (the topology slower than the closed form's
// fabric) the iteration ends with them. A disaggregated KV transfer between replicas in
// different scale-up domains likewise runs as flows, GPU i of the prefill replica's first group
// to GPU i of the decode replica's (the closed form's tp links), its prefill replica's
// transfers still one after another: it arrives, and the decode replica may admit the request,
// at its closed-form time plus what its flows took beyond their time alone.
//
// Walls registered per replica:
//  - saturation (rate, window mean of 0/1): 1 while an iteration runs and it left work behind
//    that is not waiting for KV space (the token budget or the batch size was full). Its
//    kind is the part of the busy time that bound the saturated replica: compute (SM-bound
//    kernels), hbm_bandwidth (HBM-bound kernels), network (communication) or host (the host
//    overhead); chosen at the end from the busy time while saturated (or, if never
//    saturated, while busy).
//  - hbm_capacity (bytes demanded: weights, reserve, KV held and KV wanted by a blocked
//    request; level).
// And for the service: slo.ttft and slo.tpot (samples against their targets; TTFT as the
// user sees it, the site's plus the light of ServingSpec::users). With users at a distance,
// users.propagation (kind propagation, sample, q = the SLO percentile): each request's light
// before its first token against the TTFT target, observed at its arrival; hit when light
// alone takes the walls' threshold of the TTFT budget (as training's sites.propagation
// judges light against the step's compute time).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/gpu/gpu_spec.hpp"
#include "models/memory/hbm_budget.hpp"
#include "models/plant/fabric.hpp"
#include "models/plant/gpu_group.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/iteration_cost.hpp"
#include "models/workload/llm_spec.hpp"
#include "models/workload/request_source.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "sim/engine.hpp"
#include "sim/trace.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

enum class Router { least_loaded, round_robin };
enum class KvAdmission { reserve, paged };

struct ServingSpec {
  int replicas = 1;
  int tensor_parallel = 1;
  int expert_parallel = 1;  // kernel_iteration_cost.hpp, ServingParallelism
  int pipeline_parallel = 1;
  int prefill_replicas = 0;  // > 0: disaggregated, replicas [0, n) prefill, the rest decode
  KvAdmission kv_admission = KvAdmission::reserve;
  int kv_block_tokens = 16;  // paged: vLLM's default block size
  // The two-tier fabric of the all-to-alls, pipeline sends and KV transfers: the plant's
  // network's figures unless `workload.fabric` overrides them (serving_workload.cpp).
  training::Fabric fabric;
  int gpus_per_domain = 8;  // GPUs of one scale-up domain (where NVLink ends)
  std::int64_t max_batch_tokens = 8192;
  int max_batch_requests = 256;
  Precision precision;
  double memory_reserve = 0.1;  // fraction of HBM kept for activations and workspace
  Router router = Router::least_loaded;
  CostModelSpec cost;
  UserSpec users;  // where the users are (request_source.hpp); none: at the site

  // Tensor-parallel groups of GPUs per replica: ep / tp attention groups per stage (1 without
  // expert parallelism beyond tp), times the stages.
  int groups_per_replica() const {
    return pipeline_parallel * std::max(1, expert_parallel / tensor_parallel);
  }
  int gpus_per_replica() const { return groups_per_replica() * tensor_parallel; }
};

struct SloSpec {
  sim::Seconds ttft;
  sim::Seconds tpot;
  double percentile = 0.99;  // the targets hold for this quantile of requests
};

enum class RequestStatus { completed, unfinished, rejected, lost };

struct RequestRecord {
  std::int64_t id = 0;
  int replica = -1;
  sim::SimTime arrival;
  std::optional<sim::SimTime> first_token;
  std::optional<sim::SimTime> completion;
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t generated_tokens = 0;
  int requeued = 0;         // times its replica stopped under it and it started again elsewhere
  int preempted = 0;        // times paged admission preempted it (recompute)
  int decode_replica = -1;  // disaggregated: where it decoded
  // Users at a distance (ServingSpec::users): the user's region and the light it waits for
  // before the first token beyond the site's TTFT (UserSpec::light_before_first_token). The
  // times above are at the site; the user's TTFT and E2E add `user_light`.
  int region = -1;
  sim::Seconds user_light{0};
  RequestStatus status = RequestStatus::unfinished;
};

// Where a replica's busy time went, at the clock it ran (seconds summed over iterations).
struct BusySplit {
  double compute = 0;  // SM-bound kernels (stretched by a lower clock)
  double memory = 0;   // HBM-bound kernels
  double comm = 0;     // tensor-parallel all-reduces
  double host = 0;     // host overhead: the GPUs wait
  double total() const { return compute + memory + comm + host; }
  // "compute", "hbm_bandwidth", "network" or "host": the largest share.
  const char* bound_kind() const;
};

struct ServingStats {
  std::int64_t iterations = 0;
  std::int64_t output_tokens = 0;  // every generated token, first tokens included
  std::int64_t prefill_tokens = 0;
  std::int64_t decode_tokens = 0;  // tokens generated by decode steps (first tokens excluded)
  double batch_tokens_sum = 0;     // for the mean tokens per iteration
  std::int64_t kv_blocked_admissions = 0;  // times the queue head started waiting for KV space
  std::int64_t requeued = 0;               // requests restarted on another replica
  std::int64_t preemptions = 0;            // paged: running requests preempted (recompute)
  std::int64_t recomputed_tokens = 0;      // paged: tokens prefilled again after preemption
  std::int64_t max_running = 0;            // most requests running on one replica at once
  // Disaggregated: KV transfers from prefill to decode replicas.
  std::int64_t kv_transfers = 0;
  double kv_transfer_bytes = 0;             // all GPUs of the replica
  std::vector<double> kv_transfer_seconds;  // each transfer, from its start (FIFO wait excluded)
  std::vector<double> kv_handoff_seconds;   // prompt done -> queued at the decode replica
  // Scale-out communication on the plant's fabric (file comment), summed over iterations.
  double scale_out_comm_seconds = 0;   // closed form
  double scale_out_extra_seconds = 0;  // waited beyond it for links shared with other traffic
  double scale_out_bytes = 0;          // sent as flows
  double kv_transfer_closed_form_seconds = 0;  // KV transfers on the fabric: closed form
  double kv_transfer_extra_seconds = 0;        // and waited beyond it for shared links
  double flops = 0;                            // per GPU, summed over iterations and replicas
  double hbm_bytes = 0;                        // per GPU, same
  double busy_seconds = 0;                     // iteration time summed over replicas
  double clock_weighted_seconds = 0;           // sum of clock ratio x iteration time
  double throttled_seconds = 0;                // iteration time below full clock
  BusySplit busy;                              // all iterations
  BusySplit saturated;                         // iterations that left work behind
};

class ServingModel {
 public:
  // spec.groups_per_replica() GPU groups per replica, replica after replica, each of
  // spec.tensor_parallel GPUs. `streams` prefixes the names of its random streams
  // (WorkloadContext::streams).
  ServingModel(sim::Engine& engine, sim::WallMonitor& walls, const LlmSpec& llm,
               const ServingSpec& spec, const SloSpec& slo,
               std::unique_ptr<IterationCostModel> cost, std::vector<GpuGroup*> groups,
               const std::string& streams = "workload");
  // The time of one request's KV transfer between replicas `from` and `to` (disaggregated).
  sim::Seconds kv_transfer_time(std::int64_t tokens, int from, int to) const;

  // Schedules the arrivals `source` produces (lazily, one pending arrival at a time).
  void start(RequestSource& source);
  // True once the source is exhausted and no request is in flight or waiting.
  bool done() const;
  // Marks requests still in flight as unfinished and sets the walls' kinds at `end`.
  void finish(sim::SimTime end);

  const std::vector<RequestRecord>& requests() const { return records_; }
  const ServingStats& stats() const { return stats_; }
  const GpuSpec& gpu() const { return gpu_; }
  std::int64_t kv_capacity_tokens() const { return kv_capacity_tokens_; }
  sim::Bytes weight_bytes_per_gpu() const { return weight_bytes_per_gpu_; }
  sim::Bytes kv_bytes_per_token_per_gpu() const { return kv_bytes_per_token_gpu_; }
  // Tokens generated and requests completed so far (for throughput over a window).
  std::int64_t tokens_generated() const { return stats_.output_tokens; }
  std::int64_t requests_completed() const { return completed_; }
  // Per replica: the busy split, for the report.
  const BusySplit& replica_busy(int r) const {
    return replicas_[static_cast<std::size_t>(r)].busy_total;
  }
  const BusySplit& replica_saturated(int r) const {
    return replicas_[static_cast<std::size_t>(r)].saturated_busy;
  }
  int replicas() const { return static_cast<int>(replicas_.size()); }
  // True when the replicas' scale-out traffic runs on the plant's fabric (file comment).
  bool uses_fabric() const { return fabric_ != nullptr; }
  // True when KV transfers between domains run on the plant's fabric (file comment).
  bool kv_on_fabric() const { return kv_fabric_ != nullptr; }
  // Per replica: its scale-out communication, closed form and waited beyond it (s).
  std::pair<double, double> replica_scale_out(int r) const {
    const Replica& x = replicas_[static_cast<std::size_t>(r)];
    return {x.scale_out_comm, x.scale_out_extra};
  }

 private:
  struct Running {
    std::int64_t request = 0;  // index into records_
    std::int64_t prefilled = 0;
    std::int64_t target = 0;     // tokens to prefill: the prompt (+ generated, on recompute)
    std::int64_t kv_tokens = 0;  // cache capacity held (reserve: tokens; paged: blocks x size)
  };
  enum class Role { both, prefill, decode };
  // What a traced iteration shows (sim/trace.hpp), taken at its start; only when tracing.
  struct IterationTrace {
    sim::SimTime start;
    std::int64_t prefill_tokens = 0, prefills = 0, decodes = 0, kv_tokens = 0, waiting = 0;
    double decode_context_mean = 0;
    double clock_ratio = 1;
    sim::Duration host_wait, comm;  // the GPUs waiting for the host; collectives
  };
  struct Replica {
    int index = 0;
    std::string name;
    std::vector<GpuGroup*> groups;
    Role role = Role::both;
    int domain = 0;  // scale-up domain of its first group (plant placement order)
    std::deque<std::int64_t> waiting;
    std::vector<Running> running;  // admission order
    std::int64_t kv_tokens_reserved = 0;
    std::int64_t incoming = 0;  // KV transfers on their way to it
    sim::SimTime links_free;    // its KV transfers' FIFO
    int epoch = 0;              // stops so far (stale transfer ends are ignored)
    bool busy = false;
    bool kv_blocked = false;
    std::int64_t kv_blocked_request = -1;  // the queue head counted as blocked (counted once)
    bool saturated = false;  // the running iteration left work behind (not for KV space)
    sim::EventId iteration_end;
    std::vector<std::pair<std::size_t, std::int64_t>>
        chunk_of;              // (running idx, tokens) this iteration
    BusySplit busy_split_now;  // the running iteration's split
    BusySplit busy_total, saturated_busy;
    sim::ResourceId saturation, hbm_capacity;
    sim::Tracer::Track trace_track = 0;  // its "iterations" lane, when tracing
    std::optional<sim::Tracer::Track> kv_track;
    IterationTrace trace_now;  // the running iteration, when tracing
    // Its GPU pairs that cross scale-up domains (bytes set per iteration): expert-parallel
    // all-to-all pairs and pipeline stage sends.
    std::vector<FabricTransfer> all_to_all_pairs, stage_pairs;
    // KV transfers on the fabric waiting for its links (a FIFO), and whether one is sending.
    std::deque<std::function<void()>> kv_queue;
    bool kv_sending = false;
    double scale_out_comm = 0, scale_out_extra = 0;  // s, summed over iterations
  };

  void schedule_next_arrival();
  void schedule_arrival(std::optional<Arrival> a);
  void on_arrivals(const Arrival& first);
  // Records an arrival and queues it; returns its replica (-1: rejected or lost).
  int on_arrival(const Arrival& a);
  int route_to_queue(std::int64_t request);
  // A request whose replica stopped starts again from its prompt on another (counted).
  void requeue(std::int64_t request);
  void try_start(Replica& r);
  void on_iteration_end(Replica& r);
  // Schedules the end of the iteration that started at `start` and takes `d` alone; with
  // scale-out traffic on the fabric, once its flows have arrived (file comment).
  void end_iteration_at(Replica& r, sim::SimTime start, sim::Duration d, const IterationCost& c,
                        double clock_ratio);
  void find_scale_out_pairs(Replica& r);
  sim::Bytes kv_bytes_per_link(std::int64_t tokens) const;
  void send_next_kv(Replica& r);  // the head of r.kv_queue, if no transfer of r is sending
  void on_stop(Replica& r, sim::SimTime at);
  void update_capacity_load(Replica& r);
  int route(Role want);
  bool running(const Replica& r) const;
  std::int64_t capacity() const;                    // usable KV tokens per replica under the policy
  std::int64_t kv_hold(std::int64_t tokens) const;  // capacity `tokens` occupy (block-rounded)
  void preempt_last(Replica& r);
  void hand_off(Replica& from, const Running& run);
  void release(Replica& r, std::int64_t kv_tokens);
  // The iteration that started at r.trace_now.start, as a slice ending at `end`; `cut` says
  // why it ended early (null: it completed).
  void trace_iteration(Replica& r, sim::SimTime end, const char* cut);

  sim::Engine& engine_;
  sim::WallMonitor& walls_;
  LlmSpec llm_;
  GpuSpec gpu_;
  ServingSpec spec_;
  SloSpec slo_;
  std::unique_ptr<IterationCostModel> cost_;
  RequestSource* source_ = nullptr;
  bool source_exhausted_ = false;
  std::vector<Replica> replicas_;
  std::vector<RequestRecord> records_;
  ServingStats stats_;
  std::int64_t in_flight_ = 0;  // routed, neither completed nor lost
  std::int64_t completed_ = 0;
  sim::Bytes weight_bytes_per_gpu_;
  sim::Bytes reserve_bytes_per_gpu_;
  sim::Bytes kv_bytes_per_token_gpu_;
  std::int64_t kv_capacity_tokens_ = 0;
  int next_round_robin_ = 0;
  std::shared_ptr<const training::CollectiveTimes> network_;
  Fabric* fabric_ = nullptr;     // the plant's, when the replicas' traffic crosses domains
  Fabric* kv_fabric_ = nullptr;  // the plant's, when prefill and decode replicas are apart
  // The plant's, told each iteration's tensor-parallel ring bytes (Fabric::scale_up_load): the
  // NVLink wall's load; the all-reduces' time stays the closed form.
  Fabric* scale_up_fabric_ = nullptr;
  sim::ResourceId slo_ttft_, slo_tpot_;
  sim::Tracer* tracer_ = nullptr;  // the engine's, if any
  std::string collective_kinds_;   // what an iteration's communication is, for the trace
  std::optional<sim::ResourceId> propagation_;  // users at a distance
  std::optional<sim::RngStream> users_rng_;     // their regions, drawn by share
};

// One GPU's HBM under a replica's layout, and how many attention groups hold KV:
//  weights per GPU = (all but the routed experts) / (tp pp) + routed experts / (ep pp) (ep > 1;
//  else / (tp pp)); KV per token per GPU = llm_spec's per-GPU bytes / pp (a stage holds its
//  layers' cache); under expert parallelism each of the ep / tp attention groups holds its own
//  requests' KV, so the replica holds kv_groups times one GPU's tokens.
struct ServingMemory {
  HbmBudget per_gpu;
  int kv_groups = 1;
  std::int64_t kv_capacity_tokens() const { return per_gpu.kv_capacity_tokens() * kv_groups; }
};
ServingMemory serving_hbm_budget(const LlmSpec& llm, const GpuSpec& gpu, const ServingSpec& spec);

// The activity of one GPU of the group for an iteration costed at full clock.
GpuActivity activity_of(const IterationCost& c);

}  // namespace models
