// The `transfers` workload kind: jobs that do nothing but move bytes between their servers
// over the plant's fabric (models/plant/fabric.hpp), round after round, as nccl-tests'
// send/recv loops do. It puts traffic on the hall's network so that its link tiers become
// walls, and it shows what sharing costs: each job's round time against the same round
// alone on an idle network (the α–β form `L + S / B`).
//
//   workload:
//     kind: transfers
//     jobs: 2              # jobs, each on `servers_per_job` consecutive servers of the plant
//     servers_per_job: 2
//     bytes: 1 GB          # per GPU per round
//     rail_shift: 1        # GPU k of server i sends to GPU k + rail_shift (mod GPUs per
//                          # server) of the job's next server (ring); 0: the same rail (through
//                          # its leaf only), else another rail (up through a spine)
//
// Every GPU of a job sends at once; a round ends with its last transfer and the next starts
// then, until simulation.duration. While a round runs the job's GPUs are busy communicating
// (GpuGroup activity: no SM work; the plant draws their power as for communication).
#pragma once

#include <memory>

#include "models/workload/workload.hpp"

namespace models {

class TransfersWorkloadSpec final : public WorkloadSpec {
 public:
  int jobs = 1;
  int servers_per_job = 2;
  int gpus_per_server = 8;
  sim::Bytes bytes{0};
  int rail_shift = 1;

  std::string_view kind() const override { return "transfers"; }
  GpuRequest gpus() const override {
    return GpuRequest{"job_server", jobs * servers_per_job, gpus_per_server};
  }
  std::unique_ptr<Workload> build(const WorkloadContext& context,
                                  std::vector<GpuGroup*> groups) const override;
};

std::shared_ptr<const WorkloadSpec> read_transfers_workload(sim::config::Reader& workload,
                                                            const WorkloadReadContext& context);

}  // namespace models
