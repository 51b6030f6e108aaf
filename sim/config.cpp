// The located tree, diagnostics, typed reading (Reader), --set overrides and YAML output.
// Loading files lives in config_loader.cpp.
#include "sim/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace sim::config {

namespace {

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), so that
// "modle" is one edit from "model". Case-insensitive: "Model" is a typo of "model" too.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows: two back (for transpositions), one back, current.
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const bool same = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && ascii_lower(a[i - 1]) == ascii_lower(b[j - 2]) &&
          ascii_lower(a[i - 2]) == ascii_lower(b[j - 1])) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

// A bound as people write it: integers without a decimal point, others shortest round-trip.
std::string format_number(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  std::array<char, 64> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), res.ptr);
}

// "must be > 0", "must be between 1 and 64", ... or nothing when `v` is within `b`.
template <typename Format>
std::optional<std::string> check_bounds(double v, const Bounds& b, Format fmt) {
  const bool low_ok = !b.min || (b.min_inclusive ? v >= *b.min : v > *b.min);
  const bool high_ok = !b.max || (b.max_inclusive ? v <= *b.max : v < *b.max);
  if (low_ok && high_ok) return std::nullopt;
  if (b.min && b.max) {
    if (b.min_inclusive && b.max_inclusive) {
      return "must be between " + fmt(*b.min) + " and " + fmt(*b.max);
    }
    return std::string("must be ") + (b.min_inclusive ? ">= " : "> ") + fmt(*b.min) + " and " +
           (b.max_inclusive ? "<= " : "< ") + fmt(*b.max);
  }
  if (b.min) return std::string("must be ") + (b.min_inclusive ? ">= " : "> ") + fmt(*b.min);
  return std::string("must be ") + (b.max_inclusive ? "<= " : "< ") + fmt(*b.max);
}

std::string got(std::string_view text) {
  return " (got " + in_quotes(text) + ")";
}

// A decimal number as YAML users write it: optional sign, digits, optional fraction and
// exponent. No hex, no underscores, no inf/nan.
std::optional<double> parse_number(std::string_view s) {
  const bool plus = !s.empty() && s.front() == '+';
  if (plus) s.remove_prefix(1);
  if (s.empty() || (plus && s.front() == '-')) return std::nullopt;
  for (char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
    if (!ok) return std::nullopt;
  }
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

Node relocated(const Node& n, const Location& where) {
  switch (n.kind()) {
    case Node::Kind::null:
      return Node::make_null(where);
    case Node::Kind::scalar:
      return Node::make_scalar(n.scalar(), where);
    case Node::Kind::sequence: {
      Node out = Node::make_sequence(where);
      for (const Node& item : n.items()) out.push_back(relocated(item, where));
      return out;
    }
    case Node::Kind::mapping: {
      Node out = Node::make_mapping(where);
      for (const auto& [key, value] : n.entries()) out.set(key, relocated(value, where), where);
      return out;
    }
  }
  return Node::make_null(where);
}

bool is_null_word(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of a --set: plain text stays text (so "a: b" or "#1" are just strings); quoted
// strings and flow lists / mappings are read as YAML.
std::optional<Node> parse_override_value(std::string_view text, const Location& where,
                                         const std::string& path, Diagnostics& diags) {
  if (is_null_word(text)) return Node::make_null(where);
  const char first = text.front();
  if (first != '"' && first != '\'' && first != '[' && first != '{') {
    return Node::make_scalar(std::string(text), where);
  }
  Diagnostics local;
  const Node doc = load_string("value: " + std::string(text), where.file, local);
  if (!local.empty()) {
    diags.add(where, path,
              "cannot read value " + in_quotes(text) + ": " + local.sorted().front().message);
    return std::nullopt;
  }
  const Node* value = doc.find("value");
  if (value == nullptr) return Node::make_null(where);
  return relocated(*value, where);
}

// yaml-cpp writes a string holding a carriage return (or another control character but
// tab and newline) as a plain scalar, which YAML reads as a line break: the text no longer
// loads (found by fuzz_config, tests/fixtures/fuzz/carriage_return_key.yaml). Such strings
// are written double-quoted, their control characters escaped.
void emit_string(YAML::Emitter& out, const std::string& s) {
  const bool control = std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
  });
  if (control) out << YAML::DoubleQuoted;
  out << s;
}

