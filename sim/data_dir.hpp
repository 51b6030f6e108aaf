// Where the data files (catalogs, calibrations) are: found at run time, never through a path
// compiled in, so that an installed or moved binary, or one on another MPI node, runs the same.
//
// The data directory mirrors the repository's data paths:
//   scenarios/                      default.yaml, examples/, catalog/ (llms.yaml, gpus.yaml, ...)
//   kernels/calibration/            gpu_vidur.yaml
//   models/workload/calibration/    serving_overhead.yaml
// so the repository root itself is a valid data directory. It is, in this order:
//   1. the directory set by the program (the CLI's --data-dir DIR);
//   2. the environment variable FIRSTWALL_DATA_DIR;
//   3. <directory of the running executable>/../share/firstwall (from /proc/self/exe): the
//      installed layout (P/bin/firstwall, P/share/firstwall) and the build tree's
//      (build/tools/firstwall and the test programs in build/tests/, build/share/firstwall).
// A directory given by 1 or 2 that does not exist is an error, not a reason to look further:
// a mistyped path would otherwise load other data silently.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sim {

// No data directory: what() lists every place tried and why it was not used. The CLI
// reports it with exit code 2 (the fix is the user's: a flag, a variable, an installation).
class DataDirError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the resolver looks at, each absent when not given.
struct DataDirSources {
  std::optional<std::filesystem::path> explicit_dir;  // --data-dir
  std::optional<std::string> environment;             // FIRSTWALL_DATA_DIR ("" = not set)
  std::optional<std::filesystem::path> executable;    // the running program, absolute
};

// The resolution itself, without touching process state (tests). Returns the first source's
// directory (lexically normal; relative ones are made absolute against the working
// directory); throws DataDirError when there is none.
std::filesystem::path resolve_data_dir(const DataDirSources& sources);

// The process-wide data directory. It is a property of the installation, like the
// environment, not of a simulation: one value for the whole process, set by the program at
// start-up before any simulation runs (the CLI's --data-dir) and otherwise resolved from
// FIRSTWALL_DATA_DIR and the executable on first use. Reading it is thread-safe (a mutex),
// so simulations running in threads share it without racing; nothing in a simulation
// changes it.
void set_data_dir(const std::filesystem::path& dir);
// Throws DataDirError when no data directory is found.
std::filesystem::path data_dir();
// data_dir() / relative, e.g. data_path("scenarios/catalog/gpus.yaml"). Does not check that
// the file exists: reading it reports that, with the full path.
std::filesystem::path data_path(std::string_view relative);

}  // namespace sim
