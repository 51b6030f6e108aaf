// Several workloads on one plant (`workloads:` in the scenario, issue 9 §2): a serving job and
// a training job, or two serving jobs, sharing a hall, its power, its cooling and its spine.
//
// WorkloadSet is itself a Workload: the run, the summary and the results file see one, and
// no workload kind has to know it shares the plant. What tells the members apart is their
// name, given to everything each registers, in one place:
//   - GPU groups:  the plant places member `chat`'s GpuRequest with the prefix `chat.`
//                  (`chat.replica[0]`), in list order, each on the GPUs the earlier ones left;
//   - walls:       registered while `chat` is built or started, under the wall monitor's
//                  scope `chat.` (`chat.slo.ttft`); names built from its groups' names,
//                  which already carry the prefix, are kept as they are (sim::NameScope);
//   - trace:       the tracer it is given prefixes its tracks' groups the same way;
//   - metrics:     `chat.ttft_p50` (add_metrics prefixes what the member adds);
//   - random:      its streams are `chat.arrivals`, ... (WorkloadContext::streams);
//   - tables:      under the HDF5 group /workloads/chat (write_tables).
// A member asked about its walls and metrics (wall_effect, print_summary) sees them without
// the prefix, as it named them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/common/metric.hpp"
#include "models/workload/workload.hpp"
#include "sim/trace.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

class Plant;

// One entry of `workloads:`.
struct NamedWorkloadSpec {
  std::string name;  // [a-z][a-z0-9_]*, unique in the scenario
  std::shared_ptr<const WorkloadSpec> spec;
};

class WorkloadSet final : public Workload {
 public:
  struct Member {
    std::string name;
    std::string kind;  // its WorkloadSpec::kind()
    std::unique_ptr<Workload> workload;
    sim::NameScope scope;
    // Its GPU groups, in the plant's placement order (Plant::group_stats indices).
    std::size_t first_group = 0;
    std::size_t groups = 0;
    int group_size = 0;                   // GPUs per group
    std::unique_ptr<sim::Tracer> tracer;  // the engine's tracer under its scope; null if none
  };

  // Places each member's GPUs on `plant` (in list order) and builds it, with its names
  // scoped. Throws std::invalid_argument when the GPUs do not fit (the scenario reader
  // reports that earlier, with its location).
  WorkloadSet(const std::vector<NamedWorkloadSpec>& specs, Plant& plant, sim::Engine& engine,
              sim::WallMonitor& walls, sim::SimTime horizon);

  void start() override;
  void mark_horizon(sim::SimTime horizon) override;
  bool done() const override;
  void finish(sim::SimTime end) override;
  void add_metrics(Metrics& out) const override;
  void write_tables(sim::h5::ResultFile& file) const override;
  std::string headline() const override;
  std::optional<std::string> wall_effect(const sim::WallResult& w,
                                         const Metrics& summary) const override;
  // Each member's section: its headline, the walls of its own that were hit with what they
  // did, its summary lines.
  void print_summary(std::ostream& out, const Metrics& summary) const override;

  const std::vector<Member>& members() const { return members_; }
  // The member named `name`; null if none.
  const Member* member(std::string_view name) const;

  // The metrics of a member inside the run's summary, without the prefix.
  static Metrics metrics_of(const Member& m, const Metrics& summary);

 private:
  // The member whose prefix `name` carries; null if none.
  const Member* owner(std::string_view name) const;

  sim::Engine& engine_;
  sim::WallMonitor& walls_;
  std::vector<Member> members_;
};

// The HDF5 group of a member's tables.
std::string workload_group(std::string_view name);

}  // namespace models
