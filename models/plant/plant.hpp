// The plant at run time: servers in racks and rows with their GPUs, the power delivery tree
// and the cooling plant, coupled through the GPU clocks (DESIGN.md "Coupling"):
//
//   iteration start:  clock = min(full clock, power-limit clock, thermal clock)
//                     power limit = min(the GPU's limit, the capping controller's limit)
//                     thermal: at or above the slowdown temperature the GPU may draw only
//                     what keeps its junction there, (T_slowdown - T_coolant) / R; at the
//                     hardware slowdown temperature the clock halves; at shutdown it stops
//   during it:        the group draws the iteration's mean power (quasi-static: the clock and
//                     the power are held for the whole iteration); the server's power goes
//                     up the power tree, its heat to the cold plates, the CDUs and the air
//   control tick:     each stage's mean load over the tick against its rating: cap lowers
//                     the power limits of the servers below, trip opens the breaker
//
// A group of GPUs sits in one server's scale-up domain. Placement fills servers in order.
// GPUs no workload uses draw idle power.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "models/common/metric.hpp"
#include "models/gpu/gpu_power.hpp"
#include "models/plant/gpu_group.hpp"
#include "models/plant/plant_spec.hpp"
#include "models/plant/series.hpp"
#include "sim/engine.hpp"
#include "sim/h5_writer.hpp"
#include "sim/wall_monitor.hpp"

namespace models {

namespace power {
class PowerTree;
class IntervalMeter;
}  // namespace power
namespace cooling {
class CoolingPlant;
}  // namespace cooling
class PlantTrace;

// What one GPU group drew over the run (per GPU).
struct GpuGroupStats {
  sim::Joules energy_per_gpu{0};
  sim::Watts peak_power_per_gpu{0};  // the highest iteration mean
  double first_clock_ratio = 1;      // of its first iteration
  sim::Seconds busy{0};
};

class Plant {
 public:
  Plant(sim::Engine& engine, sim::WallMonitor& walls, const PlantSpec& spec);
  ~Plant();
  Plant(const Plant&) = delete;
  Plant& operator=(const Plant&) = delete;

  // Places `request.count` groups of `request.size` GPUs, each inside one scale-up domain,
  // filling servers in order. Throws std::invalid_argument when they do not fit (the
  // scenario reader reports that earlier, with its location).
  std::vector<GpuGroup*> place(const GpuRequest& request);
  // After placement: builds the thermal networks, registers the walls, schedules the ticks.
  void start();
  // Integrates everything to `end` and closes the last series window.
  void finish(sim::SimTime end);

  void add_metrics(Metrics& out) const;
  void write_series(sim::h5::ResultFile& file) const { series_.write(file); }
  std::string headline() const;
  std::optional<std::string> wall_effect(const sim::WallResult& w, const Metrics& summary) const;
  void print_summary(std::ostream& out, const Metrics& summary) const;

  const PlantSpec& spec() const { return spec_; }
  // Valid after finish().
  GpuGroupStats group_stats(std::size_t group) const;
  const GpuPowerModel& gpu_power() const { return gpu_power_; }

 private:
  class Group;
  class Network;
  struct Server;
  friend class Group;
  friend class Network;

  // The group's closed-form scale-up load ends (Fabric::scale_up_load).
  void clear_scale_up(Group& g, sim::SimTime now);
  void update_server(Server& s, sim::SimTime now);
  void update_grid(sim::SimTime now);
  void on_window();
  void sample_window(sim::SimTime now);
  void on_control_tick();
  void stop_server(Server& s, sim::SimTime now);
  void build_cooling(sim::SimTime now);
  void on_cooling_event();
  void schedule_cooling_event(sim::SimTime now);
  // Re-plans when a group's junction next reaches a threshold, within `horizon`.
  void plan_crossing(Group& g, sim::SimTime now, sim::Duration horizon);
  void on_crossing(Group& g, double threshold_k);
  sim::Watts facility_power() const;
  double it_energy(sim::SimTime now) const;
  double facility_energy(sim::SimTime now) const;
  double cooling_energy(sim::SimTime now) const;

  sim::Engine& engine_;
  sim::WallMonitor& walls_;
  PlantSpec spec_;
  GpuPowerModel gpu_power_;
  bool coupled_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<Server> servers_;
  std::unique_ptr<power::PowerTree> tree_;
  std::unique_ptr<power::IntervalMeter> meter_;
  std::unique_ptr<cooling::CoolingPlant> cooling_;
  std::unique_ptr<Network> network_;   // when the spec has a topology
  std::unique_ptr<PlantTrace> trace_;  // only when the engine has a tracer
  double other_liquid_share_ = 0;      // of the non-GPU power, to liquid
  // Per server: the GPU power limit the capping controller allows (W per GPU).
  std::vector<double> cap_limit_;
  Integrator it_power_;            // when there is no power tree: IT = facility input
  double network_per_server_ = 0;  // W, each fed server's share of the network's optics
  Integrator network_power_;       // W, the optics of the fed servers' shares
  std::optional<sim::ResourceId> grid_wall_, rack_walls_first_;
  std::vector<sim::ResourceId> rack_walls_;
  std::vector<double> rack_power_;  // current, per rack
  std::vector<Integrator> rack_energy_;
  std::vector<double> rack_energy_at_tick_;
  double facility_energy_at_tick_ = 0;
  SeriesSet series_;
  std::size_t series_facility_ = 0, series_pue_ = 0, series_it_ = 0, series_cooling_ = 0;
  std::size_t series_supply_ = 0, series_ambient_ = 0;
  std::vector<std::size_t> series_cdu_heat_, series_cdu_supply_, series_cdu_return_;
  double last_window_cooling_j_ = 0;
  double peak_facility_supply_c_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::size_t> series_stage_load_, series_stage_loss_;
  sim::SimTime last_window_;
  double last_window_facility_j_ = 0, last_window_it_j_ = 0;
  std::vector<double> last_window_stage_out_j_, last_window_stage_loss_j_;
  double peak_facility_w_ = 0;
  int trips_ = 0;
  int cap_ticks_ = 0;
  int shutdowns_ = 0;
  std::vector<std::string> tripped_nodes_;
  sim::SimTime end_;
  bool finished_ = false;
};

}  // namespace models
