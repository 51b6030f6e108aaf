// The `network:` section of a scenario and the network catalog (scenarios/catalog/
// networks.yaml): parse -> immutable NetworkSpec -> build a Topology, with every problem
// reported as `file:line:col: network.path: message` (sim/config.hpp).
//
//   network:
//     server: dgx-h100            # a key of networks.yaml servers: scale-up, NIC, switch
//     servers: 16                 # servers per site
//     gpus_per_server: 8
//     scale_up: nvlink4-nvswitch  # optional: overrides the server's (or sets it without one)
//     nic: ndr-400g               # optional: likewise
//     switch: quantum-2           # optional: likewise (scale-out switch latency, port power)
//     scale_out:                  # optional; default none (scale-up only)
//       kind: rail_optimized      # rail_optimized | fat_tree | none
//       spines: 4                 # rail_optimized
//       servers_per_unit: 32      # rail_optimized: servers on one set of rail leaves
//       oversubscription: 1       # rail_optimized: leaf down : up
//       k: 32                     # fat_tree radix; pods: 16 (default k)
//       edge_oversubscription: 1  # fat_tree
//       aggregation_oversubscription: 1
//     sites:                      # optional: the cluster above, once per site, gateways
//       count: 2                  #   joined pairwise by fiber
//       gateway_bandwidth: 25.6 Tb/s
//       fiber_length: 100 km
//       refractive_index: 1.468   # optional (REFERENCE.md B.5)
//     nodes:                      # optional: extra nodes by name
//       - {name: sw9, kind: leaf, latency: 150 ns}
//     links:                      # optional: extra cables between named nodes
//       - {from: s0.gpu0, to: sw9, bandwidth: 400 Gb/s, latency: 1 us, tier: access}
//       - {from: a, to: b, bandwidth: 1 Tb/s, length: 10 km}   # fiber: latency L n / c
//
// Errors caught here: unknown names (with "did you mean"), bandwidth <= 0, negative length
// or latency, a link to a missing node, GPUs that cannot reach each other.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/network/builders.hpp"
#include "models/network/network_power.hpp"
#include "sim/config.hpp"

namespace models::network {

struct NicEntry {
  std::string source;
  sim::BytesPerSecond bandwidth{0};
  PortPower optics;
};
struct SwitchEntry {
  std::string source;
  int ports = 0;
  sim::BytesPerSecond port_speed{0};
  sim::Seconds latency{0};
  PortPower optics;  // per port
};
struct ServerNetworkEntry {
  std::string source;
  std::string scale_up, nic, switch_name;
};
struct NetworkCatalog {
  std::map<std::string, ScaleUpFabric> scale_up_fabrics;
  std::map<std::string, NicEntry> nics;
  std::map<std::string, SwitchEntry> switches;
  std::map<std::string, ServerNetworkEntry> servers;
};

// The catalog sections of `root` (each optional); problems go to `diags`.
NetworkCatalog read_network_catalog(const sim::config::Node& root, sim::config::Diagnostics& diags);
// Reads a catalog file; throws sim::config::InputError with every problem.
NetworkCatalog load_network_catalog(const std::string& path);

enum class ScaleOutKind { none, rail_optimized, fat_tree };

struct ExtraNode {
  std::string name;
  NodeKind kind = NodeKind::leaf;
  sim::Seconds latency{0};
  sim::config::Location where;
};
struct ExtraLink {
  std::string from, to;
  sim::config::Location from_where, to_where;
  std::string path;  // "network.links[3]"
  sim::BytesPerSecond bandwidth{0};
  sim::Seconds latency{0};
  std::optional<Length> length;  // fiber: latency = fiber_delay(length)
  LinkTier tier = LinkTier::access;
};

struct NetworkSpec {
  int servers = 0;
  int gpus_per_server = 1;
  ScaleUpFabric scale_up;
  Nic nic;
  SwitchEntry scale_out_switch;
  PortPower nic_optics;
  ScaleOutKind scale_out = ScaleOutKind::none;
  RailOptimized rail;
  FatTree fat_tree;
  int sites = 1;
  sim::BytesPerSecond gateway_bandwidth{0};
  Length fiber_length;
  double refractive_index = kFiberRefractiveIndex;
  std::vector<ExtraNode> nodes;
  std::vector<ExtraLink> links;
  sim::config::Location where;
  std::string path = "network";  // the section's YAML path, for messages ("plant.network")
  bool in_plant = false;         // read with a plant's NetworkDefaults

  PortPowerRates port_power() const {
    return {nic_optics, scale_out_switch.port_speed, scale_out_switch.optics};
  }
};

// A length "<number> m" or "<number> km" at `key` (sim's quantity parser has no length
// dimension); problems go to the reader's diagnostics.
std::optional<Length> read_length(sim::config::Reader& r, std::string_view key,
                                  sim::config::Need need);

// What the plant says about its network (models/plant): the catalog server, its servers
// and its GPUs per server. Under `plant.network:` these are the defaults: `server`,
// `servers` and `gpus_per_server` may be left out (given, the last two must agree with
// the plant), and without `scale_out` a plant of several servers gets the default fabric
// of default_rail_optimized().
struct NetworkDefaults {
  std::string server;  // a servers.yaml key; its networks.yaml entry gives the fabric
  int servers = 0;     // in the whole plant (split evenly over `sites`)
  int gpus_per_server = 1;
  sim::config::Location server_where;  // plant.server, for "no networks.yaml entry"
  std::string server_path = "plant.server";
};

// Reads `network:` (or `plant.network:` with `defaults`); nullopt when the section is too
// broken to build. The reader may be over an absent section: with defaults that is the
// plant's default network.
std::optional<NetworkSpec> read_network(sim::config::Reader& network, const NetworkCatalog& catalog,
                                        const NetworkDefaults* defaults = nullptr);

// The rail-optimized leaf-spine a plant gets when it says nothing (REFERENCE.md B.5 [S],
// sized from the switch's port count [D]): one leaf per rail and unit, half of a leaf's
// ports down (one per server of the unit: servers_per_unit = min(servers, ports / 2)) and
// half up at full bisection; spines = ceil(units x rails x servers_per_unit / ports), the
// switches the uplinks need, but at most servers_per_unit (a leaf's uplink ports), so that
// every leaf-spine cable is at least one port. Past one tier of switches (more leaves than a
// spine has ports) a spine stands for a plane of switches that acts as one (its ports, and
// so the optics, are counted right; its inner tier is not modelled).
RailOptimized default_rail_optimized(int servers, int gpus_per_server, const Nic& nic,
                                     const SwitchEntry& sw);
// Builds the topology; problems (a link to a missing node, disconnected GPUs) go to `diags`.
Topology build_network(const NetworkSpec& spec, sim::config::Diagnostics& diags);

// The `network:` section of a scenario file, read and built; throws sim::config::InputError
// with every problem (the CLI's exit code 2, before anything is written).
struct BuiltNetwork {
  NetworkSpec spec;
  Topology topology;
};
BuiltNetwork load_network(const std::string& path, const NetworkCatalog& catalog);

}  // namespace models::network
