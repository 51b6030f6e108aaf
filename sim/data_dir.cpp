#include "sim/data_dir.hpp"

#include <cstdlib>
#include <mutex>
#include <system_error>
#include <vector>

namespace sim {

namespace {

namespace fs = std::filesystem;

constexpr const char* environment_variable = "FIRSTWALL_DATA_DIR";
// From the executable's directory: P/bin/firstwall -> P/share/firstwall. The install rules
// (top CMakeLists.txt) and the build tree's copy of the data use the same relation.
constexpr const char* beside_executable = "../share/firstwall";

std::string quoted(const fs::path& p) {
  return "\"" + p.string() + "\"";
}

// Absolute, without "." and "..", without a trailing separator.
fs::path absolute_normal(const fs::path& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  fs::path n = (ec ? p : a).lexically_normal();
  if (!n.has_filename() && n.has_relative_path()) n = n.parent_path();
  return n;
}

// Why `p` cannot be the data directory; nothing if it can.
std::optional<std::string> not_a_directory(const fs::path& p) {
  std::error_code ec;
  const fs::file_status s = fs::status(p, ec);
  if (s.type() == fs::file_type::not_found) return "no such directory";
  if (ec) return ec.message();
  if (s.type() != fs::file_type::directory) return "not a directory";
  return std::nullopt;
}

[[noreturn]] void fail(const std::vector<std::string>& tried) {
  std::string msg = "no data directory (catalogs, calibrations) found; tried:";
  for (const std::string& t : tried) msg += "\n  " + t;
  throw DataDirError(msg);
}

// Linux: the kernel's link to the program file, with symbolic links resolved (a
// /usr/local/bin/firstwall linking to /opt/firstwall/bin/firstwall finds /opt/firstwall/share).
std::optional<fs::path> running_executable() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return exe;
}

// The process-wide value (see data_dir.hpp for why one value per process is safe here).
// Constant-initialized, so usable before main() and from any thread under the mutex.
std::mutex g_mutex;
std::optional<fs::path> g_explicit;  // set_data_dir
std::optional<fs::path> g_resolved;  // cache of the first successful resolution

}  // namespace

fs::path resolve_data_dir(const DataDirSources& sources) {
  std::vector<std::string> tried;
  if (sources.explicit_dir) {
    fs::path dir = absolute_normal(*sources.explicit_dir);
    if (auto why = not_a_directory(dir)) fail({"--data-dir " + quoted(dir) + ": " + *why});
    return dir;
  }
  tried.push_back("--data-dir: not given");
  if (sources.environment && !sources.environment->empty()) {
    fs::path dir = absolute_normal(*sources.environment);
    if (auto why = not_a_directory(dir)) {
      tried.push_back(std::string(environment_variable) + " " + quoted(dir) + ": " + *why);
      fail(tried);
    }
    return dir;
  }
  tried.push_back(std::string(environment_variable) + ": not set");
  if (!sources.executable) {
    tried.push_back(std::string(beside_executable) +
                    " beside the executable: the executable's path is unknown "
                    "(/proc/self/exe unreadable)");
    fail(tried);
  }
  fs::path dir = absolute_normal(sources.executable->parent_path() / fs::path(beside_executable));
  if (auto why = not_a_directory(dir)) {
    tried.push_back(quoted(dir) + " (" + beside_executable + " beside the executable " +
                    quoted(*sources.executable) + "): " + *why);
    fail(tried);
  }
  return dir;
}

void set_data_dir(const fs::path& dir) {
  const std::lock_guard lock(g_mutex);
  g_explicit = dir;
  g_resolved.reset();
}

fs::path data_dir() {
  const std::lock_guard lock(g_mutex);
  if (g_resolved) return *g_resolved;
  DataDirSources sources;
  sources.explicit_dir = g_explicit;
  if (const char* env = std::getenv(environment_variable)) sources.environment = env;
  sources.executable = running_executable();
  g_resolved = resolve_data_dir(sources);
  return *g_resolved;
}

fs::path data_path(std::string_view relative) {
  return data_dir() / fs::path(relative);
}

}  // namespace sim