void emit(YAML::Emitter& out, const Node& n) {
  switch (n.kind()) {
    case Node::Kind::null:
      out << YAML::Null;
      break;
    case Node::Kind::scalar:
      emit_string(out, n.scalar());
      break;
    case Node::Kind::sequence:
      out << YAML::BeginSeq;
      for (const Node& item : n.items()) emit(out, item);
      out << YAML::EndSeq;
      break;
    case Node::Kind::mapping:
      out << YAML::BeginMap;
      for (const auto& [key, value] : n.entries()) {
        out << YAML::Key;
        emit_string(out, key);
        out << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

// ---------------------------------------------------------------- diagnostics

std::string Diagnostic::str() const {
  std::string out = where.file;
  if (where.line > 0) {
    out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
  }
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

void Diagnostics::add(Location where, std::string path, std::string message) {
  items_.push_back(Diagnostic{std::move(where), std::move(path), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.where.file != b.where.file) return a.where.file < b.where.file;
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
  return out;
}

std::string Diagnostics::str() const {
  std::string out;
  for (const Diagnostic& d : sorted()) {
    out += d.str();
    out += '\n';
  }
  return out;
}

namespace {
std::string what_of(const Diagnostics& d) {
  std::string s = d.str();
  if (!s.empty()) s.pop_back();
  return s;
}
Diagnostics single(Location where, std::string path, std::string message) {
  Diagnostics d;
  d.add(std::move(where), std::move(path), std::move(message));
  return d;
}
}  // namespace

InputError::InputError(const Diagnostics& d)
    : std::runtime_error(what_of(d)), diagnostics_(d.sorted()) {}

InputError::InputError(Location where, std::string path, std::string message)
    : InputError(single(std::move(where), std::move(path), std::move(message))) {}

// ---------------------------------------------------------------- nodes

Node Node::make_scalar(std::string text, Location where) {
  Node n;
  n.kind_ = Kind::scalar;
  n.scalar_ = std::move(text);
  n.where_ = std::move(where);
  return n;
}

Node Node::make_mapping(Location where) {
  Node n;
  n.kind_ = Kind::mapping;
  n.where_ = std::move(where);
  return n;
}

Node Node::make_sequence(Location where) {
  Node n;
  n.kind_ = Kind::sequence;
  n.where_ = std::move(where);
  return n;
}

Node Node::make_null(Location where) {
  Node n;
  n.where_ = std::move(where);
  return n;
}

const Node* Node::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.first == key) return &e.second;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (Entry& e : entries_) {
    if (e.first == key) return &e.second;
  }
  return nullptr;
}

const Location* Node::key_location(std::string_view key) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == key) return &key_locations_[i];
  }
  return nullptr;
}

