// HDF5 results files (see h5_writer.hpp and DESIGN.md "Output contract (HDF5)").
//
// Representation choices (the Python side, tools/analysis/firstwall_results.py, relies on them):
//  - String attributes (root attributes, column units, table attributes, `unit` of series) are
//    scalar variable-length UTF-8 strings, which h5py 3 returns as `str`. Variable length also
//    keeps large values (the resolved scenario YAML) out of the 64 KiB object-header limit.
//  - Table string columns are fixed-length, null-padded UTF-8 strings sized to the longest
//    value (at least 1 byte); h5py returns them as `bytes` (numpy dtype 'S<n>').
//  - Compound members are packed (no padding), in column order, with native float64/int64.
//  - Object modification/creation times are not recorded, so identical calls give
//    byte-identical files.
//
// HDF5's automatic error printing is switched off for the duration of each public call (and
// restored afterwards); failures are reported as exceptions carrying HDF5's innermost message.
// The serial HDF5 library is not thread-safe: all ResultFile use must be serialized
// process-wide by the caller.
#include "sim/h5_writer.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

namespace sim::h5 {

// ---------------------------------------------------------------------------------------------
// Table

Table& Table::add(std::string name, std::string unit, std::vector<double> values) {
  columns_.push_back(Column{std::move(name), std::move(unit), std::move(values)});
  return *this;
}

Table& Table::add(std::string name, std::string unit, std::vector<std::int64_t> values) {
  columns_.push_back(Column{std::move(name), std::move(unit), std::move(values)});
  return *this;
}

Table& Table::add(std::string name, std::vector<std::string> values) {
  columns_.push_back(Column{std::move(name), std::string{}, std::move(values)});
  return *this;
}

std::size_t Table::rows() const {
  if (columns_.empty()) return 0;
  return std::visit([](const auto& v) { return v.size(); }, columns_.front().data);
}

namespace {

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing

// Owns one hid_t and closes it with the matching H5?close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; returns false if the close failed (HDF5 may report deferred write errors here).
  bool close() {
    if (id_ < 0) return true;
    const herr_t rc = closer_(std::exchange(id_, H5I_INVALID_HID));
    return rc >= 0;
  }
  void reset() { (void)close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Silences HDF5's automatic error-stack printing for one public call, restoring the previous
// handler afterwards (so nothing of HDF5's global configuration is changed permanently).
class QuietErrors {
 public:
  QuietErrors() {
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) >= 0) {
      saved_ = true;
      H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
  }
  ~QuietErrors() {
    if (saved_) H5Eset_auto2(H5E_DEFAULT, func_, data_);
  }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

// The innermost (first-pushed) description on the default error stack, then clears it.
std::string hdf5_detail() {
  std::string detail;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* client) -> herr_t {
    auto* out = static_cast<std::string*>(client);
    if (n == 0 && err != nullptr && err->desc != nullptr) *out = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk, &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail;
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  std::string msg = "HDF5 file '" + file + "': " + what;
  const std::string detail = hdf5_detail();
  if (!detail.empty()) msg += " (" + detail + ")";
  throw std::runtime_error(msg);
}

hid_t check_id(hid_t id, const std::string& file, const std::string& what) {
  if (id < 0) fail(file, what);
  return id;
}

void check(herr_t rc, const std::string& file, const std::string& what) {
  if (rc < 0) fail(file, what);
}

// Scalar variable-length UTF-8 string type.
Handle vlen_utf8_type(const std::string& file) {
  Handle t(check_id(H5Tcopy(H5T_C_S1), file, "copy string type"), H5Tclose);
  check(H5Tset_size(t.get(), H5T_VARIABLE), file, "set variable string size");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), file, "set UTF-8 character set");
  return t;
}

// Fixed-length null-padded UTF-8 string type of `size` bytes.
Handle fixed_utf8_type(std::size_t size, const std::string& file) {
  Handle t(check_id(H5Tcopy(H5T_C_S1), file, "copy string type"), H5Tclose);
  check(H5Tset_size(t.get(), size), file, "set string size");
  check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), file, "set string padding");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), file, "set UTF-8 character set");
  return t;
}

