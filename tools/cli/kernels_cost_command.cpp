#include "tools/cli/commands.hpp"

namespace cli {

void add_kernels_cost_commands(CLI::App& kernels) { (void)kernels; }

}  // namespace cli
