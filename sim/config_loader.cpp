// Loading scenario files: bytes -> checks yaml-cpp cannot make clear (binary input, tabs)
// -> yaml-cpp parser events -> located Node tree -> includes merged.
//
// The event-level parser (not YAML::Load) is used because it reports every key with its
// mark, keeps scalars as written ("yes" stays "yes", "1.0" stays "1.0"), and lets us see
// duplicate keys, which YAML::Node silently keeps.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <system_error>

#include "sim/config.hpp"

namespace sim::config {

namespace {

namespace fs = std::filesystem;

// Aliases are resolved as copies; this caps what a "billion laughs" file can expand to.
constexpr std::size_t max_alias_nodes = 100'000;

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

std::size_t count_nodes(const Node& n) {
  std::size_t count = 1;
  for (const Node& item : n.items()) count += count_nodes(item);
  for (const auto& entry : n.entries()) count += 1 + count_nodes(entry.second);
  return count;
}

// ---------------------------------------------------------------- text checks

// The first byte that makes `text` not UTF-8 text, as a message; nothing if it is text.
// NUL and other C0 control characters (other than tab, LF, CR) are not YAML text either.
std::optional<std::string> not_text(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    const std::string at = " at byte " + std::to_string(i + 1) + ")";
    if (c < 0x80) {
      if (c == 0) return "not a text file (NUL" + at;
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        std::array<char, 8> hex{};
        std::snprintf(hex.data(), hex.size(), "0x%02X", static_cast<unsigned>(c));
        return "not a text file (control character " + std::string(hex.data()) + at;
      }
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
      return "not a text file (invalid UTF-8" + at;
    }
    if (i + len > n) return "not a text file (invalid UTF-8" + at;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return "not a text file (invalid UTF-8" + at;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return "not a text file (invalid UTF-8" + at;
    }
    i += len;
  }
  return std::nullopt;
}

// Does this line (already without its indentation) open a block scalar ("key: |", "- >-")?
bool opens_block_scalar(std::string_view rest) {
  std::string_view last;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i >= rest.size() || rest[i] == '#') break;
    const std::size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\t') ++i;
    last = rest.substr(start, i - start);
  }
  if (last.empty() || (last.front() != '|' && last.front() != '>') || last.size() > 3) return false;
  for (char c : last.substr(1)) {
    if (c != '-' && c != '+' && (c < '1' || c > '9')) return false;
  }
  return true;
}

// yaml-cpp reports a tab in indentation as "illegal map value" somewhere near it; find the
// tabs ourselves and point at them. Content lines of block scalars may hold tabs.
// Returns whether there was any.
bool check_tabs(std::string_view text, const std::string& file, Diagnostics& diags) {
  bool found = false;
  int line_no = 0;
  long block_indent = -1;  // indentation of the line that opened a block scalar
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t spaces = 0;
    while (spaces < line.size() && line[spaces] == ' ') ++spaces;
    const std::string_view rest = line.substr(spaces);
    const bool blank = rest.find_first_not_of(" \t") == std::string_view::npos;
    if (block_indent >= 0) {
      if (blank || static_cast<long>(spaces) > block_indent) continue;
      block_indent = -1;
    }
    if (blank) continue;
    if (rest.front() == '\t') {
      diags.add({file, line_no, static_cast<int>(spaces) + 1}, "",
                "tab character in indentation (use spaces)");
      found = true;
      continue;
    }
    if (opens_block_scalar(rest)) block_indent = static_cast<long>(spaces);
  }
  return found;
}

// ---------------------------------------------------------------- events -> tree

// The text yaml-cpp reads, to turn its marks into locations. yaml-cpp counts columns in
// bytes; people count characters ("µs" is two bytes), so columns are recounted.
struct Source {
  std::string_view text;
  const std::string& file;

