#include "models/plant/plant.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "models/cooling/cooling_plant.hpp"
#include "models/network/flow_network.hpp"
#include "models/network/routing.hpp"
#include "models/plant/fabric.hpp"
#include "models/plant/plant_trace.hpp"
#include "models/power/power_tree.hpp"
#include "sim/quantity.hpp"

namespace models {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string watts(double w) {
  return sim::format_quantity(w, sim::dims::power, 4);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Servers and GPU groups

struct Plant::Server {
  int index = 0;
  std::vector<Group*> groups;
  std::optional<cooling::GpuHandle> idle_thermal;  // its GPUs no group uses
  int idle_gpus = 0;                               // GPUs no group uses
  bool fed = true;                                 // false after a trip above it
  double gpu_power = 0;                            // W, all its GPUs
  double power = 0;                                // W, on its DC bus
  double network_power = 0;       // W, its share of the network's optics (in `power`)
  Integrator gpu_energy;          // for the capping controller
  double gpu_energy_at_tick = 0;  // J, at the last control tick
};

class Plant::Group final : public GpuGroup {
 public:
  Group(Plant& plant, std::string name, int server, int first_gpu, int size)
      : plant_(plant), name_(std::move(name)), server_(server), first_gpu_(first_gpu), size_(size) {
    power_per_gpu_.set(sim::SimTime::zero(), plant.spec_.gpu.idle_power.value());
  }

  const std::string& name() const override { return name_; }
  const GpuSpec& gpu() const override { return plant_.spec_.gpu; }
  int size() const override { return size_; }
  bool running() const override { return running_; }
  Fabric* fabric(FabricUse use) const override;
  void on_stop(std::function<void(sim::SimTime)> callback) override {
    on_stop_ = std::move(callback);
  }

  IterationRun begin_iteration(sim::SimTime now, const GpuActivity& a) override {
    if (!running_) throw std::logic_error("GpuGroup " + name_ + ": iteration on a stopped group");
    IterationRun run;
    const char* why = nullptr;  // what set a clock below full (named in a trace)
    if (!plant_.coupled_) {
      run.clock_ratio = 1;
      run.duration = sim::Duration::from_seconds(a.duration(1.0));
      run.power_per_gpu = plant_.gpu_power_.power(a, 1.0);
    } else {
      const Server& s = plant_.servers_[static_cast<std::size_t>(server_)];
      double limit = std::min(plant_.spec_.gpu_power_limit.value(),
                              plant_.cap_limit_[static_cast<std::size_t>(s.index)]);
      why = limit < plant_.spec_.gpu_power_limit.value() ? "power cap" : "power limit";
      double max_clock = 1;
      if (thermal) {
        // Thermal management at the iteration's start: at the software slowdown temperature
        // the GPU may draw only what holds its junction there, (T_slowdown - T_coolant) / R
        // (the steady state of its thermal path); at the hardware slowdown the clock halves
        // (REFERENCE.md C.3 "Throttle logic" [S]).
        cooling::CoolingPlant& c = *plant_.cooling_;
        const cooling::GpuThermalSpec& t = c.gpu_spec(*thermal);
        const sim::Kelvin tj = c.junction_temperature(*thermal, now);
        note_junction(now, sim::to_celsius(tj));
        if (tj >= t.slowdown) {
          const double hold = ((t.slowdown - c.coolant_temperature(*thermal, now)) /
                               c.junction_to_coolant(*thermal))
                                  .value();
          if (hold < limit) why = "thermal slowdown";
          limit = std::min(limit, std::max(0.0, hold));
          thermal_limited_.set(now, 1.0);
        } else {
          thermal_limited_.set(now, 0.0);
        }
        if (tj >= t.hw_slowdown) max_clock = 0.5;
      }
      run.clock_ratio =
          std::min(max_clock, plant_.gpu_power_.clock_for_limit(a, sim::Watts(limit)));
      if (run.clock_ratio == max_clock && max_clock < 1) why = "hardware slowdown";
      run.duration = sim::Duration::from_seconds(a.duration(run.clock_ratio));
      run.power_per_gpu = plant_.gpu_power_.power(a, run.clock_ratio);
    }
    if (run.duration < sim::Duration::ns(1)) run.duration = sim::Duration::ns(1);
    busy_ = true;
    clock_.set(now, run.clock_ratio);
    busy_time_.set(now, 1.0);
    if (run.clock_ratio < 1)
      throttled_.set(now, 1.0);
    else
      throttled_.set(now, 0.0);
    if (plant_.trace_) plant_.trace_->iteration(trace_id, now, run.clock_ratio, why);
    // A lower heat input can only lower every future temperature (the thermal network is a
    // passive RC network: its step response is monotone in its inputs), so a crossing planned
    // under a higher power is at worst early, and is checked when it fires; a higher power
    // re-plans it.
    const bool hotter = run.power_per_gpu.value() > power_per_gpu_.value();
    set_power(now, run.power_per_gpu.value());
    if (thermal && hotter) plant_.plan_crossing(*this, now, run.duration);
    peak_power_ = std::max(peak_power_, run.power_per_gpu.value());
    if (iterations_++ == 0) first_clock_ = run.clock_ratio;
    return run;
  }

  void go_idle(sim::SimTime now) override {
    if (!scale_up_util.empty()) plant_.clear_scale_up(*this, now);
    if (!busy_) return;
    busy_ = false;
    clock_.set(now, 0.0);
    busy_time_.set(now, 0.0);
    throttled_.set(now, 0.0);
    thermal_limited_.set(now, 0.0);
    if (plant_.trace_) plant_.trace_->idle(trace_id, now);
    set_power(now, plant_.spec_.gpu.idle_power.value());
    if (thermal) plant_.plan_crossing(*this, now, plant_.walls_.options().window);
  }

  // The plant cut its power (trip) or a GPU shut down: everything stops at `now`.
  void stop(sim::SimTime now) {
    if (!running_) return;
    running_ = false;
    busy_ = false;
    clock_.set(now, 0.0);
    busy_time_.set(now, 0.0);
    throttled_.set(now, 0.0);
    thermal_limited_.set(now, 0.0);
    if (plant_.trace_) plant_.trace_->idle(trace_id, now);
    set_power(now, 0.0);
    if (thermal) plant_.engine_.cancel(crossing);
    if (!scale_up_util.empty()) plant_.clear_scale_up(*this, now);
    if (on_stop_) on_stop_(now);
  }

