#include "models/workload/training/fabric_file.hpp"

#include "sim/config.hpp"

namespace models::training {

namespace {

LinkTier read_tier(sim::config::Reader& parent, const char* key) {
  using sim::config::Bounds;
  using sim::config::Need;
  sim::config::Reader r = parent.section(key, Need::required);
  LinkTier t;
  if (auto v = r.quantity("bandwidth", sim::dims::byte_rate, Need::required, Bounds::positive()))
    t.bandwidth = sim::BytesPerSecond(*v);
  if (auto v = r.quantity("step_latency", sim::dims::time, Need::required, Bounds::non_negative()))
    t.step_latency = sim::Seconds(*v);
  if (auto v = r.quantity("efficiency", sim::dims::none, Need::required,
                          Bounds{0.0, false, 1.0, true}))
    t.efficiency = *v;
  r.finish();
  return t;
}

}  // namespace

Fabric read_fabric_file(const std::string& path) {
  return sim::config::read_file(path, [&](const sim::config::Node& root,
                                          sim::config::Diagnostics& diags) {
    sim::config::Reader top(&root, "", diags);
    sim::config::Reader r = top.section("fabric", sim::config::Need::required);
    Fabric f;
    f.name = r.string("name", sim::config::Need::optional).value_or("plant");
    f.source = path;
    if (auto g = r.integer("gpus_per_node", sim::config::Need::required,
                           sim::config::Bounds::at_least(1)))
      f.gpus_per_node = static_cast<int>(*g);
    f.scale_up = read_tier(r, "scale_up");
    f.scale_out = read_tier(r, "scale_out");
    r.finish();
    top.finish();
    return f;
  });
}

}  // namespace models::training
