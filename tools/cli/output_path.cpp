#include "tools/cli/output_path.hpp"

#include <filesystem>
#include <system_error>

#include "sim/config.hpp"

namespace cli {

void prepare_output(const std::string& out, const std::string& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(out, ec)) {
    throw sim::config::InputError({option, 1, 1}, "", "\"" + out + "\" is a folder, not a file");
  }
  const fs::path parent = fs::path(out).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec || !fs::is_directory(parent)) {
      throw sim::config::InputError({option, 1, 1}, "",
                                    "cannot create the folder \"" + parent.string() + "\"" +
                                        (ec ? ": " + ec.message() : std::string()));
    }
  }
}

}  // namespace cli
