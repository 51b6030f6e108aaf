// Loads the shipped catalogs for model tests.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"

namespace test {

inline models::Catalog shipped_catalog() {
  sim::config::Diagnostics diags;
  models::Catalog all;
  for (const char* f : {"/scenarios/catalog/llms.yaml", "/scenarios/catalog/gpus.yaml"}) {
    const sim::config::Node root = sim::config::load_file(std::string(FIRSTWALL_SOURCE_DIR) + f, diags);
    models::Catalog c = models::read_catalog(root, diags);
    all.llms.merge(c.llms);
    all.gpus.merge(c.gpus);
  }
  EXPECT_TRUE(diags.empty()) << diags.str();
  return all;
}

}  // namespace test
