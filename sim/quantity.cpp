#include "sim/quantity.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace sim {

namespace {

// ---------------------------------------------------------------------------------------------
// The tables. Everything the parser knows is here; the code below only walks them.

struct Prefix {
  std::string_view symbol;
  int exp10;  // decimal prefixes: value * 10^exp10
  int exp2;   // IEC prefixes: value * 2^exp2
};

// "u" is the ASCII spelling of micro; "µ" is U+00B5 MICRO SIGN (what keyboards type) and
// "\u03bc" is U+03BC GREEK SMALL LETTER MU (what some editors substitute for it).
constexpr auto kPrefixes = std::to_array<Prefix>({
    {"p", -12, 0},
    {"n", -9, 0},
    {"u", -6, 0},
    {"µ", -6, 0},
    {"\u03bc", -6, 0},
    {"m", -3, 0},
    {"k", 3, 0},
    {"M", 6, 0},
    {"G", 9, 0},
    {"T", 12, 0},
    {"P", 15, 0},
    {"E", 18, 0},
    {"Ki", 0, 10},
    {"Mi", 0, 20},
    {"Gi", 0, 30},
    {"Ti", 0, 40},
    {"Pi", 0, 50},
    {"Ei", 0, 60},
});

// A set of prefixes as a bit mask over kPrefixes, written as a readable list. Called only
// in constant expressions, so a misspelt prefix is a compile error, not a silent gap.
constexpr unsigned prefixes(std::string_view list) {
  unsigned mask = 0;
  while (!list.empty()) {
    const std::size_t space = list.find(' ');
    const std::string_view word = list.substr(0, space);
    bool found = false;
    for (std::size_t i = 0; i < kPrefixes.size(); ++i) {
      if (kPrefixes[i].symbol == word) {
        mask |= 1u << i;
        found = true;
      }
    }
    if (!found) throw std::invalid_argument("unknown prefix in unit table");
    list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
  }
  return mask;
}

constexpr unsigned kNoPrefix = 0;
constexpr unsigned kSi = prefixes("p n u µ \u03bc m k M G T P E");
constexpr unsigned kMicroToMilli = prefixes("n u µ \u03bc m");
constexpr unsigned kLarge = prefixes("k M G T P E");
// Decimal for datasheet numbers (HBM "3.35 TB/s"), binary for memory sizes ("80 GiB").
constexpr unsigned kBytePrefixes = prefixes("k M G T P E Ki Mi Gi Ti Pi Ei");

// si = ((value_with_prefix + pre_offset) * mul) / div + offset. Scales are kept as an exact
// numerator and denominator (1e3, 60000, 3600 are exact doubles while 1e-3 is not), so a
// written value reaches SI with one correctly rounded division instead of two roundings.
struct Unit {
  std::string_view symbol;
  Dim dim;
  unsigned prefixes;
  double mul = 1.0;
  double div = 1.0;
  double offset = 0.0;
  double pre_offset = 0.0;
};

// 1 US gallon = 231 in^3 = 3.785411784 L exactly (NIST Handbook 44, Appendix C).
constexpr double kLitresPerUsGallon = 3.785411784;

// Exact matches win over prefix + unit, so "min" is minutes, not milli-"in", and "kg" is
// exactly 1 kg rather than 1000 g / 1000. Order decides ties between "did you mean"
// suggestions, so the most common units of each family come first.
constexpr auto kUnits = std::to_array<Unit>({
    // time
    {"s", dims::time, kMicroToMilli},
    {"min", dims::time, kNoPrefix, 60},
    {"h", dims::time, kNoPrefix, 3600},
    {"day", dims::time, kNoPrefix, 86400},
    // frequency and rates of countable things
    {"Hz", dims::frequency, kSi},
    {"/s", dims::frequency, kNoPrefix},
    {"1/s", dims::frequency, kNoPrefix},
    {"/min", dims::frequency, kNoPrefix, 1, 60},
    {"1/min", dims::frequency, kNoPrefix, 1, 60},
    {"/h", dims::frequency, kNoPrefix, 1, 3600},
    {"1/h", dims::frequency, kNoPrefix, 1, 3600},
    {"req/s", dims::frequency, kNoPrefix},
    {"req/min", dims::frequency, kNoPrefix, 1, 60},
    {"req/h", dims::frequency, kNoPrefix, 1, 3600},
    {"/day", dims::frequency, kNoPrefix, 1, 86400},
    // power and energy
    {"W", dims::power, kSi},
    // Apparent power (volt-amperes) of AC equipment ratings. Same dimension as W; a reader
    // that takes a rating in VA multiplies by the power factor it is given (models/power).
    {"VA", dims::power, kSi},
    {"J", dims::energy, kSi},
    {"Wh", dims::energy, kSi, 3600},
    // information; "b" is a bit, as in network line rates ("400 Gb/s")
    {"B", dims::bytes, kBytePrefixes},
    {"b", dims::bytes, kBytePrefixes, 1, 8},
    {"B/s", dims::byte_rate, kBytePrefixes},
    {"b/s", dims::byte_rate, kBytePrefixes, 1, 8},
    {"bps", dims::byte_rate, kLarge, 1, 8},
    // work
    {"FLOP", dims::flops, kLarge},
    {"FLOP/s", dims::flop_rate, kLarge},
    {"FLOPS", dims::flop_rate, kLarge},
    // absolute temperature
    {"K", dims::temperature, kNoPrefix},
    {"degC", dims::temperature, kNoPrefix, 1, 1, 273.15},
    {"°C", dims::temperature, kNoPrefix, 1, 1, 273.15},
    {"degF", dims::temperature, kNoPrefix, 5, 9, 273.15, -32},
    {"°F", dims::temperature, kNoPrefix, 5, 9, 273.15, -32},
    // A thermal resistance divides a temperature *difference*, and 1 degC of difference is
    // 1 K, so no offset here.
    {"K/W", dims::thermal_resistance, kNoPrefix},
    {"degC/W", dims::thermal_resistance, kNoPrefix},
    {"°C/W", dims::thermal_resistance, kNoPrefix},
    {"J/K", dims::heat_capacity, prefixes("k M")},
    // volume and volume flow
    {"m3", dims::volume, kNoPrefix},
    {"m^3", dims::volume, kNoPrefix},
    {"L", dims::volume, kNoPrefix, 1, 1e3},
    {"mL", dims::volume, kNoPrefix, 1, 1e6},
    {"m3/s", dims::volume_flow, kNoPrefix},
    {"m^3/s", dims::volume_flow, kNoPrefix},
    {"m3/h", dims::volume_flow, kNoPrefix, 1, 3600},
    {"m^3/h", dims::volume_flow, kNoPrefix, 1, 3600},
    {"L/s", dims::volume_flow, prefixes("m"), 1, 1e3},
    {"L/min", dims::volume_flow, prefixes("m"), 1, 60e3},
    {"L/h", dims::volume_flow, prefixes("m"), 1, 3600e3},
    {"gpm", dims::volume_flow, kNoPrefix, kLitresPerUsGallon, 60e3},
    // mass and mass flow
    {"kg", dims::mass, kNoPrefix},
    {"g", dims::mass, prefixes("m"), 1, 1e3},
    {"t", dims::mass, kNoPrefix, 1e3},
    {"kg/s", dims::mass_flow, kNoPrefix},
    {"g/s", dims::mass_flow, kNoPrefix, 1, 1e3},
    {"kg/h", dims::mass_flow, kNoPrefix, 1, 3600},
    // dimensionless
    {"%", dims::none, kNoPrefix, 1, 100},
    {"ppm", dims::none, kNoPrefix, 1, 1e6},
});

constexpr double pow10(int n) {
  double r = 1.0;
  for (int i = 0; i < n; ++i) r *= 10.0;  // exact up to 1e22
  return r;
}

double apply_prefix(double v, const Prefix* p) {
  if (p == nullptr) return v;
  if (p->exp2 != 0) return std::ldexp(v, p->exp2);
  if (p->exp10 > 0) return v * pow10(p->exp10);
  return v / pow10(-p->exp10);  // dividing by exact 1e3 rounds once; * 1e-3 would twice
}

double to_si(double v, const Unit& u, const Prefix* p) {
  return (apply_prefix(v, p) + u.pre_offset) * u.mul / u.div + u.offset;
}

struct ResolvedUnit {
  const Unit* unit;
  const Prefix* prefix;  // nullptr: none
};

std::optional<ResolvedUnit> resolve_unit(std::string_view symbol) {
  for (const Unit& u : kUnits) {
    if (u.symbol == symbol) return ResolvedUnit{&u, nullptr};
  }
  for (std::size_t i = 0; i < kPrefixes.size(); ++i) {
    const Prefix& p = kPrefixes[i];
    if (!symbol.starts_with(p.symbol)) continue;
    const std::string_view rest = symbol.substr(p.symbol.size());
    for (const Unit& u : kUnits) {
      if (u.symbol == rest && (u.prefixes & (1u << i)) != 0) return ResolvedUnit{&u, &p};
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// "did you mean": the closest spelled-out unit (prefix included) to an unknown one.

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// A wrong case ("kw", "tb/s") is the likeliest typo and wins outright; otherwise the
// candidate at edit distance 1..2, but never so far that nothing of the input is left
// (every one-letter typo is one edit from every one-letter unit, which says nothing).
// Between equally close candidates, one of the dimension the caller expects wins ("1 kK"
// for a temperature suggests "K", not "kW"); then table order.
// Every spelled-out unit, prefix included, in table order: made once (a suggestion is looked
// for on every unknown unit; building ~1,000 strings each time dominated a fuzzer's run).
const std::vector<std::pair<std::string, Dim>>& unit_spellings() {
  static const std::vector<std::pair<std::string, Dim>> all = [] {
    std::vector<std::pair<std::string, Dim>> out;
    for (const Unit& u : kUnits) {
      out.emplace_back(std::string(u.symbol), u.dim);
      for (std::size_t i = 0; i < kPrefixes.size(); ++i) {
        if ((u.prefixes & (1u << i)) != 0)
          out.emplace_back(std::string(kPrefixes[i].symbol) + std::string(u.symbol), u.dim);
      }
    }
    return out;
  }();
  return all;
}

std::optional<std::string> suggest_unit(std::string_view unknown, std::optional<Dim> expected) {
  const std::size_t max_distance = std::min<std::size_t>(2, unknown.size() - 1);
  const std::pair<std::string, Dim>* best = nullptr;
  std::size_t best_rank = 2 * (max_distance + 1);
  for (const auto& candidate : unit_spellings()) {
    const std::string_view name = candidate.first;
    // The distance is at least the difference in length: a long unknown (fuzzed junk) skips
    // the O(n m) distance against every candidate (tools/fuzz/ found 0.2 s per 200 bytes).
    const std::size_t longer = std::max(name.size(), unknown.size());
    const std::size_t shorter = std::min(name.size(), unknown.size());
    if (longer - shorter > max_distance) continue;
    const std::size_t distance =
        equal_ignoring_ascii_case(name, unknown) ? 0 : edit_distance(name, unknown);
    if (distance > max_distance) continue;
    const std::size_t rank = 2 * distance + (candidate.second == expected ? 0 : 1);
    if (rank < best_rank) {
      best_rank = rank;
      best = &candidate;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->first;
}

// ---------------------------------------------------------------------------------------------
// Scanning: text -> number + unit, independent of the dimension the caller expects.

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

enum class ScanStatus { ok, empty, not_a_number, out_of_range, unknown_unit };

struct Scan {
  ScanStatus status = ScanStatus::ok;
  std::string_view text;  // trimmed input, as quoted in messages
  std::string_view unit;  // empty for a bare number
  double si = 0;
  Dim dim;  // of the unit; dims::none for a bare number
};

// The number grammar is written out rather than left to from_chars, which would also take
// "inf", "nan" and hex floats; from_chars then converts the accepted span exactly and
// without the locale (strtod would read "0,5" in a German locale).
Scan scan(std::string_view input) {
  Scan r;
  r.text = trim(input);
  const std::string_view s = r.text;
  if (s.empty()) {
    r.status = ScanStatus::empty;
    return r;
  }
  std::size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  std::size_t digits = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) ++digits;
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i) ++digits;
  }
  if (digits == 0) {
    r.status = ScanStatus::not_a_number;
    return r;
  }
  // An exponent needs a digit after the 'e', so "5 EB" and "5EB" stay exabytes.
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && is_digit(s[j])) {
      while (j < s.size() && is_digit(s[j])) ++j;
      i = j;
    }
  }
  const std::size_t start = s[0] == '+' ? 1 : 0;  // from_chars takes '-' but not '+'
  double number = 0;
  const auto [end, ec] = std::from_chars(s.data() + start, s.data() + i, number);
  if (ec == std::errc::result_out_of_range) {
    r.status = ScanStatus::out_of_range;
    return r;
  }
  if (ec != std::errc{} || end != s.data() + i) {
    r.status = ScanStatus::not_a_number;
    return r;
  }
  r.unit = trim(s.substr(i));
  if (r.unit.empty()) {
    r.si = number;
    r.dim = dims::none;
    return r;
  }
  const std::optional<ResolvedUnit> unit = resolve_unit(r.unit);
  if (!unit) {
    r.status = ScanStatus::unknown_unit;
    return r;
  }
  r.si = to_si(number, *unit->unit, unit->prefix);
  r.dim = unit->unit->dim;
  if (!std::isfinite(r.si)) r.status = ScanStatus::out_of_range;
  return r;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Messages shared by both entry points; `what` is `a power (e.g. "700 W")` or similar.
std::optional<QuantityError> scan_error(const Scan& r, const std::string& what,
                                        std::optional<Dim> expected) {
  switch (r.status) {
    case ScanStatus::ok:
      return std::nullopt;
    case ScanStatus::empty:
      return QuantityError{"expected " + what + ", got an empty value"};
    case ScanStatus::not_a_number:
      return QuantityError{"expected " + what + ", got " + quoted(r.text)};
    case ScanStatus::out_of_range:
      return QuantityError{"number out of range in " + quoted(r.text)};
    case ScanStatus::unknown_unit: {
      std::string message = "unknown unit " + quoted(r.unit) + " in " + quoted(r.text);
      if (auto suggestion = suggest_unit(r.unit, expected)) {
        message += " (did you mean " + quoted(*suggestion) + "?)";
      }
      return QuantityError{message};
    }
  }
  return std::nullopt;
}

std::string expectation(Dim d) {
  return dimension_name(d) + " (e.g. " + quoted(example_of(d)) + ")";
}

// ---------------------------------------------------------------------------------------------
// Formatting.

struct DisplayPrefix {
  std::string_view symbol;
  int exp10;
};

// "u" rather than "µ" so that output stays ASCII; the parser reads both.
constexpr auto kDisplayPrefixes = std::to_array<DisplayPrefix>({
    {"p", -12},
    {"n", -9},
    {"u", -6},
    {"m", -3},
    {"", 0},
    {"k", 3},
    {"M", 6},
    {"G", 9},
    {"T", 12},
    {"P", 15},
    {"E", 18},
});

constexpr std::size_t kPicoIndex = 0, kNanoIndex = 1, kUnprefixedIndex = 4, kMegaIndex = 6,
                      kExaIndex = 10;

// How a dimension is shown: si * mul / div + offset, in `unit`, with an engineering prefix
// chosen among kDisplayPrefixes[first..last] (first == last: never a prefix).
struct Display {
  std::string unit;
  double mul = 1.0;
  double div = 1.0;
  double offset = 0.0;
  std::size_t first = kUnprefixedIndex;
  std::size_t last = kUnprefixedIndex;
};

Display display_for(Dim d, double si) {
  if (d == dims::power) return {"W", 1, 1, 0, kPicoIndex, kExaIndex};
  if (d == dims::energy) return {"J", 1, 1, 0, kPicoIndex, kExaIndex};
  // Sub-unit prefixes of bytes and FLOPs mean nothing; "0.5 B" is clearer than "500 mB".
  if (d == dims::bytes) return {"B", 1, 1, 0, kUnprefixedIndex, kExaIndex};
  if (d == dims::byte_rate) return {"B/s", 1, 1, 0, kUnprefixedIndex, kExaIndex};
  if (d == dims::flops) return {"FLOP", 1, 1, 0, kUnprefixedIndex, kExaIndex};
  if (d == dims::flop_rate) return {"FLOP/s", 1, 1, 0, kUnprefixedIndex, kExaIndex};
  if (d == dims::time) {
    // Long durations read better in the units people plan in; all of them parse back.
    const double a = std::fabs(si);
    if (a >= 86400) return {"day", 1, 86400};
    if (a >= 3600) return {"h", 1, 3600};
    if (a >= 60) return {"min", 1, 60};
    return {"s", 1, 1, 0, kNanoIndex, kUnprefixedIndex};
  }
  if (d == dims::frequency) return {"/s"};
  if (d == dims::temperature) return {"degC", 1, 1, -273.15};
  if (d == dims::thermal_resistance) return {"K/W"};
  if (d == dims::heat_capacity) return {"J/K", 1, 1, 0, kUnprefixedIndex, kMegaIndex};
  if (d == dims::volume) return {"L", 1e3};
  // Coolant loops are specified in L/min; m^3/s would print as "0.0002 m^3/s".
  if (d == dims::volume_flow) return {"L/min", 60e3};
  if (d == dims::mass) return {"kg"};
  if (d == dims::mass_flow) return {"kg/s"};
  if (d == dims::none) return {"%", 100};
  return {dimension_symbol(d)};
}

// %g, but "1.5e6" rather than "1.5e+06", and never "-0".
std::string format_number(double v, int significant) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*g", significant, v);
  std::string s(buf.data());
  const std::size_t e = s.find('e');
  if (e != std::string::npos) {
    std::string exponent = s.substr(e + 1);
    const bool negative = !exponent.empty() && exponent[0] == '-';
    if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) exponent.erase(0, 1);
    const std::size_t nonzero = exponent.find_first_not_of('0');
    exponent = nonzero == std::string::npos ? "0" : exponent.substr(nonzero);
    s = s.substr(0, e + 1) + (negative ? "-" : "") + exponent;
  }
  if (s == "-0") s = "0";
  return s;
}

