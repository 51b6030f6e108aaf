// Data files named in a scenario are relative to the YAML file that names them.
#pragma once

#include <filesystem>
#include <string>

#include "sim/config.hpp"

namespace models {

inline std::string resolve_relative(const sim::config::Location& where, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || where.file.empty() || where.file == "--set") return path;
  return (std::filesystem::path(where.file).parent_path() / p).lexically_normal().string();
}

}  // namespace models
