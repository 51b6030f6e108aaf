// Reading sweep files back in tests: every dataset's bytes, root attributes, table columns.
#pragma once

#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>

namespace test {

// Every dataset of a file as raw bytes in its stored type (fixed-length strings included),
// keyed by path: equal maps mean byte-identical datasets.
inline std::map<std::string, std::vector<unsigned char>> dataset_bytes(
    const std::filesystem::path& file) {
  std::map<std::string, std::vector<unsigned char>> out;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  if (f < 0) return out;
  H5Ovisit(
      f, H5_INDEX_NAME, H5_ITER_NATIVE,
      [](hid_t loc, const char* name, const H5O_info_t* info, void* data) -> herr_t {
        if (info->type != H5O_TYPE_DATASET) return 0;
        const hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
        const hid_t t = H5Dget_type(d);
        const hid_t s = H5Dget_space(d);
        const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(s));
        std::vector<unsigned char> buf(n * H5Tget_size(t));
        if (!buf.empty()) H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
        (*static_cast<std::map<std::string, std::vector<unsigned char>>*>(data))[name] =
            std::move(buf);
        H5Sclose(s);
        H5Tclose(t);
        H5Dclose(d);
        return 0;
      },
      &out);
  H5Fclose(f);
  return out;
}

// The root's attributes, each as text (strings as they are, numbers printed).
inline std::map<std::string, std::string> root_attributes(const std::filesystem::path& file) {
  std::map<std::string, std::string> out;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return out;
  H5Aiterate2(
      f, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr,
      [](hid_t loc, const char* name, const H5A_info_t*, void* data) -> herr_t {
        const hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
        const hid_t t = H5Aget_type(a);
        std::string value;
        if (H5Tget_class(t) == H5T_STRING) {
          const hid_t s = H5Tcopy(H5T_C_S1);
          H5Tset_size(s, H5T_VARIABLE);
          H5Tset_cset(s, H5T_CSET_UTF8);
          char* v = nullptr;
          H5Aread(a, s, &v);
          value = v ? v : "";
          H5free_memory(v);
          H5Tclose(s);
        } else if (H5Tget_class(t) == H5T_INTEGER) {
          std::int64_t v = 0;
          H5Aread(a, H5T_NATIVE_INT64, &v);
          value = std::to_string(v);
        } else {
          double v = 0;
          H5Aread(a, H5T_NATIVE_DOUBLE, &v);
          value = std::to_string(v);
        }
        (*static_cast<std::map<std::string, std::string>*>(data))[name] = value;
        H5Tclose(t);
        H5Aclose(a);
        return 0;
      },
      &out);
  H5Fclose(f);
  return out;
}

// One column of a compound table, read through a compound memory type holding it alone.
class Table {
 public:
  Table(const std::filesystem::path& file, const std::string& path) {
    file_ = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file_ < 0) throw std::runtime_error("cannot open " + file.string());
    ds_ = H5Dopen2(file_, path.c_str(), H5P_DEFAULT);
    if (ds_ < 0) throw std::runtime_error("no dataset " + path);
    type_ = H5Dget_type(ds_);
    const hid_t space = H5Dget_space(ds_);
    rows_ = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    H5Sclose(space);
  }
  ~Table() {
    H5Tclose(type_);
    H5Dclose(ds_);
    H5Fclose(file_);
  }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  std::size_t rows() const { return rows_; }
  bool has(const std::string& column) const {
    return H5Tget_member_index(type_, column.c_str()) >= 0;
  }
  std::vector<double> doubles(const std::string& column) const {
    std::vector<double> out(rows_);
    read(column, H5T_NATIVE_DOUBLE, sizeof(double), out.data());
    return out;
  }
  std::vector<std::int64_t> ints(const std::string& column) const {
    std::vector<std::int64_t> out(rows_);
    read(column, H5T_NATIVE_INT64, sizeof(std::int64_t), out.data());
    return out;
  }
  std::vector<std::string> strings(const std::string& column) const {
    const int i = H5Tget_member_index(type_, column.c_str());
    if (i < 0) throw std::runtime_error("no column " + column);
    const hid_t stored = H5Tget_member_type(type_, static_cast<unsigned>(i));
    const std::size_t size = H5Tget_size(stored);
    std::vector<char> buf(rows_ * size);
    read(column, stored, size, buf.data());
    H5Tclose(stored);
    std::vector<std::string> out;
    for (std::size_t r = 0; r < rows_; ++r)
      out.emplace_back(buf.data() + r * size, strnlen(buf.data() + r * size, size));
    return out;
  }
  // A string attribute of the dataset (a column's unit is named after the column).
  std::string attribute(const std::string& name) const {
    if (H5Aexists(ds_, name.c_str()) <= 0) return "<none>";
    const hid_t a = H5Aopen(ds_, name.c_str(), H5P_DEFAULT);
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char* v = nullptr;
    H5Aread(a, t, &v);
    std::string out = v ? v : "";
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return out;
  }

 private:
  void read(const std::string& column, hid_t mem_member, std::size_t size, void* buf) const {
    if (H5Tget_member_index(type_, column.c_str()) < 0)
      throw std::runtime_error("no column " + column);
    const hid_t mem = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(mem, column.c_str(), 0, mem_member);
    const herr_t rc = H5Dread(ds_, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Tclose(mem);
    if (rc < 0) throw std::runtime_error("cannot read column " + column);
  }
  hid_t file_ = -1, ds_ = -1, type_ = -1;
  std::size_t rows_ = 0;
};

}  // namespace test
