#include "models/study/axis.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include <fmt/format.h>

#include "sim/quantity.hpp"

namespace models::study {

using sim::config::Diagnostics;
using sim::config::Location;
using sim::config::Node;

namespace {

// A range's count beyond this is a typo, not an axis: expanding it would take gigabytes and
// minutes before the study's own size check (read_study's grid limit) could reject it. Found
// by fuzzing (tools/fuzz/: "1 /s:64 /s:9999999" took 2.1 GB; "0:1:832007", 13 s under the
// sanitizers).
constexpr std::int64_t kMaxRangeCount = 100'000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

// SI value = scale * x + offset for a number x written in `unit` (offsets: degC, degF).
struct Affine {
  double scale;
  double offset;
  sim::Dim dim;
};

std::optional<Affine> affine_of(const std::string& unit) {
  if (unit.empty()) return Affine{1, 0, sim::dims::none};
  const auto zero = sim::parse_any_quantity("0 " + unit);
  const auto one = sim::parse_any_quantity("1 " + unit);
  const auto* z = std::get_if<sim::ParsedQuantity>(&zero);
  const auto* o = std::get_if<sim::ParsedQuantity>(&one);
  if (z == nullptr || o == nullptr || o->value == z->value) return std::nullopt;
  return Affine{o->value - z->value, z->value, o->dim};
}

// `x` written in `from` expressed in `to`; nullopt when the dimensions differ.
std::optional<double> convert(double x, const std::string& from, const std::string& to) {
  if (from == to) return x;
  const auto a = affine_of(from);
  const auto b = affine_of(to);
  if (!a || !b || !(a->dim == b->dim)) return std::nullopt;
  return (a->scale * x + a->offset - b->offset) / b->scale;
}

double round_significant(double x, int digits) {
  if (x == 0 || !std::isfinite(x)) return x;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, x);
  return std::strtod(buf, nullptr);
}

AxisValue number_value(double x, const std::string& unit, const Location& where) {
  AxisValue v;
  v.number = x;
  v.text = format_number(x) + (unit.empty() ? "" : " " + unit);
  v.node = Node::make_scalar(v.text, where);
  return v;
}

// Decides whether a list is numeric: every value a number, all in units of one dimension
// (shown in the first value's unit).
void classify_list(Axis& axis) {
  axis.numeric = !axis.values.empty();
  std::vector<std::pair<double, std::string>> parsed;
  for (const AxisValue& v : axis.values) {
    auto nu = v.node.is_scalar() ? number_and_unit(v.text) : std::nullopt;
    if (!nu) {
      axis.numeric = false;
      break;
    }
    parsed.push_back(*nu);
  }
  if (!axis.numeric) return;
  axis.unit = parsed.front().second;
  std::vector<double> numbers;
  for (const auto& [x, unit] : parsed) {
    const auto in_axis_unit = convert(x, unit, axis.unit);
    if (!in_axis_unit) {
      axis.numeric = false;
      axis.unit.clear();
      return;
    }
    numbers.push_back(*in_axis_unit);
  }
  for (std::size_t i = 0; i < numbers.size(); ++i) axis.values[i].number = numbers[i];
}

std::optional<Range> parse_range(const std::string& path, std::string_view text, bool log,
                                 const Location& where, Diagnostics& diags, std::string& unit) {
  const auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    diags.add(where, path, "a range is from:to:count (got " + quoted(text) + ")");
    return std::nullopt;
  }
  const auto from = number_and_unit(trim(parts[0]));
  const auto to = number_and_unit(trim(parts[1]));
  bool ok = true;
  for (std::size_t i = 0; i < 2; ++i) {
    if (!(i == 0 ? from : to)) {
      diags.add(where, path,
                std::string(i == 0 ? "from" : "to") +
                    " of a range must be a number with its unit (got " + quoted(trim(parts[i])) +
                    ")");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  Range r;
  r.log = log;
  r.from = from->first;
  unit = from->second;
  const auto to_value = convert(to->first, to->second, unit);
  if (!to_value) {
    diags.add(where, path,
              "from " + quoted(trim(parts[0])) + " and to " + quoted(trim(parts[1])) +
                  " have different units");
    return std::nullopt;
  }
  r.to = *to_value;
  if (parts.size() == 3) {
    const std::string_view c = trim(parts[2]);
    std::int64_t count = 0;
    const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), count);
    if (ec != std::errc() || end != c.data() + c.size()) {
      diags.add(where, path, "count of a range must be an integer (got " + quoted(c) + ")");
      return std::nullopt;
    }
    if (count < 1) {
      diags.add(where, path, "count of a range must be >= 1 (got " + quoted(c) + ")");
      return std::nullopt;
    }
    if (count > kMaxRangeCount) {
      diags.add(where, path,
                fmt::format("count of a range must be <= {} (got {})", kMaxRangeCount, quoted(c)));
      return std::nullopt;
    }
    r.count = count;
  }
  if (r.from == r.to) {
    diags.add(where, path, "empty range: from and to are equal (" + quoted(text) + ")");
    return std::nullopt;
  }
  if (log && !(r.from > 0 && r.to > 0)) {
    diags.add(where, path, "a log range needs from and to > 0 (got " + quoted(text) + ")");
    return std::nullopt;
  }
  return r;
}

}  // namespace

