#include "models/workload/transfers_workload.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "models/plant/fabric.hpp"
#include "sim/quantity.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Reader;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class TransfersWorkload final : public Workload {
 public:
  TransfersWorkload(const TransfersWorkloadSpec& spec, const WorkloadContext& context,
                    std::vector<GpuGroup*> groups)
      : spec_(spec),
        engine_(context.engine),
        horizon_(context.horizon),
        groups_(std::move(groups)) {
    fabric_ = groups_.at(0)->fabric(FabricUse::all_links);
    if (!fabric_)
      throw std::invalid_argument("transfers: the plant has no network (plant.network)");
    jobs_.resize(static_cast<std::size_t>(spec_.jobs));
    for (int j = 0; j < spec_.jobs; ++j) {
      Job& job = jobs_[static_cast<std::size_t>(j)];
      const int first = j * spec_.servers_per_job;
      for (int s = 0; s < spec_.servers_per_job; ++s) {
        const GpuGroup* from = groups_[static_cast<std::size_t>(first + s)];
        const GpuGroup* to =
            groups_[static_cast<std::size_t>(first + (s + 1) % spec_.servers_per_job)];
        for (int k = 0; k < spec_.gpus_per_server; ++k)
          job.round.push_back(
              {from, k, to, (k + spec_.rail_shift) % spec_.gpus_per_server, spec_.bytes});
      }
      job.alone = fabric_->uncontended(job.round);
      job.scale_out = fabric_->scale_out(job.round.front());
    }
  }

  void start() override {
    for (std::size_t j = 0; j < jobs_.size(); ++j) start_round(j, engine_.now());
  }
  void mark_horizon(sim::SimTime) override {}
  bool done() const override { return active_ == 0 && started_; }
  void finish(sim::SimTime) override {}

  void add_metrics(Metrics& out) const override {
    double worst = kNaN, bytes = 0;
    for (std::size_t j = 0; j < jobs_.size(); ++j) {
      const Job& job = jobs_[j];
      const double mean = job.rounds > 0 ? job.time / static_cast<double>(job.rounds) : kNaN;
      const double stretch = mean / job.alone.value();
      out.push_back({fmt::format("job{}_rounds", j), static_cast<double>(job.rounds), ""});
      out.push_back({fmt::format("job{}_round_time_mean", j), mean, "s"});
      out.push_back({fmt::format("job{}_round_time_alone", j), job.alone.value(), "s"});
      out.push_back({fmt::format("job{}_stretch", j), stretch, ""});
      if (!std::isnan(stretch) && (std::isnan(worst) || stretch > worst)) worst = stretch;
      bytes += static_cast<double>(job.rounds) * spec_.bytes.value() *
               static_cast<double>(job.round.size());
    }
    out.push_back({"transfer_stretch_max", worst, ""});
    out.push_back({"transfer_bytes", bytes, "B"});
  }
  void write_tables(sim::h5::ResultFile&) const override {}
  std::string headline() const override {
    return fmt::format(
        "transfers: {} job(s) of {} server(s), every GPU sends {} per round to GPU k{:+d} of the "
        "job's next server",
        spec_.jobs, spec_.servers_per_job,
        sim::format_quantity(spec_.bytes.value(), sim::dims::bytes, 4), spec_.rail_shift);
  }
  std::optional<std::string> wall_effect(const sim::WallResult&, const Metrics&) const override {
    return std::nullopt;  // the fabric's walls are the plant's
  }
  void print_summary(std::ostream& out, const Metrics& m) const override {
    for (std::size_t j = 0; j < jobs_.size(); ++j) {
      const Job& job = jobs_[j];
      out << fmt::format(
          "job[{}]      {} rounds, mean round {:.3f} ms, alone on an idle fabric {:.3f} ms: "
          "stretch {:.3f}{}\n",
          j, job.rounds, 1e3 * metric_value(m, fmt::format("job{}_round_time_mean", j)),
          1e3 * job.alone.value(), metric_value(m, fmt::format("job{}_stretch", j)),
          job.scale_out ? "" : " (inside the scale-up domain)");
    }
  }

 private:
  struct Job {
    std::vector<FabricTransfer> round;
    sim::Seconds alone{0};
    bool scale_out = false;
    sim::SimTime round_start;
    std::int64_t rounds = 0;
    double time = 0;  // s, summed over finished rounds
    bool active = false;
  };

  void start_round(std::size_t j, sim::SimTime now) {
    started_ = true;
    Job& job = jobs_[j];
    const int first = static_cast<int>(j) * spec_.servers_per_job;
    if (now >= horizon_) {
      if (job.active) --active_;
      job.active = false;
      for (int s = 0; s < spec_.servers_per_job; ++s)
        groups_[static_cast<std::size_t>(first + s)]->go_idle(now);
      if (active_ == 0) engine_.stop();
      return;
    }
    if (!job.active) ++active_;
    job.active = true;
    job.round_start = now;
    // The GPUs move bytes: busy, no SM or HBM work (the plant holds this power until the
    // round ends, however long the sharing makes it).
    const GpuActivity comm{.unclocked_busy = job.alone};
    for (int s = 0; s < spec_.servers_per_job; ++s)
      groups_[static_cast<std::size_t>(first + s)]->begin_iteration(now, comm);
    fabric_->start(job.round, [this, j](sim::SimTime t) {
      Job& done_job = jobs_[j];
      ++done_job.rounds;
      done_job.time += (t - done_job.round_start).seconds().value();
      start_round(j, t);
    });
  }

  const TransfersWorkloadSpec& spec_;
  sim::Engine& engine_;
  sim::SimTime horizon_;
  std::vector<GpuGroup*> groups_;
  Fabric* fabric_ = nullptr;
  std::vector<Job> jobs_;
  int active_ = 0;
  bool started_ = false;
};

}  // namespace

std::unique_ptr<Workload> TransfersWorkloadSpec::build(const WorkloadContext& context,
                                                       std::vector<GpuGroup*> groups) const {
  return std::make_unique<TransfersWorkload>(*this, context, std::move(groups));
}

std::shared_ptr<const WorkloadSpec> read_transfers_workload(Reader& r,
                                                            const WorkloadReadContext& context) {
  auto spec = std::make_shared<TransfersWorkloadSpec>();
  spec->jobs =
      static_cast<int>(r.integer("jobs", Need::required, Bounds::between(1, 4096)).value_or(1));
  spec->servers_per_job = static_cast<int>(
      r.integer("servers_per_job", Need::required, Bounds::between(2, 1 << 20)).value_or(2));
  spec->bytes = r.quantity<sim::dims::bytes>("bytes", Need::required, Bounds::positive())
                    .value_or(sim::Bytes(1));
  spec->gpus_per_server = std::max(1, context.gpus_per_domain);
  spec->rail_shift = static_cast<int>(
      r.integer("rail_shift", Need::optional, Bounds::between(0, 1 << 20)).value_or(1));
  const long servers = static_cast<long>(spec->jobs) * spec->servers_per_job;
  const long plant_servers =
      context.gpus_per_domain > 0 ? context.gpus_in_plant / context.gpus_per_domain : 0;
  if (context.gpu && servers > plant_servers) {
    const sim::config::Node* n = r.node("jobs", Need::optional);
    r.diagnostics().add(n ? n->location() : r.location(), r.path_of("jobs"),
                        fmt::format("{} jobs of {} servers need {} servers; the plant has {}",
                                    spec->jobs, spec->servers_per_job, servers, plant_servers));
  }
  return spec;
}

}  // namespace models