  int server() const { return server_; }
  int first_gpu() const { return first_gpu_; }  // its first GPU's index in the server
  const Plant& plant() const { return plant_; }
  double power_per_gpu() const { return power_per_gpu_.value(); }
  const Integrator& power_integral() const { return power_per_gpu_; }
  const Integrator& clock_integral() const { return clock_; }
  const Integrator& busy_integral() const { return busy_time_; }
  const Integrator& throttled_integral() const { return throttled_; }
  const Integrator& thermal_limited_integral() const { return thermal_limited_; }

  double peak_power() const { return peak_power_; }
  double first_clock() const { return first_clock_; }

  // A junction temperature read at `now`: the wall's load and the peak. Junctions peak at
  // the end of a hot iteration, which is the start of the next: every iteration start,
  // crossing and window is a sample.
  void note_junction(sim::SimTime now, double celsius) {
    plant_.walls_.set_load(*junction_wall, now, celsius);
    if (std::isnan(peak_junction_c) || celsius > peak_junction_c) peak_junction_c = celsius;
  }

  // Temperature (when the plant has a cooling model).
  std::optional<cooling::GpuHandle> thermal;
  std::optional<sim::ResourceId> junction_wall;
  sim::EventId crossing;
  // Its closed-form scale-up load (Fabric::scale_up_load): the shapes (gpus, stride) of the
  // rings last declared, the scale-up links they cross, each link's hop count per ring
  // (link-major), and each link's utilization (empty: none declared).
  std::vector<std::pair<int, int>> scale_up_shape;
  std::vector<network::LinkId> scale_up_links;
  std::vector<int> scale_up_hops;
  std::vector<double> scale_up_util;
  double peak_junction_c = std::numeric_limits<double>::quiet_NaN();
  sim::SimTime first_slowdown = sim::SimTime::max();
  std::size_t trace_id = 0;  // its id in the plant's trace, when there is one

  // Series bookkeeping.
  std::size_t series_clock = 0, series_power = 0, series_junction = 0;
  double last_power_j = 0, last_clock_s = 0, last_busy_s = 0;

 private:
  void set_power(sim::SimTime now, double watts_per_gpu) {
    power_per_gpu_.set(now, watts_per_gpu);
    if (thermal) plant_.cooling_->set_gpu_power(*thermal, sim::Watts(watts_per_gpu), now);
    Server& s = plant_.servers_[static_cast<std::size_t>(server_)];
    plant_.update_server(s, now);
  }

  Plant& plant_;
  std::string name_;
  int server_;
  int first_gpu_;
  int size_;
  bool running_ = true;
  bool busy_ = false;
  std::function<void(sim::SimTime)> on_stop_;
  Integrator power_per_gpu_;    // W per GPU
  Integrator clock_;            // clock ratio while busy, 0 idle
  Integrator busy_time_;        // 1 while busy
  Integrator throttled_;        // 1 while busy below full clock
  Integrator thermal_limited_;  // 1 while busy under a thermal power limit
  double peak_power_ = 0;
  double first_clock_ = 1;
  std::int64_t iterations_ = 0;
};

// ---------------------------------------------------------------------------------------

// The plant's network (fabric.hpp): one FlowScheduler over the plant's topology shared by
// every group, and a `network` wall per link tier whose load is the utilization of the
// tier's busiest link at each instant (the monitor judges its window mean): the flows' load
// plus, on scale-up links, the traffic workloads declare they cost in closed form
// (Fabric::scale_up_load).
class Plant::Network final : public Fabric {
 public:
  explicit Network(Plant& plant)
      : plant_(plant),
        topology_(*plant.spec_.topology),
        router_(topology_),
        flows_(plant.engine_, topology_, "plant.network") {
    flows_.on_rates_changed([this](sim::SimTime now) { judge(now); });
    // The scale-up links' places in their tier's max tree (closed-form loads).
    closed_.assign(topology_.link_count(), 0.0);
    slot_.assign(topology_.link_count(), 0);
    std::array<std::size_t, kTiers> n{};
    for (network::LinkId l = 0; l < topology_.link_count(); ++l) {
      const auto t = static_cast<std::size_t>(topology_.link(l).tier);
      if (is_scale_up(topology_.link(l).tier)) slot_[l] = n[t]++;
    }
    for (std::size_t t = 0; t < kTiers; ++t) {
      std::size_t leaves = 1;
      while (leaves < n[t]) leaves *= 2;
      if (n[t] > 0) max_tree_[t].assign(2 * leaves, 0.0);
    }
  }

  // A workload asked for the fabric (before Plant::start()).
  void note_use(FabricUse use) const {
    used_ = used_ || use != FabricUse::scale_up_load;
    scale_up_used_ = scale_up_used_ || use != FabricUse::scale_out;
  }

  // The tier walls of the links the workloads load: the scale-out tiers when some workload
  // puts flows on the fabric; the scale-up tiers (NVLink, PCIe) when some workload sends flows
  // over them or declares the scale-up traffic of its closed-form collectives (a 0 % NVLink
  // wall beside all-reduces costed in closed form would say the opposite of the truth).
  void register_walls(sim::WallMonitor& walls) {
    if (!used_ && !scale_up_used_) return;
    for (std::size_t t = 0; t < kTiers; ++t) {
      const auto tier = static_cast<network::LinkTier>(t);
      if (topology_.count(tier) == 0) continue;
      if (!(is_scale_up(tier) ? scale_up_used_ : used_)) continue;
      walls_[t] = walls.add("network." + std::string(network::to_string(tier)), "network", 1.0, "",
                            sim::Aggregation::rate);
    }
  }

  void start(std::span<const FabricTransfer> transfers,
             std::function<void(sim::SimTime)> done) override {
    if (transfers.empty()) {
      done(plant_.engine_.now());
      return;
    }
    auto left = std::make_shared<std::size_t>(transfers.size());
    auto callback = std::make_shared<std::function<void(sim::SimTime)>>(std::move(done));
    for (const FabricTransfer& t : transfers) {
      flows_.start(route(t), t.bytes, [left, callback](network::FlowId, sim::SimTime now) {
        if (--*left == 0) (*callback)(now);
      });
      ++started_;
    }
  }

