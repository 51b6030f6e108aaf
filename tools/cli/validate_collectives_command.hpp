// `firstwall validate collectives`: simulated collectives against Vidur-format NCCL
// measurements (validate_collectives_command.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace cli {

// Adds `collectives` under the `validate` command.
void add_validate_collectives_command(CLI::App& validate);

}  // namespace cli
