// `firstwall walls`: for each resource, the smallest value of one axis at which it is hit
// (models/study/walls.hpp), ranked, into walls.h5. Sets `exit_code` to 1 when runs failed.
#pragma once

#include <CLI/CLI.hpp>

namespace cli {

void add_walls_command(CLI::App& app, int& exit_code);

}  // namespace cli
