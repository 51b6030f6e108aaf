// A small reader of comma-separated tables with a header line (no quoting: the measured
// data this project reads has none), keeping line and column numbers for messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sim::csv {

struct Row {
  int line = 0;                    // 1-based line number in the file
  std::vector<std::string> cells;  // trimmed
  std::vector<int> columns;        // 1-based column (character) where each cell starts
};

struct Table {
  std::string path;
  std::vector<std::string> header;
  std::vector<Row> rows;  // blank lines skipped

  // Index of a header name, or nullopt.
  std::optional<std::size_t> column(const std::string& name) const;
};

// Reads `path`. On failure returns nullopt and sets `error` to "path:1:1: message".
std::optional<Table> read(const std::string& path, std::string& error);

// Parses a whole cell as a number; false if it is not one (or has trailing text).
bool parse_double(const std::string& cell, double& out);
bool parse_int(const std::string& cell, long long& out);

// "path:line:col: " for a cell, for messages.
std::string where(const Table& t, const Row& r, std::size_t cell);

}  // namespace sim::csv
