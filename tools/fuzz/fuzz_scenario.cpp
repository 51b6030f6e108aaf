// libFuzzer target: the scenario loader on arbitrary YAML text, as `firstwall check` reads a
// file: the located tree (yaml-cpp events, includes), then every key of the scenario read
// and validated against the catalogs of the data directory. It must return a spec or throw
// sim::config::InputError with located messages, never crash, hang or read out of bounds.
//
// The text is loaded as if it were the file tests/fixtures/scenarios/fuzz.yaml, so the
// fixtures' relative includes (and the CSVs they name) resolve.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "models/scenario/scenario.hpp"
#include "sim/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string file = std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/fuzz.yaml";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sim::config::Diagnostics diags;
  sim::config::Node root = sim::config::load_string(text, file, diags);
  if (!diags.empty()) {
    (void)diags.str();
    return 0;
  }
  try {
    const models::ScenarioSpec spec = models::load_scenario_tree(std::move(root), file);
    (void)spec.resolved_yaml.size();
  } catch (const sim::config::InputError& e) {
    for (const auto& d : e.diagnostics()) (void)d.str();
  }
  return 0;
}
