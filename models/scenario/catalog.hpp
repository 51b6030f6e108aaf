// Hardware and LLM catalogs: the `llms:` and `gpus:` mappings of scenario files (usually
// included from scenarios/catalog/). Every entry is validated, used or not.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/gpu/gpu_spec.hpp"
#include "models/workload/llm_spec.hpp"
#include "sim/config.hpp"

namespace models {

struct Catalog {
  std::map<std::string, LlmSpec> llms;
  std::map<std::string, GpuSpec> gpus;
  std::map<std::string, sim::config::Location> llm_locations;
  std::map<std::string, sim::config::Location> gpu_locations;
};

// Reads the `llms` and `gpus` sections of `root` (either may be absent); problems go to diags.
Catalog read_catalog(const sim::config::Node& root, sim::config::Diagnostics& diags);

// Loads catalog files (each a mapping with optional `llms:` and `gpus:` sections; other
// top-level keys are errors) and merges them; the first file naming an entry wins. Throws
// sim::config::InputError with every problem.
Catalog load_catalog_files(const std::vector<std::string>& files);

LlmSpec read_llm(sim::config::Reader& r, const std::string& name);
GpuSpec read_gpu(sim::config::Reader& r, const std::string& name);

}  // namespace models
