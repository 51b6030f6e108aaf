#include "models/workload/serving_workload.hpp"
#include "models/workload/workload.hpp"

namespace models {

const std::vector<WorkloadKind>& workload_kinds() {
  static const std::vector<WorkloadKind> kinds{
      {"serving",
       "LLM inference serving: replicas of tensor-parallel GPUs, continuous batching with chunked "
       "prefill, FCFS admission with full KV reservation",
       read_serving_workload},
  };
  return kinds;
}

}  // namespace models
