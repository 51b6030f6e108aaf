#include "models/scenario/scenario.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"
#include "sim/quantity.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Diagnostics;
using sim::config::Location;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

namespace {

std::vector<std::string> kind_names() {
  std::vector<std::string> names;
  for (const WorkloadKind& k : workload_kinds()) names.emplace_back(k.name);
  return names;
}

// One workload section (`workload:` or an entry of `workloads:`): its kind's reader reads
// the rest. Null when its kind is unknown or nothing usable could be read.
std::shared_ptr<const WorkloadSpec> read_workload(Reader& w, const WorkloadReadContext& context) {
  const std::vector<std::string> names = kind_names();
  std::vector<std::string_view> views(names.begin(), names.end());
  const auto kind = w.choice("kind", views, Need::required);
  const WorkloadKind* found = nullptr;
  for (const WorkloadKind& k : workload_kinds()) {
    if (kind && k.name == *kind) found = &k;
  }
  if (!found) return nullptr;
  std::shared_ptr<const WorkloadSpec> spec = found->read(w, context);
  w.finish();  // an unknown kind was reported; its keys would only add noise
  return spec;
}

// A workload's name names its walls, metrics, GPU groups and HDF5 group: a plain identifier
// keeps it a valid name in each of them (no dot: the dot ends the prefix).
bool valid_workload_name(std::string_view n) {
  if (n.empty() || n.front() < 'a' || n.front() > 'z') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The plant's placement rule (Plant::place, models/plant/plant.cpp) on GPU counts alone:
// within one request each group goes to the first server, from the previous group's on,
// with `size` idle GPUs; each request starts again from the first server. False when a
// group finds no server.
bool place_on(std::vector<int>& idle, const GpuRequest& r) {
  std::size_t server = 0;
  for (int i = 0; i < r.count; ++i) {
    while (server < idle.size() && idle[server] < r.size) ++server;
    if (server == idle.size()) return false;
    idle[server] -= r.size;
  }
  return true;
}

std::string describe_request(const GpuRequest& r) {
  return fmt::format("{} GPUs ({} group(s) of {})", static_cast<std::int64_t>(r.count) * r.size,
                     r.count, r.size);
}

// `workloads:`: a list of named workload sections, placed in order, each on the GPUs the
// earlier ones left (workload_set.hpp).
std::vector<NamedWorkloadSpec> read_workloads(const Node& list, const std::string& path,
                                              const WorkloadReadContext& context,
                                              const std::optional<PlantSpec>& plant,
                                              Diagnostics& diags) {
  std::vector<NamedWorkloadSpec> out;
  if (!list.is_sequence()) {
    diags.add(list.location(), path,
              fmt::format("must be a list of workload sections, each with a name and a kind (got "
                          "{})",
                          sim::config::kind_name(list.kind())));
    return out;
  }
  if (list.items().empty()) {
    diags.add(list.location(), path, "must list at least one workload");
    return out;
  }
  std::vector<int> idle;
  if (plant) idle.assign(static_cast<std::size_t>(plant->layout.servers()), plant->server.gpus);
  std::vector<std::pair<std::string, GpuRequest>> asked;
  bool fits = plant.has_value(), reported = false;
  for (std::size_t i = 0; i < list.items().size(); ++i) {
    const Node& item = list.items()[i];
    const std::string item_path = fmt::format("{}[{}]", path, i);
    Reader named(&item, item_path, diags);  // reports an item that is not a mapping
    if (!item.is_mapping()) continue;
    const std::optional<std::string> name = named.string("name", Need::required);
    if (name) {
      const Location at = named.node("name", Need::optional)->location();
      if (!valid_workload_name(*name)) {
        diags.add(at, named.path_of("name"),
                  fmt::format("must match [a-z][a-z0-9_]* (got \"{}\")", *name));
      } else {
        for (std::size_t j = 0; j < out.size(); ++j) {
          if (out[j].name == *name)
            diags.add(at, named.path_of("name"),
                      fmt::format("\"{}\" is already the name of {}[{}]", *name, path, j));
        }
      }
    }
    // The section as its kind reads it, with `gpus` GPUs to use; its problems in `d`.
    auto read_with = [&](int gpus, Diagnostics& d) {
      Reader w(&item, item_path, d);
      (void)w.node("name", Need::optional);
      WorkloadReadContext c = context;
      c.gpus_in_plant = gpus;
      return read_workload(w, c);
    };
    // On the GPUs the earlier workloads left. A section that reads well on the whole plant
    // but not on what is left asks for more than is left: said once, with what each asks for
    // (its reader would say "the plant has" what is left, or that a default of what is left
    // does not fill whole domains).
    int left = 0;
    for (int g : idle) left += g;
    Diagnostics on_left;
    std::shared_ptr<const WorkloadSpec> spec =
        read_with(fits ? left : context.gpus_in_plant, on_left);
    std::optional<GpuRequest> request;
    if (spec && on_left.empty()) {
      request = spec->gpus();
      if (fits && !place_on(idle, *request)) fits = false;  // the rule's remnants (place_on)
    } else if (fits) {
      Diagnostics on_whole;
      std::shared_ptr<const WorkloadSpec> whole = read_with(context.gpus_in_plant, on_whole);
      if (whole && on_whole.empty()) {
        request = whole->gpus();
        fits = false;
      } else {
        for (const sim::config::Diagnostic& d : on_whole.sorted())
          diags.add(d.where, d.path, d.message);
      }
    } else {
      for (const sim::config::Diagnostic& d : on_left.sorted())
        diags.add(d.where, d.path, d.message);
    }
    if (request) asked.emplace_back(name.value_or(item_path), *request);
    if (plant && !fits && request && !reported) {
      std::string each;
      for (const auto& [n, r] : asked)
        each += fmt::format("{}{} asks for {}", each.empty() ? "" : ", ", n, describe_request(r));
      diags.add(item.location(), item_path,
                fmt::format("the workloads do not fit the plant's {} GPUs ({} servers of {}) "
                            "together: {}",
                            plant->gpus(), plant->layout.servers(), plant->server.gpus, each));
      reported = true;  // said once, at the first workload that does not fit
    }
    if (spec && name) out.push_back({*name, std::move(spec)});
  }
  return out;
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
    WorkloadReadContext context{.catalog = catalog, .duration = s.duration};
    if (plant) {
      context.gpu = &plant->gpu;
      context.gpus_per_domain = plant->server.scale_up_domain;
      context.gpus_in_plant = plant->gpus();
      context.host_speed = plant->server.host_speed;
      context.plant_location = plant->where;
      context.plant = &*plant;
    }
    // `workload:` (one) or `workloads:` (several sharing the plant), never both.
    const Node* list = top.node("workloads", Need::optional);
    if (list && !list->is_null()) {
      if (top.has("workload")) {
        // Said at `workload`: the one a --set (workload.x=...) may have added to a list.
        diags.add(top.node("workload", Need::optional)->location(), "workload",
                  "give either workload (one workload) or workloads (a list of named ones), not "
                  "both");
      } else {
        s.workloads = read_workloads(*list, "workloads", context, plant, diags);
      }
    } else if (!top.has("workload")) {
      diags.add(root.location(), "workload",
                "missing required key (or workloads: a list of named workload sections)");
    } else {
      Reader w = top.section("workload", Need::required);
      s.workload = read_workload(w, context);
    }
  }
  top.finish();
  if (!diags.empty()) throw sim::config::InputError(diags);
  s.plant = std::move(*plant);
  return s;
}

}  // namespace models
