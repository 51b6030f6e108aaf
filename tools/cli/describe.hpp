// `firstwall describe model|gpu NAME`: derived properties as YAML.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace cli {

// Loads the catalogs, prints the entry's derived properties. Throws InputError for bad
// catalogs or unknown names.
void describe(std::ostream& out, const std::string& what, const std::string& name,
              const std::vector<std::string>& catalog_files, const std::string& dtype);

}  // namespace cli
