// Scenario files as a located tree, and typed reading of it that collects every problem.
//
// Loading turns YAML (via yaml-cpp) into a small immutable tree whose every node knows the
// file, 1-based line and 1-based column it came from, so that a message can read
//   scenarios/x.yaml:42:7: cooling.cdu.capacity: must be > 0 (got "-5 kW")
// `include:` (a path or a list of paths, relative to the including file) deep-merges the
// included mappings under the including file; the including file's own values win.
// Duplicate keys, tabs in indentation, syntax errors, empty files, a top level that is not
// a mapping and files that are not UTF-8 text are all reported as diagnostics.
//
// Reading (Reader) records which keys were read, so that finish() can report the rest as
// unknown keys with a "did you mean" suggestion. Nothing here exits or asserts on input.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/quantity.hpp"
#include "sim/units.hpp"

namespace sim::config {

struct Location {
  std::string file;  // as given (relative paths stay relative); "--set" for overrides
  int line = 0;      // 1-based
  int column = 0;    // 1-based
};

struct Diagnostic {
  Location where;
  std::string path;  // yaml path, e.g. "serving.gpu" or "workload.arrivals.rate"; "" at top
  std::string message;
  // "file:line:col: path: message" (without "path: " when path is empty)
  std::string str() const;
};

class Diagnostics {
 public:
  void add(Location where, std::string path, std::string message);
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  // Sorted by (file, line, column), stable for equal locations.
  std::vector<Diagnostic> sorted() const;
  // One diagnostic per line, sorted, each ending in '\n'.
  std::string str() const;

 private:
  std::vector<Diagnostic> items_;
};

// Thrown when input is bad; carries every diagnostic. The CLI maps it to exit code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const Diagnostics& d);
  InputError(Location where, std::string path, std::string message);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

class Node {
 public:
  enum class Kind { null, scalar, sequence, mapping };
  using Entry = std::pair<std::string, Node>;

  Node() = default;
  static Node make_scalar(std::string text, Location where);
  static Node make_mapping(Location where);
  static Node make_sequence(Location where);
  static Node make_null(Location where);

  Kind kind() const { return kind_; }
  bool is_mapping() const { return kind_ == Kind::mapping; }
  bool is_scalar() const { return kind_ == Kind::scalar; }
  bool is_sequence() const { return kind_ == Kind::sequence; }
  bool is_null() const { return kind_ == Kind::null; }
  const Location& location() const { return where_; }
  const std::string& scalar() const { return scalar_; }           // scalars only
  const std::vector<Node>& items() const { return items_; }       // sequences only
  const std::vector<Entry>& entries() const { return entries_; }  // mappings, file order
  const Node* find(std::string_view key) const;                   // mappings; nullptr if absent
  Node* find(std::string_view key);                               // same, for building (--set)
  // Where a mapping key itself stands (for "unknown key" messages).
  const Location* key_location(std::string_view key) const;

  // Building (used by the loader and --set); keys stay unique.
  Node& set(std::string key, Node value, Location key_where);
  void push_back(Node item);
  Node* item(std::size_t i) { return i < items_.size() ? &items_[i] : nullptr; }  // sequences

 private:
  friend class Loader;
  Kind kind_ = Kind::null;
  Location where_;
  std::string scalar_;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
  std::vector<Location> key_locations_;  // parallel to entries_
};

// Human name of a node kind for messages: "a mapping", "a list", "a scalar", "null".
std::string_view kind_name(Node::Kind k);

// Loads `path` with its includes. On any problem, every diagnostic is added to `diags` and
// the returned tree is whatever could be read (callers check diags.empty()).
Node load_file(const std::string& path, Diagnostics& diags);
// Same, from text (tests, stdin); `file_name` is used in locations and to resolve includes.
Node load_string(std::string_view text, const std::string& file_name, Diagnostics& diags);

// The whole read of a file with one root reader: load, `read(root, diags)`, and throw
// InputError with every diagnostic if loading or reading found any. `read` returns the value.
template <class Read>
auto read_loaded(const Node& root, Diagnostics& diags, Read&& read) {
  if (!diags.empty()) throw InputError(diags);
  auto value = read(root, diags);
  if (!diags.empty()) throw InputError(diags);
  return value;
}
template <class Read>
auto read_file(const std::string& path, Read&& read) {
  Diagnostics diags;
  const Node root = load_file(path, diags);
  return read_loaded(root, diags, read);
}
// Same, from text.
template <class Read>
auto read_string(std::string_view text, const std::string& file_name, Read&& read) {
  Diagnostics diags;
  const Node root = load_string(text, file_name, diags);
  return read_loaded(root, diags, read);
}

// Applies one command-line override "a.b.c=value": sets the scalar at that path, creating
// missing mappings on the way. `index` (1-based) is the override's position on the command
// line; its location is {"--set", index, 1}. A list item is written key[i] (0-based), e.g.
// "workloads[1].arrivals.rate"; it must exist. A path through a scalar is an error.
void apply_override(Node& root, std::string_view assignment, int index, Diagnostics& diags);

// Where a value set at a scenario path goes (apply_override, a study's axes). The path is
// keys separated by dots, each key followed by any number of 0-based list indices:
// "a.b.c", "workloads[1].arrivals.rate", "m[0][2]".
struct PathSlot {
  // The node to assign (a list item), or the mapping whose `key` to set; both null when the
  // path cannot be entered.
  Node* node = nullptr;
  Node* mapping = nullptr;
  std::string key;
  explicit operator bool() const { return node || mapping; }
  // Sets the value there (a key's location becomes `where`, as for a key set by --set).
  void assign(Node value, const Location& where) const;
  // Otherwise: the path up to where it stopped, and why: `kind` is the kind of the node
  // there when it is not a mapping (a key cannot go into it) or not a list (an index
  // cannot), else `problem` says what is wrong (an index past the list's end).
  std::string prefix;
  Node::Kind kind = Node::Kind::null;
  std::string problem;
};
// False for a malformed path (an empty key, unbalanced brackets, an index that is not a
// whole number).
bool valid_path(std::string_view path);
// The slot for a valid `path` in `root` (a mapping); missing mappings on the way are created
// at `where`, list items are never created.
PathSlot slot_at(Node& root, std::string_view path, const Location& where);

// The tree as YAML text (the resolved scenario stored in results files).
std::string to_yaml(const Node& root);

// Bounds for numbers and quantities, in SI units. Messages read "must be > 0",
// "must be >= 1", "must be <= 100 %", "must be between 1 and 64".
struct Bounds {
  std::optional<double> min;
  bool min_inclusive = true;
  std::optional<double> max;
  bool max_inclusive = true;

