#include "models/study/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/config.hpp"
#include "sim/random.hpp"

namespace models::study {

namespace {

constexpr std::string_view kMagic = "firstwall-sweep-journal";
constexpr std::string_view kVersion = "1";

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return false;
    switch (s[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return false;
    }
  }
  return true;
}

std::string hex64(std::uint64_t v) {
  return fmt::format("{:016x}", v);
}

bool parse_hex64(std::string_view s, std::uint64_t& v) {
  if (s.size() != 16) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

// Appends the checksum field and the newline to a line's content.
std::string sealed(std::string content) {
  const std::uint64_t sum = sim::fnv1a64(content);
  content += '\t';
  content += hex64(sum);
  content += '\n';
  return content;
}

// The content of a sealed line (without checksum and newline), or false if it does not check.
bool unseal(std::string_view line, std::string_view& content) {
  const std::size_t tab = line.rfind('\t');
  if (tab == std::string_view::npos) return false;
  std::uint64_t sum = 0;
  if (!parse_hex64(line.substr(tab + 1), sum)) return false;
  content = line.substr(0, tab);
  return sim::fnv1a64(content) == sum;
}

std::vector<std::string_view> fields_of(std::string_view content) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t tab = content.find('\t', start);
    out.push_back(content.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return out;
}

std::string header_line(const std::string& fingerprint) {
  return sealed(std::string(kMagic) + '\t' + std::string(kVersion) + '\t' + escape(fingerprint));
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("sweep journal " + path + ": " + what + ": " + std::strerror(errno));
}

void write_all_durably(int fd, const std::string& text, const std::string& path) {
  // One write() for the whole record: a kill leaves either all of it or a cut-short tail,
  // which the checksum catches.
  const ssize_t n = ::write(fd, text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) fail(path, "cannot append");
  if (::fsync(fd) != 0) fail(path, "cannot sync");
}

}  // namespace

std::string journal_line(const PointRecord& r) {
  std::string s = fmt::format("P\t{}\t{}\t", r.id, r.ok ? "ok" : "failed");
  s += escape(r.error) + '\t' + escape(r.first_wall) + '\t' + escape(r.first_wall_kind) + '\t' +
       escape(r.nearest_wall) + '\t' + std::to_string(r.metrics.size());
  for (const PointRecord::Metric& m : r.metrics) {
    s += '\t' + escape(m.name) + '\t' + escape(m.unit) + '\t' +
         hex64(std::bit_cast<std::uint64_t>(m.value));
  }
  return sealed(std::move(s));
}

bool parse_journal_line(std::string_view line, PointRecord& out) {
  if (line.empty() || line.back() != '\n') return false;
  line.remove_suffix(1);
  std::string_view content;
  if (!unseal(line, content)) return false;
  const auto f = fields_of(content);
  if (f.size() < 8 || f[0] != "P") return false;
  PointRecord r;
  {
    const auto [end, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), r.id);
    if (ec != std::errc() || end != f[1].data() + f[1].size()) return false;
  }
  if (f[2] != "ok" && f[2] != "failed") return false;
  r.ok = f[2] == "ok";
  if (!unescape(f[3], r.error) || !unescape(f[4], r.first_wall) ||
      !unescape(f[5], r.first_wall_kind) || !unescape(f[6], r.nearest_wall))
    return false;
  std::size_t count = 0;
  {
    const auto [end, ec] = std::from_chars(f[7].data(), f[7].data() + f[7].size(), count);
    if (ec != std::errc() || end != f[7].data() + f[7].size()) return false;
  }
  if (f.size() != 8 + 3 * count) return false;
  for (std::size_t i = 0; i < count; ++i) {
    PointRecord::Metric m;
    std::uint64_t bits = 0;
    if (!unescape(f[8 + 3 * i], m.name) || !unescape(f[9 + 3 * i], m.unit) ||
        !parse_hex64(f[10 + 3 * i], bits))
      return false;
    m.value = std::bit_cast<double>(bits);
    r.metrics.push_back(std::move(m));
  }
  out = std::move(r);
  return true;
}

Journal::Journal(std::string path, const std::string& fingerprint, bool resume)
    : path_(std::move(path)) {
  std::string text;
  bool have_header = false;
  std::size_t good_end = 0;  // bytes of the file that hold whole, checked lines
  if (resume) {
    std::ifstream in(path_, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    const std::size_t nl = text.find('\n');
    if (nl != std::string::npos) {
      std::string_view content;
      const std::string_view first(text.data(), nl);
      if (unseal(first, content)) {
        const auto f = fields_of(content);
        std::string fp;
        if (f.size() == 3 && f[0] == kMagic && f[1] == kVersion && unescape(f[2], fp)) {
          if (fp != fingerprint) {
            throw sim::config::InputError(
                {path_, 1, 1}, "",
                "this journal belongs to another sweep (the base scenario, the axes, the mode, "
                "the seed or --keep-runs differ); remove it to start over");
          }
          have_header = true;
          good_end = nl + 1;
        }
      }
    }
    // Records up to the first line that is cut short or does not check.
    while (have_header && good_end < text.size()) {
      const std::size_t end = text.find('\n', good_end);
      if (end == std::string::npos) break;
      PointRecord r;
      if (!parse_journal_line(std::string_view(text).substr(good_end, end + 1 - good_end), r))
        break;
      records_.emplace(r.id, std::move(r));
      good_end = end + 1;
    }
  }
  if (have_header) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) fail(path_, "cannot open");
    if (good_end < text.size() && ::ftruncate(fd_, static_cast<off_t>(good_end)) != 0)
      fail(path_, "cannot cut off a damaged tail");
    return;
  }
  // A new journal (or one killed before its header was whole).
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, "cannot create");
  write_all_durably(fd_, header_line(fingerprint), path_);
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append(const PointRecord& r) {
  write_all_durably(fd_, journal_line(r), path_);
  records_[r.id] = r;
}

}  // namespace models::study
