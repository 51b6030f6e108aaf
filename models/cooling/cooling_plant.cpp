#include "models/cooling/cooling_plant.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace models::cooling {

namespace {

double celsius(sim::Kelvin t) {
  return sim::to_celsius(t);
}

}  // namespace

CoolingPlant::CoolingPlant(CoolingSpec spec, HallLayout layout, sim::SimTime start)
    : spec_(std::move(spec)),
      layout_(layout),
      ambient_(spec_.ambient),
      ambient_now_(ambient_.at(start)),
      server_liquid_(static_cast<std::size_t>(layout.servers())),
      server_air_(static_cast<std::size_t>(layout.servers())),
      last_(start) {
  if (layout_.servers() <= 0) throw std::invalid_argument("CoolingPlant: the hall has no servers");
  facility_ = facility_state(spec_.heat_rejection, sim::Watts(0), ambient_now_);
  air_supply_ = models::cooling::air_supply_temperature(spec_.air, sim::Watts(0));
  if (spec_.facility_tick) next_facility_tick_ = start + *spec_.facility_tick;
  if (spec_.cdu) {
    const CduGroup g = CduGroup::of(*spec_.cdu);
    const int n = layout_.count(spec_.cdu->scope);
    loops_.resize(static_cast<std::size_t>(n));
    for (Loop& l : loops_) {
      l.group = g;
      l.node = l.topology.add_node(g.heat_capacity, facility_.supply);
      l.facility = l.topology.add_boundary(facility_.supply);
      l.topology.connect(l.node, l.facility, 1.0 / g.hx_conductance());
    }
    // Pumps run at their rated power whatever the load: summed once, in loop order (the
    // sum power() took over every loop at every heat change: O(CDUs) per iteration).
    for (const Loop& l : loops_) pump_power_ += l.group.pump_power;
  }
}

// --- building -------------------------------------------------------------------------

GpuHandle CoolingPlant::add_gpus(int server, const GpuThermalSpec& spec, int count, bool liquid) {
  if (finalized_) throw std::logic_error("CoolingPlant::add_gpus after finalize");
  if (server < 0 || server >= layout_.servers())
    throw std::invalid_argument("CoolingPlant::add_gpus: server " + std::to_string(server) +
                                " is outside the hall");
  if (count < 1) throw std::invalid_argument("CoolingPlant::add_gpus: count must be >= 1");
  const std::optional<ThermalPath>& path = liquid ? spec.cold_plate : spec.air;
  if (!path)
    throw std::invalid_argument(std::string("CoolingPlant::add_gpus: the GPU has no ") +
                                (liquid ? "cold_plate" : "air") + " thermal path");
  if (liquid && loops_.empty())
    throw std::invalid_argument("CoolingPlant::add_gpus: liquid-cooled GPUs need a CDU");
  Group g;
  g.server = server;
  g.liquid = liquid;
  g.count = count;
  g.spec = spec;
  const double n = count;
  RcTopology* topo = nullptr;
  sim::Kelvin fluid;
  if (liquid) {
    g.network = static_cast<std::size_t>(cdu_of_server(server));
    topo = &loops_[g.network].topology;
    fluid = facility_.supply;
  } else {
    g.network = air_networks_.size();
    air_networks_.emplace_back();
    topo = &air_networks_.back().topology;
    air_networks_.back().air = topo->add_boundary(air_supply_);
    fluid = air_supply_;
  }
  g.die = topo->add_node(path->die * n, fluid);
  g.spreader = topo->add_node(path->spreader * n, fluid);
  topo->connect(g.die, g.spreader, path->junction_to_spreader / n);
  if (liquid) {
    topo->connect(g.spreader, loops_[g.network].node, path->spreader_to_fluid / n);
  } else {
    topo->connect(g.spreader, air_networks_.back().air, path->spreader_to_fluid / n);
  }
  groups_.push_back(g);
  return GpuHandle{static_cast<std::uint32_t>(groups_.size() - 1)};
}

void CoolingPlant::finalize() {
  if (finalized_) throw std::logic_error("CoolingPlant::finalize twice");
  for (Loop& l : loops_) {
    l.network.emplace(l.topology, last_);
    l.topology = RcTopology();
  }
  for (AirNetwork& a : air_networks_) {
    a.network.emplace(a.topology, last_);
    a.topology = RcTopology();
  }
  finalized_ = true;
}