double power_of_ten(int exp10) {
  return exp10 >= 0 ? pow10(exp10) : 1.0 / pow10(-exp10);
}

double scale_by_prefix(double v, int exp10) {
  if (exp10 >= 0) return v / pow10(exp10);
  return v * pow10(-exp10);
}

}  // namespace

std::string example_of(Dim d) {
  if (d == dims::time) return "1.5 s";
  if (d == dims::frequency) return "10 /s";
  if (d == dims::energy) return "3.6 MJ";
  if (d == dims::power) return "700 W";
  if (d == dims::bytes) return "80 GiB";
  if (d == dims::byte_rate) return "3.35 TB/s";
  if (d == dims::flops) return "2 GFLOP";
  if (d == dims::flop_rate) return "989 TFLOP/s";
  if (d == dims::temperature) return "45 degC";
  if (d == dims::thermal_resistance) return "0.04 K/W";
  if (d == dims::heat_capacity) return "385 J/K";
  if (d == dims::volume) return "50 L";
  if (d == dims::volume_flow) return "12 L/min";
  if (d == dims::mass) return "1 kg";
  if (d == dims::mass_flow) return "0.2 kg/s";
  if (d == dims::none) return "95 %";
  // No unit symbol has this dimension, so the only thing the parser accepts is a bare 0.
  return "0";
}

