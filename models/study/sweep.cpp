#include "models/study/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/study/journal.hpp"
#include "sim/h5_writer.hpp"
#include "sim/random.hpp"

namespace models::study {

namespace fs = std::filesystem;
using sim::config::Diagnostics;
using sim::config::InputError;

namespace {

// A point's outcome, handed from its worker to the calling thread.
struct Finished {
  PointRecord record;
  // keep_runs: the finished run, written to its own file by the calling thread (HDF5 is
  // used from one thread only).
  std::shared_ptr<const ScenarioSpec> spec;
  std::optional<RunResult> run;
  // keep_runs over MPI: the bytes of the results file another rank wrote.
  std::optional<std::string> run_bytes;
};

std::string join_diagnostics(const InputError& e) {
  std::string out;
  for (const auto& d : e.diagnostics()) {
    if (!out.empty()) out += '\n';
    out += d.str();
  }
  return out;
}

Finished run_point(const Study& study, const Point& point, bool keep_run) {
  Finished f;
  f.record.id = point.id;
  try {
    Diagnostics diags;
    sim::config::Node tree = point_tree(study, point, diags);
    if (!diags.empty()) throw InputError(diags);
    // Shared ownership: the finished run may refer to its spec until its file is written.
    auto spec =
        std::make_shared<const ScenarioSpec>(load_scenario_tree(std::move(tree), study.base_file));
    RunResult run = run_scenario(*spec);
    f.record.ok = true;
    for (const Metric& m : run.summary) f.record.metrics.push_back({m.name, m.unit, m.value});
    if (const sim::WallResult* w = run.first_wall()) {
      f.record.first_wall = w->name;
      f.record.first_wall_kind = w->kind;
    }
    if (!run.walls.empty()) f.record.nearest_wall = run.walls.front().name;
    if (keep_run) {
      f.spec = std::move(spec);
      f.run = std::move(run);
    }
  } catch (const InputError& e) {
    f.record.ok = false;
    f.record.error = join_diagnostics(e);
  } catch (const std::exception& e) {
    f.record.ok = false;
    f.record.error = std::string("internal error: ") + e.what();
  }
  if (!f.record.ok) f.record.metrics.clear();
  return f;
}

// Throws when an objective names no metric of a point that ran (with "did you mean").
void check_objectives(const std::vector<Objective>& objectives, const PointRecord& r) {
  if (!r.ok) return;
  std::vector<std::string> names;
  for (const auto& m : r.metrics) names.push_back(m.name);
  Diagnostics diags;
  for (const Objective& o : objectives) {
    if (std::find(names.begin(), names.end(), o.metric) != names.end()) continue;
    std::string msg = "unknown metric \"" + o.metric + "\"";
    if (auto near = sim::config::did_you_mean(o.metric, names))
      msg += " (did you mean \"" + *near + "\"?)";
    msg += "; the points run so far are in the journal: correct --pareto and add --resume";
    diags.add({"--pareto", 0, 0}, "", msg);
  }
  if (!diags.empty()) throw InputError(diags);
}

double metric_of(const PointRecord& r, const std::string& name) {
  for (const auto& m : r.metrics) {
    if (m.name == name) return m.value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// The Pareto-optimal points among those that ran, hit no wall, and have every objective.
// O(n^2) comparisons: fine for the thousands of points a sweep has.
std::vector<std::int64_t> pareto_front(const std::vector<Objective>& objectives,
                                       const std::map<std::int64_t, PointRecord>& records) {
  std::vector<std::pair<std::int64_t, std::vector<double>>> candidates;
  for (const auto& [id, r] : records) {
    if (!r.ok || !r.first_wall.empty()) continue;
    std::vector<double> v;
    for (const Objective& o : objectives) {
      const double x = metric_of(r, o.metric);
      v.push_back(o.maximize ? x : -x);  // larger is better in every coordinate
    }
    if (std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }))
      candidates.emplace_back(id, std::move(v));
  }
  std::vector<std::int64_t> front;
  for (const auto& candidate : candidates) {  // no structured binding: clang 14 cannot capture one
    const std::int64_t id = candidate.first;
    const std::vector<double>& v = candidate.second;
    const bool dominated = std::any_of(candidates.begin(), candidates.end(), [&](const auto& q) {
      bool strictly = false;
      for (std::size_t k = 0; k < v.size(); ++k) {
        if (q.second[k] < v[k]) return false;
        strictly = strictly || q.second[k] > v[k];
      }
      return strictly;
    });
    if (!dominated) front.push_back(id);
  }
  return front;
}

std::string run_file(const std::string& output, std::int64_t id) {
  return (fs::path(runs_path(output)) / (std::to_string(id) + ".h5")).string();
}

// Everything that decides the points' results and the file's layout: a journal written for
// another study must not be resumed into this one.
std::string fingerprint(const Study& study, bool keep_runs) {
  std::uint64_t h = sim::fnv1a64(FIRSTWALL_VERSION_STRING);
  h = sim::fnv1a64(study.study_yaml, h);
  h = sim::fnv1a64(study.base_yaml, h);
  h = sim::fnv1a64(keep_runs ? "keep-runs" : "no-runs", h);
  return fmt::format("{:016x} points={}", h, study.points.size());
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

void write_sweep_file(const Study& study, const SweepOptions& options,
                      const std::map<std::int64_t, PointRecord>& records, std::size_t failed) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  sim::h5::ResultFile f(options.output);
  f.set_attribute("firstwall_version", std::string(FIRSTWALL_VERSION_STRING));
  f.set_attribute("study_yaml", study.study_yaml);
  f.set_attribute("base_scenario_yaml", study.base_yaml);
  f.set_attribute("base_scenario_file", study.base_file);
  f.set_attribute("seed", static_cast<std::int64_t>(study.seed));
  f.set_attribute("mode", std::string(to_string(study.mode)));
  f.set_attribute("points", static_cast<std::int64_t>(study.points.size()));
  f.set_attribute("failed", static_cast<std::int64_t>(failed));
  // created_utc is the one field that differs between identical sweeps.
  f.set_attribute("created_utc", utc_now());

  sim::h5::Table t;
  std::vector<std::int64_t> ids, seeds;
  for (const Point& p : study.points) {
    ids.push_back(p.id);
    seeds.push_back(static_cast<std::int64_t>(p.seed));
  }
  t.add("point", "", std::move(ids)).add("point_seed", "", std::move(seeds));
  std::string axis_names;
  for (std::size_t a = 0; a < study.axes.size(); ++a) {
    const Axis& axis = study.axes[a];
    axis_names += (a == 0 ? "" : ",") + axis.path;
    if (axis.numeric) {
      std::vector<double> v;
      for (const Point& p : study.points) v.push_back(p.values[a].number.value_or(kNaN));
      t.add(axis.path, axis.unit, std::move(v));
    } else {
      std::vector<std::string> v;
      for (const Point& p : study.points) v.push_back(p.values[a].text);
      t.add(axis.path, std::move(v));
    }
  }
  std::vector<std::string> status, error, first_wall, first_kind, nearest;
  // Metric columns: every name any point reported, in the order of the first point that
  // reported it (all points of one workload kind report the same names).
  std::vector<std::pair<std::string, std::string>> metric_names;
  std::set<std::string> known;
  for (const Point& p : study.points) {
    const PointRecord& r = records.at(p.id);
    status.emplace_back(r.ok ? "ok" : "failed");
    error.push_back(r.error);
    first_wall.push_back(r.first_wall);
    first_kind.push_back(r.first_wall_kind);
    nearest.push_back(r.nearest_wall);
    for (const auto& m : r.metrics) {
      if (known.insert(m.name).second) metric_names.emplace_back(m.name, m.unit);
    }
  }
  t.add("status", std::move(status)).add("error", std::move(error));
  for (const auto& [name, unit] : metric_names) {
    std::vector<double> v;
    for (const Point& p : study.points) {
      double x = kNaN;
      for (const auto& m : records.at(p.id).metrics) {
        if (m.name == name) x = m.value;
      }
      v.push_back(x);
    }
    t.add(name, unit, std::move(v));
  }
  t.add("first_wall", std::move(first_wall))
      .add("first_wall_kind", std::move(first_kind))
      .add("nearest_wall", std::move(nearest));
  f.write_table("/points", t, {{"axes", axis_names}, {"mode", std::string(to_string(study.mode))}});

  if (!options.pareto.empty()) {
    sim::h5::Table front;
    const std::vector<std::int64_t> optimal = pareto_front(options.pareto, records);
    std::string spec;
    for (const Objective& o : options.pareto)
      spec += (spec.empty() ? "" : ",") + o.metric + (o.maximize ? ":max" : ":min");
    front.add("point", "", optimal);
    for (const Objective& o : options.pareto) {
      std::vector<double> v;
      std::string unit;
      for (std::int64_t id : optimal) {
        v.push_back(metric_of(records.at(id), o.metric));
        for (const auto& m : records.at(id).metrics) {
          if (m.name == o.metric) unit = m.unit;
        }
      }
      front.add(o.metric, unit, std::move(v));
    }
    f.write_table("/pareto", front,
                  {{"objectives", spec},
                   {"meaning",
                    "points that ran, hit no wall, and that no other such point "
                    "dominates (as good in every objective, better in one)"}});
  }
  if (options.keep_runs) {
    for (const Point& p : study.points) {
      if (records.at(p.id).ok)
        f.copy_from(run_file(options.output, p.id), "/", "/runs/" + std::to_string(p.id));
    }
  }
  f.commit();
}

// Over MPI: rank 0 and the ranks that serve points talk in two kinds of messages.
constexpr int kTagResult = 1;  // to rank 0: "" (a slot is free) or a finished point, see below
constexpr int kTagWork = 2;    // from rank 0: a point id, or -1: no more work for that slot
// Rank 0's word, broadcast once the journal is open: "go\t<fingerprint>" or "stop".
constexpr std::string_view kGo = "go\t";
constexpr std::string_view kStop = "stop";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read \"" + path + "\"");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Written beside `path` and renamed over it: a kill leaves the whole file or a ".tmp-" file
// (removed on --resume), as the HDF5 writer does.
void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string temp = path + ".tmp-" + std::to_string(static_cast<long long>(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw std::runtime_error("cannot write \"" + temp + "\"");
  }
  fs::rename(temp, path);
}

// A finished point as a message: its journal line (which ends in its only '\n'), then, with
// keep_runs and a point that ran, the bytes of its results file.
std::string encode_result(const Finished& f, int rank) {
  std::string bytes = journal_line(f.record);
  if (f.run) {
    const std::string temp =
        (fs::temp_directory_path() / fmt::format("firstwall-sweep-rank{}-{}-point{}.h5", rank,
                                                 static_cast<long long>(::getpid()), f.record.id))
            .string();
    write_results(temp, *f.spec, *f.run);
    bytes += read_file(temp);
    std::error_code ec;
    fs::remove(temp, ec);
  }
  return bytes;
}

Finished decode_result(const std::string& bytes, int from, bool keep_runs) {
  Finished f;
  const std::size_t eol = bytes.find('\n');
  if (eol == std::string::npos ||
      !parse_journal_line(std::string_view(bytes).substr(0, eol + 1), f.record))
    throw std::runtime_error(fmt::format("MPI rank {} sent a damaged point record", from));
  if (keep_runs && f.record.ok) f.run_bytes = bytes.substr(eol + 1);
  return f;
}

// A rank other than 0: runs the points rank 0 hands out on `jobs` threads and sends each
// outcome back. Rank 0 answers every message with one point id or with -1 ("no more" for
// that slot), so a rank with J slots is done when it has received J of them.
SweepOutcome serve_points(const Study& study, const SweepOptions& options, const MpiJob& mpi) {
  SweepOutcome out;
  out.coordinator = false;
  out.points = study.points.size();
  const std::string word = mpi.broadcast("");
  if (word.rfind(kGo, 0) != 0) return out;  // rank 0 refused the sweep and says why
  if (word.substr(kGo.size()) != fingerprint(study, options.keep_runs)) {
    std::cerr << fmt::format(
        "MPI rank {}: the study read here differs from rank 0's (are the study, the base "
        "scenario and the catalogs the same files on every node?)\n",
        mpi.rank());
    mpi.abort(2);
  }
  const int slots = std::max(1, options.jobs);
  mpi.sum(slots);

  std::mutex mutex;
  std::condition_variable work_ready, done_ready;
  std::deque<std::int64_t> work;
  std::deque<Finished> finished;
  bool no_more = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < slots; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        std::int64_t id = 0;
        {
          std::unique_lock lock(mutex);
          work_ready.wait(lock, [&] { return !work.empty() || no_more; });
          if (work.empty()) return;
          id = work.front();
          work.pop_front();
        }
        Finished f =
            run_point(study, study.points.at(static_cast<std::size_t>(id)), options.keep_runs);
        {
          const std::lock_guard lock(mutex);
          finished.push_back(std::move(f));
        }
        done_ready.notify_one();
      }
    });
  }
  try {
    for (int t = 0; t < slots; ++t) mpi.send(0, kTagResult, "");
    int closed = 0;
    while (closed < slots) {
      std::deque<Finished> batch;
      {
        std::unique_lock lock(mutex);
        done_ready.wait_for(lock, std::chrono::milliseconds(1), [&] { return !finished.empty(); });
        batch.swap(finished);
      }
      for (const Finished& f : batch) {
        mpi.send(0, kTagResult, encode_result(f, mpi.rank()));
        ++out.ran;
      }
      while (auto m = mpi.try_receive()) {
        if (m->tag != kTagWork) continue;
        const std::int64_t id = std::stoll(m->bytes);
        if (id < 0) {
          ++closed;
          continue;
        }
        {
          const std::lock_guard lock(mutex);
          work.push_back(id);
        }
        work_ready.notify_one();
      }
    }
  } catch (const std::exception& e) {
    // Rank 0 would wait for this rank's points for ever: end the job (its journal keeps
    // what is done; --resume continues).
    std::cerr << fmt::format("MPI rank {}: {}\n", mpi.rank(), e.what());
    mpi.abort(1);
  }
  {
    const std::lock_guard lock(mutex);
    no_more = true;
  }
  work_ready.notify_all();
  for (std::thread& t : threads) t.join();
  return out;
}

}  // namespace