// Creates (or replaces) a scalar attribute `name` on `obj` of type `type` from `buf`.
void write_attribute(hid_t obj, const std::string& name, hid_t type, const void* buf,
                     const std::string& file, const std::string& where) {
  const std::string what = "attribute '" + name + "' on '" + where + "'";
  const htri_t exists = H5Aexists(obj, name.c_str());
  if (exists < 0) fail(file, "cannot query " + what);
  if (exists > 0) check(H5Adelete(obj, name.c_str()), file, "cannot replace " + what);
  Handle space(check_id(H5Screate(H5S_SCALAR), file, "cannot create dataspace for " + what),
               H5Sclose);
  Handle attr(check_id(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                       file, "cannot create " + what),
              H5Aclose);
  check(H5Awrite(attr.get(), type, buf), file, "cannot write " + what);
  if (!attr.close()) fail(file, "cannot close " + what);
}

void write_string_attribute(hid_t obj, const std::string& name, const std::string& value,
                            const std::string& file, const std::string& where) {
  Handle type = vlen_utf8_type(file);
  const char* ptr = value.c_str();
  write_attribute(obj, name, type.get(), &ptr, file, where);
}

// Link creation properties: create missing intermediate groups, names in UTF-8.
Handle link_props(const std::string& file) {
  Handle lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), file, "cannot create link properties"),
              H5Pclose);
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), file,
        "cannot enable intermediate group creation");
  check(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), file, "cannot set link name encoding");
  return lcpl;
}

// Object creation properties for groups and datasets: no timestamps (deterministic bytes).
Handle group_props(const std::string& file) {
  Handle gcpl(check_id(H5Pcreate(H5P_GROUP_CREATE), file, "cannot create group properties"),
              H5Pclose);
  check(H5Pset_obj_track_times(gcpl.get(), false), file, "cannot disable group timestamps");
  return gcpl;
}

Handle dataset_props(const std::string& file) {
  Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), file, "cannot create dataset properties"),
              H5Pclose);
  check(H5Pset_obj_track_times(dcpl.get(), false), file, "cannot disable dataset timestamps");
  return dcpl;
}

// Creates the groups leading to `path` (everything before its last component) one by one with
// our group properties (timestamps off). The library's own intermediate-group creation uses
// the default group properties, so this does not rely on it; the link property
// (H5Pset_create_intermediate_group) stays on as a fallback.
void create_parents(hid_t loc, const std::string& path, const std::string& file) {
  std::size_t pos = 0;
  std::string prefix;
  while (true) {
    const std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) return;  // the last component is the object itself
    const std::string part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty()) {  // leading '/' or '//'
      if (prefix.empty()) prefix = "/";
      continue;
    }
    prefix += (prefix.empty() || prefix.back() == '/') ? part : "/" + part;
    const htri_t exists = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) fail(file, "cannot look up '" + prefix + "'");
    if (exists > 0) continue;
    Handle lcpl = link_props(file);
    Handle gcpl = group_props(file);
    Handle g(check_id(H5Gcreate2(loc, prefix.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT), file,
                      "cannot create group '" + prefix + "'"),
             H5Gclose);
  }
}

void check_object_path(const std::string& path) {
  if (path.empty() || path == "/" || path.back() == '/')
    throw std::invalid_argument("HDF5 object path '" + path + "' must name an object");
}

