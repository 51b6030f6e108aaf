// `firstwall report FILE.h5 -o report.html`: one self-contained HTML page of a run, a sweep or
// a wall search, drawn by the Python package tools/analysis/firstwall (report_command.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace cli {

// Sets `exit_code` to 2 when the file is not a firstwall result (the package says why).
void add_report_command(CLI::App& app, int& exit_code);

}  // namespace cli
