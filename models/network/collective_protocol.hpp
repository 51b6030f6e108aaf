// The calibration of the collective layer (models/network/calibration/nccl_protocol.yaml,
// written by tools/analysis/fit_collectives.py) and the clusters collectives are validated on:
// catalog servers (networks.yaml) joined, when there are several, by a full-bisection
// rail-optimized fabric of their NICs (REFERENCE.md B.5).
//
// The calibration holds physics of NCCL's software, not of a GPU: the per-step latency and
// the achieved fraction of line rate of each tier, a launch latency and the reduction pace.
// A new GPU or fabric takes its bandwidths from the catalog and these from the file.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "models/network/collective.hpp"
#include "models/network/network_spec.hpp"

namespace models::network {

// Format 2 holds NCCL's three protocols (LL, LL128, Simple; collective.hpp NcclProtocol), each
// with its launch latency, step latencies and efficiencies, and the reduction pace they share;
// a collective runs under the one with the least time (choose_protocol). Format 1 held one
// protocol, read as Simple alone.
struct CollectiveCalibration {
  CollectiveProtocol protocol;  // Simple's
  ProtocolSet protocols;        // every protocol of the file, LL first
  // The all-reduce algorithm across servers (ring or hierarchical), the one the fit chose.
  CollectiveAlgorithm multi_server_all_reduce = CollectiveAlgorithm::ring;
  std::string command;     // provenance.command
  std::string input_file;  // provenance.input.file
};

// Throws sim::config::InputError with every problem (file:line:col: path: message).
CollectiveCalibration parse_collective_calibration(std::string_view text,
                                                   const std::string& file_name);
CollectiveCalibration read_collective_calibration(const std::string& path);
// The shipped file under the data directory (sim/data_dir.hpp).
std::string default_collective_calibration_path();

// The scale-up fabrics whose switches reduce in the network (networks.yaml
// `in_network_reduction:`, each entry with its source). Problems go to `diags`.
std::set<std::string> read_in_network_reduction(const sim::config::Node& root,
                                                sim::config::Diagnostics& diags);

// A catalog server's network, resolved.
struct ServerNetwork {
  std::string name;
  int gpus = 8;  // GPUs per server (servers.yaml)
  ScaleUpFabric scale_up;
  Nic nic;
  sim::Seconds switch_latency{0};  // scale-out switch, port to port
  bool in_switch_reduction = false;
};
// Throws sim::config::InputError naming `where` when `server` (or what it refers to) is not
// in the catalog.
ServerNetwork server_network(const NetworkCatalog& catalog, const std::set<std::string>& reducing,
                             const std::string& server, int gpus_per_server,
                             const sim::config::Location& where);

struct Cluster {
  Topology topology;
  std::vector<NodeId> gpus;               // server-major
  std::vector<NodeId> reducing_switches;  // NVSwitches with in-network reduction
  int gpus_per_server = 0;
};
// `servers` servers; more than one are joined by a rail-optimized leaf-spine of their NICs
// at full bisection (one spine; the uplinks carry every server's rail traffic).
Cluster build_cluster(const ServerNetwork& server, int servers);
// `per_server` members on each of `servers` servers (the first GPUs of each), server-major.
std::vector<NodeId> members(const Cluster& cluster, int servers, int per_server);

}  // namespace models::network