// Writes a 1-D float64 dataset `name` under `loc`.
Handle write_vector(hid_t loc, const std::string& name, const std::vector<double>& v,
                    const std::string& file, const std::string& where) {
  const std::string what = "dataset '" + where + "/" + name + "'";
  const hsize_t dims[1] = {static_cast<hsize_t>(v.size())};
  Handle space(
      check_id(H5Screate_simple(1, dims, nullptr), file, "cannot create dataspace for " + what),
      H5Sclose);
  Handle lcpl = link_props(file);
  Handle dcpl = dataset_props(file);
  Handle ds(check_id(H5Dcreate2(loc, name.c_str(), H5T_NATIVE_DOUBLE, space.get(), lcpl.get(),
                                dcpl.get(), H5P_DEFAULT),
                     file, "cannot create " + what),
            H5Dclose);
  if (!v.empty())
    check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), file,
          "cannot write " + what);
  return ds;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ResultFile

struct ResultFile::Impl {
  Handle file;

  // The open file, or std::logic_error once commit() has closed it (or failed).
  hid_t id(const std::string& final_path) const {
    if (!file.valid())
      throw std::logic_error("HDF5 results file '" + final_path +
                             "' is closed (commit() was called)");
    return file.get();
  }
};

ResultFile::ResultFile(std::string final_path)
    : impl_(std::make_unique<Impl>()), final_path_(std::move(final_path)) {
  if (final_path_.empty()) throw std::invalid_argument("HDF5 results path is empty");
  temp_path_ = final_path_ + ".tmp-" + std::to_string(static_cast<long long>(::getpid()));
  // HDF5 1.10 crashes in its own exit handler after a failed close (a full disk, a file-size
  // limit: HDFFV-11052, fixed in 1.14), turning a reported error into a segfault. Its exit
  // handler only frees memory the process is giving back anyway, so it is not installed.
  // (Effective when no other HDF5 call came first; harmless otherwise.)
  H5dont_atexit();
  QuietErrors quiet;
  // Close strongly so that, once H5Fclose returns, the file really is closed before rename.
  Handle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), temp_path_, "cannot create access properties"),
              H5Pclose);
  check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), temp_path_, "cannot set close degree");
  // The file creation properties also govern the root group: no timestamps there either.
  Handle fcpl(check_id(H5Pcreate(H5P_FILE_CREATE), temp_path_, "cannot create file properties"),
              H5Pclose);
  check(H5Pset_obj_track_times(fcpl.get(), false), temp_path_,
        "cannot disable root group timestamps");
  const hid_t f = H5Fcreate(temp_path_.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
  if (f < 0) fail(temp_path_, "cannot create file (results for '" + final_path_ + "')");
  impl_->file = Handle(f, H5Fclose);
}

ResultFile::~ResultFile() {
  if (committed_) return;
  {
    QuietErrors quiet;
    impl_->file.reset();
    H5Eclear2(H5E_DEFAULT);
  }
  std::error_code ec;
  std::filesystem::remove(temp_path_, ec);  // best effort; a destructor must not throw
}

void ResultFile::set_attribute(const std::string& name, const std::string& value) {
  const hid_t fid = impl_->id(final_path_);
  QuietErrors quiet;
  write_string_attribute(fid, name, value, temp_path_, "/");
}

void ResultFile::set_attribute(const std::string& name, std::int64_t value) {
  const hid_t fid = impl_->id(final_path_);
  QuietErrors quiet;
  write_attribute(fid, name, H5T_NATIVE_INT64, &value, temp_path_, "/");
}

void ResultFile::set_attribute(const std::string& name, double value) {
  const hid_t fid = impl_->id(final_path_);
  QuietErrors quiet;
  write_attribute(fid, name, H5T_NATIVE_DOUBLE, &value, temp_path_, "/");
}

