#include "models/plant/plant.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "models/power/power_tree.hpp"
#include "sim/quantity.hpp"

namespace models {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

GpuPowerLimits limits_of(const GpuSpec& gpu) {
  GpuPowerLimits l;
  l.idle = gpu.idle_power;
  l.tdp = gpu.tdp;
  // Power scales with the format the kernels run in only through the FLOP count; the peak
  // that normalizes it is the bf16 one (every catalog GPU has it), so that fp8 FLOPs, which
  // cost less energy each, are not over-counted: an fp8 FLOP is half a bf16 FLOP's time.
  l.peak_flops = gpu.peak(DType::bf16).value_or(sim::FlopsPerSecond(1));
  l.hbm_bandwidth = gpu.hbm_bandwidth;
  l.min_clock_ratio = 0.1;
  return l;
}

std::string watts(double w) {
  return sim::format_quantity(w, sim::dims::power, 4);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Servers and GPU groups

struct Plant::Server {
  int index = 0;
  std::vector<Group*> groups;
  int idle_gpus = 0;          // GPUs no group uses
  bool fed = true;            // false after a trip above it
  double gpu_power = 0;       // W, all its GPUs
  double power = 0;           // W, on its DC bus
  Integrator gpu_energy;      // for the capping controller
  double gpu_energy_at_tick = 0;  // J, at the last control tick
};

class Plant::Group final : public GpuGroup {
 public:
  Group(Plant& plant, std::string name, int server, int size)
      : plant_(plant), name_(std::move(name)), server_(server), size_(size) {
    power_per_gpu_.set(sim::SimTime::zero(), plant.spec_.gpu.idle_power.value());
  }

  const std::string& name() const override { return name_; }
  const GpuSpec& gpu() const override { return plant_.spec_.gpu; }
  int size() const override { return size_; }
  bool running() const override { return running_; }
  void on_stop(std::function<void(sim::SimTime)> callback) override {
    on_stop_ = std::move(callback);
  }

  IterationRun begin_iteration(sim::SimTime now, const GpuActivity& a) override {
    if (!running_) throw std::logic_error("GpuGroup " + name_ + ": iteration on a stopped group");
    IterationRun run;
    if (!plant_.coupled_) {
      run.clock_ratio = 1;
      run.duration = sim::Duration::from_seconds(a.duration(1.0));
      run.power_per_gpu = plant_.gpu_power_.power(a, 1.0);
    } else {
      const Server& s = plant_.servers_[static_cast<std::size_t>(server_)];
      const double limit = std::min(plant_.spec_.gpu_power_limit.value(),
                                    plant_.cap_limit_[static_cast<std::size_t>(s.index)]);
      run.clock_ratio = plant_.gpu_power_.clock_for_limit(a, sim::Watts(limit));
      run.duration = sim::Duration::from_seconds(a.duration(run.clock_ratio));
      run.power_per_gpu = plant_.gpu_power_.power(a, run.clock_ratio);
    }
    if (run.duration < sim::Duration::ns(1)) run.duration = sim::Duration::ns(1);
    busy_ = true;
    clock_.set(now, run.clock_ratio);
    busy_time_.set(now, 1.0);
    if (run.clock_ratio < 1) throttled_.set(now, 1.0);
    else throttled_.set(now, 0.0);
    set_power(now, run.power_per_gpu.value());
    peak_power_ = std::max(peak_power_, run.power_per_gpu.value());
    if (iterations_++ == 0) first_clock_ = run.clock_ratio;
    return run;
  }

  void go_idle(sim::SimTime now) override {
    if (!busy_) return;
    busy_ = false;
    clock_.set(now, 0.0);
    busy_time_.set(now, 0.0);
    throttled_.set(now, 0.0);
    set_power(now, plant_.spec_.gpu.idle_power.value());
  }

  // The plant cut its power (trip) or a GPU shut down: everything stops at `now`.
  void stop(sim::SimTime now) {
    if (!running_) return;
    running_ = false;
    busy_ = false;
    clock_.set(now, 0.0);
    busy_time_.set(now, 0.0);
    throttled_.set(now, 0.0);
    set_power(now, 0.0);
    if (on_stop_) on_stop_(now);
  }

  int server() const { return server_; }
  double power_per_gpu() const { return power_per_gpu_.value(); }
  const Integrator& power_integral() const { return power_per_gpu_; }
  const Integrator& clock_integral() const { return clock_; }
  const Integrator& busy_integral() const { return busy_time_; }
  const Integrator& throttled_integral() const { return throttled_; }

  double peak_power() const { return peak_power_; }
  double first_clock() const { return first_clock_; }

  // Series bookkeeping.
  std::size_t series_clock = 0, series_power = 0;
  double last_power_j = 0, last_clock_s = 0, last_busy_s = 0;

 private:
  void set_power(sim::SimTime now, double watts_per_gpu) {
    power_per_gpu_.set(now, watts_per_gpu);
    Server& s = plant_.servers_[static_cast<std::size_t>(server_)];
    plant_.update_server(s, now);
  }

  Plant& plant_;
  std::string name_;
  int server_;
  int size_;
  bool running_ = true;
  bool busy_ = false;
  std::function<void(sim::SimTime)> on_stop_;
  Integrator power_per_gpu_;  // W per GPU
  Integrator clock_;          // clock ratio while busy, 0 idle
  Integrator busy_time_;      // 1 while busy
  Integrator throttled_;      // 1 while busy below full clock
  double peak_power_ = 0;
  double first_clock_ = 1;
  std::int64_t iterations_ = 0;
};

// ---------------------------------------------------------------------------------------

Plant::Plant(sim::Engine& engine, sim::WallMonitor& walls, const PlantSpec& spec)
    : engine_(engine),
      walls_(walls),
      spec_(spec),
      gpu_power_(limits_of(spec.gpu), spec.power_coefficients),
      coupled_(spec.coupling == Coupling::full) {
  servers_.resize(static_cast<std::size_t>(spec_.layout.servers()));
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    servers_[i].index = static_cast<int>(i);
    servers_[i].idle_gpus = spec_.server.gpus;
  }
  cap_limit_.assign(servers_.size(), spec_.gpu_power_limit.value());
  rack_power_.assign(static_cast<std::size_t>(spec_.layout.racks()), 0.0);
  if (coupled_ && !spec_.power_stages.empty()) {
    tree_ = std::make_unique<power::PowerTree>(spec_.power_stages, spec_.layout);
    meter_ = std::make_unique<power::IntervalMeter>(*tree_, sim::SimTime::zero());
  }
}

Plant::~Plant() = default;

std::vector<GpuGroup*> Plant::place(const GpuRequest& request) {
  const int domain = spec_.server.scale_up_domain;
  if (request.size < 1 || request.size > domain || domain % request.size != 0) {
    throw std::invalid_argument(fmt::format(
        "groups of {} GPUs do not tile the scale-up domains of {} GPUs", request.size, domain));
  }
  std::vector<GpuGroup*> out;
  std::size_t server = 0;
  for (int i = 0; i < request.count; ++i) {
    while (server < servers_.size() && servers_[server].idle_gpus < request.size) ++server;
    if (server == servers_.size()) {
      throw std::invalid_argument(fmt::format("{} groups of {} GPUs do not fit {} GPUs",
                                              request.count, request.size, spec_.gpus()));
    }
    Server& s = servers_[server];
    s.idle_gpus -= request.size;
    auto g = std::make_unique<Group>(*this, fmt::format("{}[{}]", request.prefix, i),
                                     static_cast<int>(server), request.size);
    s.groups.push_back(g.get());
    out.push_back(g.get());
    groups_.push_back(std::move(g));
  }
  return out;
}

void Plant::start() {
  const sim::SimTime now = engine_.now();
  if (coupled_) {
    if (tree_) tree_->register_walls(walls_);
    if (spec_.power && spec_.power->grid_capacity) {
      grid_wall_ = walls_.add("power.grid", "power", spec_.power->grid_capacity->value(), "W",
                              sim::Aggregation::rate);
    }
    if (spec_.rack_power_limit) {
      for (int r = 0; r < spec_.layout.racks(); ++r) {
        rack_walls_.push_back(walls_.add(fmt::format("rack[{}].power", r), "power",
                                         spec_.rack_power_limit->value(), "W",
                                         sim::Aggregation::rate));
      }
    }
  }
  for (Server& s : servers_) update_server(s, now);

  // Series: facility, per stage, per group.
  series_facility_ = series_.define("facility.power", "W");
  series_it_ = series_.define("facility.it_power", "W");
  series_pue_ = series_.define("facility.pue", "");
  if (tree_) {
    for (const power::StageSpec& st : tree_->stages()) {
      series_stage_load_.push_back(series_.define("power." + st.name + ".load", "W"));
      series_stage_loss_.push_back(series_.define("power." + st.name + ".loss", "W"));
    }
    last_window_stage_out_j_.assign(tree_->stages().size(), 0.0);
    last_window_stage_loss_j_.assign(tree_->stages().size(), 0.0);
  }
  for (auto& g : groups_) {
    g->series_clock = series_.define(g->name() + ".clock_ratio", "");
    g->series_power = series_.define(g->name() + ".power_per_gpu", "W");
  }
  last_window_ = now;
  engine_.schedule_in(walls_.options().window, [this] { on_window(); }, "plant.window");
  if (tree_ && spec_.power) {
    engine_.schedule_in(spec_.power->control_interval, [this] { on_control_tick(); },
                        "plant.power_control");
  }
}

void Plant::update_server(Server& s, sim::SimTime now) {
  const double idle = spec_.gpu.idle_power.value();
  double gpus = static_cast<double>(s.idle_gpus) * idle;
  for (const Group* g : s.groups) gpus += g->power_per_gpu() * g->size();
  if (!s.fed) gpus = 0;
  s.gpu_power = gpus;
  s.gpu_energy.set(now, gpus);
  const double n = spec_.server.gpus;
  const double span = n * (spec_.gpu.tdp.value() - idle);
  const double u = span > 0 ? std::clamp((gpus - n * idle) / span, 0.0, 1.0) : 0.0;
  const double other =
      spec_.server.other_idle.value() + (spec_.server.other_max - spec_.server.other_idle).value() * u;
  s.power = s.fed ? gpus + other : 0.0;
  if (!coupled_) return;
  const int rack = spec_.layout.instance_of(s.index, Scope::rack);
  if (tree_) {
    tree_->set_server_load(s.index, sim::Watts(s.power), now);
  } else {
    double total = 0;
    for (const Server& x : servers_) total += x.power;
    it_power_.set(now, total);
  }
  if (!rack_walls_.empty()) {
    double rp = 0;
    const int per = spec_.layout.servers_per_rack;
    for (int k = rack * per; k < (rack + 1) * per; ++k) rp += servers_[static_cast<std::size_t>(k)].power;
    rack_power_[static_cast<std::size_t>(rack)] = rp;
    walls_.set_load(rack_walls_[static_cast<std::size_t>(rack)], now, rp);
  }
  update_grid(now);
}

sim::Watts Plant::facility_power() const {
  const double it_side = tree_ ? tree_->grid_input().value() : it_power_.value();
  return sim::Watts(it_side);
}

void Plant::update_grid(sim::SimTime now) {
  if (grid_wall_) walls_.set_load(*grid_wall_, now, facility_power().value());
}

double Plant::it_energy(sim::SimTime now) const {
  return tree_ ? tree_->it_energy(now).value() : it_power_.integral(now);
}

double Plant::cooling_energy(sim::SimTime) const {
  return 0;
}

double Plant::facility_energy(sim::SimTime now) const {
  const double it_side = tree_ ? tree_->grid_energy(now).value() : it_power_.integral(now);
  return it_side + cooling_energy(now);
}

void Plant::on_window() {
  sample_window(engine_.now());
  if (!finished_)
    engine_.schedule_in(walls_.options().window, [this] { on_window(); }, "plant.window");
}

void Plant::sample_window(sim::SimTime now) {
  const double dt = (now - last_window_).seconds().value();
  if (dt > 0 && coupled_) {
    const double fe = facility_energy(now), ie = it_energy(now);
    const double facility = (fe - last_window_facility_j_) / dt;
    const double it = (ie - last_window_it_j_) / dt;
    series_.add(series_facility_, now, facility);
    series_.add(series_it_, now, it);
    series_.add(series_pue_, now, it > 0 ? facility / it : kNaN);
    peak_facility_w_ = std::max(peak_facility_w_, facility);
    last_window_facility_j_ = fe;
    last_window_it_j_ = ie;
    if (tree_) {
      const auto energies = tree_->stage_energies(now);
      for (std::size_t i = 0; i < energies.size(); ++i) {
        series_.add(series_stage_load_[i], now,
                    (energies[i].output.value() - last_window_stage_out_j_[i]) / dt);
        series_.add(series_stage_loss_[i], now,
                    (energies[i].loss.value() - last_window_stage_loss_j_[i]) / dt);
        last_window_stage_out_j_[i] = energies[i].output.value();
        last_window_stage_loss_j_[i] = energies[i].loss.value();
      }
    }
  }
  if (dt > 0) {
    for (auto& g : groups_) {
      const double pj = g->power_integral().integral(now);
      const double cs = g->clock_integral().integral(now);
      const double bs = g->busy_integral().integral(now);
      series_.add(g->series_power, now, (pj - g->last_power_j) / dt);
      series_.add(g->series_clock, now, bs > g->last_busy_s ? (cs - g->last_clock_s) / (bs - g->last_busy_s) : kNaN);
      g->last_power_j = pj;
      g->last_clock_s = cs;
      g->last_busy_s = bs;
    }
  }
  last_window_ = now;
}

void Plant::stop_server(Server& s, sim::SimTime now) {
  if (!s.fed) return;
  s.fed = false;
  for (Group* g : s.groups) g->stop(now);
  update_server(s, now);
}

void Plant::on_control_tick() {
  const sim::SimTime now = engine_.now();
  const std::span<const sim::Watts> mean = meter_->close(now);
  const auto nodes = tree_->nodes();
  const bool trip = spec_.power->overload == power::Overload::trip;
  // Servers under an overloaded node shed in proportion; the others recover by 5 % of their
  // GPU limit per tick. A proportional controller with a 2 % margin: our choice, in the
  // spirit of rack power managers that act on a ~1 s window (REFERENCE.md C.5).
  std::vector<double> scale(servers_.size(), 1.0);
  bool any = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const power::PowerNode& n = nodes[i];
    if (!n.energized()) continue;
    const double rating = n.usable_rating().value();
    if (mean[i].value() <= rating * (1 + 1e-9)) continue;
    if (trip) {
      tree_->set_tripped(static_cast<int>(i), true, now);
      ++trips_;
      tripped_nodes_.push_back(n.name());
      for (int k = n.servers().first; k < n.servers().last; ++k)
        stop_server(servers_[static_cast<std::size_t>(k)], now);
      continue;
    }
    any = true;
    const double f = rating / mean[i].value() * 0.98;
    for (int k = n.servers().first; k < n.servers().last; ++k)
      scale[static_cast<std::size_t>(k)] = std::min(scale[static_cast<std::size_t>(k)], f);
  }
  if (!trip) {
    const double floor = spec_.gpu.min_power_limit.value();
    const double full = spec_.gpu_power_limit.value();
    const double dt = spec_.power->control_interval.seconds().value();
    for (std::size_t k = 0; k < servers_.size(); ++k) {
      Server& s = servers_[k];
      const double e = s.gpu_energy.integral(now);
      const double mean_per_gpu = (e - s.gpu_energy_at_tick) / dt / spec_.server.gpus;
      s.gpu_energy_at_tick = e;
      if (scale[k] < 1) {
        // Shed at the GPUs: the limit goes below their mean draw over the tick.
        cap_limit_[k] = std::max(floor, std::min(cap_limit_[k], mean_per_gpu) * scale[k]);
      } else if (cap_limit_[k] < full) {
        cap_limit_[k] = std::min(full, cap_limit_[k] + 0.05 * full);
      }
    }
    if (any) ++cap_ticks_;
  }
  if (!finished_)
    engine_.schedule_in(spec_.power->control_interval, [this] { on_control_tick(); },
                        "plant.power_control");
}