Node& Node::set(std::string key, Node value, Location key_where) {
  if (kind_ != Kind::mapping) {
    kind_ = Kind::mapping;
    scalar_.clear();
    items_.clear();
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == key) {
      entries_[i].second = std::move(value);
      key_locations_[i] = std::move(key_where);
      return entries_[i].second;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
  key_locations_.push_back(std::move(key_where));
  return entries_.back().second;
}

void Node::push_back(Node item) {
  if (kind_ != Kind::sequence) {
    kind_ = Kind::sequence;
    scalar_.clear();
    entries_.clear();
    key_locations_.clear();
  }
  items_.push_back(std::move(item));
}

std::string_view kind_name(Node::Kind k) {
  switch (k) {
    case Node::Kind::null:
      return "null";
    case Node::Kind::scalar:
      return "a scalar";
    case Node::Kind::sequence:
      return "a list";
    case Node::Kind::mapping:
      return "a mapping";
  }
  return "null";
}

// ---------------------------------------------------------------- overrides and output

namespace {

// One dotted part of a path: "workloads[1]" -> key "workloads", indices {1}.
struct PathPart {
  std::string_view key;
  std::vector<std::size_t> indices;
};

std::optional<std::vector<PathPart>> split_path(std::string_view path) {
  std::vector<PathPart> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dot = path.find('.', start);
    const std::string_view text =
        path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    PathPart part;
    const std::size_t open = text.find('[');
    part.key = text.substr(0, open);
    if (part.key.empty() || part.key.find(']') != std::string_view::npos) return std::nullopt;
    for (std::size_t at = open; at != std::string_view::npos;) {
      const std::size_t close = text.find(']', at);
      if (text[at] != '[' || close == std::string_view::npos || close == at + 1)
        return std::nullopt;
      std::size_t i = 0;
      const auto [end, ec] = std::from_chars(text.data() + at + 1, text.data() + close, i);
      if (ec != std::errc() || end != text.data() + close) return std::nullopt;
      part.indices.push_back(i);
      at = close + 1 < text.size() ? close + 1 : std::string_view::npos;
    }
    parts.push_back(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

void PathSlot::assign(Node value, const Location& where) const {
  if (node) {
    *node = std::move(value);
  } else if (mapping) {
    mapping->set(key, std::move(value), where);
  }
}

bool valid_path(std::string_view path) {
  return split_path(path).has_value();
}

PathSlot slot_at(Node& root, std::string_view path, const Location& where) {
  PathSlot out;
  const std::optional<std::vector<PathPart>> parts = split_path(path);
  if (!parts) {
    out.problem = "is not a path";
    return out;
  }
  Node* cur = &root;
  for (std::size_t p = 0; p < parts->size(); ++p) {
    const PathPart& part = (*parts)[p];
    const bool last = p + 1 == parts->size();
    // A key goes into a mapping; a missing or null one is created unless the path goes on
    // into it as a list.
    if (!cur->is_mapping()) {
      out.kind = cur->kind();
      return out;
    }
    Node* next = cur->find(part.key);
    const std::string key_path = join_path(out.prefix, part.key);
    if (part.indices.empty() && last) {
      out.prefix = key_path;
      out.mapping = cur;
      out.key = std::string(part.key);
      return out;
    }
    if (next == nullptr || next->is_null()) {
      if (!part.indices.empty()) {
        out.prefix = key_path;
        out.problem = "is not a list";
        return out;
      }
      next = &cur->set(std::string(part.key), Node::make_mapping(where), where);
    }
    cur = next;
    out.prefix = key_path;
    for (std::size_t i : part.indices) {
      if (!cur->is_sequence()) {
        out.kind = cur->kind();
        out.problem = "is not a list";
        return out;
      }
      Node* item = cur->item(i);
      if (item == nullptr) {
        out.problem = "has " + std::to_string(cur->items().size()) + " item(s): no item [" +
                      std::to_string(i) + "]";
        return out;
      }
      cur = item;
      out.prefix += "[" + std::to_string(i) + "]";
    }
    if (last) {
      out.node = cur;
      return out;
    }
  }
  return out;
}

void apply_override(Node& root, std::string_view assignment, int index, Diagnostics& diags) {
  const Location where{"--set", index, 1};
  const auto bad_form = [&] {
    diags.add(where, "", "--set expects path=value (got " + in_quotes(assignment) + ")");
  };
  const std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) return bad_form();
  const std::string_view path = trim(assignment.substr(0, eq));
  const std::string_view value_text = trim(assignment.substr(eq + 1));

  if (!valid_path(path)) return bad_form();

  const std::string full(path);
  std::optional<Node> value = parse_override_value(value_text, where, full, diags);
  if (!value) return;

  if (root.is_null()) root = Node::make_mapping(where);
  if (!root.is_mapping()) {
    diags.add(where, full, "cannot set " + in_quotes(full) + ": the top level is not a mapping");
    return;
  }
  const PathSlot slot = slot_at(root, path, where);
  if (!slot) {
    const std::string why = slot.problem.empty() ? "is not a mapping" : slot.problem;
    diags.add(where, full,
              "cannot set " + in_quotes(full) + ": " + in_quotes(slot.prefix) + " " + why);
    return;
  }
  slot.assign(std::move(*value), where);
}

std::string to_yaml(const Node& root) {
  YAML::Emitter out;
  // JSON-style escapes: yaml-cpp's own "\x1" escape of control characters does not
  // round-trip when a hex digit follows.
  out << YAML::EscapeAsJson;
  emit(out, root);
  std::string text = out.c_str();
  text += '\n';
  return text;
}

// ---------------------------------------------------------------- did you mean

std::optional<std::string> did_you_mean(std::string_view word,
                                        std::span<const std::string> candidates) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

// ---------------------------------------------------------------- reader

Reader::Reader(const Node* node, std::string path, Diagnostics& diags, Location where_absent)
    : node_(node), path_(std::move(path)), diags_(&diags), where_(std::move(where_absent)) {
  if (node_ == nullptr) return;
  where_ = node_->location();
  if (node_->is_null()) {
    node_ = nullptr;
  } else if (!node_->is_mapping()) {
    diags_->add(where_, path_,
                "must be a mapping (got " + std::string(kind_name(node_->kind())) + ")");
    node_ = nullptr;
    silent_ = true;
  }
}

std::string Reader::path_of(std::string_view key) const {
  return join_path(path_, key);
}

bool Reader::has(std::string_view key) const {
  if (node_ == nullptr) return false;
  const Node* n = node_->find(key);
  return n != nullptr && !n->is_null();
}

void Reader::report(const Node& at, std::string_view key, std::string message) {
  diags_->add(at.location(), path_of(key), std::move(message));
}

const Node* Reader::value_of(std::string_view key, Need need) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (silent_) return nullptr;
  const Node* n = node_ != nullptr ? node_->find(key) : nullptr;
  if (n != nullptr && !n->is_null()) return n;
  if (need == Need::required) {
    if (n == nullptr) {
      diags_->add(where_, path_of(key), "missing required key");
    } else {
      report(*n, key, "required key has no value");
    }
  }
  return nullptr;
}

const Node* Reader::scalar_of(std::string_view key, Need need) {
  const Node* n = value_of(key, need);
  if (n == nullptr) return nullptr;
  if (!n->is_scalar()) {
    report(*n, key, "must be a scalar (got " + std::string(kind_name(n->kind())) + ")");
    return nullptr;
  }
  return n;
}

std::optional<std::string> Reader::string(std::string_view key, Need need) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  return n->scalar();
}

std::optional<std::int64_t> Reader::integer(std::string_view key, Need need, Bounds b) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  std::string_view s = n->scalar();
  std::int64_t v = 0;
  bool ok = false;
  std::string_view digits = (!s.empty() && s.front() == '+') ? s.substr(1) : s;
  if (digits.size() != s.size() && !digits.empty() && digits.front() == '-') digits = {};
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (!digits.empty() && res.ptr == digits.data() + digits.size()) {
    if (res.ec == std::errc::result_out_of_range) {
      report(*n, key, "integer out of range" + got(s));
      return std::nullopt;
    }
    ok = res.ec == std::errc();
  }
  if (!ok) {
    // "1e6" and "4.0" are integers written as numbers; exact up to 2^53.
    const std::optional<double> d = parse_number(s);
    constexpr double exact = 9007199254740992.0;
    if (d && *d == std::trunc(*d) && std::fabs(*d) <= exact) {
      v = static_cast<std::int64_t>(*d);
      ok = true;
    }
  }
  if (!ok) {
    report(*n, key, "must be an integer" + got(s));
    return std::nullopt;
  }
  if (auto msg = check_bounds(static_cast<double>(v), b, format_number)) {
    report(*n, key, *msg + got(s));
    return std::nullopt;
  }
  return v;
}

