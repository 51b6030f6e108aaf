// The processes of one `mpirun` job (MPI_COMM_WORLD), as a sweep sees them: a rank, a size,
// two collectives and tagged byte messages. MPI is an optional build dependency
// (FIRSTWALL_MPI); without it, or when the process was not started by an MPI launcher, the
// job is this process alone (rank 0 of 1) and nothing of MPI is touched, so `firstwall sweep`
// behaves as a local run.
//
// MPI is initialized with MPI_THREAD_FUNNELED: only the thread that made the MpiJob calls
// MPI (the sweep's worker threads never do). Waiting is done by polling (try_receive) with
// a short sleep, not by a blocking receive: Open MPI's blocking calls spin a core, which the
// point-running threads need.
#pragma once

#include <optional>
#include <string>

namespace models::study {

class MpiJob {
 public:
  // Whether this binary was built with MPI.
  static bool built_with_mpi();
  // Whether an MPI launcher started this process (Open MPI's mpirun sets
  // OMPI_COMM_WORLD_SIZE; PMIx and PMI launchers such as srun set PMIX_RANK or PMI_SIZE).
  static bool launched();

  // Initializes MPI when built with it and launched; otherwise a job of one. At most one
  // MpiJob per process (MPI can be initialized once).
  MpiJob();
  ~MpiJob();  // MPI_Finalize
  MpiJob(const MpiJob&) = delete;
  MpiJob& operator=(const MpiJob&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }

  // Collective (every rank calls it): the largest of the ranks' values.
  int max(int value) const;
  // Collective: the sum of the ranks' values.
  int sum(int value) const;
  // Collective: rank 0's text, on every rank.
  std::string broadcast(const std::string& text) const;

  struct Message {
    int from = 0;
    int tag = 0;
    std::string bytes;
  };
  void send(int to, int tag, const std::string& bytes) const;
  // A message that has arrived, from any rank with any tag, or nothing (does not wait).
  std::optional<Message> try_receive() const;
  // Ends every process of the job with `code` (MPI_Abort).
  [[noreturn]] void abort(int code) const;

 private:
  bool initialized_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace models::study