  sim::Seconds uncontended(std::span<const FabricTransfer> transfers) const override {
    // The same flows on a fresh, idle copy of the network (their own sharing included).
    std::vector<network::TimedFlow> flows;
    for (const FabricTransfer& t : transfers)
      flows.push_back({sim::SimTime::zero(), route(t), t.bytes});
    const network::FlowRun run = network::run_flows(topology_, flows);
    return (run.end - sim::SimTime::zero()).seconds();
  }

  bool scale_out(const FabricTransfer& t) const override {
    for (network::LinkId l : route(t))
      if (topology_.link(l).tier == network::LinkTier::access) return true;
    return false;
  }

  using Fabric::scale_up_load;
  void scale_up_load(const GpuGroup& group, std::span<const ScaleUpRing> rings,
                     sim::Duration over) override {
    auto* g = const_cast<Group*>(dynamic_cast<const Group*>(&group));
    if (!g || &g->plant() != &plant_)
      throw std::invalid_argument("Fabric: scale_up_load names a group of no plant's");
    const sim::SimTime now = plant_.engine_.now();
    const double secs = over.seconds().value();
    shape_.clear();
    bytes_.clear();
    for (const ScaleUpRing& r : rings) {
      if (r.gpus < 1 || r.stride < 1 || g->size() % (r.gpus * r.stride) != 0)
        throw std::invalid_argument("Fabric: scale_up_load's rings must tile the group");
      if (r.gpus == 1 || !(r.wire_bytes.value() > 0)) continue;
      shape_.emplace_back(r.gpus, r.stride);
      bytes_.push_back(r.wire_bytes.value());
    }
    if (shape_.empty() || !(secs > 0)) {
      clear(*g, now);
      return;
    }
    if (g->scale_up_shape != shape_) {
      clear(*g, now, false);
      ring_links(*g, shape_);
      g->scale_up_shape = shape_;
    }
    // The same load again (a training stage's microbatches at one clock): nothing changes.
    const std::size_t kinds = shape_.size();
    util_.clear();
    for (std::size_t i = 0; i < g->scale_up_links.size(); ++i) {
      double bytes = 0;
      for (std::size_t r = 0; r < kinds; ++r) bytes += g->scale_up_hops[i * kinds + r] * bytes_[r];
      util_.push_back(bytes / (secs * topology_.link(g->scale_up_links[i]).bandwidth.value()));
    }
    if (util_ == g->scale_up_util) return;
    const bool had = !g->scale_up_util.empty();
    for (std::size_t i = 0; i < util_.size(); ++i)
      add_closed(g->scale_up_links[i], util_[i] - (had ? g->scale_up_util[i] : 0.0));
    g->scale_up_util = util_;
    refresh(now);
  }

  // The group's declared load ends (a declaration of nothing, idle, stop).
  void clear(Group& g, sim::SimTime now, bool judge_now = true) {
    if (g.scale_up_util.empty()) return;
    for (std::size_t i = 0; i < g.scale_up_util.size(); ++i)
      add_closed(g.scale_up_links[i], -g.scale_up_util[i]);
    g.scale_up_util.clear();
    if (judge_now) refresh(now);
  }

  std::uint64_t flows_started() const { return started_; }
  const network::FlowNetwork& flows() const { return flows_.network(); }

 private:
  static constexpr std::size_t kTiers = 6;  // network::LinkTier's values

  static bool is_scale_up(network::LinkTier tier) {
    return tier == network::LinkTier::nvlink || tier == network::LinkTier::pcie;
  }

  // The scale-up links the group's rings of each shape (gpus, stride) cross, and per link how
  // many hops of each shape's rings (member k to member k + 1, the last back to the first)
  // cross it: into g.scale_up_links and g.scale_up_hops (link-major).
  void ring_links(Group& g, const std::vector<std::pair<int, int>>& shapes) const {
    const std::size_t kinds = shapes.size();
    std::map<network::LinkId, std::vector<int>> hops;  // ordered: a reproducible link order
    for (std::size_t r = 0; r < kinds; ++r) {
      const auto [n, stride] = shapes[r];
      for (int base = 0; base < g.size(); base += n * stride) {
        for (int j = 0; j < stride; ++j) {
          for (int k = 0; k < n; ++k) {
            const int from = base + j + k * stride, to = base + j + ((k + 1) % n) * stride;
            for (network::LinkId l : scale_up_route(node(&g, from), node(&g, to))) {
              std::vector<int>& h = hops[l];
              h.resize(kinds, 0);
              ++h[r];
            }
          }
        }
      }
    }
    g.scale_up_links.clear();
    g.scale_up_hops.clear();
    for (const auto& [l, h] : hops) {
      g.scale_up_links.push_back(l);
      g.scale_up_hops.insert(g.scale_up_hops.end(), h.begin(), h.end());
    }
  }

  // The fewest-hop route from GPU `a` to GPU `b` over scale-up links only (NVLink, PCIe),
  // through no other GPU: within a server it is the route the router finds (the NICs' way
  // out and back is longer), found without its distance vectors over the whole hall (a
  // breadth-first search of the server's few nodes; ties in link order, as the router's).
  network::Route scale_up_route(network::NodeId a, network::NodeId b) const {
    const auto& graph = topology_.graph();
    std::unordered_map<network::NodeId, network::LinkId> via;  // how a node was reached
    std::vector<network::NodeId> frontier{a}, next;
    via.emplace(a, network::LinkId{});
    while (!frontier.empty() && !via.contains(b)) {
      next.clear();
      for (network::NodeId n : frontier) {
        if (n != a && topology_.node(n).kind == network::NodeKind::gpu) continue;  // no transit
        for (auto e : boost::make_iterator_range(boost::out_edges(n, graph))) {
          const network::LinkId l = graph[e];
          const network::NodeId to = topology_.link(l).to;
          if (!is_scale_up(topology_.link(l).tier) || via.contains(to)) continue;
          via.emplace(to, l);
          next.push_back(to);
        }
      }
      std::swap(frontier, next);
    }
    if (!via.contains(b))
      throw std::invalid_argument("Fabric: scale_up_load: no scale-up route from " +
                                  topology_.node(a).name + " to " + topology_.node(b).name);
    network::Route r;
    for (network::NodeId n = b; n != a; n = topology_.link(r.back()).from) r.push_back(via.at(n));
    std::reverse(r.begin(), r.end());
    return r;
  }

