#include "models/scenario/scenario.hpp"

#include <fmt/format.h>

#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"
#include "sim/quantity.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Diagnostics;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

namespace {

std::vector<std::string> kind_names() {
  std::vector<std::string> names;
  for (const WorkloadKind& k : workload_kinds()) names.emplace_back(k.name);
  return names;
}

}  // namespace

ScenarioSpec load_scenario(const std::string& path, const LoadOptions& options) {
  Diagnostics diags;
  Node root = sim::config::load_file(path, diags);
  if (!diags.empty()) throw sim::config::InputError(diags);
  return load_scenario_tree(std::move(root), path, options);
}

ScenarioSpec load_scenario_tree(Node root, const std::string& path, const LoadOptions& options) {
  Diagnostics diags;
  int index = 0;
  for (const std::string& o : options.overrides)
    sim::config::apply_override(root, o, ++index, diags);
  // --seed is part of the scenario that ran: the resolved text stored with the results says
  // so, so that the file alone reproduces the run.
  if (options.seed)
    sim::config::apply_override(root, fmt::format("seed={}", *options.seed), ++index, diags);
  if (!diags.empty()) throw sim::config::InputError(diags);

  ScenarioSpec s;
  s.file = path;
  s.resolved_yaml = sim::config::to_yaml(root);
  const Catalog catalog = read_catalog(root, diags);

  Reader top(&root, "", diags);
  for (std::string_view section : kCatalogSections) (void)top.node(section, Need::optional);
  s.name = top.string("name", Need::required).value_or("");
  s.seed = static_cast<std::uint64_t>(
      top.integer("seed", Need::optional, Bounds::between(0, 9.2e18)).value_or(0));

  {
    Reader sim_r = top.section("simulation", Need::required);
    const Bounds horizon = Bounds{0.0, false, 100.0 * 365 * 86400, true};
    s.duration = sim::Duration::from_seconds(
        sim_r.quantity<sim::dims::time>("duration", Need::required, horizon)
            .value_or(sim::Seconds(1)));
    s.drain = sim::Duration::from_seconds(
        sim_r
            .quantity<sim::dims::time>("drain", Need::optional,
                                       Bounds{0.0, true, horizon.max, true})
            .value_or(sim::Seconds(0)));
    sim_r.finish();
  }
  {
    Reader w = top.section("walls", Need::optional);
    s.walls.threshold =
        w.quantity("threshold", sim::dims::none, Need::optional, Bounds{0.0, false, 10.0, true})
            .value_or(1.0);
    s.walls.window = sim::Duration::from_seconds(
        w.quantity<sim::dims::time>("window", Need::optional, Bounds{1e-6, true, 86400.0, true})
            .value_or(sim::Seconds(1)));
    w.finish();
  }

  std::optional<PlantSpec> plant;
  {
    Reader p = top.section("plant", Need::required);
    plant = read_plant(p, catalog);
  }
  {
    Reader w = top.section("workload", Need::required);
    const std::vector<std::string> names = kind_names();
    std::vector<std::string_view> views(names.begin(), names.end());
    const auto kind = w.choice("kind", views, Need::required);
    const WorkloadKind* found = nullptr;
    for (const WorkloadKind& k : workload_kinds()) {
      if (kind && k.name == *kind) found = &k;
    }
    if (found) {
      WorkloadReadContext context{.catalog = catalog, .duration = s.duration};
      if (plant) {
        context.gpu = &plant->gpu;
        context.gpus_per_domain = plant->server.scale_up_domain;
        context.gpus_in_plant = plant->gpus();
        context.host_speed = plant->server.host_speed;
        context.plant_location = plant->where;
        context.plant = &*plant;
      }
      s.workload = found->read(w, context);
      w.finish();  // an unknown kind was reported; its keys would only add noise
    }
  }
  top.finish();
  if (!diags.empty()) throw sim::config::InputError(diags);
  s.plant = std::move(*plant);
  return s;
}

}  // namespace models
