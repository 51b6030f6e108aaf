// Where servers stand: one hall of `rows` rows, each of `racks_per_row` racks, each of
// `servers_per_rack` servers. Servers, racks and rows are numbered in that order (server s
// is in rack s / servers_per_rack, rack r in row r / racks_per_row). The power tree and the
// cooling plant are both built over this layout: a stage or a CDU serves one scope instance
// (the hall, a row, a rack or a server).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace models {

enum class Scope { hall = 0, row = 1, rack = 2, server = 3 };

inline constexpr std::array<std::string_view, 4> kScopeNames{"hall", "row", "rack", "server"};

constexpr std::string_view to_string(Scope s) {
  return kScopeNames[static_cast<std::size_t>(s)];
}
constexpr std::optional<Scope> parse_scope(std::string_view s) {
  for (std::size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == s) return static_cast<Scope>(i);
  }
  return std::nullopt;
}

struct HallLayout {
  int rows = 1;
  int racks_per_row = 1;
  int servers_per_rack = 1;

  int racks() const { return rows * racks_per_row; }
  int servers() const { return racks() * servers_per_rack; }
  // How many instances of a scope the hall has.
  int count(Scope s) const {
    switch (s) {
      case Scope::hall:
        return 1;
      case Scope::row:
        return rows;
      case Scope::rack:
        return racks();
      case Scope::server:
        return servers();
    }
    return 1;
  }
  // The instance of scope `s` that server `server` belongs to.
  int instance_of(int server, Scope s) const {
    switch (s) {
      case Scope::hall:
        return 0;
      case Scope::row:
        return server / (servers_per_rack * racks_per_row);
      case Scope::rack:
        return server / servers_per_rack;
      case Scope::server:
        return server;
    }
    return 0;
  }
  // How many servers one instance of scope `s` holds.
  int servers_in(Scope s) const { return servers() / count(s); }
};

}  // namespace models
