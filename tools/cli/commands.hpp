// Sub-command families of the firstwall CLI, each in its own file. Each adds its
// sub-commands to `parent` with a callback that runs the command; bad input is thrown as
// sim::config::InputError (exit code 2), anything else as std::exception (exit code 1).
#pragma once

#include <CLI/CLI.hpp>

namespace cli {

// `firstwall kernels fit|validate`: cost models fitted from measured tables, and their
// prediction error on any measured table (kernels_cost_command.cpp).
void add_kernels_cost_commands(CLI::App& kernels);

// `firstwall kernels measure|selfcheck`: measure this host's kernels; predict and check the
// reference transformer (kernels_measure_command.cpp).
void add_kernels_measure_commands(CLI::App& kernels);

// `firstwall validate splitwise`: simulated batches against measured end-to-end timings
// (validate_command.cpp).
void add_validate_commands(CLI::App& app);

}  // namespace cli