  // Adds `u` to the closed-form utilization of scale-up link `link` (removes with u < 0) and
  // updates its tier's max tree (a binary tree of maxima over the tier's links, the root the
  // busiest: O(log links) per change, no allocation).
  void add_closed(network::LinkId link, double u) {
    if (u == 0) return;
    // A link that flows load too: its tier is judged again, flows and closed form together.
    if (flows_.network().usage(link).load.value() > 0) rejudge_ = true;
    const double before = closed_[link];
    double& v = closed_[link];
    v += u;
    // What several groups added and removed in another order: 0 up to rounding.
    if (std::abs(v) <= 1e-12 * std::max(std::abs(u), std::abs(before))) v = 0;
    std::vector<double>& tree = max_tree_[static_cast<std::size_t>(topology_.link(link).tier)];
    std::size_t i = tree.size() / 2 + slot_[link];
    tree[i] = v;
    for (i /= 2; i >= 1; i /= 2) tree[i] = std::max(tree[2 * i], tree[2 * i + 1]);
  }
  double closed_busiest(std::size_t tier) const {
    return max_tree_[tier].empty() ? 0.0 : max_tree_[tier][1];
  }

  network::NodeId node(const GpuGroup* g, int i) const {
    const auto* group = dynamic_cast<const Group*>(g);
    if (!group || &group->plant() != &plant_ || i < 0 || i >= group->size())
      throw std::invalid_argument("Fabric: a transfer names a GPU of no group of this plant");
    const auto index = static_cast<std::size_t>(group->server()) *
                           static_cast<std::size_t>(plant_.spec_.server.gpus) +
                       static_cast<std::size_t>(group->first_gpu() + i);
    return topology_.gpus()[index];
  }

  // ECMP's flow key: the pair's GPUs, so that a pair keeps its route (as a NCCL channel's
  // connection does) and the run is the same on every machine.
  // Cached by pair: a workload asks for the same pairs every iteration, and twice each time
  // (uncontended() then start()); the route is a pure function of the pair.
  const network::Route& route(const FabricTransfer& t) const {
    const network::NodeId a = node(t.from, t.from_gpu), b = node(t.to, t.to_gpu);
    const std::uint64_t key = (std::uint64_t{a} << 32) | b;
    if (auto it = routes_.find(key); it != routes_.end()) return it->second;
    const std::optional<network::Route> r = router_.route(a, b, key);
    if (!r) {
      throw std::invalid_argument("Fabric: no route from " + topology_.node(a).name + " to " +
                                  topology_.node(b).name +
                                  " (the plant's network has no scale-out between them)");
    }
    return routes_.emplace(key, *r).first->second;
  }

  void judge(sim::SimTime now) {
    std::array<double, kTiers> busiest{};
    const network::FlowNetwork& net = flows_.network();
    const bool closed = closed_busiest(static_cast<std::size_t>(network::LinkTier::nvlink)) > 0 ||
                        closed_busiest(static_cast<std::size_t>(network::LinkTier::pcie)) > 0;
    for (network::LinkId l : net.loaded_links()) {
      const network::Link& link = topology_.link(l);
      const auto t = static_cast<std::size_t>(link.tier);
      double u = (net.usage(l).load / link.bandwidth).value();
      if (closed && is_scale_up(link.tier)) {
        u += closed_[l];
      }
      busiest[t] = std::max(busiest[t], u);
    }
    flow_busiest_ = busiest;
    publish(now);
  }

  // After a closed-form change: the walls again (judge() when it touched a link with flows).
  void refresh(sim::SimTime now) {
    if (rejudge_) {
      rejudge_ = false;
      judge(now);
    } else {
      publish(now);
    }
  }

  // Each tier's wall: its busiest link, by the flows (with the closed form on the links both
  // load) or by the closed-form load alone.
  void publish(sim::SimTime now) {
    for (std::size_t t = 0; t < kTiers; ++t) {
      if (!walls_[t]) continue;
      double busiest = flow_busiest_[t];
      busiest = std::max(busiest, closed_busiest(t));
      if (busiest == last_[t]) continue;
      last_[t] = busiest;
      plant_.walls_.set_load(*walls_[t], now, busiest);
    }
  }

  Plant& plant_;
  const network::Topology& topology_;
  mutable network::Router router_;                                    // caches distance vectors
  mutable std::unordered_map<std::uint64_t, network::Route> routes_;  // by (from << 32 | to)
  network::FlowScheduler flows_;
  std::array<std::optional<sim::ResourceId>, kTiers> walls_{};
  std::array<double, kTiers> last_{};
  std::array<double, kTiers> flow_busiest_{};  // by the flows, at the last rate change
  // Closed-form scale-up loads (scale_up_load; each group keeps its own links'): per link
  // their sum; per scale-up tier a max tree over its links (slot_: a link's leaf).
  std::vector<double> closed_;
  std::vector<std::size_t> slot_;
  std::array<std::vector<double>, kTiers> max_tree_;
  bool rejudge_ = false;                    // a closed-form change touched a link that flows load
  std::vector<double> util_, bytes_;        // scratch
  std::vector<std::pair<int, int>> shape_;  // scratch
  std::uint64_t started_ = 0;
  mutable bool used_ = false;
  mutable bool scale_up_used_ = false;
};

Fabric* Plant::Group::fabric(FabricUse use) const {
  if (plant_.network_) plant_.network_->note_use(use);
  return plant_.network_.get();
}

void Plant::clear_scale_up(Group& g, sim::SimTime now) {
  if (network_)
    network_->clear(g, now);
  else
    g.scale_up_util.clear();
}

// ---------------------------------------------------------------------------------------

Plant::Plant(sim::Engine& engine, sim::WallMonitor& walls, const PlantSpec& spec)
    : engine_(engine),
      walls_(walls),
      spec_(spec),
      gpu_power_(power_limits_of(spec.gpu), spec.power_coefficients),
      coupled_(spec.coupling == Coupling::full) {
  servers_.resize(static_cast<std::size_t>(spec_.layout.servers()));
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    servers_[i].index = static_cast<int>(i);
    servers_[i].idle_gpus = spec_.server.gpus;
  }
  cap_limit_.assign(servers_.size(), spec_.gpu_power_limit.value());
  if (sim::Tracer* tracer = engine_.tracer()) {
    trace_ = std::make_unique<PlantTrace>(*tracer);
    series_.trace_to(tracer);
  }
  // The network's optics, spread evenly over the servers: NIC ports sit in the servers, and
  // the switches' ports are fed from the same racks' PDUs (a stated simplification:
  // models/plant/README.md). They draw whether or not bytes flow (network_power.hpp).
  if (coupled_ && !servers_.empty())
    network_per_server_ =
        spec_.network_power.typical.value() / static_cast<double>(servers_.size());
  rack_power_.assign(static_cast<std::size_t>(spec_.layout.racks()), 0.0);
  rack_energy_.resize(rack_power_.size());
  rack_energy_at_tick_.assign(rack_power_.size(), 0.0);
  if (spec_.topology) network_ = std::make_unique<Network>(*this);
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
    const int first_gpu = spec_.server.gpus - s.idle_gpus;
    s.idle_gpus -= request.size;
    auto g = std::make_unique<Group>(*this, fmt::format("{}[{}]", request.prefix, i),
                                     static_cast<int>(server), first_gpu, request.size);
    s.groups.push_back(g.get());
    if (trace_) g->trace_id = trace_->add_group(g->name());
    out.push_back(g.get());
    groups_.push_back(std::move(g));
  }
  return out;
}

