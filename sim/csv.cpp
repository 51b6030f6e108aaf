#include "sim/csv.hpp"

#include <charconv>
#include <fstream>

namespace sim::csv {

namespace {

void split(const std::string& line, std::vector<std::string>& cells, std::vector<int>& columns) {
  cells.clear();
  columns.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    const std::size_t end = comma == std::string::npos ? line.size() : comma;
    std::size_t a = start, b = end;
    while (a < b && (line[a] == ' ' || line[a] == '\t')) ++a;
    while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r')) --b;
    cells.push_back(line.substr(a, b - a));
    columns.push_back(static_cast<int>(start) + 1);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

}  // namespace

std::optional<std::size_t> Table::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<Table> read(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ":1:1: cannot read file";
    return std::nullopt;
  }
  Table t;
  t.path = path;
  std::string line;
  int n = 0;
  std::vector<int> ignored;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      split(line, t.header, ignored);
      continue;
    }
    if (line.empty() || line == "\r") continue;
    Row r;
    r.line = n;
    split(line, r.cells, r.columns);
    t.rows.push_back(std::move(r));
  }
  if (n == 0) {
    error = path + ":1:1: empty file (expected a header line)";
    return std::nullopt;
  }
  return t;
}

bool parse_double(const std::string& cell, double& out) {
  const char* end = cell.data() + cell.size();
  auto [p, ec] = std::from_chars(cell.data(), end, out);
  return ec == std::errc() && p == end && !cell.empty();
}

bool parse_int(const std::string& cell, long long& out) {
  const char* end = cell.data() + cell.size();
  auto [p, ec] = std::from_chars(cell.data(), end, out);
  return ec == std::errc() && p == end && !cell.empty();
}

std::string where(const Table& t, const Row& r, std::size_t cell) {
  const int col = cell < r.columns.size() ? r.columns[cell] : 1;
  return t.path + ":" + std::to_string(r.line) + ":" + std::to_string(col) + ": ";
}

}  // namespace sim::csv
