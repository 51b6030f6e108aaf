// Runs the firstwall binary and captures its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command line as is (quote it yourself) in `cwd`.
inline CliResult run_command(const std::string& command_line, const std::filesystem::path& cwd) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("firstwall_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto out = dir / "out.txt";
  const auto err = dir / "err.txt";
  const std::string cmd = "cd '" + cwd.string() + "' && " + command_line + " >'" + out.string() +
                          "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove_all(dir);
  return r;
}

// `args` is appended to the binary's path as is (quote it yourself). Runs in `cwd`.
inline CliResult run_cli(const std::string& args,
                         const std::filesystem::path& cwd = FIRSTWALL_SOURCE_DIR) {
  return run_command("'" + std::string(FIRSTWALL_CLI) + "' " + args, cwd);
}

}  // namespace test
