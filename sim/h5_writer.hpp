// Results files in HDF5, written so that an interrupted run leaves no half file.
//
// A ResultFile writes to "<path>.tmp-<pid>" and renames it onto <path> in commit(); if it is
// destroyed without commit() (an exception, a crash of the run logic) the temporary file is
// removed. Tables are compound datasets with plain column names, so
//   pandas.DataFrame(h5py.File(f)["walls"][()])
// works; each column's unit is an attribute of the dataset named after the column.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace sim::h5 {

// A column-oriented table. All columns must have the same length when written.
class Table {
 public:
  struct Column {
    std::string name;
    std::string unit;  // "" for none; stored as an attribute named after the column
    std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> data;
  };

  Table& add(std::string name, std::string unit, std::vector<double> values);
  Table& add(std::string name, std::string unit, std::vector<std::int64_t> values);
  Table& add(std::string name, std::vector<std::string> values);

  std::size_t rows() const;  // 0 when there are no columns
  const std::vector<Column>& columns() const { return columns_; }

 private:
  std::vector<Column> columns_;
};

class ResultFile {
 public:
  // Creates the temporary file next to `final_path` (same directory, so rename is atomic).
  // Throws std::runtime_error naming the path if it cannot be created.
  explicit ResultFile(std::string final_path);
  ~ResultFile();  // removes the temporary file unless commit() succeeded
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  void set_attribute(const std::string& name, const std::string& value);  // on the root
  void set_attribute(const std::string& name, std::int64_t value);
  void set_attribute(const std::string& name, double value);

  // Writes a compound dataset at `path` ("/summary", "/walls", "/requests", "/points");
  // intermediate groups are created. `attributes` are extra string attributes of it.
  void write_table(const std::string& path, const Table& table,
                   const std::vector<std::pair<std::string, std::string>>& attributes = {});

  // Writes group `path` with datasets `time_s` and `value` (float64, equal length); the
  // group and the `value` dataset carry a `unit` attribute.
  void write_series(const std::string& path, const std::vector<double>& time_s,
                    const std::vector<double>& value, const std::string& unit);

  // Copies object `source_object` ("/" for the whole root group, with its attributes) of the
  // HDF5 file `source_file` to `path` in this file; intermediate groups are created. A sweep
  // keeps each point's results this way (/runs/<id>) from the files it committed per point.
  void copy_from(const std::string& source_file, const std::string& source_object,
                 const std::string& path);

  // Closes the file and renames it onto the final path. Throws on failure (and then the
  // temporary is removed).
  void commit();

  const std::string& final_path() const { return final_path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

}  // namespace sim::h5
