// The rule every command that writes a file applies to its output path, before anything runs.
#pragma once

#include <string>

namespace cli {

// `out` must name a file in a folder that exists or can be made; otherwise it is bad input
// (sim::config::InputError located at `option`, exit code 2). Creates the missing folders.
void prepare_output(const std::string& out, const std::string& option = "-o");

}  // namespace cli
