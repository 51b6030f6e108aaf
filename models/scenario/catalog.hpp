// Hardware and LLM catalogs: the `llms:` and `gpus:` mappings of scenario files (usually
// included from scenarios/catalog/). Every entry is validated, used or not.
#pragma once

#include <array>
#include <map>
#include <string_view>
#include <string>
#include <vector>

#include "models/gpu/gpu_spec.hpp"
#include "models/plant/server_spec.hpp"
#include "models/power/chain.hpp"
#include "models/workload/llm_spec.hpp"
#include "sim/config.hpp"

namespace models {

struct Catalog {
  std::map<std::string, LlmSpec> llms;
  std::map<std::string, GpuSpec> gpus;
  std::map<std::string, ServerSpec> servers;
  std::map<std::string, power::ChainSpec> power_chains;
  std::map<std::string, sim::config::Location> llm_locations;
  std::map<std::string, sim::config::Location> gpu_locations;
};

// The top-level catalog sections a scenario (or a catalog file) may hold.
inline constexpr std::array<std::string_view, 4> kCatalogSections{"llms", "gpus", "servers",
                                                                  "power_chains"};

// Looks up the entry named by the scalar at `key` in `map`; reports an unknown name (with
// "did you mean", or which catalog file to include when none is loaded) and returns null.
// `what` is the entry's kind ("model", "gpu", "server"), `file` the shipped catalog that
// holds them ("llms.yaml").
template <class Map>
const typename Map::mapped_type* catalog_lookup(sim::config::Reader& r, std::string_view key,
                                                const Map& map, const char* what,
                                                const char* file, std::string& name_out) {
  const sim::config::Node* n = r.node(key, sim::config::Need::optional);
  const auto name = r.string(key, sim::config::Need::required);
  if (!name || !n) return nullptr;
  name_out = *name;
  auto it = map.find(*name);
  if (it != map.end()) return &it->second;
  std::vector<std::string> names;
  for (const auto& [k, v] : map) names.push_back(k);
  std::string msg = std::string("unknown ") + what + " \"" + *name + "\"";
  if (auto s = sim::config::did_you_mean(*name, names)) {
    msg += " (did you mean \"" + *s + "\"?)";
  } else if (names.empty()) {
    msg += std::string(" (no ") + what + " catalog is loaded: include scenarios/catalog/" + file +
           ")";
  }
  r.diagnostics().add(n->location(), r.path_of(key), msg);
  return nullptr;
}

// Reads the catalog sections of `root` (any may be absent); problems go to diags.
Catalog read_catalog(const sim::config::Node& root, sim::config::Diagnostics& diags);

// Loads catalog files (each a mapping with optional catalog sections; other top-level keys
// are errors) and merges them; the first file naming an entry wins. Throws
// sim::config::InputError with every problem.
Catalog load_catalog_files(const std::vector<std::string>& files);

LlmSpec read_llm(sim::config::Reader& r, const std::string& name);
GpuSpec read_gpu(sim::config::Reader& r, const std::string& name);

}  // namespace models
