// `mpirun -n 2 firstwall sweep` (models/study/mpi_job.hpp): the points are spread over the
// ranks and the file equals a local -j1 sweep's; a bad study is reported once, by rank 0;
// a job killed with SIGKILL (every process) resumes, under MPI, into the same file.
// Skipped when the build has no MPI (FIRSTWALL_MPI=OFF or not found).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../tools/cli_runner.hpp"
#include "h5_read.hpp"
#include "sweep_test_support.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kMpiexec = FIRSTWALL_MPIEXEC;
const std::string& kMinimal = test::kMinimalScenario;
const std::string& kAxes = test::kSixPointAxes;
using test::journal_records;
using test::stable_attributes;

// mpirun as the tests run it: two ranks on however many cores there are, allowed as root
// (containers), with idle ranks yielding the core instead of spinning on it.
std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
         "OMPI_MCA_mpi_yield_when_idle=1 '" +
         kMpiexec + "' -n " + std::to_string(ranks) + " --oversubscribe '" +
         std::string(FIRSTWALL_CLI) + "' ";
}

class SweepMpi : public test::ScratchDir {
 protected:
  SweepMpi() : ScratchDir("firstwall_sweep_mpi") {}
  void SetUp() override {
    if (kMpiexec.empty()) GTEST_SKIP() << "built without MPI";
    ScratchDir::SetUp();
  }
};

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// "points run on each of 2 MPI ranks: a, b" -> {a, b}
std::vector<int> points_per_rank(const std::string& out) {
  const std::string key = "points run on each of 2 MPI ranks: ";
  const std::size_t at = out.find(key);
  if (at == std::string::npos) return {};
  std::istringstream in(out.substr(at + key.size()));
  std::vector<int> counts;
  int n = 0;
  char comma = 0;
  while (in >> n) {
    counts.push_back(n);
    if (!(in >> comma) || comma != ',') break;
  }
  return counts;
}

// Every process below `pid` (children first found through /proc), for a kill of the job.
std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> out;
  const fs::path tasks = fs::path("/proc") / std::to_string(pid) / "task";
  std::error_code ec;
  for (const auto& task : fs::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t child = 0; in >> child;) {
      out.push_back(child);
      for (pid_t grandchild : descendants(child)) out.push_back(grandchild);
    }
  }
  return out;
}

// A file's bytes with its created_utc attribute's text (found once) blanked out.
std::string without_timestamp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string stamp = test::root_attributes(file).at("created_utc");
  const std::size_t at = bytes.find(stamp);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(bytes.find(stamp, at + 1), std::string::npos);
  if (at != std::string::npos) bytes.replace(at, stamp.size(), std::string(stamp.size(), '_'));
  return bytes;
}

