#include "models/workload/serving_workload.hpp"
#include "models/workload/training/training_workload.hpp"
#include "models/workload/transfers_workload.hpp"
#include "models/workload/workload.hpp"

namespace models {

const std::vector<WorkloadKind>& workload_kinds() {
  static const std::vector<WorkloadKind> kinds{
      {"serving",
       "LLM inference serving: replicas of tensor-parallel GPUs, continuous batching with chunked "
       "prefill, FCFS admission with full KV reservation",
       read_serving_workload},
      {"training",
       "LLM training: TP (+SP) / PP (1F1B, interleaved) / DP (distributed optimizer) / CP / EP "
       "steps phase by phase on the plant, over pods and two sites joined by fiber",
       training::read_training_workload},
      {"transfers",
       "jobs that only move bytes between their servers over the plant's fabric, round after "
       "round: network walls and the stretch of sharing",
       read_transfers_workload},
  };
  return kinds;
}

}  // namespace models