  Location at(const YAML::Mark& m) const {
    if (m.is_null()) return {file, 1, 1};
    int column = m.column + 1;
    if (m.pos >= m.column && static_cast<std::size_t>(m.pos) <= text.size()) {
      const std::string_view before = text.substr(static_cast<std::size_t>(m.pos - m.column),
                                                  static_cast<std::size_t>(m.column));
      column = 1;
      for (char c : before) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++column;
      }
    }
    return {file, m.line + 1, column};
  }
};

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const Source& src, Diagnostics& diags) : src_(src), diags_(diags) {}

  std::optional<Node>& root() { return root_; }
  const Location* innermost() const {
    return stack_.empty() ? nullptr : &stack_.back().node.location();
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // yaml-cpp marks an empty value ("key:" and nothing) at the next token, often on the
    // next line; the key is where the reader looks.
    Location where = src_.at(mark);
    if (!stack_.empty() && stack_.back().node.is_mapping() && stack_.back().have_key) {
      where = stack_.back().key_where;
    }
    deliver(Node::make_null(std::move(where)), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      diags_.add(src_.at(mark), child_path(), "alias refers to a node that contains it");
      deliver(Node::make_null(src_.at(mark)), 0);
      return;
    }
    alias_nodes_ += it->second.second;
    if (alias_nodes_ > max_alias_nodes) {
      if (!alias_budget_reported_) {
        diags_.add(src_.at(mark), child_path(),
                   "aliases expand to more than " + std::to_string(max_alias_nodes) + " nodes");
        alias_budget_reported_ = true;
      }
      deliver(Node::make_null(src_.at(mark)), 0);
      return;
    }
    deliver(it->second.first, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    deliver(Node::make_scalar(value, src_.at(mark)), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::make_sequence(src_.at(mark)), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::make_mapping(src_.at(mark)), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    Node node;  // the sequence or mapping being filled
    std::string path;
    YAML::anchor_t anchor = 0;
    // Mappings alternate key, value.
    bool have_key = false;
    bool drop_value = false;   // the key was bad or a duplicate: its value is not kept
    bool merge_value = false;  // the key is "<<"
    std::string key;
    Location key_where;
    std::vector<Node> merges;  // values of "<<" keys
    std::optional<Location> merge_key_where;
  };

  std::string child_path() const {
    if (stack_.empty()) return "";
    const Frame& f = stack_.back();
    if (f.node.is_sequence()) return f.path + "[" + std::to_string(f.node.items().size()) + "]";
    if (f.have_key) return join_path(f.path, f.key);
    return f.path;
  }

  void open(Node n, YAML::anchor_t anchor) {
    Frame f;
    f.path = child_path();
    f.node = std::move(n);
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.node.is_mapping()) apply_merges(f);
    deliver(std::move(f.node), f.anchor);
  }

  // YAML 1.1 merge keys ("<<: *defaults"): keys of the merged mappings that the mapping
  // does not set itself are added; with a list, earlier mappings win.
  void apply_merges(Frame& f) {
    const std::string path = join_path(f.path, "<<");
    for (const Node& m : f.merges) {
      std::vector<const Node*> sources;
      if (m.is_mapping()) {
        sources.push_back(&m);
      } else if (m.is_sequence()) {
        for (const Node& item : m.items()) {
          if (item.is_mapping()) {
            sources.push_back(&item);
          } else {
            diags_.add(
                item.location(), path,
                "merge key needs mappings (got " + std::string(kind_name(item.kind())) + ")");
          }
        }
      } else {
        diags_.add(m.location(), path,
                   "merge key needs a mapping or a list of mappings (got " +
                       std::string(kind_name(m.kind())) + ")");
      }
      for (const Node* src : sources) {
        for (const auto& [key, value] : src->entries()) {
          if (f.node.find(key) == nullptr) f.node.set(key, value, *src->key_location(key));
        }
      }
    }
  }

  void deliver(Node n, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = {n, count_nodes(n)};
    if (stack_.empty()) {
      if (!root_) root_ = std::move(n);
      return;
    }
    Frame& f = stack_.back();
    if (f.node.is_sequence()) {
      f.node.push_back(std::move(n));
      return;
    }
    if (!f.have_key) {
      take_key(f, n);
      return;
    }
    f.have_key = false;
    if (f.drop_value) return;
    if (f.merge_value) {
      f.merges.push_back(std::move(n));
      return;
    }
    f.node.set(std::move(f.key), std::move(n), f.key_where);
  }

  void take_key(Frame& f, const Node& key) {
    f.have_key = true;
    f.drop_value = false;
    f.merge_value = false;
    f.key_where = key.location();
    if (!key.is_scalar()) {
      f.key.clear();
      diags_.add(key.location(), f.path, "keys must be plain strings");
      f.drop_value = true;
      return;
    }
    f.key = key.scalar();
    const Location* first = f.key == "<<" ? (f.merge_key_where ? &*f.merge_key_where : nullptr)
                                          : f.node.key_location(f.key);
    if (first != nullptr) {
      diags_.add(key.location(), join_path(f.path, f.key),
                 "duplicate key " + in_quotes(f.key) + " (first at line " +
                     std::to_string(first->line) + ")");
      f.drop_value = true;
      return;
    }
    if (f.key == "<<") {
      f.merge_value = true;
      f.merge_key_where = key.location();
    }
  }

  const Source& src_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::optional<Node> root_;
  std::map<YAML::anchor_t, std::pair<Node, std::size_t>> anchors_;  // node, its size
  std::size_t alias_nodes_ = 0;
  bool alias_budget_reported_ = false;
};

