// The cooling plant of a hall: cold plates and heatsinks, CDU loops, the air path, facility
// heat rejection and the ambient, integrated exactly between events.
//
//   chip -> cold plate -> CDU secondary loop -> HX -> facility loop -> dry cooler / tower /
//   chiller -> ambient;   air-cooled chips, servers' air share, room losses -> air path
//
// Each CDU group (one per instance of its scope) is one ThermalNetwork: per GPU group a die
// and a cold-plate node, and the loop node, whose boundary is the facility supply (cdu.hpp).
// Each air-cooled GPU group is a two-node network whose boundary is the supply air
// (air_path.hpp). The facility supply temperature and the supply air are piecewise
// constant boundaries (heat_rejection.hpp), recomputed when a heat load or the ambient
// changes (or, with `facility_tick`, the facility side only on that tick).
//
// Use:
//   CoolingPlant plant(spec, layout, start);
//   GpuHandle h = plant.add_gpus(server, gpu.thermal, 8, /*liquid=*/true);  // ... then
//   plant.finalize();  plant.register_walls(monitor);
//   plant.set_gpu_power(h, 700_W, now);  ...  plant.junction_temperature(h, now);
//   schedule plant.next_event(now) (ambient / facility ticks) and call plant.advance(t) then.
// Every call takes the current time; times never decrease (std::logic_error otherwise).
// A GPU group of `count` identical GPUs in one server shares one die and one plate node:
// its heat is count x the per-GPU power, its R / count and C x count, so the nodes carry
// the temperature of each of its GPUs.
//
// Crossings: set_* calls change the trajectories of every GPU on the same CDU, and (through
// the facility supply, unless facility_tick is set) of every liquid-cooled GPU; a crossing
// computed before is stale once trajectory_epoch(handle) has moved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/common/hall_layout.hpp"
#include "models/cooling/ambient.hpp"
#include "models/cooling/cooling_spec.hpp"
#include "models/cooling/gpu_thermal.hpp"
#include "models/cooling/heat_rejection.hpp"
#include "models/cooling/thermal_network.hpp"
#include "sim/time.hpp"
#include "sim/wall_monitor.hpp"

namespace models::cooling {

struct GpuHandle {
  std::uint32_t index = 0;
};

struct CoolingPower {
  sim::Watts pumps;    // CDU pumps
  sim::Watts fans;     // air path fans + dry cooler / tower fans
  sim::Watts chiller;  // compressors
  sim::Watts total() const { return pumps + fans + chiller; }
};

struct CoolingEnergy {
  sim::Joules pumps;
  sim::Joules fans;
  sim::Joules chiller;
  sim::Joules total() const { return pumps + fans + chiller; }
};

class CoolingPlant {
 public:
  // The ambient CSV, if any, is already in `spec` (read_cooling loads it).
  CoolingPlant(CoolingSpec spec, HallLayout layout, sim::SimTime start);

  // --- building -------------------------------------------------------------------------
  // `count` identical GPUs of server `server`, cooled by the cold plate (liquid: on the
  // server's CDU) or by air. std::invalid_argument if the spec lacks that path, the plant
  // has no CDU for a liquid group, or the server is outside the layout.
  GpuHandle add_gpus(int server, const GpuThermalSpec& spec, int count, bool liquid);
  // Builds the networks (one eigen decomposition each); every node starts at its fluid's
  // temperature.
  void finalize();
  // Registers the cooling walls (after finalize) and reports their loads from then on:
  //   cdu[i].heat                   cooling  W     rate   vs the CDU group's capacity
  //   facility.supply_temperature   cooling  degC  level  vs liquid_class (if given)
  //   chiller.heat                  cooling  W     rate   vs chiller capacity (chiller only)
  //   heat_rejection.heat           cooling  W     rate   vs dry cooler / tower / condenser
  //   air.heat                      cooling  W     rate   vs air capacity
  //   air.supply_temperature        cooling  degC  level  vs the air class (if given)
  void register_walls(sim::WallMonitor& monitor);

  // --- inputs (from `now` on) -------------------------------------------------------------
  void set_gpu_power(GpuHandle gpus, sim::Watts per_gpu, sim::SimTime now);
  // Non-GPU heat of a server: the liquid part enters its CDU loop, the air part the air path.
  void set_server_heat(int server, sim::Watts liquid, sim::Watts air, sim::SimTime now);
  // Power-conversion losses released in the room (to the air path).
  void set_room_heat(sim::Watts heat, sim::SimTime now);
  // Warm start: every network jumps to the steady state of the current inputs.
  void settle(sim::SimTime now);

  // --- events ---------------------------------------------------------------------------
  // The next ambient change or facility tick after `now`; nullopt if none.
  std::optional<sim::SimTime> next_event(sim::SimTime now) const;
  // Integrates the energy ledger to `now` and applies any ambient change / facility tick
  // that is due. Every other call does this first, too.
  void advance(sim::SimTime now);