void CoolingPlant::register_walls(sim::WallMonitor& monitor) {
  require_finalized("register_walls");
  if (monitor_ != nullptr) throw std::logic_error("CoolingPlant::register_walls twice");
  monitor_ = &monitor;
  const auto rate = sim::Aggregation::rate;
  const auto level = sim::Aggregation::level;
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    loops_[i].wall = monitor.add("cdu[" + std::to_string(i) + "].heat", "cooling",
                                 loops_[i].group.capacity.value(), "W", rate);
  }
  if (spec_.facility_limit) {
    supply_wall_ = monitor.add("facility.supply_temperature", "cooling",
                               celsius(*spec_.facility_limit), "degC", level);
  }
  if (spec_.heat_rejection.chiller) {
    chiller_wall_ = monitor.add("chiller.heat", "cooling",
                                spec_.heat_rejection.chiller->capacity.value(), "W", rate);
  }
  rejection_wall_ = monitor.add("heat_rejection.heat", "cooling",
                                spec_.heat_rejection.cooler.capacity.value(), "W", rate);
  air_wall_ = monitor.add("air.heat", "cooling", spec_.air.capacity.value(), "W", rate);
  if (spec_.air.inlet_limit) {
    air_supply_wall_ = monitor.add("air.supply_temperature", "cooling",
                                   celsius(*spec_.air.inlet_limit), "degC", level);
  }
  for (const Loop& l : loops_) monitor.set_load(*l.wall, last_, l.load().value());
  report_walls(last_);
}

// --- inputs ---------------------------------------------------------------------------

void CoolingPlant::set_gpu_power(GpuHandle h, sim::Watts per_gpu, sim::SimTime now) {
  advance(now);
  Group& g = groups_.at(h.index);
  if (per_gpu == g.per_gpu) return;
  const sim::Watts delta = (per_gpu - g.per_gpu) * static_cast<double>(g.count);
  g.per_gpu = per_gpu;
  network_of(g).set_heat(g.die, per_gpu * static_cast<double>(g.count), now);
  if (g.liquid) {
    Loop& l = loops_[g.network];
    l.gpu_heat += delta;
    liquid_heat_ += delta;
    if (monitor_) monitor_->set_load(*l.wall, now, l.load().value());
    heat_changed(now);
  } else {
    air_heat_ += delta;
    air_changed(now);
  }
}

void CoolingPlant::set_server_heat(int server, sim::Watts liquid, sim::Watts air,
                                   sim::SimTime now) {
  advance(now);
  if (server < 0 || server >= layout_.servers())
    throw std::invalid_argument("CoolingPlant::set_server_heat: server " + std::to_string(server) +
                                " is outside the hall");
  const auto s = static_cast<std::size_t>(server);
  const bool liquid_changed = liquid != server_liquid_[s];
  if (liquid_changed) {
    if (loops_.empty())
      throw std::invalid_argument("CoolingPlant::set_server_heat: liquid heat needs a CDU");
    Loop& l = loop(cdu_of_server(server));
    l.server_heat += liquid - server_liquid_[s];
    liquid_heat_ += liquid - server_liquid_[s];
    server_liquid_[s] = liquid;
    l.network->set_heat(l.node, l.server_heat, now);
    if (monitor_) monitor_->set_load(*l.wall, now, l.load().value());
  }
  if (air != server_air_[s]) {
    air_heat_ += air - server_air_[s];
    server_air_[s] = air;
    air_changed(now);
  } else if (liquid_changed) {
    heat_changed(now);
  }
}

void CoolingPlant::set_room_heat(sim::Watts heat, sim::SimTime now) {
  advance(now);
  if (heat == room_heat_) return;
  air_heat_ += heat - room_heat_;
  room_heat_ = heat;
  air_changed(now);
}

void CoolingPlant::settle(sim::SimTime now) {
  advance(now);
  require_finalized("settle");
  for (Loop& l : loops_) {
    l.network->advance(now);
    l.network->settle();
  }
  for (AirNetwork& a : air_networks_) {
    a.network->advance(now);
    a.network->settle();
  }
}