  static Bounds positive() { return {0.0, false, std::nullopt, true}; }
  static Bounds non_negative() { return {0.0, true, std::nullopt, true}; }
  static Bounds at_least(double v) { return {v, true, std::nullopt, true}; }
  static Bounds between(double lo, double hi) { return {lo, true, hi, true}; }
  static Bounds fraction() { return {0.0, true, 1.0, true}; }
};

enum class Need { required, optional };

// Reads one mapping. Every accessor marks its key as known; a missing required key is
// reported at the mapping's own location as `path.key: missing required key`. A value of
// the wrong kind or out of bounds is reported at the value's location. Accessors return
// nullopt on any problem, so reading continues and collects everything.
class Reader {
 public:
  // `node` may be null (absent section): then every required key is reported missing at
  // `where_absent`. A present node that is not a mapping is reported ("must be a mapping").
  Reader(const Node* node, std::string path, Diagnostics& diags, Location where_absent = {});

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;  // "a.b" + "c" -> "a.b.c"
  const Location& location() const { return where_; }
  bool has(std::string_view key) const;  // present and not null; does not mark the key
  Diagnostics& diagnostics() const { return *diags_; }

  std::optional<std::string> string(std::string_view key, Need need);
  std::optional<std::int64_t> integer(std::string_view key, Need need, Bounds b = {});
  std::optional<double> number(std::string_view key, Need need, Bounds b = {});
  std::optional<bool> boolean(std::string_view key, Need need);
  // `must be one of: a, b, c (got "x")` (with "did you mean" when close).
  std::optional<std::string> choice(std::string_view key, std::span<const std::string_view> options,
                                    Need need);
  // A quantity with a unit of dimension `d`, in SI. Bounds are in SI and printed in the
  // dimension's unit.
  std::optional<double> quantity(std::string_view key, Dim d, Need need, Bounds b = {});
  template <Dim D>
  std::optional<Quantity<D>> quantity(std::string_view key, Need need, Bounds b = {}) {
    auto v = quantity(key, D, need, b);
    if (!v) return std::nullopt;
    return Quantity<D>(*v);
  }
  // A temperature difference (approach, rise, margin) in K; "degC" and "degF" are refused
  // (sim::parse_temperature_difference). Bounds in K.
  std::optional<double> temperature_difference(std::string_view key, Need need, Bounds b = {});
  // Any node (marks the key); nullptr when absent (reports if required).
  const Node* node(std::string_view key, Need need);
  // A nested mapping reader (absent optional sections give a reader over nothing).
  Reader section(std::string_view key, Need need);

  // Reports every key of this mapping that no accessor asked for:
  //   `unknown key "modle" (did you mean "model"?)` at the key's location, path = path.key.
  // A root reader (path "") also suggests `include`, which the loader reads.
  void finish();

 private:
  const Node* node_;
  std::string path_;
  Diagnostics* diags_;
  Location where_;
  std::vector<std::string> known_;
  // Set when the problem with this section was already reported (a required section that
  // is absent, or a node that is not a mapping): the reader then stays silent.
  bool silent_ = false;

  const Node* value_of(std::string_view key, Need need);
  const Node* scalar_of(std::string_view key, Need need);
  void report(const Node& at, std::string_view key, std::string message);
};

// Closest candidate by edit distance, if close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word,
                                        std::span<const std::string> candidates);

}  // namespace sim::config
