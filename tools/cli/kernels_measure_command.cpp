#include "tools/cli/commands.hpp"

namespace cli {

void add_kernels_measure_commands(CLI::App& kernels) { (void)kernels; }

}  // namespace cli