std::optional<double> Reader::number(std::string_view key, Need need, Bounds b) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  const std::optional<double> v = parse_number(n->scalar());
  if (!v) {
    report(*n, key, "must be a number" + got(n->scalar()));
    return std::nullopt;
  }
  if (auto msg = check_bounds(*v, b, format_number)) {
    report(*n, key, *msg + got(n->scalar()));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Reader::boolean(std::string_view key, Need need) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  std::string lower = n->scalar();
  for (char& c : lower) c = ascii_lower(c);
  if (lower == "true" || lower == "yes") return true;
  if (lower == "false" || lower == "no") return false;
  report(*n, key, "must be true or false" + got(n->scalar()));
  return std::nullopt;
}

std::optional<std::string> Reader::choice(std::string_view key,
                                          std::span<const std::string_view> options, Need need) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  const std::string& s = n->scalar();
  std::vector<std::string> names;
  std::string list;
  for (std::string_view o : options) {
    if (o == s) return s;
    names.emplace_back(o);
    if (!list.empty()) list += ", ";
    list += o;
  }
  std::string msg = "must be one of: " + list + got(s);
  if (auto near = did_you_mean(s, names)) msg += " \u2014 did you mean " + in_quotes(*near) + "?";
  report(*n, key, std::move(msg));
  return std::nullopt;
}