void Plant::start() {
  const sim::SimTime now = engine_.now();
  if (network_) network_->register_walls(walls_);
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
    if (spec_.cooling) build_cooling(now);
  }
  for (Server& s : servers_) update_server(s, now);
  if (cooling_) {
    // The hall was idling before the run: every temperature starts at the steady state of
    // the idle powers (a warm start, not a cold one).
    cooling_->settle(now);
    schedule_cooling_event(now);
    for (auto& g : groups_) {
      const cooling::GpuThermalSpec& t = cooling_->gpu_spec(*g->thermal);
      g->junction_wall = walls_.add(g->name() + ".junction_temperature", "thermal",
                                    sim::to_celsius(t.slowdown), "degC", sim::Aggregation::level);
      plan_crossing(*g, now, walls_.options().window);
    }
  }

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
    if (g->thermal)
      g->series_junction = series_.define(g->name() + ".junction_temperature", "degC");
  }
  if (cooling_) {
    series_cooling_ = series_.define("facility.cooling_power", "W");
    series_supply_ = series_.define("facility.supply_temperature", "degC");
    series_ambient_ = series_.define("ambient.dry_bulb", "degC");
    for (int i = 0; i < cooling_->cdu_count(); ++i) {
      series_cdu_heat_.push_back(series_.define(fmt::format("cdu[{}].heat", i), "W"));
      series_cdu_supply_.push_back(
          series_.define(fmt::format("cdu[{}].supply_temperature", i), "degC"));
      series_cdu_return_.push_back(
          series_.define(fmt::format("cdu[{}].return_temperature", i), "degC"));
    }
  }
  last_window_ = now;
  engine_.schedule_in(
      walls_.options().window, [this] { on_window(); }, "plant.window");
  if (tree_ && spec_.power) {
    engine_.schedule_in(
        spec_.power->control_interval, [this] { on_control_tick(); }, "plant.power_control");
  }
}

void Plant::build_cooling(sim::SimTime now) {
  const bool liquid = spec_.server_cooling == ServerCooling::liquid;
  // Air-cooled servers send nothing to liquid: a CDU in the scenario (kept so that one file
  // compares both builds) carries no load and its pumps do not run.
  cooling::CoolingSpec spec = *spec_.cooling;
  if (!liquid) spec.cdu.reset();
  cooling_ = std::make_unique<cooling::CoolingPlant>(spec, spec_.layout, now);
  const cooling::GpuThermalSpec& thermal = *spec_.gpu.thermal;
  for (auto& g : groups_) g->thermal = cooling_->add_gpus(g->server(), thermal, g->size(), liquid);
  for (Server& s : servers_) {
    if (s.idle_gpus > 0) s.idle_thermal = cooling_->add_gpus(s.index, thermal, s.idle_gpus, liquid);
  }
  // The catalog's liquid fraction is the share of the server's heat at full load that goes
  // to liquid; the GPUs (on cold plates) carry most of it, the rest of the non-GPU parts'
  // share follows: f_other = (f P_max - P_gpus,max) / P_other,max, held at all loads.
  if (liquid) {
    const double gpu_max = spec_.gpu.tdp.value() * spec_.server.gpus;
    const double other_max = spec_.server.other_max.value();
    const double total = gpu_max + other_max;
    other_liquid_share_ =
        other_max > 0
            ? std::clamp((spec_.server.liquid_fraction * total - gpu_max) / other_max, 0.0, 1.0)
            : 0.0;
  }
  cooling_->finalize();
  cooling_->register_walls(walls_);
  for (Server& s : servers_) {
    if (s.idle_thermal) cooling_->set_gpu_power(*s.idle_thermal, spec_.gpu.idle_power, now);
  }
}

void Plant::schedule_cooling_event(sim::SimTime now) {
  if (const auto next = cooling_->next_event(now))
    engine_.schedule_at(
        *next, [this] { on_cooling_event(); }, "plant.cooling");
}

void Plant::on_cooling_event() {
  const sim::SimTime now = engine_.now();
  cooling_->advance(now);
  update_grid(now);
  if (!finished_) schedule_cooling_event(now);
}

