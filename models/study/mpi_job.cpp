#include "models/study/mpi_job.hpp"

#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef FIRSTWALL_HAVE_MPI
// The C API only: Open MPI's deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace models::study {

bool MpiJob::built_with_mpi() {
#ifdef FIRSTWALL_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool MpiJob::launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

#ifdef FIRSTWALL_HAVE_MPI

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw std::runtime_error(std::string(what) + ": " + std::string(text, length));
}

}  // namespace

MpiJob::MpiJob() {
  if (!launched()) return;
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  initialized_ = true;
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("the MPI library does not provide MPI_THREAD_FUNNELED");
  }
  // Errors are returned (and thrown here), not fatal, so that a message says what failed.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

MpiJob::~MpiJob() {
  if (initialized_) MPI_Finalize();
}

int MpiJob::max(int value) const {
  if (!initialized_) return value;
  int out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  return out;
}

int MpiJob::sum(int value) const {
  if (!initialized_) return value;
  int out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  return out;
}

std::string MpiJob::broadcast(const std::string& text) const {
  if (!initialized_) return text;
  if (text.size() > static_cast<std::size_t>(INT_MAX))
    throw std::runtime_error("MPI broadcast: text too long");
  int length = rank_ == 0 ? static_cast<int>(text.size()) : 0;
  check(MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
  std::string out = rank_ == 0 ? text : std::string(static_cast<std::size_t>(length), '\0');
  check(MPI_Bcast(out.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return out;
}

void MpiJob::send(int to, int tag, const std::string& bytes) const {
  if (!initialized_) throw std::logic_error("MpiJob::send in a job of one process");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw std::runtime_error("MPI message too long (" + std::to_string(bytes.size()) + " bytes)");
  check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to, tag, MPI_COMM_WORLD),
        "MPI_Send");
}

std::optional<MpiJob::Message> MpiJob::try_receive() const {
  if (!initialized_) return std::nullopt;
  int flag = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
  if (flag == 0) return std::nullopt;
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Message m;
  m.from = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  m.bytes.resize(static_cast<std::size_t>(count));
  check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.from, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  return m;
}

void MpiJob::abort(int code) const {
  if (initialized_) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

#else  // without MPI: a job of one process

MpiJob::MpiJob() = default;
MpiJob::~MpiJob() = default;
int MpiJob::max(int value) const {
  return value;
}
int MpiJob::sum(int value) const {
  return value;
}
std::string MpiJob::broadcast(const std::string& text) const {
  return text;
}
void MpiJob::send(int, int, const std::string&) const {
  throw std::logic_error("MpiJob::send in a job of one process");
}
std::optional<MpiJob::Message> MpiJob::try_receive() const {
  return std::nullopt;
}
void MpiJob::abort(int code) const {
  std::_Exit(code);
}

#endif

}  // namespace models::study