// Whether `pid` exists and is not a zombie.
bool is_running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST_F(SweepMpi, TwoRanksGiveTheFileOfALocalSweep) {
  const auto local =
      test::run_cli("sweep '" + kMinimal + "' " + kAxes + " -j1 -o '" + out("local.h5") + "'");
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const auto r = test::run_command(
      mpirun(2) + "sweep '" + kMinimal + "' " + kAxes + " -j1 -o '" + out("mpi.h5") + "'",
      FIRSTWALL_SOURCE_DIR);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Rank 0 alone reports; both ranks ran points (rank 0 hands them out as ranks ask, and
  // answers every remote slot's first ask before its own slots start).
  EXPECT_EQ(occurrences(r.out, "sweep: 6 points (6 run, 0 resumed), 0 failed\n"), 1u) << r.out;
  EXPECT_EQ(occurrences(r.out, "results: " + out("mpi.h5") + "\n"), 1u) << r.out;
  const std::vector<int> counts = points_per_rank(r.out);
  ASSERT_EQ(counts.size(), 2u) << r.out;
  EXPECT_EQ(counts[0] + counts[1], 6);
  EXPECT_GE(counts[1], 1) << r.out;
  EXPECT_EQ(r.err, "");

  // The whole files are the same bytes but for the created_utc timestamp (same length).
  EXPECT_EQ(without_timestamp(out("local.h5")), without_timestamp(out("mpi.h5")));
  const auto bytes = test::dataset_bytes(out("local.h5"));
  ASSERT_EQ(bytes.count("points"), 1u);
  EXPECT_EQ(bytes, test::dataset_bytes(out("mpi.h5")));
  EXPECT_EQ(stable_attributes(out("local.h5")), stable_attributes(out("mpi.h5")));
  EXPECT_FALSE(fs::exists(out("mpi.h5") + ".journal"));

  // -j2 on each rank, and --keep-runs (each point's results file travels to rank 0).
  const auto kept = test::run_command(mpirun(2) + "sweep '" + kMinimal + "' " + kAxes +
                                          " -j2 --keep-runs -o '" + out("kept.h5") + "'",
                                      FIRSTWALL_SOURCE_DIR);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  const auto kept_bytes = test::dataset_bytes(out("kept.h5"));
  EXPECT_EQ(kept_bytes.at("points"), bytes.at("points"));
  for (int id = 0; id < 6; ++id)
    EXPECT_EQ(kept_bytes.count("runs/" + std::to_string(id) + "/summary"), 1u) << id;
  EXPECT_FALSE(fs::exists(out("kept.h5") + ".runs"));
}

TEST_F(SweepMpi, BadStudyIsReportedOnceWithExitCode2) {
  const auto r = test::run_command(mpirun(2) + "sweep '" + kMinimal +
                                       "' --axis 'workload.arivals.process=poisson' -o '" +
                                       out("bad.h5") + "'",
                                   FIRSTWALL_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 2);
  // Every rank finds it; rank 0 alone says it (mpirun adds its own note about the exit code).
  EXPECT_EQ(
      occurrences(
          r.err,
          "--axis:1:1: workload.arivals: unknown key \"arivals\" (did you mean \"arrivals\"?)\n"),
      1u)
      << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(SweepMpi, JobKilledWithSigkillResumesIntoTheSameFile) {
  // Twelve points; the kill lands once three are in rank 0's journal.
  const std::string axes =
      "--axis 'workload.arrivals.rate=2 /s,3 /s,4 /s,5 /s,6 /s,7 /s' "
      "--axis 'workload.max_batch_requests=16,64' --axis 'simulation.duration=20 s' --seed 9";
  const auto whole =
      test::run_cli("sweep '" + kMinimal + "' " + axes + " -j2 -o '" + out("whole.h5") + "'");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  const std::string killed = out("killed.h5");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string cmd =
        "exec env " + mpirun(2) + "sweep '" + kMinimal + "' " + axes + " -j1 -o '" + killed + "'";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (journal_records(killed + ".journal") < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  // The whole job at once, as a scheduler ends it: the ranks (each in its own process group
  // under mpirun) and mpirun.
  const std::vector<pid_t> ranks = descendants(pid);
  EXPECT_EQ(ranks.size(), 2u);
  for (pid_t p : ranks) ::kill(p, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep ended before it was killed";
  // A killed rank is gone or a zombie (reparented, not yet reaped) before it is checked.
  for (pid_t p : ranks) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (is_running(p) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_FALSE(is_running(p)) << p;
  }
  ASSERT_FALSE(fs::exists(killed));
  const std::size_t committed = journal_records(killed + ".journal");
  ASSERT_GE(committed, 3u);
  ASSERT_LT(committed, 12u);

  // Without --resume, rank 0 refuses the journal and the other rank stops with it.
  const auto again =
      test::run_command(mpirun(2) + "sweep '" + kMinimal + "' " + axes + " -o '" + killed + "'",
                        FIRSTWALL_SOURCE_DIR);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(
      occurrences(again.err, killed + ".journal: an interrupted sweep left this journal: pass "
                                      "--resume to continue it, or remove it to start over\n"),
      1u)
      << again.err;

  const auto resumed = test::run_command(
      mpirun(2) + "sweep '" + kMinimal + "' " + axes + " -j1 --resume -o '" + killed + "'",
      FIRSTWALL_SOURCE_DIR);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(
      occurrences(resumed.out, "sweep: 12 points (" + std::to_string(12 - committed) + " run, " +
                                   std::to_string(committed) + " resumed), 0 failed\n"),
      1u)
      << resumed.out;
  EXPECT_EQ(test::dataset_bytes(killed), test::dataset_bytes(out("whole.h5")));
  EXPECT_EQ(stable_attributes(killed), stable_attributes(out("whole.h5")));
  EXPECT_FALSE(fs::exists(killed + ".journal"));
}

}  // namespace