void Plant::plan_crossing(Group& g, sim::SimTime now, sim::Duration horizon) {
  engine_.cancel(g.crossing);
  if (!g.running()) return;
  const cooling::GpuThermalSpec& t = cooling_->gpu_spec(*g.thermal);
  const sim::Kelvin tj = cooling_->junction_temperature(*g.thermal, now);
  g.note_junction(now, sim::to_celsius(tj));
  // The next threshold above the junction: slowdown, hardware slowdown, shutdown.
  std::optional<sim::Kelvin> next;
  for (sim::Kelvin k : {t.slowdown, t.hw_slowdown, t.shutdown}) {
    if (tj < k) {
      next = k;
      break;
    }
  }
  if (!next) {  // at or above shutdown already
    engine_.schedule_at(
        now, [this, &g, k = t.shutdown.value()] { on_crossing(g, k); }, "plant.thermal");
    return;
  }
  if (const auto at = cooling_->next_crossing(*g.thermal, *next, now, horizon)) {
    g.crossing = engine_.schedule_at(
        *at, [this, &g, k = next->value()] { on_crossing(g, k); }, "plant.thermal");
  }
}

void Plant::on_crossing(Group& g, double threshold_k) {
  const sim::SimTime now = engine_.now();
  const cooling::GpuThermalSpec& t = cooling_->gpu_spec(*g.thermal);
  // Planned under inputs that have since fallen: not there yet, plan again. (The closed form
  // puts a crossing planned under the current inputs at or above the threshold, up to
  // rounding.)
  if (cooling_->junction_temperature(*g.thermal, now).value() < threshold_k - 1e-6) {
    plan_crossing(g, now, walls_.options().window);
    return;
  }
  // The event is exact (the closed form reached the threshold at this nanosecond); the wall
  // is told the threshold itself rather than a re-read that rounding can put just below.
  g.note_junction(now, sim::to_celsius(sim::Kelvin(threshold_k)));
  if (threshold_k >= t.slowdown.value() && now < g.first_slowdown) g.first_slowdown = now;
  if (trace_) {
    trace_->thermal_event(g.trace_id, now,
                          threshold_k >= t.shutdown.value()      ? "shutdown temperature"
                          : threshold_k >= t.hw_slowdown.value() ? "hardware slowdown temperature"
                                                                 : "slowdown temperature");
  }
  if (threshold_k >= t.shutdown.value()) {
    ++shutdowns_;
    Server& s = servers_[static_cast<std::size_t>(g.server())];
    g.stop(now);
    update_server(s, now);
    return;
  }
  plan_crossing(g, now, walls_.options().window);
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
  const double other = spec_.server.other_idle.value() +
                       (spec_.server.other_max - spec_.server.other_idle).value() * u;
  const double before = s.power;
  const double net_before = s.network_power;
  s.network_power = s.fed ? network_per_server_ : 0.0;
  s.power = s.fed ? gpus + other + s.network_power : 0.0;
  if (!coupled_) return;
  if (s.network_power != net_before)
    network_power_.set(now, network_power_.value() + s.network_power - net_before);
  const auto rack = static_cast<std::size_t>(spec_.layout.instance_of(s.index, Scope::rack));
  rack_power_[rack] += s.power - before;
  rack_energy_[rack].set(now, rack_power_[rack]);
  if (tree_) {
    tree_->set_server_load(s.index, sim::Watts(s.power), now);
  } else {
    it_power_.set(now, it_power_.value() + s.power - before);
  }
  if (!rack_walls_.empty()) walls_.set_load(rack_walls_[rack], now, rack_power_[rack]);
  if (cooling_) {
    // Optics are air-cooled (transceivers in the cages' airflow): their heat goes to the air.
    const double other_now = s.power - gpus - s.network_power;
    cooling_->set_server_heat(s.index, sim::Watts(other_now * other_liquid_share_),
                              sim::Watts(other_now * (1 - other_liquid_share_) + s.network_power),
                              now);
    if (tree_) cooling_->set_room_heat(tree_->room_heat(), now);
    // The facility supply follows the heat with no lag (models/cooling): its peak is read at
    // every change, not only at window ends.
    const double supply = sim::to_celsius(cooling_->facility_supply_temperature());
    if (std::isnan(peak_facility_supply_c_) || supply > peak_facility_supply_c_)
      peak_facility_supply_c_ = supply;
  }
  update_grid(now);
}

sim::Watts Plant::facility_power() const {
  const double it_side = tree_ ? tree_->grid_input().value() : it_power_.value();
  return sim::Watts(it_side) + (cooling_ ? cooling_->power().total() : sim::Watts(0));
}

void Plant::update_grid(sim::SimTime now) {
  if (grid_wall_) walls_.set_load(*grid_wall_, now, facility_power().value());
}

double Plant::it_energy(sim::SimTime now) const {
  return tree_ ? tree_->it_energy(now).value() : it_power_.integral(now);
}

double Plant::cooling_energy(sim::SimTime now) const {
  return cooling_ ? cooling_->energy(now).total().value() : 0.0;
}

double Plant::facility_energy(sim::SimTime now) const {
  const double it_side = tree_ ? tree_->grid_energy(now).value() : it_power_.integral(now);
  return it_side + cooling_energy(now);
}

