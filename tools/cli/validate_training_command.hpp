// `firstwall validate training`: simulated training steps against published runs
// (validate_training_command.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace cli {

// Adds `training` under the `validate` command.
void add_validate_training_command(CLI::App& validate);

}  // namespace cli
