#include "models/plant/server_spec.hpp"

#include <array>

#include "models/power/power_reader.hpp"

namespace models {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Reader;

namespace {
constexpr std::array<std::string_view, 2> kCooling{"air", "liquid"};
}

sim::Watts ServerSpec::nameplate(const GpuSpec& gpu) const {
  const sim::Watts dc = max_dc_power(gpu);
  if (!psu) return dc;
  return power::stage_input(*psu, dc);
}

std::map<std::string, ServerSpec> read_servers(const sim::config::Node& root,
                                               const std::map<std::string, GpuSpec>& gpus,
                                               sim::config::Diagnostics& diags) {
  std::map<std::string, ServerSpec> out;
  const sim::config::Node* servers = root.find("servers");
  if (!servers) return out;
  Reader all(servers, "servers", diags);
  if (servers->is_mapping()) {
    for (const auto& [name, node] : servers->entries()) {
      Reader r = all.section(name, Need::required);
      ServerSpec s;
      s.name = name;
      s.where = node.location();
      s.source = r.string("source", Need::required).value_or("");
      const sim::config::Node* gpu_node = r.node("gpu", Need::optional);
      s.gpu_name = r.string("gpu", Need::required).value_or("");
      if (gpu_node && !s.gpu_name.empty() && !gpus.empty() && !gpus.count(s.gpu_name)) {
        std::vector<std::string> names;
        for (const auto& [k, v] : gpus) names.push_back(k);
        std::string msg = "unknown gpu \"" + s.gpu_name + "\"";
        if (auto near = sim::config::did_you_mean(s.gpu_name, names))
          msg += " (did you mean \"" + *near + "\"?)";
        diags.add(gpu_node->location(), r.path_of("gpu"), msg);
      }
      s.gpus =
          static_cast<int>(r.integer("gpus", Need::required, Bounds::between(1, 4096)).value_or(1));
      s.scale_up_domain = static_cast<int>(
          r.integer("scale_up_domain", Need::optional, Bounds::between(1, 4096)).value_or(s.gpus));
      if (s.gpus % s.scale_up_domain != 0) {
        const sim::config::Node* d = r.node("scale_up_domain", Need::optional);
        diags.add(d ? d->location() : r.location(), r.path_of("scale_up_domain"),
                  "must divide gpus (" + std::to_string(s.gpus) + ")");
      }
      {
        Reader o = r.section("other_power", Need::required);
        s.other_idle = o.quantity<sim::dims::power>("idle", Need::required, Bounds::non_negative())
                           .value_or(sim::Watts(0));
        s.other_max = o.quantity<sim::dims::power>("max", Need::required, Bounds::non_negative())
                          .value_or(sim::Watts(0));
        if (s.other_max < s.other_idle) {
          const sim::config::Node* m = o.node("max", Need::optional);
          diags.add(m ? m->location() : o.location(), o.path_of("max"),
                    "must be >= idle (" +
                        sim::format_quantity(s.other_idle.value(), sim::dims::power) + ")");
        }
        o.finish();
      }
      if (r.has("psu")) {
        Reader p = r.section("psu", Need::optional);
        s.psu = power::read_stage(p, power::StageContext::server_psu);
      } else {
        (void)r.node("psu", Need::optional);
      }
      s.cooling = r.choice("cooling", kCooling, Need::required).value_or("air") == "liquid"
                      ? ServerCooling::liquid
                      : ServerCooling::air;
      s.liquid_fraction =
          r.quantity("liquid_fraction", sim::dims::none,
                     s.cooling == ServerCooling::liquid ? Need::required : Need::optional,
                     Bounds::fraction())
              .value_or(0.0);
      if (r.has("host_cpu")) {
        Reader h = r.section("host_cpu", Need::optional);
        s.host_cpu = h.string("model", Need::required).value_or("unknown");
        s.host_speed =
            h.quantity("single_thread_speed", sim::dims::none, Need::required, Bounds::positive())
                .value_or(1.0);
        h.finish();
      }
      r.finish();
      out[name] = std::move(s);
    }
  }
  all.finish();
  return out;
}

}  // namespace models