void Plant::on_window() {
  sample_window(engine_.now());
  if (!finished_)
    engine_.schedule_in(
        walls_.options().window, [this] { on_window(); }, "plant.window");
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
    if (cooling_) {
      const double ce = cooling_energy(now);
      series_.add(series_cooling_, now, (ce - last_window_cooling_j_) / dt);
      last_window_cooling_j_ = ce;
      const double supply = sim::to_celsius(cooling_->facility_supply_temperature());
      series_.add(series_supply_, now, supply);
      if (std::isnan(peak_facility_supply_c_) || supply > peak_facility_supply_c_)
        peak_facility_supply_c_ = supply;
      series_.add(series_ambient_, now, sim::to_celsius(cooling_->ambient().dry_bulb));
      for (int i = 0; i < cooling_->cdu_count(); ++i) {
        const auto k = static_cast<std::size_t>(i);
        series_.add(series_cdu_heat_[k], now, cooling_->cdu_heat(i).value());
        series_.add(series_cdu_supply_[k], now,
                    sim::to_celsius(cooling_->cdu_supply_temperature(i, now)));
        series_.add(series_cdu_return_[k], now,
                    sim::to_celsius(cooling_->cdu_return_temperature(i, now)));
      }
    }
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
      series_.add(g->series_clock, now,
                  bs > g->last_busy_s ? (cs - g->last_clock_s) / (bs - g->last_busy_s) : kNaN);
      g->last_power_j = pj;
      g->last_clock_s = cs;
      g->last_busy_s = bs;
      if (g->thermal) {
        const double tj = sim::to_celsius(cooling_->junction_temperature(*g->thermal, now));
        series_.add(g->series_junction, now, tj);
        if (!finished_ && g->running()) plan_crossing(*g, now, walls_.options().window);
      }
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
  const double dt = spec_.power->control_interval.seconds().value();
  const bool trip = spec_.power->overload == power::Overload::trip;
  // Every point with a limit, with its mean load over the tick: stages, racks, the feed.
  struct Point {
    int first = 0, last = 0;  // servers below
    double mean = 0, limit = 0;
    std::string name;
    int node = -1;  // a power-tree node, if it is one
  };
  std::vector<Point> points;
  const std::span<const sim::Watts> mean = meter_->close(now);
  const auto nodes = tree_->nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const power::PowerNode& n = nodes[i];
    if (n.energized())
      points.push_back({n.servers().first, n.servers().last, mean[i].value(),
                        n.usable_rating().value(), n.name(), static_cast<int>(i)});
  }
  if (spec_.rack_power_limit) {
    const int per = spec_.layout.servers_per_rack;
    for (std::size_t r = 0; r < rack_energy_.size(); ++r) {
      const double e = rack_energy_[r].integral(now);
      const double m = (e - rack_energy_at_tick_[r]) / dt;
      rack_energy_at_tick_[r] = e;
      points.push_back({static_cast<int>(r) * per, static_cast<int>(r + 1) * per, m,
                        spec_.rack_power_limit->value(), fmt::format("rack[{}]", r), -1});
    }
  }
  if (spec_.power->grid_capacity) {
    const double e = facility_energy(now);
    const double m = (e - facility_energy_at_tick_) / dt;
    facility_energy_at_tick_ = e;
    points.push_back(
        {0, static_cast<int>(servers_.size()), m, spec_.power->grid_capacity->value(), "grid", -1});
  }
  auto over = [](const Point& p) { return p.mean > p.limit * (1 + 1e-9); };

  if (trip) {
    // The breaker opens: everything below it loses power for the rest of the run.
    for (const Point& p : points) {
      if (!over(p)) continue;
      ++trips_;
      tripped_nodes_.push_back(p.name);
      if (trace_) trace_->trip(now, p.name);
      if (p.node >= 0) tree_->set_tripped(p.node, true, now);
      for (int k = p.first; k < p.last; ++k)
        stop_server(servers_[static_cast<std::size_t>(k)], now);
    }
  } else {
    // Capping, per server, from the tightest point above it (limit / mean load):
    //  - over the limit: the GPU power limit goes to the GPUs' mean draw over the tick times
    //    limit / mean, less a 2 % margin (proportional shedding);
    //  - within 10 % under it: held (hysteresis, so a lull does not undo the cap);
    //  - further below: released by 2 % of the full limit per tick.
    // A controller of our own design acting on a ~1 s window, as rack power managers and
    // the NVLink-switch power profiles do (REFERENCE.md B.2, C.5).
    std::vector<double> ratio(servers_.size(), std::numeric_limits<double>::infinity());
    bool any = false;
    for (const Point& p : points) {
      any = any || over(p);
      const double r = p.mean > 0 ? p.limit / p.mean : std::numeric_limits<double>::infinity();
      for (int k = p.first; k < p.last; ++k)
        ratio[static_cast<std::size_t>(k)] = std::min(ratio[static_cast<std::size_t>(k)], r);
    }
    const double floor = spec_.gpu.min_power_limit.value();
    const double full = spec_.gpu_power_limit.value();
    for (std::size_t k = 0; k < servers_.size(); ++k) {
      Server& s = servers_[k];
      const double e = s.gpu_energy.integral(now);
      const double mean_per_gpu = (e - s.gpu_energy_at_tick) / dt / spec_.server.gpus;
      s.gpu_energy_at_tick = e;
      if (ratio[k] < 1) {
        cap_limit_[k] = std::max(floor, std::min(cap_limit_[k], mean_per_gpu) * ratio[k] * 0.98);
      } else if (ratio[k] > 1 / 0.9 && cap_limit_[k] < full) {
        cap_limit_[k] = std::min(full, cap_limit_[k] + 0.02 * full);
      }
    }
    if (any) ++cap_ticks_;
    if (trace_) trace_->control_tick(now, cap_limit_, full);
  }
  if (!finished_)
    engine_.schedule_in(
        spec_.power->control_interval, [this] { on_control_tick(); }, "plant.power_control");
}

void Plant::finish(sim::SimTime end) {
  end_ = end;
  finished_ = true;
  if (end > last_window_) sample_window(end);  // the last, partial window
  if (trace_) trace_->finish(end);
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
  add("network_power", spec_.network_power.typical.value(), "W");
  add("network_nic_ports", static_cast<double>(spec_.network_power.nic_ports), "");
  add("network_switch_ports", static_cast<double>(spec_.network_power.switch_ports), "");
  add("network_flows", network_ ? static_cast<double>(network_->flows_started()) : 0.0, "");
  if (!coupled_) return;
  const double it = it_energy(end_);
  const double facility = facility_energy(end_);
  const double cooling = cooling_energy(end_);
  add("energy_it", it, "J");
  add("energy_conversion_losses", tree_ ? tree_->loss_energy(end_).value() : 0.0, "J");
  add("energy_cooling", cooling, "J");
  add("energy_network", network_power_.integral(end_), "J");
  add("energy_facility", facility, "J");
  add("pue", it > 0 ? facility / it : kNaN, "");
  const double span = (end_ - sim::SimTime::zero()).seconds().value();
  add("mean_facility_power", span > 0 ? facility / span : kNaN, "W");
  add("peak_facility_power", peak_facility_w_, "W");
  double peak_tj = kNaN, thermal_limited = 0;
  for (const auto& g : groups_) {
    if (!std::isnan(g->peak_junction_c) && (std::isnan(peak_tj) || g->peak_junction_c > peak_tj))
      peak_tj = g->peak_junction_c;
    thermal_limited += g->thermal_limited_integral().integral(end_);
  }
  add("peak_junction_temperature", peak_tj, "degC");
  add("thermal_limited_share", busy > 0 ? thermal_limited / busy : kNaN, "");
  if (cooling_) {
    const cooling::CoolingEnergy ce = cooling_->energy(end_);
    add("energy_cooling_pumps", ce.pumps.value(), "J");
    add("energy_cooling_fans", ce.fans.value(), "J");
    add("energy_cooling_chiller", ce.chiller.value(), "J");
    add("peak_facility_supply_temperature", peak_facility_supply_c_, "degC");
  }
  add("power_trips", trips_, "");
  add("power_capped_ticks", cap_ticks_, "");
  add("thermal_shutdowns", shutdowns_, "");
  if (tree_) {
    // The design point: every server at its maximum on its DC bus, through the chain; the
    // cooling it needs is estimated at the run's own ratio of cooling to IT energy (the
    // plant's overhead at the loads and ambient it saw).
    const power::DesignPoint d = tree_->design_point(
        spec_.server.max_dc_power(spec_.gpu) +
        sim::Watts(spec_.network_power.max.value() / static_cast<double>(servers_.size())));
    const double cooling_ratio = it > 0 ? cooling / it : 0.0;
    const double design_facility = d.grid.value() + d.it.value() * cooling_ratio;
    add("design_it_power", d.it.value(), "W");
    add("design_grid_power", d.grid.value(), "W");
    add("design_chain_efficiency", d.efficiency(), "");
    add("design_facility_power", design_facility, "W");
    if (spec_.power->grid_capacity && spec_.layout.racks() > 0) {
      const double per_rack = design_facility / spec_.layout.racks();
      add("design_facility_power_per_rack", per_rack, "W");
      add("racks_under_grid_capacity", std::floor(spec_.power->grid_capacity->value() / per_rack),
          "");
    }
  }
}