// Notes where a second document starts, without building it.
class DocumentStart : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> mark;
  void OnDocumentStart(const YAML::Mark& m) override {
    if (!mark) mark = m;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

enum class Parsed { ok, empty, failed };

// One file's text -> its tree (not yet with includes). Problems go to `diags`.
Parsed parse_text(std::string_view text, const std::string& file, Diagnostics& diags, Node& out) {
  if (auto msg = not_text(text)) {
    diags.add({file, 1, 1}, "", *msg);
    return Parsed::failed;
  }
  if (check_tabs(text, file, diags)) return Parsed::failed;

  // yaml-cpp skips a byte order mark without counting it in its positions.
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());
  const Source src{text, file};
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  TreeBuilder builder(src, diags);
  try {
    if (!parser.HandleNextDocument(builder)) return Parsed::empty;
    DocumentStart second;
    if (parser.HandleNextDocument(second)) {
      diags.add(src.at(second.mark.value_or(YAML::Mark::null_mark())), "",
                "a second YAML document starts here (a scenario file holds one)");
      return Parsed::failed;
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for this is "bad file", at wherever its scanner had got to;
    // the innermost list or mapping opened so far is where the nesting went too deep.
    const Location* innermost = builder.innermost();
    diags.add(innermost != nullptr ? *innermost : src.at(e.mark), "",
              "syntax error: nested too deeply");
    return Parsed::failed;
  } catch (const YAML::Exception& e) {
    diags.add(src.at(e.mark), "", "syntax error: " + e.msg);
    return Parsed::failed;
  }
  if (!builder.root() || builder.root()->is_null()) return Parsed::empty;
  out = std::move(*builder.root());
  return Parsed::ok;
}

// The whole file, or the reason it could not be read.
std::optional<std::string> read_file(const std::string& path, std::string& reason) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    reason = std::make_error_code(std::errc::is_a_directory).message();
    return std::nullopt;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    reason = std::error_code(errno, std::generic_category()).message();
    return std::nullopt;
  }
  std::string text;
  std::array<char, 65536> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    reason = std::error_code(err, std::generic_category()).message();
    return std::nullopt;
  }
  return text;
}

// `over` on top of `base`: mappings merge key by key; anything else, `over` wins. The
// result lists `over`'s keys first (in its order), then the keys only `base` has.
Node deep_merge(const Node& base, const Node& over) {
  if (!base.is_mapping() || !over.is_mapping()) return over;
  Node out = Node::make_mapping(over.location());
  for (const auto& [key, value] : over.entries()) {
    const Node* b = base.find(key);
    const Location& where = *over.key_location(key);
    out.set(key, b != nullptr ? deep_merge(*b, value) : value, where);
  }
  for (const auto& [key, value] : base.entries()) {
    if (over.find(key) == nullptr) out.set(key, value, *base.key_location(key));
  }
  return out;
}

fs::path identity_of(const std::string& shown) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::path(shown), ec);
  if (ec) p = fs::absolute(fs::path(shown), ec).lexically_normal();
  return p;
}

