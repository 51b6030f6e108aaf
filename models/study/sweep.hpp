// Runs a study's points in parallel and writes sweep.h5 (DESIGN.md "Output contract").
//
// - One engine per point, `jobs` worker threads; a worker shares nothing mutable with
//   another (each reads the immutable base tree and builds its own spec, plant and engine).
//   Every HDF5 call is made by the calling thread.
// - Each finished point is committed to the journal "<output>.journal" (journal.hpp) and,
//   with keep_runs, its full results to "<output>.runs/<id>.h5" (written atomically before
//   its journal record). With resume, points in the journal are not run again.
// - When every point is done, sweep.h5 is written from the journal in point order (so
//   1 thread, N threads and a resumed sweep give the same bytes), renamed into place, and
//   the journal and the runs folder are removed.
// - Over MPI (options.mpi with more than one rank): rank 0 owns the journal and the file and
//   hands point ids out one at a time as ranks ask (a work queue: uneven points balance);
//   every rank runs points on its own `jobs` threads (rank 0 too) and sends each outcome
//   back as its journal line (with keep_runs, followed by the bytes of its results file).
//   The file is the same as a local sweep's, and --resume works after the whole job is
//   killed, because only rank 0's journal says what is done.
//
// sweep.h5:
//   root attributes: firstwall_version, study_yaml, base_scenario_yaml, base_scenario_file,
//     seed (master), mode, points, failed, created_utc
//   /points: point, point_seed, one column per axis (named by its path; numbers carry their
//     unit as an attribute, other values are text), status ("ok" | "failed"), error, the
//     runs' /summary metrics (NaN where a point has none), first_wall, first_wall_kind,
//     nearest_wall; attributes `axes` (the paths, comma-separated) and `mode`
//   /runs/<id> (keep_runs): the point's results.h5 layout, its root attributes on the group
//   /pareto (pareto): point and the objectives' columns of the Pareto-optimal points, by id;
//     attribute `objectives`
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "models/study/mpi_job.hpp"
#include "models/study/study.hpp"

namespace models::study {

struct SweepProgress {
  std::size_t done = 0;  // including points resumed from the journal
  std::size_t total = 0;
  std::size_t failed = 0;
  double elapsed_s = 0;  // of this invocation
  double eta_s = -1;     // < 0 while unknown
};

// One objective of --pareto: a /summary metric to maximize or minimize.
struct Objective {
  std::string metric;
  bool maximize = true;
};
// "tokens_per_s:max,facility_power:min"; throws sim::config::InputError (at "--pareto") for
// a malformed list. Metric names are checked against the first point that runs.
std::vector<Objective> parse_objectives(const std::string& text);

struct SweepOptions {
  std::string output;
  int jobs = 1;
  bool resume = false;
  bool keep_runs = false;
  // Adds /pareto: the points that hit no wall and that no other such point dominates (at
  // least as good in every objective, better in one).
  std::vector<Objective> pareto;
  // Called on the calling thread at the start and after each point (for a progress line).
  std::function<void(const SweepProgress&)> progress;
  // The MPI job whose ranks share the points (every rank calls run_sweep with the same
  // study and options); nullptr or a job of one: a local sweep.
  const MpiJob* mpi = nullptr;
};

struct SweepOutcome {
  std::size_t points = 0;
  std::size_t ran = 0;      // by this invocation
  std::size_t resumed = 0;  // found in the journal
  std::size_t failed = 0;
  std::vector<std::pair<std::int64_t, std::string>> failures;  // id, message
  // False on the ranks other than 0 of an MPI sweep: they ran points for rank 0, which
  // holds the outcome (the counts above are then this rank's: `ran` points run here).
  bool coordinator = true;
  // Points run by this invocation on each MPI rank (one entry for a local sweep).
  std::vector<std::size_t> ran_by_rank;
};

std::string journal_path(const std::string& output);
std::string runs_path(const std::string& output);

// Throws sim::config::InputError before anything is written when a journal exists and
// `resume` is false, or when the journal is another study's (over MPI, rank 0 throws it and
// the other ranks return with coordinator = false and nothing run).
SweepOutcome run_sweep(const Study& study, const SweepOptions& options);

}  // namespace models::study
