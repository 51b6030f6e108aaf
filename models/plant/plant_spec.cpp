#include "models/plant/plant_spec.hpp"

#include <array>

#include <fmt/format.h>

#include "models/common/paths.hpp"
#include "models/gpu/gpu_power_calibration.hpp"
#include "models/power/power_reader.hpp"
#include "models/scenario/catalog.hpp"
#include "sim/data_dir.hpp"
#include "sim/quantity.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

namespace {

constexpr std::array<std::string_view, 2> kCooling{"air", "liquid"};
constexpr std::array<std::string_view, 2> kCoupling{"full", "none"};

std::string watts(sim::Watts w) {
  return sim::format_quantity(w.value(), sim::dims::power, 4);
}

// The network of the plant (models/network): the catalog server's fabric from
// scenarios/catalog/networks.yaml over the layout's servers, or `plant.network:` over the
// same defaults. Built here so that a bad topology is an input error before anything runs.
void read_plant_network(Reader& r, PlantSpec& p, const std::string& server_name,
                        sim::config::Diagnostics& diags) {
  const sim::config::Node* server_node = r.node("server", Need::optional);
  Reader n = r.section("network", Need::optional);
  const long gpus = static_cast<long>(p.layout.servers()) * p.server.gpus;
  if (!r.has("network") && gpus > kMaxNetworkGpus) return;  // too large to build by default
  network::NetworkCatalog catalog;
  try {
    catalog =
        network::load_network_catalog(sim::data_path("scenarios/catalog/networks.yaml").string());
  } catch (const sim::config::InputError& e) {
    for (const auto& d : e.diagnostics()) diags.add(d.where, d.path, d.message);
    return;
  }
  // A server the network catalog does not know (e.g. a test's own) gets no network unless
  // the scenario describes one.
  if (!r.has("network") && !catalog.servers.contains(server_name)) return;
  network::NetworkDefaults defaults{server_name, p.layout.servers(), p.server.gpus,
                                    server_node ? server_node->location() : r.location(),
                                    r.path_of("server")};
  const std::size_t before = diags.size();
  std::optional<network::NetworkSpec> spec = network::read_network(n, catalog, &defaults);
  if (!spec || diags.size() != before) return;
  if (static_cast<long>(spec->servers) * spec->sites * spec->gpus_per_server > kMaxNetworkGpus) {
    diags.add(n.location(), n.path(),
              fmt::format("more than {} GPUs: too large a network to build", kMaxNetworkGpus));
    return;
  }
  network::Topology topology = network::build_network(*spec, diags);
  if (diags.size() != before) return;
  // Port power needs a switch port speed; a scale-up-only network has no ports to price.
  if (spec->scale_out_switch.port_speed.value() > 0)
    p.network_power = network::network_power(topology, spec->port_power());
  p.network = std::make_shared<const network::NetworkSpec>(std::move(*spec));
  p.topology = std::make_shared<const network::Topology>(std::move(topology));
}

}  // namespace