void Plant::finish(sim::SimTime end) {
  end_ = end;
  finished_ = true;
  if (end > last_window_) sample_window(end);  // the last, partial window
}

GpuGroupStats Plant::group_stats(std::size_t i) const {
  const Group& g = *groups_.at(i);
  GpuGroupStats s;
  s.energy_per_gpu = sim::Joules(g.power_integral().integral(end_));
  s.peak_power_per_gpu = sim::Watts(g.peak_power());
  s.first_clock_ratio = g.first_clock();
  s.busy = sim::Seconds(g.busy_integral().integral(end_));
  return s;
}

void Plant::add_metrics(Metrics& out) const {
  auto add = [&](std::string name, double v, std::string unit) {
    out.push_back(Metric{std::move(name), v, std::move(unit)});
  };
  add("servers", spec_.layout.servers(), "");
  add("racks", spec_.layout.racks(), "");
  add("plant_gpus", spec_.gpus(), "");
  double busy = 0, throttled = 0;
  for (const auto& g : groups_) {
    busy += g->busy_integral().integral(end_);
    throttled += g->throttled_integral().integral(end_);
  }
  add("throttled_share", busy > 0 ? throttled / busy : kNaN, "");
  if (!coupled_) return;
  const double it = it_energy(end_);
  const double facility = facility_energy(end_);
  const double cooling = cooling_energy(end_);
  add("energy_it", it, "J");
  add("energy_conversion_losses", tree_ ? tree_->loss_energy(end_).value() : 0.0, "J");
  add("energy_cooling", cooling, "J");
  add("energy_facility", facility, "J");
  add("pue", it > 0 ? facility / it : kNaN, "");
  const double span = (end_ - sim::SimTime::zero()).seconds().value();
  add("mean_facility_power", span > 0 ? facility / span : kNaN, "W");
  add("peak_facility_power", peak_facility_w_, "W");
  add("peak_junction_temperature", peak_junction_c_, "degC");
  add("power_trips", trips_, "");
  add("power_capped_ticks", cap_ticks_, "");
  add("thermal_shutdowns", shutdowns_, "");
  if (tree_) {
    const sim::Watts nameplate = spec_.server.nameplate(spec_.gpu);
    const power::DesignPoint d = tree_->design_point(spec_.server.max_dc_power(spec_.gpu));
    add("design_it_power", d.it.value(), "W");
    add("design_grid_power", d.grid.value(), "W");
    add("design_chain_efficiency", d.efficiency(), "");
    (void)nameplate;
    if (spec_.power->grid_capacity && spec_.layout.racks() > 0) {
      const double per_rack = d.grid.value() / spec_.layout.racks();
      add("design_grid_power_per_rack", per_rack, "W");
      add("racks_under_grid_capacity", std::floor(spec_.power->grid_capacity->value() / per_rack),
          "");
    }
  }
}

