// The sweep's journal: finished points, committed one by one beside the output, so that a
// sweep killed at any moment (kill -9, a lost node) resumes with only the missing points.
//
// A text file, append-only. The first line names the study (a fingerprint of everything
// that decides the points' results); each further line is one point's outcome, written
// with one write() and fsync()ed before the next point is recorded. Every line ends with a
// checksum of its content: a line cut short by a kill, or damaged, and everything after it,
// is dropped on reading (and cut off the file, so that appending continues cleanly). Doubles
// are stored as their 64-bit patterns, so a resumed sweep writes bit-identical values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace models::study {

struct PointRecord {
  std::int64_t id = 0;
  bool ok = false;
  std::string error;  // failed points: the message (located diagnostics, one per line)
  struct Metric {
    std::string name;
    std::string unit;
    double value = 0;
  };
  std::vector<Metric> metrics;  // the run's /summary metrics, in its order
  std::string first_wall, first_wall_kind, nearest_wall;
};

// One record as a journal line (with its checksum and '\n'), and back; parse returns false
// for a line that is cut short or does not match its checksum.
std::string journal_line(const PointRecord& r);
bool parse_journal_line(std::string_view line, PointRecord& out);

class Journal {
 public:
  // Opens `path` for appending. With `resume` and an existing file whose header matches
  // `fingerprint`, the records in it are loaded (records()) and a cut-short tail removed;
  // a header that does not match throws sim::config::InputError (another study's journal).
  // Otherwise the file is created with the header (it must not exist: the caller decides).
  Journal(std::string path, const std::string& fingerprint, bool resume);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::map<std::int64_t, PointRecord>& records() const { return records_; }
  // Appends one record durably (one write, then fsync); throws std::runtime_error on failure.
  void append(const PointRecord& r);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::map<std::int64_t, PointRecord> records_;
};

}  // namespace models::study