std::optional<PlantSpec> read_plant(Reader& r, const Catalog& catalog) {
  sim::config::Diagnostics& diags = r.diagnostics();
  PlantSpec p;
  p.where = r.location();
  std::string server_name;
  const ServerSpec* server =
      catalog_lookup(r, "server", catalog.servers, "server", "servers.yaml", server_name);
  const GpuSpec* gpu = nullptr;
  if (server) {
    auto it = catalog.gpus.find(server->gpu_name);
    if (it == catalog.gpus.end()) {
      diags.add(server->where, "servers." + server_name + ".gpu",
                "unknown gpu \"" + server->gpu_name + "\" (no gpu catalog entry of that name)");
    } else {
      gpu = &it->second;
      p.server = *server;
      p.gpu = *gpu;
    }
  }
  {
    Reader l = r.section("layout", Need::required);
    const Bounds count = Bounds::between(1, 1e5);
    p.layout.rows = static_cast<int>(l.integer("rows", Need::optional, count).value_or(1));
    p.layout.racks_per_row =
        static_cast<int>(l.integer("racks_per_row", Need::required, count).value_or(1));
    p.layout.servers_per_rack =
        static_cast<int>(l.integer("servers_per_rack", Need::required, count).value_or(1));
    if (static_cast<double>(p.layout.servers()) > 1e6) {
      diags.add(l.location(), l.path(), "more than 1,000,000 servers");
    }
    l.finish();
  }
  const std::string cooling_name =
      r.choice("server_cooling", kCooling, Need::optional)
          .value_or(server && server->cooling == ServerCooling::liquid ? "liquid" : "air");
  p.server_cooling = cooling_name == "liquid" ? ServerCooling::liquid : ServerCooling::air;
  if (server && p.server_cooling == ServerCooling::liquid && server->liquid_fraction <= 0) {
    const Node* n = r.node("server_cooling", Need::optional);
    diags.add(n ? n->location() : r.location(), r.path_of("server_cooling"),
              "server " + server_name +
                  " has no liquid-cooled build in the catalog (its liquid_fraction is not given)");
  }
  p.coupling = r.choice("coupling", kCoupling, Need::optional).value_or("full") == "none"
                   ? Coupling::none
                   : Coupling::full;

  if (server)
    read_plant_network(r, p, server_name, diags);
  else
    (void)r.node("network", Need::optional);

  // The GPU power limit: a power, or a share of TDP.
  if (const Node* n = r.node("gpu_power_limit", Need::optional); n && n->is_scalar() && gpu) {
    auto as_power = sim::parse_quantity(n->scalar(), sim::dims::power);
    auto as_share = sim::parse_quantity(n->scalar(), sim::dims::none);
    if (std::holds_alternative<double>(as_power)) {
      p.gpu_power_limit = sim::Watts(std::get<double>(as_power));
    } else if (std::holds_alternative<double>(as_share) &&
               n->scalar().find('%') != std::string::npos) {
      p.gpu_power_limit = gpu->tdp * std::get<double>(as_share);
    } else {
      diags.add(n->location(), r.path_of("gpu_power_limit"),
                "expected a power (e.g. \"600 W\") or a share of TDP (e.g. \"70 %\"), got \"" +
                    n->scalar() + "\"");
    }
    if (p.gpu_power_limit.value() > 0 &&
        (p.gpu_power_limit < gpu->min_power_limit || p.gpu_power_limit > gpu->max_power_limit)) {
      diags.add(n->location(), r.path_of("gpu_power_limit"),
                fmt::format("must be between {} and {}, the limits {} accepts (got \"{}\")",
                            watts(gpu->min_power_limit), watts(gpu->max_power_limit), gpu->name,
                            n->scalar()));
    }
  } else if (gpu) {
    p.gpu_power_limit = gpu->tdp;
  }

  if (const Node* n = r.node("gpu_power_calibration", Need::optional)) {
    if (auto path = r.string("gpu_power_calibration", Need::optional))
      p.power_calibration_file = resolve_relative(n->location(), *path);
  }

  if (server && gpu) {
    const sim::Watts nameplate = server->nameplate(*gpu);
    if (const Node* n = r.node("rack_power_limit", Need::optional)) {
      p.rack_power_limit =
          r.quantity<sim::dims::power>("rack_power_limit", Need::optional, Bounds::positive());
      const sim::Watts rack = nameplate * static_cast<double>(p.layout.servers_per_rack);
      if (p.rack_power_limit && rack > *p.rack_power_limit) {
        diags.add(n->location(), r.path_of("rack_power_limit"),
                  fmt::format("{} servers of {} have a nameplate of {} per rack, above the limit "
                              "of {}: the rack is over its limit by construction",
                              p.layout.servers_per_rack, server_name, watts(rack),
                              watts(*p.rack_power_limit)));
      }
    }
    if (r.has("cooling")) {
      Reader c = r.section("cooling", Need::optional);
      p.cooling = cooling::read_cooling(c);
      if (p.server_cooling == ServerCooling::liquid && !p.cooling->cdu) {
        diags.add(c.location(), c.path_of("cdu"),
                  "missing: the servers are liquid-cooled (plant.server_cooling), so their "
                  "coolant needs a CDU");
      }
      if (!gpu->thermal) {
        diags.add(c.location(), c.path(),
                  "gpu " + gpu->name +
                      " has no thermal block in the catalog, so its "
                      "temperature cannot be modelled");
      } else if (p.server_cooling == ServerCooling::liquid && !gpu->thermal->cold_plate) {
        diags.add(c.location(), c.path(),
                  "gpu " + gpu->name + " has no cold plate in the catalog (thermal.cold_plate)");
      } else if (p.server_cooling == ServerCooling::air && !gpu->thermal->air) {
        diags.add(c.location(), c.path(),
                  "gpu " + gpu->name +
                      " has no air path in the catalog (thermal.air): it is "
                      "liquid-cooled only; set plant.server_cooling: liquid");
      }
    } else {
      (void)r.node("cooling", Need::optional);
    }
    if (r.has("power")) {
      Reader pw = r.section("power", Need::optional);
      p.power = power::read_power(pw, catalog.power_chains);
      const power::StageSpec* psu = server->psu ? &*server->psu : nullptr;
      p.power_stages = power::resolve_chain(p.power->chain, p.layout, psu, nameplate, diags);
    } else {
      (void)r.node("power", Need::optional);
    }
  } else {
    (void)r.node("rack_power_limit", Need::optional);
    (void)r.node("power", Need::optional);
    (void)r.node("cooling", Need::optional);
  }
  r.finish();
  if (!server || !gpu) return std::nullopt;

  try {
    const std::string file = p.power_calibration_file.empty() ? default_gpu_power_calibration_path()
                                                              : p.power_calibration_file;
    p.power_coefficients = read_gpu_power_calibration(file).coefficients;
  } catch (const sim::config::InputError& e) {
    for (const auto& d : e.diagnostics()) diags.add(d.where, d.path, d.message);
  }
  return p;
}

}  // namespace models
