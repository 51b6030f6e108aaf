#include "models/scenario/workload_set.hpp"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "models/plant/plant.hpp"
#include "sim/h5_writer.hpp"

namespace models {

namespace {

// The engine's tracer seen by one member: its tracks' and counters' groups carry the
// member's prefix (the plant's process for `chat.replica[0]` and the member's lanes on it
// are then one process in the viewer).
class ScopedTracer final : public sim::Tracer {
 public:
  ScopedTracer(sim::Tracer& inner, sim::NameScope scope)
      : inner_(inner), scope_(std::move(scope)) {}

  Track track(std::string_view group, std::string_view lane) override {
    return inner_.track(scope_.apply(std::string(group)), lane);
  }
  Counter counter(std::string_view group, std::string_view name, std::string_view unit) override {
    return inner_.counter(scope_.apply(std::string(group)), name, unit);
  }
  void slice(Track track, std::string_view name, sim::SimTime start, sim::SimTime end,
             std::span<const sim::TraceArg> args) override {
    inner_.slice(track, name, start, end, args);
  }
  void instant(Track track, std::string_view name, sim::SimTime at,
               std::span<const sim::TraceArg> args) override {
    inner_.instant(track, name, at, args);
  }
  void sample(Counter counter, sim::SimTime at, double value) override {
    inner_.sample(counter, at, value);
  }

 private:
  sim::Tracer& inner_;
  sim::NameScope scope_;
};

// Runs `f` with the wall monitor's scope and the engine's tracer set to the member's, then
// puts both back (also when `f` throws).
template <class F>
void in_scope(sim::Engine& engine, sim::WallMonitor& walls, const WorkloadSet::Member& m, F&& f) {
  struct Restore {
    sim::Engine& engine;
    sim::WallMonitor& walls;
    sim::Tracer* tracer;
    sim::NameScope scope;
    ~Restore() {
      engine.set_tracer(tracer);
      walls.set_scope(std::move(scope));
    }
  } restore{engine, walls, engine.tracer(), walls.scope()};
  walls.set_scope(m.scope);
  if (m.tracer) engine.set_tracer(m.tracer.get());
  f();
}

}  // namespace

std::string workload_group(std::string_view name) {
  return fmt::format("/workloads/{}", name);
}

WorkloadSet::WorkloadSet(const std::vector<NamedWorkloadSpec>& specs, Plant& plant,
                         sim::Engine& engine, sim::WallMonitor& walls, sim::SimTime horizon)
    : engine_(engine), walls_(walls) {
  std::size_t placed = 0;
  for (const NamedWorkloadSpec& s : specs) {
    Member m;
    m.name = s.name;
    m.kind = std::string(s.spec->kind());
    GpuRequest request = s.spec->gpus();
    const std::string prefix = s.name + ".";
    request.prefix = prefix + request.prefix;
    m.scope = sim::NameScope{prefix, request.prefix + "["};
    std::vector<GpuGroup*> groups = plant.place(request);
    m.first_group = placed;
    m.groups = groups.size();
    m.group_size = request.size;
    placed += groups.size();
    if (sim::Tracer* t = engine.tracer()) m.tracer = std::make_unique<ScopedTracer>(*t, m.scope);
    in_scope(engine_, walls_, m, [&] {
      m.workload = s.spec->build(
          WorkloadContext{.engine = engine, .walls = walls, .horizon = horizon, .streams = s.name},
          std::move(groups));
    });
    members_.push_back(std::move(m));
  }
}

void WorkloadSet::start() {
  for (Member& m : members_) in_scope(engine_, walls_, m, [&] { m.workload->start(); });
}

void WorkloadSet::mark_horizon(sim::SimTime horizon) {
  for (Member& m : members_) m.workload->mark_horizon(horizon);
}

bool WorkloadSet::done() const {
  for (const Member& m : members_) {
    if (!m.workload->done()) return false;
  }
  return true;
}

void WorkloadSet::finish(sim::SimTime end) {
  for (Member& m : members_) m.workload->finish(end);
}

void WorkloadSet::add_metrics(Metrics& out) const {
  for (const Member& m : members_) {
    Metrics own;
    m.workload->add_metrics(own);
    for (Metric& x : own) out.push_back({m.scope.prefix + x.name, x.value, std::move(x.unit)});
  }
}

Metrics WorkloadSet::metrics_of(const Member& m, const Metrics& summary) {
  Metrics own;
  for (const Metric& x : summary) {
    if (x.name.starts_with(m.scope.prefix))
      own.push_back({x.name.substr(m.scope.prefix.size()), x.value, x.unit});
  }
  return own;
}

void WorkloadSet::write_tables(sim::h5::ResultFile& file) const {
  // Each member writes its tables (at paths of its own, e.g. /requests) into a file of its
  // own, which is then copied under /workloads/<name>: no workload kind knows it shares.
  for (const Member& m : members_) {
    const std::string part = fmt::format("{}.workload-{}", file.temp_path(), m.name);
    struct Remove {
      std::string path;
      ~Remove() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
      }
    } remove{part};
    {
      sim::h5::ResultFile own(part);
      m.workload->write_tables(own);
      own.commit();
    }
    file.copy_from(part, "/", workload_group(m.name));
  }
}

std::string WorkloadSet::headline() const {
  std::string names;
  for (const Member& m : members_)
    names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", m.name, m.kind);
  return fmt::format("{} workloads sharing the plant: {}", members_.size(), names);
}

const WorkloadSet::Member* WorkloadSet::member(std::string_view name) const {
  for (const Member& m : members_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const WorkloadSet::Member* WorkloadSet::owner(std::string_view name) const {
  for (const Member& m : members_) {
    if (name.starts_with(m.scope.prefix)) return &m;
  }
  return nullptr;
}

std::optional<std::string> WorkloadSet::wall_effect(const sim::WallResult& w,
                                                    const Metrics& summary) const {
  const Member* m = owner(w.name);
  if (!m) return std::nullopt;
  sim::WallResult own = w;
  own.name = w.name.substr(m->scope.prefix.size());
  return m->workload->wall_effect(own, metrics_of(*m, summary));
}

void WorkloadSet::print_summary(std::ostream& out, const Metrics& summary) const {
  const std::vector<sim::WallResult> walls = walls_.results();
  for (const Member& m : members_) {
    const Metrics own = metrics_of(m, summary);
    out << fmt::format("== {}: {}\n", m.name, m.workload->headline());
    const double arrived = metric_value(own, "requests_arrived");
    if (!std::isnan(arrived)) {
      out << fmt::format(
          "requests    {} arrived, {} completed, {} unfinished, {} rejected, {} lost\n",
          static_cast<std::int64_t>(arrived),
          static_cast<std::int64_t>(metric_value(own, "requests_completed")),
          static_cast<std::int64_t>(metric_value(own, "requests_unfinished")),
          static_cast<std::int64_t>(metric_value(own, "requests_rejected")),
          static_cast<std::int64_t>(metric_value(own, "requests_lost")));
    }
    for (const sim::WallResult& w : walls) {
      if (!w.first_hit || owner(w.name) != &m) continue;
      if (auto e = wall_effect(w, summary))
        out << fmt::format("wall        {} hit at {:.3f} s: {}\n", w.name, w.first_hit->seconds(),
                           *e);
    }
    m.workload->print_summary(out, own);
    out << "\n";
  }
}

}  // namespace models
