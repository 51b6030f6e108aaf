#include "models/network/network_spec.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>

#include "models/network/routing.hpp"
#include "sim/quantity.hpp"

namespace models::network {

using sim::config::Bounds;
using sim::config::Diagnostics;
using sim::config::Need;
using YamlNode = sim::config::Node;
using sim::config::Reader;

namespace {

constexpr std::array<std::string_view, 2> kScaleUpKinds{"nvswitch", "nvlink_pairs"};
constexpr std::array<std::string_view, 3> kScaleOutKinds{"rail_optimized", "fat_tree", "none"};
constexpr std::array<std::string_view, 7> kNodeKinds{"gpu",   "nvswitch", "host",        "leaf",
                                                     "spine", "core",     "site_gateway"};
constexpr std::array<std::string_view, 6> kTiers{"nvlink",      "pcie",         "access",
                                                 "leaf_uplink", "spine_uplink", "inter_site"};

template <class Enum, std::size_t N>
Enum enum_of(const std::string& text, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  return static_cast<Enum>(0);
}

PortPower read_port_power(Reader& r) {
  Reader p = r.section("optics_power", Need::required);
  PortPower power;
  power.typical = p.quantity<sim::dims::power>("typical", Need::required, Bounds::non_negative())
                      .value_or(sim::Watts(0));
  power.max = p.quantity<sim::dims::power>("max", Need::optional, Bounds::non_negative())
                  .value_or(power.typical);
  p.finish();
  return power;
}

template <class Value>
const Value* lookup(Reader& r, std::string_view key, const std::map<std::string, Value>& table,
                    std::string_view what, Need need) {
  const YamlNode* node = r.node(key, need);
  if (!node) return nullptr;
  const auto name = r.string(key, need);
  if (!name) return nullptr;
  if (auto it = table.find(*name); it != table.end()) return &it->second;
  std::vector<std::string> names;
  for (const auto& [n, v] : table) names.push_back(n);
  std::string message = "unknown " + std::string(what) + " \"" + *name + "\"";
  if (auto close = sim::config::did_you_mean(*name, names))
    message += " (did you mean \"" + *close + "\"?)";
  r.diagnostics().add(node->location(), r.path_of(key), message);
  return nullptr;
}

int read_count(Reader& r, std::string_view key, Need need, int lo, int fallback) {
  const auto v = r.integer(key, need, Bounds::between(lo, 1 << 24));
  return v ? static_cast<int>(*v) : fallback;
}

}  // namespace

// A length: "<number> m" or "<number> km". sim's quantity parser has no length dimension
// (propagation.hpp), so lengths are read here, with the same message shapes.
std::optional<Length> read_length(Reader& r, std::string_view key, Need need) {
  const YamlNode* node = r.node(key, need);
  if (!node) return std::nullopt;
  const std::string path = r.path_of(key);
  if (!node->is_scalar()) {
    r.diagnostics().add(node->location(), path, "must be a length (e.g. \"100 km\")");
    return std::nullopt;
  }
  const std::string& text = node->scalar();
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double number = std::strtod(begin, &end);
  std::string unit(end);
  unit.erase(0, unit.find_first_not_of(' '));
  const double scale = unit == "km" ? 1e3 : unit == "m" ? 1.0 : 0.0;
  if (end == begin || errno != 0 || scale == 0.0 || !std::isfinite(number)) {
    r.diagnostics().add(node->location(), path,
                        "expected a length (e.g. \"100 km\"), got \"" + text + "\"");
    return std::nullopt;
  }
  if (number < 0) {
    r.diagnostics().add(node->location(), path, "must be >= 0 (got \"" + text + "\")");
    return std::nullopt;
  }
  return Length::meters(number * scale);
}

NetworkCatalog read_network_catalog(const YamlNode& root, Diagnostics& diags) {
  NetworkCatalog c;
  auto each = [&](std::string_view section, auto&& read_entry) {
    const YamlNode* node = root.find(section);
    if (!node) return;
    Reader all(node, std::string(section), diags);
    if (node->is_mapping())
      for (const auto& [name, entry] : node->entries()) {
        Reader r = all.section(name, Need::required);
        read_entry(name, r);
        r.finish();
      }
    all.finish();
  };
  each("scale_up_fabrics", [&](const std::string& name, Reader& r) {
    (void)r.string("source", Need::required);
    ScaleUpFabric f;
    f.kind = enum_of<ScaleUpKind>(r.choice("kind", kScaleUpKinds, Need::required).value_or(""),
                                  kScaleUpKinds);
    f.gpu_bandwidth =
        r.quantity<sim::dims::byte_rate>("gpu_bandwidth", Need::required, Bounds::positive())
            .value_or(sim::BytesPerSecond(1));
    f.link_latency =
        r.quantity<sim::dims::time>("link_latency", Need::optional, Bounds::non_negative())
            .value_or(sim::Seconds(0));
    f.switch_latency =
        r.quantity<sim::dims::time>("switch_latency", Need::optional, Bounds::non_negative())
            .value_or(sim::Seconds(0));
    const Need pcie = f.kind == ScaleUpKind::nvlink_pairs ? Need::required : Need::optional;
    f.pcie_bandwidth = r.quantity<sim::dims::byte_rate>("pcie_bandwidth", pcie, Bounds::positive())
                           .value_or(sim::BytesPerSecond(1));
    f.pcie_latency =
        r.quantity<sim::dims::time>("pcie_latency", Need::optional, Bounds::non_negative())
            .value_or(sim::Seconds(0));
    c.scale_up_fabrics[name] = f;
  });
  each("nics", [&](const std::string& name, Reader& r) {
    NicEntry n;
    n.source = r.string("source", Need::required).value_or("");
    n.bandwidth = r.quantity<sim::dims::byte_rate>("bandwidth", Need::required, Bounds::positive())
                      .value_or(sim::BytesPerSecond(1));
    n.optics = read_port_power(r);
    c.nics[name] = n;
  });
  each("switches", [&](const std::string& name, Reader& r) {
    SwitchEntry s;
    s.source = r.string("source", Need::required).value_or("");
    s.ports = read_count(r, "ports", Need::required, 1, 1);
    s.port_speed =
        r.quantity<sim::dims::byte_rate>("port_speed", Need::required, Bounds::positive())
            .value_or(sim::BytesPerSecond(1));
    s.latency = r.quantity<sim::dims::time>("latency", Need::required, Bounds::non_negative())
                    .value_or(sim::Seconds(0));
    s.optics = read_port_power(r);
    c.switches[name] = s;
  });
  each("servers", [&](const std::string& name, Reader& r) {
    ServerNetworkEntry s;
    s.source = r.string("source", Need::required).value_or("");
    s.scale_up = r.string("scale_up", Need::required).value_or("");
    s.nic = r.string("nic", Need::required).value_or("");
    s.switch_name = r.string("switch", Need::required).value_or("");
    c.servers[name] = s;
  });
  // A plain pair, not a structured binding: clang 14 (the fuzz build) cannot capture those.
  for (const auto& server : c.servers) {
    const std::string& name = server.first;
    const ServerNetworkEntry& s = server.second;
    const YamlNode* entry = root.find("servers")->find(name);
    auto check = [&](const std::string& value, auto& table, const char* key) {
      if (!value.empty() && !table.contains(value))
        diags.add(entry->find(key) ? entry->find(key)->location() : entry->location(),
                  "servers." + name + "." + key,
                  "unknown " + std::string(key) + " \"" + value + "\"");
    };
    check(s.scale_up, c.scale_up_fabrics, "scale_up");
    check(s.nic, c.nics, "nic");
    check(s.switch_name, c.switches, "switch");
  }
  return c;
}

NetworkCatalog load_network_catalog(const std::string& path) {
  return sim::config::read_file(path, [](const YamlNode& root, Diagnostics& diags) {
    Reader top(&root, "", diags);
    // in_network_reduction: read by collective_protocol.hpp (read_in_network_reduction).
    for (std::string_view s :
         {"scale_up_fabrics", "nics", "switches", "servers", "in_network_reduction"})
      (void)top.node(s, Need::optional);
    top.finish();
    return read_network_catalog(root, diags);
  });
}

RailOptimized default_rail_optimized(int servers, int gpus_per_server, const Nic& nic,
                                     const SwitchEntry& sw) {
  RailOptimized rail;
  rail.gpus_per_server = gpus_per_server;
  const int half = std::max(1, sw.ports / 2);
  rail.servers_per_unit = std::max(1, std::min(servers, half));
  const long units = (servers + rail.servers_per_unit - 1) / rail.servers_per_unit;
  const long uplinks = units * gpus_per_server * rail.servers_per_unit;
  const long needed = (uplinks + std::max(1, sw.ports) - 1) / std::max(1, sw.ports);
  // A leaf has servers_per_unit uplink ports: it reaches at most that many spines.
  rail.spines = static_cast<int>(std::clamp<long>(needed, 1, rail.servers_per_unit));
  rail.nic = nic;
  rail.oversubscription = 1;
  rail.switch_latency = sw.latency;
  return rail;
}

std::optional<NetworkSpec> read_network(Reader& r, const NetworkCatalog& catalog,
                                        const NetworkDefaults* defaults) {
  NetworkSpec spec;
  spec.where = r.location();
  spec.path = r.path();
  spec.in_plant = defaults != nullptr;
  const std::size_t problems_before = r.diagnostics().size();

  const ServerNetworkEntry* server = lookup(r, "server", catalog.servers, "server", Need::optional);
  if (!server && defaults && !r.has("server")) {
    if (auto it = catalog.servers.find(defaults->server); it != catalog.servers.end()) {
      server = &it->second;
    } else if (!r.has("scale_up")) {
      r.diagnostics().add(defaults->server_where, defaults->server_path,
                          "server \"" + defaults->server +
                              "\" has no network in scenarios/catalog/networks.yaml (servers:); "
                              "give " +
                              r.path_of("scale_up") + ", nic and switch");
    }
  }
  if (defaults) {
    // The plant's servers and GPUs; given here, they must agree (checked once sites are
    // known: `servers` is per site).
    spec.servers = defaults->servers;
    spec.gpus_per_server = defaults->gpus_per_server;
  } else {
    spec.servers = read_count(r, "servers", Need::optional, 0, 0);
    spec.gpus_per_server =
        read_count(r, "gpus_per_server", spec.servers > 0 ? Need::required : Need::optional, 1, 1);
  }

  const bool has_server = server != nullptr;
  const ScaleUpFabric* scale_up =
      lookup(r, "scale_up", catalog.scale_up_fabrics, "scale-up fabric", Need::optional);
  if (!scale_up && has_server && !r.has("scale_up"))
    if (auto it = catalog.scale_up_fabrics.find(server->scale_up);
        it != catalog.scale_up_fabrics.end())
      scale_up = &it->second;
  const NicEntry* nic = lookup(r, "nic", catalog.nics, "NIC", Need::optional);
  if (!nic && has_server && !r.has("nic"))
    if (auto it = catalog.nics.find(server->nic); it != catalog.nics.end()) nic = &it->second;
  const SwitchEntry* sw = lookup(r, "switch", catalog.switches, "switch", Need::optional);
  if (!sw && has_server && !r.has("switch"))
    if (auto it = catalog.switches.find(server->switch_name); it != catalog.switches.end())
      sw = &it->second;
  if (spec.servers > 0 && spec.gpus_per_server > 1 && !scale_up && !r.has("scale_up") &&
      (has_server || !defaults))
    r.diagnostics().add(r.location(), r.path_of("scale_up"),
                        "missing required key (or a `server` that names one)");
  if (scale_up) spec.scale_up = *scale_up;
  if (nic) {
    spec.nic.bandwidth = nic->bandwidth;
    spec.nic_optics = nic->optics;
  }
  if (sw) spec.scale_out_switch = *sw;

  if (r.has("scale_out")) {
    Reader s = r.section("scale_out", Need::optional);
    const std::string kind = s.choice("kind", kScaleOutKinds, Need::required).value_or("none");
    spec.scale_out = kind == "rail_optimized" ? ScaleOutKind::rail_optimized
                     : kind == "fat_tree"     ? ScaleOutKind::fat_tree
                                              : ScaleOutKind::none;
    if (spec.scale_out != ScaleOutKind::none) {
      if (!nic && !r.has("nic"))
        s.diagnostics().add(r.location(), r.path_of("nic"),
                            "missing required key (or a `server` that names one)");
      if (!sw && !r.has("switch"))
        s.diagnostics().add(r.location(), r.path_of("switch"),
                            "missing required key (or a `server` that names one)");
    }
    if (spec.scale_out == ScaleOutKind::rail_optimized) {
      spec.rail.gpus_per_server = spec.gpus_per_server;
      // Under a plant, spines default as default_rail_optimized() sizes them.
      const RailOptimized sized = default_rail_optimized(spec.servers, spec.gpus_per_server,
                                                         spec.nic, spec.scale_out_switch);
      spec.rail.servers_per_unit = read_count(s, "servers_per_unit", Need::optional, 1, 0);
      spec.rail.spines =
          read_count(s, "spines", defaults ? Need::optional : Need::required, 1, sized.spines);
      spec.rail.oversubscription =
          s.number("oversubscription", Need::optional, Bounds::positive()).value_or(1);
      spec.rail.nic = spec.nic;
      spec.rail.switch_latency = spec.scale_out_switch.latency;
    } else if (spec.scale_out == ScaleOutKind::fat_tree) {
      spec.fat_tree.k = read_count(s, "k", Need::required, 2, 2);
      if (spec.fat_tree.k % 2 != 0)
        s.diagnostics().add(s.node("k", Need::optional)->location(), s.path_of("k"),
                            "must be even");
      spec.fat_tree.pods = read_count(s, "pods", Need::optional, 1, 0);
      spec.fat_tree.edge_oversubscription =
          s.number("edge_oversubscription", Need::optional, Bounds::positive()).value_or(1);
      spec.fat_tree.aggregation_oversubscription =
          s.number("aggregation_oversubscription", Need::optional, Bounds::positive()).value_or(1);
      spec.fat_tree.link_bandwidth = spec.nic.bandwidth;
      spec.fat_tree.switch_latency = spec.scale_out_switch.latency;
      const long hosts = static_cast<long>(spec.servers) * spec.gpus_per_server;
      if (spec.fat_tree.k % 2 == 0 && hosts > spec.fat_tree.host_capacity())
        s.diagnostics().add(s.location(), s.path(),
                            "a k = " + std::to_string(spec.fat_tree.k) + " fat-tree of " +
                                std::to_string(spec.fat_tree.populated_pods()) + " pods has " +
                                std::to_string(spec.fat_tree.host_capacity()) +
                                " host ports, not " + std::to_string(hosts));
    }
    s.finish();
  }

  if (r.has("sites")) {
    Reader s = r.section("sites", Need::optional);
    spec.sites = read_count(s, "count", Need::required, 1, 1);
    spec.gateway_bandwidth =
        s.quantity<sim::dims::byte_rate>("gateway_bandwidth", Need::required, Bounds::positive())
            .value_or(sim::BytesPerSecond(1));
    spec.fiber_length = read_length(s, "fiber_length", Need::required).value_or(Length{});
    spec.refractive_index =
        s.number("refractive_index", Need::optional, Bounds{1.0, true, std::nullopt, true})
            .value_or(kFiberRefractiveIndex);
    s.finish();
  }
  if (defaults) {
    if (spec.servers % spec.sites != 0)
      r.diagnostics().add(r.location(), r.path_of("sites.count"),
                          "the plant's " + std::to_string(spec.servers) +
                              " servers do not split evenly over " + std::to_string(spec.sites) +
                              " sites");
    else
      spec.servers /= spec.sites;
    auto agree = [&](std::string_view key, int plant) {
      if (!r.has(key)) return;
      const int given = read_count(r, key, Need::optional, 1, plant);
      if (given != plant)
        r.diagnostics().add(r.node(key, Need::optional)->location(), r.path_of(key),
                            "must be the plant's " + std::to_string(plant) + " (got " +
                                std::to_string(given) + ")");
    };
    agree("servers", spec.servers);
    agree("gpus_per_server", spec.gpus_per_server);
    // Several servers, or several sites even of one server each: what leaves a server (for
    // the other site too) leaves through its NICs, never from its NVSwitch to the gateway.
    if (!r.has("scale_out") && (spec.servers > 1 || spec.sites > 1) && nic && sw) {
      spec.scale_out = ScaleOutKind::rail_optimized;
      spec.rail = default_rail_optimized(spec.servers, spec.gpus_per_server, spec.nic,
                                         spec.scale_out_switch);
    }
  }

  if (const YamlNode* nodes = r.node("nodes", Need::optional)) {
    for (std::size_t i = 0; i < nodes->items().size(); ++i) {
      Reader n(&nodes->items()[i], r.path_of("nodes") + "[" + std::to_string(i) + "]",
               r.diagnostics());
      ExtraNode node;
      node.where = nodes->items()[i].location();
      node.name = n.string("name", Need::required).value_or("");
      node.kind = enum_of<NodeKind>(n.choice("kind", kNodeKinds, Need::required).value_or("leaf"),
                                    kNodeKinds);
      node.latency = n.quantity<sim::dims::time>("latency", Need::optional, Bounds::non_negative())
                         .value_or(sim::Seconds(0));
      n.finish();
      spec.nodes.push_back(node);
    }
  }
  if (const YamlNode* links = r.node("links", Need::optional)) {
    for (std::size_t i = 0; i < links->items().size(); ++i) {
      const std::string path = r.path_of("links") + "[" + std::to_string(i) + "]";
      Reader l(&links->items()[i], path, r.diagnostics());
      ExtraLink link;
      link.path = path;
      link.from = l.string("from", Need::required).value_or("");
      link.to = l.string("to", Need::required).value_or("");
      if (const YamlNode* f = l.node("from", Need::optional)) link.from_where = f->location();
      if (const YamlNode* t = l.node("to", Need::optional)) link.to_where = t->location();
      link.bandwidth =
          l.quantity<sim::dims::byte_rate>("bandwidth", Need::required, Bounds::positive())
              .value_or(sim::BytesPerSecond(1));
      link.latency = l.quantity<sim::dims::time>("latency", Need::optional, Bounds::non_negative())
                         .value_or(sim::Seconds(0));
      link.length = read_length(l, "length", Need::optional);
      const std::string tier =
          l.choice("tier", kTiers, Need::optional).value_or(link.length ? "inter_site" : "access");
      link.tier = enum_of<LinkTier>(tier, kTiers);
      l.finish();
      spec.links.push_back(link);
    }
  }
  r.finish();
  if (r.diagnostics().size() != problems_before) return std::nullopt;
  return spec;
}

Topology build_network(const NetworkSpec& spec, Diagnostics& diags) {
  Topology topo;
  std::vector<NodeId> gateways;
  for (int site = 0; site < spec.sites; ++site) {
    const std::string prefix = spec.sites > 1 ? "site" + std::to_string(site) + "." : "";
    if (spec.servers == 0) continue;
    const auto gpus = add_servers(topo, prefix, spec.servers, spec.gpus_per_server, spec.scale_up);
    if (spec.scale_out == ScaleOutKind::rail_optimized)
      add_rail_optimized(topo, prefix, gpus, spec.rail);
    if (spec.scale_out == ScaleOutKind::fat_tree) add_fat_tree(topo, prefix, gpus, spec.fat_tree);
    if (spec.sites > 1)
      gateways.push_back(add_site_gateway(topo, prefix, top_switches(topo, prefix),
                                          spec.gateway_bandwidth, spec.scale_out_switch.latency));
  }
  for (std::size_t a = 0; a < gateways.size(); ++a)
    for (std::size_t b = a + 1; b < gateways.size(); ++b)
      add_fiber(topo, gateways[a], gateways[b], spec.fiber_length, spec.gateway_bandwidth,
                spec.refractive_index);

  std::map<std::string, NodeId, std::less<>> by_name;
  for (std::size_t i = 0; i < topo.node_count(); ++i)
    by_name[topo.node(static_cast<NodeId>(i)).name] = static_cast<NodeId>(i);
  std::map<NodeId, sim::config::Location> declared_at;
  for (const ExtraNode& n : spec.nodes) {
    if (by_name.contains(n.name)) {
      diags.add(n.where, spec.path + ".nodes", "a node named \"" + n.name + "\" already exists");
      continue;
    }
    const NodeId id = topo.add_node(n.kind, n.name, n.latency);
    by_name[n.name] = id;
    declared_at[id] = n.where;
  }
  std::vector<std::string> names;
  for (const auto& [name, id] : by_name) names.push_back(name);
  auto resolve = [&](const std::string& name, const sim::config::Location& where,
                     const std::string& path) -> std::optional<NodeId> {
    if (auto it = by_name.find(name); it != by_name.end()) return it->second;
    std::string message = "no node named \"" + name + "\"";
    if (auto close = sim::config::did_you_mean(name, names))
      message += " (did you mean \"" + *close + "\"?)";
    diags.add(where, path, message);
    return std::nullopt;
  };
  for (const ExtraLink& l : spec.links) {
    const auto from = resolve(l.from, l.from_where, l.path + ".from");
    const auto to = resolve(l.to, l.to_where, l.path + ".to");
    if (!from || !to) continue;
    if (*from == *to) {
      diags.add(l.to_where, l.path + ".to", "a link from \"" + l.from + "\" to itself");
      continue;
    }
    const sim::Seconds latency =
        l.latency + (l.length ? fiber_delay(*l.length, spec.refractive_index) : sim::Seconds(0));
    topo.add_cable(*from, *to, l.bandwidth, latency, l.tier);
  }
  if (!diags.empty()) return topo;

  // Every GPU must reach every other: to and from the first GPU, through switches and hosts
  // only (routing.hpp), which is what a collective over all of them needs. The builders'
  // fabrics with a scale-out are connected by construction (and a plant's may have 10^5
  // GPUs): what is checked is a network with cables or nodes given by hand, or several
  // servers or sites and no scale-out.
  const auto gpus = topo.gpus();
  const bool by_hand = !spec.nodes.empty() || !spec.links.empty();
  // A plant's servers may stand alone (`scale_out: {kind: none}`: inference servers with no
  // back-end fabric); nothing then crosses a server.
  const bool built_connected = spec.scale_out != ScaleOutKind::none ||
                               (spec.servers <= 1 && spec.sites <= 1) || spec.in_plant;
  if (gpus.size() > 1 && (by_hand || !built_connected)) {
    Router router(topo);
    std::vector<NodeId> cut_off;
    for (NodeId g : gpus.subspan(1))
      if (!router.hops(g, gpus[0]) || !router.hops(gpus[0], g)) cut_off.push_back(g);
    if (!cut_off.empty()) {
      const auto it = declared_at.find(cut_off.front());
      std::string message = "GPU \"" + topo.node(cut_off.front()).name + "\" cannot reach GPU \"" +
                            topo.node(gpus[0]).name + "\"";
      if (cut_off.size() > 1)
        message += " (" + std::to_string(cut_off.size()) + " GPUs are disconnected)";
      diags.add(it != declared_at.end() ? it->second : spec.where, spec.path, message);
    }
  }
  return topo;
}

BuiltNetwork load_network(const std::string& path, const NetworkCatalog& catalog) {
  return sim::config::read_file(path, [&](const YamlNode& root, Diagnostics& diags) {
    Reader top(&root, "", diags);
    Reader section = top.section("network", Need::required);
    std::optional<NetworkSpec> spec = read_network(section, catalog);
    if (!spec) return BuiltNetwork{};
    Topology topology = build_network(*spec, diags);
    return BuiltNetwork{std::move(*spec), std::move(topology)};
  });
}

}  // namespace models::network
