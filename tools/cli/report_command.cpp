#include "tools/cli/report_command.hpp"
#include "tools/cli/output_path.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/data_dir.hpp"

extern char** environ;

namespace cli {

namespace {

namespace fs = std::filesystem;

// Debian's interpreter, which has python3-h5py, -pandas and -matplotlib (tools/install-deps.sh);
// FIRSTWALL_PYTHON names another.
constexpr const char* kDefaultPython = "/usr/bin/python3";
constexpr int kNotAResult = 2;  // the package's exit code for a file that is not a result

// The folder holding the package `firstwall` (data directory: tools/analysis, see
// cmake/FirstwallData.cmake); a missing one is the installation's fault, like a missing
// data directory (exit 2).
fs::path package_root() {
  const fs::path root = sim::data_path("tools/analysis");
  if (!fs::is_regular_file(root / "firstwall" / "report.py"))
    throw sim::DataDirError("no Python package " + (root / "firstwall").string() +
                            " (the data directory lacks tools/analysis/firstwall/report.py)");
  return root;
}

// The environment with PYTHONPATH led by `root`, no bytecode files and matplotlib's file-only
// backend.
std::vector<std::string> child_environment(const fs::path& root) {
  std::vector<std::string> env;
  std::string pythonpath = root.string();
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    if (kv.rfind("PYTHONPATH=", 0) == 0) {
      if (kv.size() > 11) pythonpath += ":" + kv.substr(11);
    } else if (kv.rfind("PYTHONDONTWRITEBYTECODE=", 0) != 0 && kv.rfind("MPLBACKEND=", 0) != 0) {
      env.push_back(kv);
    }
  }
  env.push_back("PYTHONPATH=" + pythonpath);
  env.push_back("PYTHONDONTWRITEBYTECODE=1");
  env.push_back("MPLBACKEND=Agg");
  return env;
}

// Runs argv[0] with `argv` and `env`, stdout and stderr inherited; its exit status.
int run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> a, e;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, a[0], nullptr, nullptr, a.data(), e.data());
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (!WIFEXITED(status)) throw std::runtime_error(argv[0] + " was killed by a signal");
  return WEXITSTATUS(status);
}

struct ReportArgs {
  std::string file, output;
};

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report", "One self-contained HTML page (figures, tables) of a run, sweep or wall search");
  cmd->add_option("file", a->file, "results.h5, sweep.h5 or walls.h5")->required();
  cmd->add_option("-o,--output", a->output, "HTML file (default: FILE with .html)");
  cmd->callback([a, &exit_code] {
    if (!fs::is_regular_file(a->file))
      throw sim::config::InputError({a->file, 0, 0}, "", "no such file");
    const std::string out =
        a->output.empty() ? fs::path(a->file).replace_extension(".html").string() : a->output;
    cli::prepare_output(out);
    std::error_code ec;
    const char* env_python = std::getenv("FIRSTWALL_PYTHON");
    const std::string python = env_python && *env_python ? env_python : kDefaultPython;
    if (::access(python.c_str(), X_OK) != 0)
      throw sim::DataDirError("firstwall report needs " + python +
                              " with h5py, pandas and matplotlib (tools/install-deps.sh "
                              "installs Debian's python3-h5py, python3-pandas and "
                              "python3-matplotlib; FIRSTWALL_PYTHON names another)");
    const fs::path root = package_root();
    // Written under a temporary name beside the output and renamed once complete: an
    // interrupted or failed report leaves no half page, and an old page stays whole.
    const std::string tmp = out + ".tmp." + std::to_string(::getpid());
    const int rc =
        run_child({python, "-m", "firstwall.report", a->file, "-o", tmp}, child_environment(root));
    if (rc != 0) {
      fs::remove(tmp, ec);
      if (rc == kNotAResult) {
        exit_code = kNotAResult;  // the package printed "FILE: not a firstwall result ..."
        return;
      }
      throw std::runtime_error("the report of " + a->file + " failed (" + python +
                               " -m firstwall.report exited with " + std::to_string(rc) + ")");
    }
    fs::rename(tmp, out, ec);
    if (ec) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error("cannot rename " + tmp + " to " + out + ": " + ec.message());
    }
    std::cout << "report: " << out << "\n";
  });
}

}  // namespace cli