// The air load moved: the supply air may have moved (above capacity), and the hall's heat.
void CoolingPlant::air_changed(sim::SimTime now) {
  const sim::Kelvin supply = models::cooling::air_supply_temperature(spec_.air, air_heat_);
  if (supply != air_supply_) {
    air_supply_ = supply;
    if (finalized_) {
      for (AirNetwork& a : air_networks_) a.network->set_boundary(a.air, supply, now);
    }
  }
  heat_changed(now);
}

// A heat load moved: the facility follows at once, or holds its supply until its tick.
void CoolingPlant::heat_changed(sim::SimTime now) {
  if (spec_.facility_tick) {
    facility_ = facility_state_held(spec_.heat_rejection, facility_, hall_heat());
    report_walls(now);
  } else {
    recompute_facility(now);
  }
}

void CoolingPlant::recompute_facility(sim::SimTime now) {
  const sim::Kelvin before = facility_.supply;
  facility_ = facility_state(spec_.heat_rejection, hall_heat(), ambient_now_);
  if (facility_.supply != before && finalized_) {
    for (Loop& l : loops_) l.network->set_boundary(l.facility, facility_.supply, now);
  }
  report_walls(now);
}

// The liquid part is a running sum of the loops' loads, as air_heat_ is of the air's: summing
// thousands of loops at every heat change made a 100,000-GPU hall quadratic in its size.
sim::Watts CoolingPlant::hall_heat() const {
  return air_heat_ + liquid_heat_;
}

// The hall-level walls; a CDU's own wall is reported where its load changes.
void CoolingPlant::report_walls(sim::SimTime now) {
  if (monitor_ == nullptr) return;
  if (supply_wall_) monitor_->set_load(*supply_wall_, now, celsius(facility_.supply));
  if (chiller_wall_) monitor_->set_load(*chiller_wall_, now, facility_.chiller_heat.value());
  monitor_->set_load(*rejection_wall_, now, facility_.rejected.value());
  monitor_->set_load(*air_wall_, now, air_heat_.value());
  if (air_supply_wall_) monitor_->set_load(*air_supply_wall_, now, celsius(air_supply_));
}

// --- events ---------------------------------------------------------------------------

std::optional<sim::SimTime> CoolingPlant::next_event(sim::SimTime now) const {
  std::optional<sim::SimTime> next = ambient_.next_change(now);
  if (next_facility_tick_ && (!next || *next_facility_tick_ < *next)) next = next_facility_tick_;
  return next;
}

void CoolingPlant::advance(sim::SimTime now) {
  integrate(now);
  bool recompute = false;
  const AmbientConditions a = ambient_.at(now);
  if (a.dry_bulb != ambient_now_.dry_bulb || a.wet_bulb != ambient_now_.wet_bulb) {
    ambient_now_ = a;
    recompute = true;
  }
  if (next_facility_tick_ && now >= *next_facility_tick_) {
    const std::int64_t tick = spec_.facility_tick->count_ns();
    const std::int64_t behind = (now - *next_facility_tick_).count_ns() / tick;
    next_facility_tick_ = *next_facility_tick_ + sim::Duration::ns((behind + 1) * tick);
    recompute = true;
  }
  if (recompute) recompute_facility(now);
}

void CoolingPlant::integrate(sim::SimTime now) {
  if (now < last_) throw std::logic_error("CoolingPlant: time went backwards");
  if (now == last_) return;
  const sim::Seconds dt = (now - last_).seconds();
  const CoolingPower p = power();
  energy_.pumps += p.pumps * dt;
  energy_.fans += p.fans * dt;
  energy_.chiller += p.chiller * dt;
  last_ = now;
}

// --- GPU queries ----------------------------------------------------------------------

sim::Kelvin CoolingPlant::junction_temperature(GpuHandle h, sim::SimTime now) {
  advance(now);
  const Group& g = group(h);
  ThermalNetwork& net = network_of(g);
  net.advance(now);
  return net.temperature(g.die);
}

sim::Kelvin CoolingPlant::steady_junction_temperature(GpuHandle h) const {
  const Group& g = group(h);
  return network_of(g).steady_state(g.die);
}

sim::Kelvin CoolingPlant::coolant_temperature(GpuHandle h, sim::SimTime now) {
  advance(now);
  const Group& g = group(h);
  if (!g.liquid) return air_supply_;
  return cdu_mean_temperature(static_cast<int>(g.network), now);
}