void ResultFile::write_table(const std::string& path, const Table& table,
                             const std::vector<std::pair<std::string, std::string>>& attributes) {
  const hid_t fid = impl_->id(final_path_);
  check_object_path(path);
  const auto& cols = table.columns();
  if (cols.empty()) throw std::invalid_argument("table '" + path + "' has no columns");
  const std::size_t rows = table.rows();

  // Validate: names non-empty and unique, equal lengths, attribute names free.
  std::set<std::string> unit_attrs;
  {
    std::set<std::string> names;
    for (const auto& c : cols) {
      if (c.name.empty()) throw std::invalid_argument("table '" + path + "' has an unnamed column");
      if (!names.insert(c.name).second)
        throw std::invalid_argument("table '" + path + "': duplicate column '" + c.name + "'");
      const std::size_t n = std::visit([](const auto& v) { return v.size(); }, c.data);
      if (n != rows)
        throw std::invalid_argument("table '" + path + "': column '" + c.name + "' has " +
                                    std::to_string(n) + " rows, expected " + std::to_string(rows) +
                                    " (as column '" + cols.front().name + "')");
      if (!c.unit.empty()) unit_attrs.insert(c.name);
    }
    std::set<std::string> extra;
    for (const auto& [k, v] : attributes) {
      if (k.empty()) throw std::invalid_argument("table '" + path + "': unnamed attribute");
      if (unit_attrs.count(k) != 0 || !extra.insert(k).second)
        throw std::invalid_argument("table '" + path + "': attribute '" + k +
                                    "' clashes with a column unit or another attribute");
    }
  }

  QuietErrors quiet;
  const std::string& file = temp_path_;

  // Member types and packed offsets.
  std::vector<Handle> member_types;  // owned types (strings); natives are not closed
  std::vector<hid_t> types;
  std::vector<std::size_t> sizes, offsets;
  std::size_t record = 0;
  for (const auto& c : cols) {
    hid_t t = H5I_INVALID_HID;
    std::size_t size = 0;
    if (std::holds_alternative<std::vector<double>>(c.data)) {
      t = H5T_NATIVE_DOUBLE;
      size = sizeof(double);
    } else if (std::holds_alternative<std::vector<std::int64_t>>(c.data)) {
      t = H5T_NATIVE_INT64;
      size = sizeof(std::int64_t);
    } else {
      const auto& v = std::get<std::vector<std::string>>(c.data);
      size = 1;
      for (const auto& s : v) size = std::max(size, s.size());
      member_types.push_back(fixed_utf8_type(size, file));
      t = member_types.back().get();
    }
    types.push_back(t);
    sizes.push_back(size);
    offsets.push_back(record);
    record += size;
  }

  Handle compound(check_id(H5Tcreate(H5T_COMPOUND, record), file,
                           "cannot create compound type for '" + path + "'"),
                  H5Tclose);
  for (std::size_t i = 0; i < cols.size(); ++i)
    check(H5Tinsert(compound.get(), cols[i].name.c_str(), offsets[i], types[i]), file,
          "cannot add column '" + cols[i].name + "' to the type of '" + path + "'");

  // Pack the rows.
  std::vector<unsigned char> buf(rows * record, 0);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          for (std::size_t r = 0; r < rows; ++r) {
            unsigned char* dst = buf.data() + r * record + offsets[i];
            if constexpr (std::is_same_v<V, std::vector<std::string>>) {
              // The rest of the field stays zero: null padding, no terminator needed.
              // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
              std::memcpy(dst, v[r].data(), v[r].size());
            } else {
              std::memcpy(dst, &v[r], sizeof(v[r]));
            }
          }
        },
        cols[i].data);
  }

  create_parents(fid, path, file);
  const hsize_t dims[1] = {static_cast<hsize_t>(rows)};
  Handle space(check_id(H5Screate_simple(1, dims, nullptr), file,
                        "cannot create dataspace for '" + path + "'"),
               H5Sclose);
  Handle lcpl = link_props(file);
  Handle dcpl = dataset_props(file);
  Handle ds(check_id(H5Dcreate2(fid, path.c_str(), compound.get(), space.get(), lcpl.get(),
                                dcpl.get(), H5P_DEFAULT),
                     file, "cannot create dataset '" + path + "'"),
            H5Dclose);
  if (rows > 0)
    check(H5Dwrite(ds.get(), compound.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), file,
          "cannot write dataset '" + path + "'");

  for (const auto& c : cols)
    if (!c.unit.empty()) write_string_attribute(ds.get(), c.name, c.unit, file, path);
  for (const auto& [k, v] : attributes) write_string_attribute(ds.get(), k, v, file, path);
  if (!ds.close()) fail(file, "cannot close dataset '" + path + "'");
}

