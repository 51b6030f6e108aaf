#include "models/network/collective_protocol.hpp"

#include <array>

#include <fmt/format.h>

#include "models/common/provenance.hpp"
#include "sim/data_dir.hpp"

namespace models::network {

namespace {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Reader;

constexpr int kFormatVersion = 2;
constexpr std::array<std::pair<std::string_view, NcclProtocol>, 3> kProtocols = {
    std::pair{"ll", NcclProtocol::ll}, std::pair{"ll128", NcclProtocol::ll128},
    std::pair{"simple", NcclProtocol::simple}};
constexpr std::array<std::string_view, 2> kMultiServer = {"ring", "hierarchical"};

TierProtocol read_tier(Reader& top, std::string_view key) {
  TierProtocol t;
  Reader r = top.section(key, Need::required);
  t.step_latency =
      r.quantity<sim::dims::time>("step_latency", Need::required, Bounds::non_negative())
          .value_or(sim::Seconds(0));
  // η > 0: a link that moves no payload is not a protocol; <= 1: wire bytes >= payload.
  t.efficiency = r.number("efficiency", Need::required, {0.0, false, 1.0, true}).value_or(1);
  r.finish();
  return t;
}

// launch_latency, scale_up and scale_out of one protocol (format 2: under protocols.<name>;
// format 1: at the top).
CollectiveProtocol read_protocol(Reader& r) {
  CollectiveProtocol p;
  p.launch_latency =
      r.quantity<sim::dims::time>("launch_latency", Need::required, Bounds::non_negative())
          .value_or(sim::Seconds(0));
  p.scale_up = read_tier(r, "scale_up");
  p.scale_out = read_tier(r, "scale_out");
  return p;
}

CollectiveCalibration read_root(const sim::config::Node& root, sim::config::Diagnostics& diags) {
  CollectiveCalibration c;
  Reader top(&root, "", diags);
  const int format = static_cast<int>(
      top.integer("format", Need::required, Bounds::between(1, kFormatVersion)).value_or(1));
  const double rho =
      top.number("reduction_efficiency", Need::required, {0.0, false, 1.0, true}).value_or(1);
  if (format == 1) {
    c.protocol = read_protocol(top);
    c.protocol.reduction_efficiency = rho;
    c.protocols = ProtocolSet::only(c.protocol);
  } else {
    Reader all = top.section("protocols", Need::required);
    for (const auto& [key, name] : kProtocols) {
      // Simple is required (the bandwidth protocol NCCL always has); LL and LL128 optional.
      const Need need = name == NcclProtocol::simple ? Need::required : Need::optional;
      if (need == Need::optional && !all.has(key)) continue;
      Reader r = all.section(key, need);
      CollectiveProtocol p = read_protocol(r);
      r.finish();
      p.reduction_efficiency = rho;
      c.protocols.protocols.emplace_back(name, p);
      if (name == NcclProtocol::simple) c.protocol = p;
    }
    all.finish();
  }
  const std::string multi =
      top.choice("multi_server_all_reduce", kMultiServer, Need::required).value_or("ring");
  c.multi_server_all_reduce =
      multi == "hierarchical" ? CollectiveAlgorithm::hierarchical : CollectiveAlgorithm::ring;
  const Provenance p =
      read_provenance(top, {"date", "firstwall_version", "inputs", "method", "in_sample",
                            "held_out", "errors", "held_out_errors", "candidates"});
  c.command = p.command;
  c.input_file = p.input_file;
  top.finish();
  return c;
}

}  // namespace

CollectiveCalibration parse_collective_calibration(std::string_view text,
                                                   const std::string& file_name) {
  return sim::config::read_string(text, file_name, read_root);
}

CollectiveCalibration read_collective_calibration(const std::string& path) {
  return sim::config::read_file(path, read_root);
}

std::string default_collective_calibration_path() {
  return sim::data_path("models/network/calibration/nccl_protocol.yaml").string();
}

std::set<std::string> read_in_network_reduction(const sim::config::Node& root,
                                                sim::config::Diagnostics& diags) {
  std::set<std::string> names;
  const sim::config::Node* node = root.find("in_network_reduction");
  if (!node) return names;
  Reader all(node, "in_network_reduction", diags);
  if (node->is_mapping())
    for (const auto& [name, entry] : node->entries()) {
      Reader r = all.section(name, Need::required);
      (void)r.string("source", Need::required);
      r.finish();
      names.insert(name);
    }
  all.finish();
  return names;
}

ServerNetwork server_network(const NetworkCatalog& catalog, const std::set<std::string>& reducing,
                             const std::string& server, int gpus_per_server,
                             const sim::config::Location& where) {
  auto missing = [&](std::string_view what, const std::string& name) {
    return sim::config::InputError(where, "server",
                                   fmt::format("no {} named \"{}\" in networks.yaml", what, name));
  };
  const auto s = catalog.servers.find(server);
  if (s == catalog.servers.end()) {
    std::vector<std::string> names;
    for (const auto& [name, entry] : catalog.servers) names.push_back(name);
    const auto hint = sim::config::did_you_mean(server, names);
    throw sim::config::InputError(
        where, "server",
        fmt::format("no server named \"{}\" in networks.yaml{}", server,
                    hint ? fmt::format(" (did you mean \"{}\"?)", *hint) : std::string()));
  }
  const auto up = catalog.scale_up_fabrics.find(s->second.scale_up);
  if (up == catalog.scale_up_fabrics.end()) throw missing("scale-up fabric", s->second.scale_up);
  const auto nic = catalog.nics.find(s->second.nic);
  if (nic == catalog.nics.end()) throw missing("NIC", s->second.nic);
  const auto sw = catalog.switches.find(s->second.switch_name);
  if (sw == catalog.switches.end()) throw missing("switch", s->second.switch_name);
  ServerNetwork n;
  n.name = server;
  n.gpus = gpus_per_server;
  n.scale_up = up->second;
  n.nic = {nic->second.bandwidth, sim::Seconds(0)};
  n.switch_latency = sw->second.latency;
  n.in_switch_reduction = reducing.contains(s->second.scale_up);
  return n;
}

Cluster build_cluster(const ServerNetwork& server, int servers) {
  Cluster c;
  c.gpus_per_server = server.gpus;
  c.gpus = add_servers(c.topology, "", servers, server.gpus, server.scale_up);
  if (servers > 1) {
    RailOptimized rail;
    rail.gpus_per_server = server.gpus;
    rail.spines = 1;
    rail.nic = server.nic;
    rail.switch_latency = server.switch_latency;
    add_rail_optimized(c.topology, "", c.gpus, rail);
  }
  if (server.in_switch_reduction)
    for (NodeId id = 0; id < c.topology.node_count(); ++id)
      if (c.topology.node(id).kind == NodeKind::nvswitch) c.reducing_switches.push_back(id);
  return c;
}

std::vector<NodeId> members(const Cluster& cluster, int servers, int per_server) {
  std::vector<NodeId> m;
  for (int j = 0; j < servers; ++j)
    for (int i = 0; i < per_server; ++i)
      m.push_back(cluster.gpus.at(static_cast<std::size_t>(j * cluster.gpus_per_server + i)));
  return m;
}

}  // namespace models::network