std::optional<std::pair<double, std::string>> number_and_unit(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  const std::string s(text);
  // Only decimal numbers: strtod would also read "inf", "nan" and hex, which are names here.
  const char c0 = s[0];
  if (!((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.')) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(x)) return std::nullopt;
  std::string unit(trim(std::string_view(end)));
  if (!unit.empty() && !affine_of(unit)) return std::nullopt;
  return std::pair{x, unit};
}

std::string format_number(double x) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc() ? std::string(buf, end) : fmt::format("{}", x);
}

std::optional<Axis> parse_axis(std::string path, std::string_view values, const Location& where,
                               Diagnostics& diags) {
  Axis axis;
  axis.path = std::move(path);
  axis.where = where;
  axis.written = std::string(trim(values));
  std::string_view text = trim(values);
  if (text.empty()) {
    diags.add(where, axis.path, "no values (write a list a,b,c or a range from:to:count)");
    return std::nullopt;
  }
  const bool log = text.starts_with("log:");
  if (log ||
      (text.find(',') == std::string_view::npos && text.find(':') != std::string_view::npos)) {
    if (log) text.remove_prefix(4);
    auto r = parse_range(axis.path, text, log, where, diags, axis.unit);
    if (!r) return std::nullopt;
    axis.range = r;
    axis.numeric = true;
    if (r->count) expand_range(axis);
    return axis;
  }
  const auto items = split(text, ',');
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string_view item = trim(items[i]);
    if (item.empty()) {
      diags.add(where, axis.path,
                fmt::format("value {} of the list is empty (got \"{}\")", i + 1, text));
      return std::nullopt;
    }
    AxisValue v;
    v.text = std::string(item);
    v.node = Node::make_scalar(v.text, where);
    axis.values.push_back(std::move(v));
  }
  classify_list(axis);
  return axis;
}

std::optional<Axis> list_axis(std::string path, const Node& list, const Location& where,
                              Diagnostics& diags) {
  Axis axis;
  axis.path = std::move(path);
  axis.where = where;
  if (list.items().empty()) {
    diags.add(list.location(), axis.path, "no values (the list is empty)");
    return std::nullopt;
  }
  for (const Node& item : list.items()) {
    AxisValue v;
    v.node = item;
    if (item.is_scalar()) {
      v.text = item.scalar();
    } else {
      v.text = sim::config::to_yaml(item);
      while (!v.text.empty() && v.text.back() == '\n') v.text.pop_back();
    }
    axis.values.push_back(std::move(v));
  }
  classify_list(axis);
  return axis;
}

void expand_range(Axis& axis) {
  const Range& r = *axis.range;
  const std::int64_t n = *r.count;
  axis.values.clear();
  for (std::int64_t i = 0; i < n; ++i) {
    double x = r.from;
    if (n > 1) {
      const double t = static_cast<double>(i) / static_cast<double>(n - 1);
      x = i == n - 1 ? r.to
                     : (r.log ? r.from * std::pow(r.to / r.from, t) : r.from + t * (r.to - r.from));
    }
    axis.values.push_back(number_value(round_significant(x, 12), axis.unit, axis.where));
  }
}

AxisValue value_at(const Axis& axis, double u) {
  if (axis.range) {
    const Range& r = *axis.range;
    const double x = r.log ? r.from * std::pow(r.to / r.from, u) : r.from + u * (r.to - r.from);
    return number_value(round_significant(x, 12), axis.unit, axis.where);
  }
  const auto k = static_cast<double>(axis.values.size());
  const auto i = std::min(axis.values.size() - 1, static_cast<std::size_t>(u * k));
  return axis.values[i];
}

}  // namespace models::study