sim::KelvinPerWatt CoolingPlant::junction_to_coolant(GpuHandle h) const {
  const Group& g = group(h);
  return (g.liquid ? *g.spec.cold_plate : *g.spec.air).total();
}

std::optional<sim::SimTime> CoolingPlant::next_crossing(GpuHandle h, sim::Kelvin threshold,
                                                        sim::SimTime now, sim::Duration horizon,
                                                        Crossing direction) {
  advance(now);
  const Group& g = group(h);
  ThermalNetwork& net = network_of(g);
  net.advance(now);
  const auto d = net.time_to_reach(g.die, threshold, horizon, direction);
  if (!d) return std::nullopt;
  return now + *d;
}

std::uint64_t CoolingPlant::trajectory_epoch(GpuHandle h) const {
  return network_of(group(h)).epoch();
}

const GpuThermalSpec& CoolingPlant::gpu_spec(GpuHandle h) const {
  return groups_.at(h.index).spec;
}

bool CoolingPlant::liquid(GpuHandle h) const {
  return groups_.at(h.index).liquid;
}

// --- CDUs -----------------------------------------------------------------------------

int CoolingPlant::cdu_of_server(int server) const {
  if (!spec_.cdu) throw std::logic_error("CoolingPlant: the plant has no CDU");
  return layout_.instance_of(server, spec_.cdu->scope);
}

const CduGroup& CoolingPlant::cdu(int i) const {
  return loops_.at(static_cast<std::size_t>(i)).group;
}

sim::Watts CoolingPlant::cdu_heat(int i) const {
  return loops_.at(static_cast<std::size_t>(i)).load();
}

sim::Watts CoolingPlant::cdu_exchanged_heat(int i, sim::SimTime now) {
  advance(now);
  Loop& l = loop(i);
  l.network->advance(now);
  return l.network->heat_to_boundary(l.node, l.facility);
}

sim::Kelvin CoolingPlant::cdu_mean_temperature(int i, sim::SimTime now) {
  advance(now);
  Loop& l = loop(i);
  l.network->advance(now);
  return l.network->temperature(l.node);
}

sim::Kelvin CoolingPlant::cdu_supply_temperature(int i, sim::SimTime now) {
  const sim::Watts q = cdu_exchanged_heat(i, now);
  return cdu_mean_temperature(i, now) - loop(i).group.rise(q) * 0.5;
}

sim::Kelvin CoolingPlant::cdu_return_temperature(int i, sim::SimTime now) {
  const sim::Watts q = cdu_exchanged_heat(i, now);
  return cdu_mean_temperature(i, now) + loop(i).group.rise(q) * 0.5;
}

std::size_t CoolingPlant::cdu_network_size(int i) const {
  const Loop& l = loops_.at(static_cast<std::size_t>(i));
  return l.network ? l.network->size() : l.topology.nodes();
}

// --- power ----------------------------------------------------------------------------

CoolingPower CoolingPlant::power() const {
  CoolingPower p;
  p.pumps = pump_power_;
  p.fans = air_heat_ * spec_.air.fan_power.value() + facility_.fan_power;
  p.chiller = facility_.chiller_power;
  return p;
}

CoolingEnergy CoolingPlant::energy(sim::SimTime now) {
  advance(now);
  return energy_;
}

// --- internals ------------------------------------------------------------------------

const CoolingPlant::Group& CoolingPlant::group(GpuHandle h) const {
  require_finalized("a GPU query");
  return groups_.at(h.index);
}

ThermalNetwork& CoolingPlant::network_of(const Group& g) {
  require_finalized("a GPU query");
  return g.liquid ? *loops_[g.network].network : *air_networks_[g.network].network;
}

const ThermalNetwork& CoolingPlant::network_of(const Group& g) const {
  require_finalized("a GPU query");
  return g.liquid ? *loops_[g.network].network : *air_networks_[g.network].network;
}

CoolingPlant::Loop& CoolingPlant::loop(int i) {
  require_finalized("a CDU query");
  return loops_.at(static_cast<std::size_t>(i));
}

void CoolingPlant::require_finalized(const char* what) const {
  if (!finalized_)
    throw std::logic_error(std::string("CoolingPlant: ") + what + " before finalize");
}

}  // namespace models::cooling