std::variant<double, QuantityError> parse_quantity(std::string_view text, Dim expected) {
  const Scan r = scan(text);
  const std::string what = expectation(expected);
  if (auto error = scan_error(r, what, expected)) return *error;
  if (r.unit.empty()) {
    // A unit is what makes "700" unambiguous; only "nothing" means the same in every unit.
    if (expected == dims::none) return r.si;
    if (r.si == 0) return 0.0;
    return QuantityError{"expected " + what + ", got a bare number " + quoted(r.text)};
  }
  if (r.dim != expected) {
    return QuantityError{"expected " + what + ", got " + dimension_name(r.dim) + " " +
                         quoted(r.text)};
  }
  return r.si;
}

std::variant<double, QuantityError> parse_temperature_difference(std::string_view text) {
  const Scan r = scan(text);
  const std::string what = "a temperature difference (e.g. \"5 K\")";
  if (auto error = scan_error(r, what, dims::temperature)) return *error;
  if (r.unit.empty()) {
    if (r.si == 0) return 0.0;
    return QuantityError{"expected " + what + ", got a bare number " + quoted(r.text)};
  }
  if (r.dim != dims::temperature) {
    return QuantityError{"expected " + what + ", got " + dimension_name(r.dim) + " " +
                         quoted(r.text)};
  }
  const std::optional<ResolvedUnit> unit = resolve_unit(r.unit);
  if (unit && (unit->unit->offset != 0 || unit->unit->pre_offset != 0)) {
    return QuantityError{
        "a temperature difference is written in K (e.g. \"5 K\"): " + quoted(r.text) +
        " is an absolute temperature (" + format_number(r.si, 6) + " K)"};
  }
  return r.si;
}

