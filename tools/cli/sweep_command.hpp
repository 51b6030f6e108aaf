// `firstwall sweep`: a base scenario expanded along axes, run in parallel, into sweep.h5
// (models/study/). Sets `exit_code` to 1 when the sweep finished but some points failed.
#pragma once

#include <CLI/CLI.hpp>

namespace cli {

void add_sweep_command(CLI::App& app, int& exit_code);

}  // namespace cli