std::optional<double> Reader::quantity(std::string_view key, Dim d, Need need, Bounds b) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  auto parsed = parse_quantity(n->scalar(), d);
  if (auto* e = std::get_if<QuantityError>(&parsed)) {
    report(*n, key, e->message);
    return std::nullopt;
  }
  const double v = std::get<double>(parsed);
  const auto fmt = [d](double bound) {
    return bound == 0.0 ? std::string("0") : format_quantity(bound, d);
  };
  if (auto msg = check_bounds(v, b, fmt)) {
    report(*n, key, *msg + got(n->scalar()));
    return std::nullopt;
  }
  return v;
}

std::optional<double> Reader::temperature_difference(std::string_view key, Need need, Bounds b) {
  const Node* n = scalar_of(key, need);
  if (n == nullptr) return std::nullopt;
  auto parsed = parse_temperature_difference(n->scalar());
  if (auto* e = std::get_if<QuantityError>(&parsed)) {
    report(*n, key, e->message);
    return std::nullopt;
  }
  const double v = std::get<double>(parsed);
  const auto fmt = [](double bound) {
    return bound == 0.0 ? std::string("0") : format_number(bound) + " K";
  };
  if (auto msg = check_bounds(v, b, fmt)) {
    report(*n, key, *msg + got(n->scalar()));
    return std::nullopt;
  }
  return v;
}

const Node* Reader::node(std::string_view key, Need need) {
  return value_of(key, need);
}

Reader Reader::section(std::string_view key, Need need) {
  const bool was_silent = silent_;
  const Node* n = value_of(key, need);
  if (n != nullptr) return Reader(n, path_of(key), *diags_);
  Reader absent(nullptr, path_of(key), *diags_, where_);
  if (node_ != nullptr) {
    if (const Location* k = node_->key_location(key)) absent.where_ = *k;
  }
  // An absent required section was reported once already; its keys are not reported again.
  absent.silent_ = was_silent || need == Need::required;
  return absent;
}

void Reader::finish() {
  if (silent_ || node_ == nullptr) return;
  // At a file's top level (the root reader, path "") `include` is a key as well, although
  // the loader consumed it before any reader saw the tree: a typo of it ("inclued") gets its
  // suggestion. Last, so that a reader's own key wins a tie.
  std::vector<std::string> candidates = known_;
  if (path_.empty()) candidates.emplace_back("include");
  const auto& entries = node_->entries();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string& key = entries[i].first;
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = "unknown key " + in_quotes(key);
    if (auto near = did_you_mean(key, candidates))
      msg += " (did you mean " + in_quotes(*near) + "?)";
    const Location* at = node_->key_location(key);
    diags_->add(at != nullptr ? *at : where_, path_of(key), std::move(msg));
  }
}

}  // namespace sim::config
