// libFuzzer target: the first half of the scenario loader (sim/config.hpp), which every
// scenario, study and catalog file goes through: YAML text -> yaml-cpp events -> a located
// tree (duplicate keys, non-scalar keys, tabs, several documents, includes resolved
// relative to tests/fixtures/scenarios), then the tree written back as YAML and read again,
// and a `--set` override applied. It must return a tree or located diagnostics, never crash,
// hang or read out of bounds. (fuzz_scenario adds the second half: every key read and checked
// against the catalogs.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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
  // The resolved text is what a sweep stores and re-reads: it must load again.
  const std::string yaml = sim::config::to_yaml(root);
  sim::config::Diagnostics again;
  (void)sim::config::load_string(yaml, file, again);
  if (!again.empty()) {
    // A tree that cannot be written back as YAML it reads is a bug: let the fuzzer see it.
    __builtin_trap();
  }
  // An override of the first line's key path, as `--set` takes it.
  const std::size_t eol = text.find('\n');
  sim::config::apply_override(root, text.substr(0, eol), 1, diags);
  (void)diags.str();
  return 0;
}