  // --- GPU queries ----------------------------------------------------------------------
  sim::Kelvin junction_temperature(GpuHandle gpus, sim::SimTime now);
  // The temperature the junction tends to under the current inputs.
  sim::Kelvin steady_junction_temperature(GpuHandle gpus) const;
  // What the GPU's path resistance connects to: the mean coolant of its CDU loop, or the
  // supply air.
  sim::Kelvin coolant_temperature(GpuHandle gpus, sim::SimTime now);
  // Junction to that coolant, per GPU: R_js + R_sf. With the coolant frozen, the power that
  // holds the junction at T_limit is (T_limit - T_coolant) / R (the loop itself warms with
  // the GPU's heat, by a little per GPU on a shared loop).
  sim::KelvinPerWatt junction_to_coolant(GpuHandle gpus) const;
  // When the junction next reaches `threshold` (rising: from below; falling: from above)
  // within `horizon` under the current inputs; `now` if already there.
  std::optional<sim::SimTime> next_crossing(GpuHandle gpus, sim::Kelvin threshold, sim::SimTime now,
                                            sim::Duration horizon,
                                            Crossing direction = Crossing::rising);
  std::uint64_t trajectory_epoch(GpuHandle gpus) const;
  const GpuThermalSpec& gpu_spec(GpuHandle gpus) const;
  bool liquid(GpuHandle gpus) const;

  // --- CDUs -----------------------------------------------------------------------------
  int cdu_count() const { return static_cast<int>(loops_.size()); }
  int cdu_of_server(int server) const;
  const CduGroup& cdu(int i) const;
  // Heat the servers put into the loop now (the wall's load).
  sim::Watts cdu_heat(int i) const;
  // Heat the exchanger passes to the facility loop now (equal to cdu_heat in steady state).
  sim::Watts cdu_exchanged_heat(int i, sim::SimTime now);
  sim::Kelvin cdu_mean_temperature(int i, sim::SimTime now);
  // Secondary supply / return: mean -+ Q_hx / (2 m_dot c_p).
  sim::Kelvin cdu_supply_temperature(int i, sim::SimTime now);
  sim::Kelvin cdu_return_temperature(int i, sim::SimTime now);
  std::size_t cdu_network_size(int i) const;

  // --- facility, air, ambient ------------------------------------------------------------
  const FacilityState& facility() const { return facility_; }
  sim::Kelvin facility_supply_temperature() const { return facility_.supply; }
  sim::Watts air_heat() const { return air_heat_; }
  sim::Kelvin air_supply_temperature() const { return air_supply_; }
  AmbientConditions ambient() const { return ambient_now_; }

  // --- cooling power and energy ---------------------------------------------------------
  CoolingPower power() const;
  // Energy since the start, integrated exactly (the power is piecewise constant).
  CoolingEnergy energy(sim::SimTime now);

  const CoolingSpec& spec() const { return spec_; }

 private:
  struct Loop {
    CduGroup group;
    RcTopology topology;
    std::optional<ThermalNetwork> network;
    NodeId node;
    BoundaryId facility;
    sim::Watts gpu_heat;
    sim::Watts server_heat;
    std::optional<sim::ResourceId> wall;
    sim::Watts load() const { return gpu_heat + server_heat; }
  };
  struct AirNetwork {
    RcTopology topology;
    std::optional<ThermalNetwork> network;
    BoundaryId air;
  };
  struct Group {
    int server = 0;
    bool liquid = true;
    int count = 1;
    GpuThermalSpec spec;
    std::size_t network = 0;  // loop index (liquid) or air network index
    NodeId die;
    NodeId spreader;
    sim::Watts per_gpu;
  };

  const Group& group(GpuHandle h) const;
  ThermalNetwork& network_of(const Group& g);
  const ThermalNetwork& network_of(const Group& g) const;
  Loop& loop(int i);
  void require_finalized(const char* what) const;
  void integrate(sim::SimTime now);
  void heat_changed(sim::SimTime now);
  void air_changed(sim::SimTime now);
  void recompute_facility(sim::SimTime now);
  void report_walls(sim::SimTime now);
  sim::Watts hall_heat() const;

  CoolingSpec spec_;
  HallLayout layout_;
  Ambient ambient_;
  AmbientConditions ambient_now_;
  std::vector<Loop> loops_;
  std::vector<AirNetwork> air_networks_;
  std::vector<Group> groups_;
  std::vector<sim::Watts> server_liquid_;
  std::vector<sim::Watts> server_air_;
  sim::Watts room_heat_;
  sim::Watts air_heat_;
  sim::Watts liquid_heat_;  // Σ loops' load(), kept as they change
  sim::Watts pump_power_;   // Σ loops' pump power (constant)
  sim::Kelvin air_supply_;
  FacilityState facility_;
  std::optional<sim::SimTime> next_facility_tick_;
  bool finalized_ = false;

  sim::SimTime last_;
  CoolingEnergy energy_;

  sim::WallMonitor* monitor_ = nullptr;
  std::optional<sim::ResourceId> supply_wall_, chiller_wall_, rejection_wall_, air_wall_,
      air_supply_wall_;
};

}  // namespace models::cooling
