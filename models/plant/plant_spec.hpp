// The plant half of a scenario (DESIGN.md "Plant and workload"): servers from the catalog
// placed in racks and rows, the power chain that feeds them, the cooling plant that takes
// their heat, and how tightly it all couples to the GPU clocks.
//
//   plant:
//     server: dgx-h100             # a key of servers: (scenarios/catalog/servers.yaml)
//     server_cooling: liquid       # air | liquid (default: how the catalog build is cooled)
//     layout: {rows: 1, racks_per_row: 2, servers_per_rack: 4}
//     rack_power_limit: 45 kW      # optional: a wall per rack; nameplate above it is an error
//     gpu_power_limit: 700 W       # per GPU, or a share of TDP ("70 %"); default: TDP
//     gpu_power_calibration: path  # default: the shipped models/gpu/calibration/gpu_power.yaml
//     coupling: full               # full | none: none keeps GPUs at full clock and leaves power
//                                  # and heat out (the workload alone; for ablations and tests)
//     power: {...}                 # optional: models/power (power_reader.hpp)
//     cooling: {...}               # optional: models/cooling
//     network: {...}               # optional: models/network's `network:` keys over the
//                                  # plant's defaults (network_spec.hpp NetworkDefaults)
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "models/common/hall_layout.hpp"
#include "models/cooling/cooling_spec.hpp"
#include "models/gpu/gpu_power.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/network/network_spec.hpp"
#include "models/plant/server_spec.hpp"
#include "models/power/power_spec.hpp"
#include "sim/config.hpp"

namespace models {

struct Catalog;

enum class Coupling { full, none };

// A plant with more GPUs than this builds no network unless `plant.network:` asks for one
// (and then may not exceed it): its topology, routes and walls would cost more memory than
// the rest of the run. 131,072 GPUs: eight times the largest
// example (Llama-3-405B on 16,384 H100s).
inline constexpr long kMaxNetworkGpus = 131072;

struct PlantSpec {
  ServerSpec server;
  GpuSpec gpu;
  ServerCooling server_cooling = ServerCooling::air;
  HallLayout layout;
  std::optional<sim::Watts> rack_power_limit;
  sim::Watts gpu_power_limit{0};  // per GPU
  GpuPowerCoefficients power_coefficients;
  std::string power_calibration_file;
  Coupling coupling = Coupling::full;
  // The chain resolved onto the layout (absolute ratings, server PSU spliced in); empty when
  // the scenario has no power section.
  std::optional<power::PowerSpec> power;
  std::vector<power::StageSpec> power_stages;
  std::optional<cooling::CoolingSpec> cooling;
  // The network (models/network), built from the plant and `plant.network:`; null when the
  // plant is larger than kMaxNetworkGpus and says nothing of it. GPU j of server i is
  // topology->gpus()[i * server.gpus + j] (servers in layout order, sites in turn).
  std::shared_ptr<const network::NetworkSpec> network;
  std::shared_ptr<const network::Topology> topology;
  network::NetworkPower network_power;  // its ports' optics (network_power.hpp)
  sim::config::Location where;

  int gpus() const { return layout.servers() * server.gpus; }
};

// Reads `plant:`; problems go to `diags`. Returns nullopt when the section is too broken to
// go on (e.g. an unknown server).
std::optional<PlantSpec> read_plant(sim::config::Reader& plant, const Catalog& catalog);

}  // namespace models