void ResultFile::copy_from(const std::string& source_file, const std::string& source_object,
                           const std::string& path) {
  const hid_t fid = impl_->id(final_path_);
  check_object_path(path);
  QuietErrors quiet;
  const std::string& file = temp_path_;
  Handle src(check_id(H5Fopen(source_file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), source_file,
                      "cannot open for reading"),
             H5Fclose);
  create_parents(fid, path, file);
  Handle lcpl = link_props(file);
  check(H5Ocopy(src.get(), source_object.c_str(), fid, path.c_str(), H5P_DEFAULT, lcpl.get()), file,
        "cannot copy '" + source_object + "' of " + source_file + " to '" + path + "'");
  if (!src.close()) fail(source_file, "cannot close");
}

void ResultFile::write_series(const std::string& path, const std::vector<double>& time_s,
                              const std::vector<double>& value, const std::string& unit) {
  const hid_t fid = impl_->id(final_path_);
  check_object_path(path);
  if (time_s.size() != value.size())
    throw std::invalid_argument("series '" + path + "': time_s has " +
                                std::to_string(time_s.size()) + " points but value has " +
                                std::to_string(value.size()));
  QuietErrors quiet;
  const std::string& file = temp_path_;
  create_parents(fid, path, file);
  Handle lcpl = link_props(file);
  Handle gcpl = group_props(file);
  Handle group(check_id(H5Gcreate2(fid, path.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT), file,
                        "cannot create group '" + path + "'"),
               H5Gclose);
  write_string_attribute(group.get(), "unit", unit, file, path);
  {
    Handle t = write_vector(group.get(), "time_s", time_s, file, path);
    write_string_attribute(t.get(), "unit", "s", file, path + "/time_s");
    if (!t.close()) fail(file, "cannot close dataset '" + path + "/time_s'");
  }
  {
    Handle v = write_vector(group.get(), "value", value, file, path);
    write_string_attribute(v.get(), "unit", unit, file, path + "/value");
    if (!v.close()) fail(file, "cannot close dataset '" + path + "/value'");
  }
  if (!group.close()) fail(file, "cannot close group '" + path + "'");
}

void ResultFile::commit() {
  (void)impl_->id(final_path_);  // throws if already closed
  {
    QuietErrors quiet;
    Handle& f = impl_->file;
    std::string error;
    if (H5Fflush(f.get(), H5F_SCOPE_GLOBAL) < 0) {
      error = "cannot flush";
    } else if (H5Fget_obj_count(f.get(), H5F_OBJ_ALL | H5F_OBJ_LOCAL) != 1) {
      error = "objects left open before close";
    }
    if (!error.empty()) {
      std::string msg = "HDF5 file '" + temp_path_ + "': " + error;
      const std::string detail = hdf5_detail();
      if (!detail.empty()) msg += " (" + detail + ")";
      f.reset();
      H5Eclear2(H5E_DEFAULT);
      std::error_code ec;
      std::filesystem::remove(temp_path_, ec);
      throw std::runtime_error(msg);
    }
    if (!f.close()) {
      std::string msg = "HDF5 file '" + temp_path_ + "': cannot close";
      const std::string detail = hdf5_detail();
      if (!detail.empty()) msg += " (" + detail + ")";
      std::error_code ec;
      std::filesystem::remove(temp_path_, ec);
      throw std::runtime_error(msg);
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp_path_, final_path_, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp_path_, ignored);
    throw std::runtime_error("cannot rename HDF5 file '" + temp_path_ + "' onto '" + final_path_ +
                             "': " + ec.message());
  }
  committed_ = true;
}

}  // namespace sim::h5