std::string Plant::headline() const {
  std::string s = fmt::format("{} x {} ({} GPUs) in {} rack(s) of {} server(s), {} row(s), {}-cooled",
                              spec_.layout.servers(), spec_.server.name, spec_.gpus(),
                              spec_.layout.racks(), spec_.layout.servers_per_rack,
                              spec_.layout.rows,
                              spec_.server_cooling == ServerCooling::liquid ? "liquid" : "air");
  if (spec_.power) s += fmt::format("; power chain {}", spec_.power->chain.name);
  if (!coupled_) s += "; plant coupling off";
  return s;
}

std::optional<std::string> Plant::wall_effect(const sim::WallResult& w, const Metrics& m) const {
  if (w.kind == "power") {
    if (spec_.power && spec_.power->overload == power::Overload::trip) {
      return fmt::format("{} breaker trip(s) ({}); the servers below lost power, requests went "
                         "elsewhere or were lost",
                         trips_, fmt::join(tripped_nodes_, ", "));
    }
    return fmt::format(
        "the capping controller lowered GPU power limits on {} control tick(s); GPUs ran below "
        "full clock {:.1f} % of their busy time",
        cap_ticks_, 100 * metric_value(m, "throttled_share"));
  }
  return std::nullopt;
}

void Plant::print_summary(std::ostream& out, const Metrics& m) const {
  if (!coupled_) return;
  out << fmt::format(
      "energy      facility {:.1f} kWh (IT {:.1f}, conversion losses {:.1f}, cooling {:.1f}), PUE "
      "{:.3f}, peak facility power {}\n",
      metric_value(m, "energy_facility") / 3.6e6, metric_value(m, "energy_it") / 3.6e6,
      metric_value(m, "energy_conversion_losses") / 3.6e6,
      metric_value(m, "energy_cooling") / 3.6e6, metric_value(m, "pue"),
      watts(metric_value(m, "peak_facility_power")));
  out << fmt::format("clocks      GPUs ran below full clock {:.1f} % of their busy time\n",
                     100 * metric_value(m, "throttled_share"));
}

}  // namespace models