std::variant<ParsedQuantity, QuantityError> parse_any_quantity(std::string_view text) {
  const Scan r = scan(text);
  if (auto error = scan_error(r, "a quantity (e.g. \"700 W\")", std::nullopt)) return *error;
  return ParsedQuantity{r.unit.empty() && r.si == 0 ? 0.0 : r.si, r.dim};
}

std::string format_quantity(double si, Dim d, int significant) {
  significant = std::clamp(significant, 1, 17);
  const Display display = display_for(d, si);
  const double shown = si * display.mul / display.div + display.offset;
  std::size_t k = kUnprefixedIndex;
  if (std::isfinite(shown) && shown != 0 && display.first != display.last) {
    // The largest prefix that leaves at least 1 in front of the point...
    k = display.first;
    while (k < display.last && std::fabs(shown) >= power_of_ten(kDisplayPrefixes[k + 1].exp10)) ++k;
    // ...unless rounding to `significant` digits carries it to 1000 ("999.97 W" -> "1 kW").
    const std::string rounded =
        format_number(scale_by_prefix(shown, kDisplayPrefixes[k].exp10), significant);
    double back = 0;
    std::from_chars(rounded.data(), rounded.data() + rounded.size(), back);
    if (std::fabs(back) >= 1000 && k < display.last) ++k;
  }
  const double mantissa =
      k == kUnprefixedIndex ? shown : scale_by_prefix(shown, kDisplayPrefixes[k].exp10);
  return format_number(mantissa, significant) + " " + std::string(kDisplayPrefixes[k].symbol) +
         display.unit;
}

}  // namespace sim
