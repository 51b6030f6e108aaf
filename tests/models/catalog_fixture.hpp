// Loads the shipped catalogs for model tests.
#pragma once

#include <string>

#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"

namespace test {

inline models::Catalog shipped_catalog() {
  const std::string dir = std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/catalog/";
  return models::load_catalog_files({dir + "llms.yaml", dir + "gpus.yaml"});
}

}  // namespace test