// Loads a file and, recursively, what it includes; knows the chain of files being loaded.
class IncludeLoader {
 public:
  explicit IncludeLoader(Diagnostics& diags) : diags_(diags) {}

  Node load_text(std::string_view text, const std::string& shown, bool included) {
    Node root;
    const Parsed p = parse_text(text, shown, diags_, root);
    if (p == Parsed::failed) return Node();
    if (p == Parsed::empty) {
      // An empty catalog adds nothing; an empty scenario is a mistake.
      if (!included) diags_.add({shown, 1, 1}, "", "file is empty: a scenario must be a mapping");
      return Node();
    }
    if (!root.is_mapping()) {
      diags_.add(root.location(), "",
                 "top level must be a mapping (got " + std::string(kind_name(root.kind())) + ")");
      return root;
    }
    const Node* inc = root.find("include");
    if (inc == nullptr) return root;

    chain_.push_back({identity_of(shown), shown});
    Node base;
    for (const auto& [entry, where, path] : include_entries(*inc)) {
      Node loaded = load_include(shown, entry, where, path);
      if (loaded.is_mapping()) base = base.is_mapping() ? deep_merge(base, loaded) : loaded;
    }
    chain_.pop_back();

    Node own = Node::make_mapping(root.location());
    for (const auto& [key, value] : root.entries()) {
      if (key != "include") own.set(key, value, *root.key_location(key));
    }
    return base.is_mapping() ? deep_merge(base, own) : own;
  }

 private:
  struct Entry {
    std::string text;
    Location where;
    std::string path;
  };
  struct Link {
    fs::path identity;
    std::string shown;
  };

  std::vector<Entry> include_entries(const Node& inc) {
    std::vector<Entry> out;
    if (inc.is_scalar()) {
      out.push_back({inc.scalar(), inc.location(), "include"});
    } else if (inc.is_sequence()) {
      for (std::size_t i = 0; i < inc.items().size(); ++i) {
        const Node& item = inc.items()[i];
        const std::string path = "include[" + std::to_string(i) + "]";
        if (item.is_scalar()) {
          out.push_back({item.scalar(), item.location(), path});
        } else {
          diags_.add(item.location(), path,
                     "must be a file path (got " + std::string(kind_name(item.kind())) + ")");
        }
      }
    } else if (inc.is_mapping()) {
      diags_.add(inc.location(), "include",
                 "must be a file path or a list of file paths (got a mapping)");
    }
    return out;
  }

  Node load_include(const std::string& from, const std::string& entry, const Location& where,
                    const std::string& path) {
    const fs::path written(entry);
    const fs::path resolved =
        (written.is_absolute() ? written : fs::path(from).parent_path() / written)
            .lexically_normal();
    const std::string shown = resolved.generic_string();
    const fs::path identity = identity_of(shown);
    for (std::size_t i = 0; i < chain_.size(); ++i) {
      if (chain_[i].identity != identity) continue;
      std::string cycle = "include cycle: ";
      for (std::size_t k = i; k < chain_.size(); ++k) cycle += chain_[k].shown + " -> ";
      cycle += chain_[i].shown;
      diags_.add(where, path, std::move(cycle));
      return Node();
    }
    std::string reason;
    const std::optional<std::string> text = read_file(shown, reason);
    if (!text) {
      diags_.add(where, path, "cannot read included file " + in_quotes(entry) + ": " + reason);
      return Node();
    }
    return load_text(*text, shown, true);
  }

  Diagnostics& diags_;
  std::vector<Link> chain_;
};

}  // namespace

Node load_file(const std::string& path, Diagnostics& diags) {
  std::string reason;
  const std::optional<std::string> text = read_file(path, reason);
  if (!text) {
    diags.add({path, 1, 1}, "", "cannot read file: " + reason);
    return Node();
  }
  return IncludeLoader(diags).load_text(*text, path, false);
}

Node load_string(std::string_view text, const std::string& file_name, Diagnostics& diags) {
  return IncludeLoader(diags).load_text(text, file_name, false);
}

}  // namespace sim::config