std::vector<Objective> parse_objectives(const std::string& text) {
  std::vector<Objective> out;
  Diagnostics diags;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const std::size_t colon = item.rfind(':');
    const std::string name = colon == std::string::npos ? item : item.substr(0, colon);
    const std::string sense = colon == std::string::npos ? "" : item.substr(colon + 1);
    if (name.empty() || (sense != "max" && sense != "min")) {
      diags.add({"--pareto", 0, 0}, "",
                "expected metric:max or metric:min, comma-separated (got \"" + item + "\")");
    } else {
      out.push_back({name, sense == "max"});
    }
    start = comma + 1;
  }
  if (!diags.empty()) throw InputError(diags);
  return out;
}

std::string journal_path(const std::string& output) {
  return output + ".journal";
}

std::string runs_path(const std::string& output) {
  return output + ".runs";
}

SweepOutcome run_sweep(const Study& study, const SweepOptions& options) {
  const bool distributed = options.mpi != nullptr && options.mpi->distributed();
  if (distributed && options.mpi->rank() != 0) return serve_points(study, options, *options.mpi);

  using clock = std::chrono::steady_clock;
  const auto started = clock::now();
  const std::string jpath = journal_path(options.output);
  std::error_code ec;
  std::optional<Journal> journal;
  std::set<std::int64_t> done;
  bool objectives_checked = options.pareto.empty();
  try {
    if (!options.resume && fs::exists(jpath, ec)) {
      throw InputError({jpath, 0, 0}, "",
                       "an interrupted sweep left this journal: pass --resume to continue it, or "
                       "remove it to start over");
    }
    journal.emplace(jpath, fingerprint(study, options.keep_runs), options.resume);

    // What is done: journal records (with keep_runs, only those whose run file was
    // committed). Temporary files of runs cut short by a kill are removed.
    if (options.keep_runs) {
      // A fresh journal owns no run files: any left (a kill after the last sweep's file was
      // in place, before its folder was removed) belong to no point of this sweep.
      if (journal->records().empty()) fs::remove_all(runs_path(options.output), ec);
      fs::create_directories(runs_path(options.output));
      for (const auto& entry : fs::directory_iterator(runs_path(options.output))) {
        if (entry.path().filename().string().find(".tmp-") != std::string::npos)
          fs::remove(entry.path(), ec);
      }
    }
    for (const auto& [id, r] : journal->records()) {
      if (id < 0 || id >= static_cast<std::int64_t>(study.points.size())) continue;
      if (options.keep_runs && r.ok && !fs::exists(run_file(options.output, id))) continue;
      done.insert(id);
    }
    for (std::int64_t id : done) {
      if (!objectives_checked && journal->records().at(id).ok) {
        check_objectives(options.pareto, journal->records().at(id));
        objectives_checked = true;
      }
    }
  } catch (...) {
    // The other ranks wait for rank 0's word: no sweep.
    if (distributed) options.mpi->broadcast(std::string(kStop));
    throw;
  }
  // The ranks that serve points, and how many points each runs at once (its -j).
  int remote_slots = 0;
  if (distributed) {
    options.mpi->broadcast(std::string(kGo) + fingerprint(study, options.keep_runs));
    remote_slots = options.mpi->sum(0);
  }

  std::vector<std::size_t> pending;
  for (const Point& p : study.points) {
    if (done.count(p.id) == 0) pending.push_back(static_cast<std::size_t>(p.id));
  }

  SweepOutcome out;
  out.points = study.points.size();
  out.resumed = done.size();
  std::size_t failed = 0;
  for (std::int64_t id : done) failed += journal->records().at(id).ok ? 0 : 1;

  SweepProgress progress{done.size(), study.points.size(), failed, 0, -1};
  if (options.progress) options.progress(progress);

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Finished> finished;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  // Over MPI every remote slot first asks for a point (serve_points); those first asks are
  // answered before rank 0's own slots start, so each rank gets a share of the points
  // whatever the scheduling (a slow-starting rank would otherwise find them all taken).
  int closed = 0;  // remote slots told "no more work"
  for (int asked = 0; asked < remote_slots;) {
    const auto m = options.mpi->try_receive();
    if (!m) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (m->tag != kTagResult || !m->bytes.empty()) continue;  // only asks can come yet
    ++asked;
    const std::size_t i = next.fetch_add(1);
    const std::int64_t id = i < pending.size() ? static_cast<std::int64_t>(pending[i]) : -1;
    options.mpi->send(m->from, kTagWork, std::to_string(id));
    if (id < 0) ++closed;
  }
  const std::size_t local_points = pending.size() - std::min(pending.size(), next.load());
  const std::size_t workers =
      std::min(local_points, static_cast<std::size_t>(std::max(1, options.jobs)));
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const std::size_t i = next.fetch_add(1);
        if (i >= pending.size()) return;
        Finished f = run_point(study, study.points[pending[i]], options.keep_runs);
        {
          const std::lock_guard lock(mutex);
          finished.push_back(std::move(f));
        }
        ready.notify_one();
      }
    });
  }
  // The calling thread commits the points as they finish: the run file first, then the
  // journal record that says the point is done.
  out.ran_by_rank.assign(distributed ? static_cast<std::size_t>(options.mpi->size()) : 1, 0);
  auto commit = [&](Finished& f, int rank) {
    if (f.run) write_results(run_file(options.output, f.record.id), *f.spec, *f.run);
    if (f.run_bytes) write_file_atomically(run_file(options.output, f.record.id), *f.run_bytes);
    f.run.reset();
    f.spec.reset();
    f.run_bytes.reset();
    journal->append(f.record);
    if (!objectives_checked && f.record.ok) {
      check_objectives(options.pareto, f.record);
      objectives_checked = true;
    }
    ++out.ran;
    ++out.ran_by_rank.at(static_cast<std::size_t>(rank));
    if (!f.record.ok) ++failed;
    progress.done += 1;
    progress.failed = failed;
    progress.elapsed_s = std::chrono::duration<double>(clock::now() - started).count();
    progress.eta_s = progress.elapsed_s / static_cast<double>(out.ran) *
                     static_cast<double>(pending.size() - out.ran);
    if (options.progress) options.progress(progress);
  };
  // A commit that fails (a --pareto metric that does not exist, a full disk) stops the
  // sweep; over MPI the other ranks are first told that there is no more work, and the
  // points they finish meanwhile are dropped (they are not in the journal: --resume runs
  // them).
  std::exception_ptr error;
  auto guarded_commit = [&](Finished& f, int rank) {
    if (error) return;
    try {
      commit(f, rank);
    } catch (...) {
      error = std::current_exception();
      stop = true;
    }
  };
  try {
    std::size_t received = 0;
    while ((!error && received < pending.size()) || closed < remote_slots) {
      std::optional<Finished> local;
      {
        std::unique_lock lock(mutex);
        if (distributed) {
          // Poll: messages from the other ranks arrive without a notification.
          ready.wait_for(lock, std::chrono::milliseconds(1), [&] { return !finished.empty(); });
        } else {
          ready.wait(lock, [&] { return !finished.empty(); });
        }
        if (!finished.empty()) {
          local = std::move(finished.front());
          finished.pop_front();
        }
      }
      if (local) {
        ++received;
        guarded_commit(*local, 0);
      }
      if (!distributed) continue;
      while (auto m = options.mpi->try_receive()) {
        if (m->tag != kTagResult) continue;
        if (!m->bytes.empty()) {
          ++received;
          Finished f = decode_result(m->bytes, m->from, options.keep_runs);
          guarded_commit(f, m->from);
        }
        // The rank asks for its next point.
        std::int64_t id = -1;
        if (!error) {
          const std::size_t i = next.fetch_add(1);
          if (i < pending.size()) id = static_cast<std::int64_t>(pending[i]);
        }
        options.mpi->send(m->from, kTagWork, std::to_string(id));
        if (id < 0) ++closed;
      }
    }
  } catch (...) {
    stop = true;
    for (std::thread& t : threads) t.join();
    throw;
  }
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);

  out.failed = failed;
  for (const auto& [id, r] : journal->records()) {
    if (!r.ok && id < static_cast<std::int64_t>(study.points.size()))
      out.failures.emplace_back(id, r.error);
  }
  write_sweep_file(study, options, journal->records(), failed);
  // The sweep file is in place: the journal and the per-point files are no longer needed (a
  // kill before this leaves them, and --resume then only writes the file again).
  journal.reset();
  fs::remove(jpath, ec);
  if (options.keep_runs) fs::remove_all(runs_path(options.output), ec);
  return out;
}

}  // namespace models::study
