#include "models/workload/training/fabric_file.hpp"

#include "sim/config.hpp"

namespace models::training {

LinkTier read_link_tier(sim::config::Reader& parent, const char* key, LinkTier tier, bool need) {
  using sim::config::Bounds;
  using sim::config::Need;
  const Need n = need ? Need::required : Need::optional;
  sim::config::Reader r = parent.section(key, n);
  if (auto v = r.quantity("bandwidth", sim::dims::byte_rate, n, Bounds::positive()))
    tier.bandwidth = sim::BytesPerSecond(*v);
  if (auto v = r.quantity("step_latency", sim::dims::time, n, Bounds::non_negative()))
    tier.step_latency = sim::Seconds(*v);
  if (auto v = r.quantity("efficiency", sim::dims::none, n, Bounds{0.0, false, 1.0, true}))
    tier.efficiency = *v;
  r.finish();
  return tier;
}

Fabric read_fabric_file(const std::string& path) {
  return sim::config::read_file(
      path, [&](const sim::config::Node& root, sim::config::Diagnostics& diags) {
        sim::config::Reader top(&root, "", diags);
        sim::config::Reader r = top.section("fabric", sim::config::Need::required);
        Fabric f;
        f.name = r.string("name", sim::config::Need::optional).value_or("plant");
        f.source = path;
        if (auto g = r.integer("gpus_per_node", sim::config::Need::required,
                               sim::config::Bounds::at_least(1)))
          f.gpus_per_node = static_cast<int>(*g);
        f.scale_up = read_link_tier(r, "scale_up", LinkTier{}, true);
        f.scale_out = read_link_tier(r, "scale_out", LinkTier{}, true);
        r.finish();
        top.finish();
        return f;
      });
}

}  // namespace models::training