std::string Plant::headline() const {
  std::string s =
      fmt::format("{} x {} ({} GPUs) in {} rack(s) of {} server(s), {} row(s), {}-cooled",
                  spec_.layout.servers(), spec_.server.name, spec_.gpus(), spec_.layout.racks(),
                  spec_.layout.servers_per_rack, spec_.layout.rows,
                  spec_.server_cooling == ServerCooling::liquid ? "liquid" : "air");
  if (spec_.power) s += fmt::format("; power chain {}", spec_.power->chain.name);
  if (spec_.cooling) {
    const cooling::CoolingSpec& c = *spec_.cooling;
    if (c.cdu && spec_.server_cooling == ServerCooling::liquid)
      s += fmt::format("; {} CDU(s) per {}", c.cdu->count, to_string(c.cdu->scope));
  }
  if (!coupled_) s += "; plant coupling off";
  return s;
}

std::optional<std::string> Plant::wall_effect(const sim::WallResult& w, const Metrics& m) const {
  if (w.kind == "thermal") {
    return fmt::format(
        "GPUs reached their slowdown temperature ({:.0f} degC): thermal management held them "
        "there by lowering power and clocks, {:.1f} % of busy time under a thermal limit, {:.1f} "
        "% below full clock; peak junction {:.1f} degC{}",
        w.limit, 100 * metric_value(m, "thermal_limited_share"),
        100 * metric_value(m, "throttled_share"), metric_value(m, "peak_junction_temperature"),
        shutdowns_ > 0 ? fmt::format(", {} GPU group(s) shut down", shutdowns_) : "");
  }
  if (w.kind == "cooling") {
    if (w.name.starts_with("cdu[")) {
      return fmt::format(
          "the CDU carried more heat than its rating: its heat exchanger's approach grew in "
          "proportion, the secondary water and the GPUs on it ran hotter (peak junction {:.1f} "
          "degC, {:.1f} % of busy time under a thermal limit)",
          metric_value(m, "peak_junction_temperature"),
          100 * metric_value(m, "thermal_limited_share"));
    }
    if (w.name == "facility.supply_temperature") {
      return fmt::format(
          "the facility water left the heat rejection warmer than its class allows ({:.0f} "
          "degC); peak {:.1f} degC",
          w.limit, metric_value(m, "peak_facility_supply_temperature"));
    }
    if (w.name == "air.supply_temperature") {
      return fmt::format(
          "the supply air left the air path warmer than its class allows ({:.0f} degC)", w.limit);
    }
    return fmt::format("{} ran above its capacity: the water or air it supplies warmed", w.name);
  }
  if (w.kind == "network" && w.name.starts_with("network.")) {
    return fmt::format(
        "the busiest {} link carried its full capacity over a window: the transfers on it "
        "shared it max-min and took longer than alone",
        w.name.substr(8));
  }
  if (w.kind == "power") {
    if (spec_.power && spec_.power->overload == power::Overload::trip) {
      return fmt::format(
          "{} breaker trip(s) ({}); the servers below lost power, requests went "
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
  if (spec_.network_power.typical.value() > 0) {
    const double span = (end_ - sim::SimTime::zero()).seconds().value();
    const double it_mean = span > 0 ? metric_value(m, "energy_it") / span : kNaN;
    out << fmt::format(
        "network     port power {} ({:.2f} % of mean IT power): {} NIC ports, {} switch ports "
        "(optics)\n",
        watts(spec_.network_power.typical.value()),
        100 * spec_.network_power.typical.value() / it_mean, spec_.network_power.nic_ports,
        spec_.network_power.switch_ports);
  }
  out << fmt::format(
      "clocks      GPUs ran below full clock {:.1f} % of their busy time ({:.1f} % under a thermal "
      "limit)\n",
      100 * metric_value(m, "throttled_share"), 100 * metric_value(m, "thermal_limited_share"));
  if (cooling_) {
    out << fmt::format(
        "cooling     peak junction {:.1f} degC, peak facility supply {:.1f} degC; cooling energy "
        "{:.2f} kWh (pumps {:.2f}, fans {:.2f}, chiller {:.2f})\n",
        metric_value(m, "peak_junction_temperature"),
        metric_value(m, "peak_facility_supply_temperature"),
        metric_value(m, "energy_cooling") / 3.6e6, metric_value(m, "energy_cooling_pumps") / 3.6e6,
        metric_value(m, "energy_cooling_fans") / 3.6e6,
        metric_value(m, "energy_cooling_chiller") / 3.6e6);
  }
}

}  // namespace models
