#include "models/power/power_reader.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/quantity.hpp"

namespace models::power {

using sim::config::Bounds;
using sim::config::Diagnostics;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

const char* to_string(Overload o) {
  return o == Overload::trip ? "trip" : "cap";
}

namespace {

constexpr std::array<std::string_view, 2> kLocations{"room", "outdoor"};
constexpr std::array<std::string_view, 2> kOverloads{"cap", "trip"};
constexpr std::string_view kServerPsu = "server_psu";
// The name the server_psu placeholder (and so the spliced server PSU) goes by.
constexpr std::string_view kPsuName = "psu";

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string got(std::string_view s) {
  return " (got " + quoted(s) + ")";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string item_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// "N", "N+k" (k >= 1) or "2N".
std::optional<Redundancy> parse_redundancy(std::string_view s) {
  s = trim(s);
  if (s == "N") return Redundancy::n();
  if (s == "2N") return Redundancy::two_n();
  if (s.size() > 2 && s.starts_with("N+")) {
    int k = 0;
    const auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), k);
    if (ec == std::errc() && end == s.data() + s.size() && k >= 1) return Redundancy::n_plus(k);
  }
  return std::nullopt;
}

// A percentage written with its unit ("95 %"; a bare 0 is allowed, as for every quantity).
// `what` ("load: ") prefixes the message where the path alone ("efficiency[2][0]") does not
// say which value it is.
std::optional<double> read_percentage(const Node& n, const std::string& path, Diagnostics& d,
                                      std::string_view what) {
  const std::string prefix = what.empty() ? "" : std::string(what) + ": ";
  if (!n.is_scalar()) {
    d.add(n.location(), path,
          prefix + "must be a percentage (got " + std::string(sim::config::kind_name(n.kind())) +
              ")");
    return std::nullopt;
  }
  const std::string_view text = trim(n.scalar());
  auto parsed = sim::parse_quantity(text, sim::dims::none);
  if (auto* e = std::get_if<sim::QuantityError>(&parsed)) {
    d.add(n.location(), path, prefix + e->message);
    return std::nullopt;
  }
  const double v = std::get<double>(parsed);
  const bool has_unit = !text.empty() && (text.back() == '%' || text.ends_with("ppm"));
  if (!has_unit && v != 0.0) {
    d.add(n.location(), path,
          prefix + "expected a percentage (e.g. \"95 %\"), got a bare number " + quoted(text));
    return std::nullopt;
  }
  return v;
}

bool valid_efficiency(double e) {
  return e > 0.0 && e <= 1.0;
}

// `efficiency:` as one percentage (a flat curve) or a list of [load %, efficiency %] pairs.
// Returns the curve only when the whole table is valid.
std::optional<EfficiencyCurve> read_efficiency(const Node& n, const std::string& path,
                                               Diagnostics& d) {
  if (n.is_scalar()) {
    const std::optional<double> e = read_percentage(n, path, d, "");
    if (!e) return std::nullopt;
    if (!valid_efficiency(*e)) {
      d.add(n.location(), path, "must be > 0 and <= 100 %" + got(trim(n.scalar())));
      return std::nullopt;
    }
    return EfficiencyCurve({{0.0, *e}, {1.0, *e}});
  }
  if (!n.is_sequence()) {
    d.add(n.location(), path,
          "must be a percentage or a list of [load %, efficiency %] pairs (got " +
              std::string(sim::config::kind_name(n.kind())) + ")");
    return std::nullopt;
  }
  const std::vector<Node>& items = n.items();
  if (items.empty()) {
    d.add(n.location(), path, "needs at least 2 points, from 0 % to 100 % load");
    return std::nullopt;
  }
  const std::size_t errors_before = d.size();
  std::vector<EfficiencyPoint> points;
  // The last load read correctly, for the "loads must increase" check.
  std::optional<std::pair<double, std::string_view>> previous;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Node& item = items[i];
    const std::string p = item_path(path, i);
    if (!item.is_sequence() || item.items().size() != 2) {
      const std::string what = item.is_sequence()
                                   ? "a list of " + std::to_string(item.items().size())
                                   : std::string(sim::config::kind_name(item.kind()));
      d.add(item.location(), p, "must be a [load %, efficiency %] pair (got " + what + ")");
      continue;
    }
    const Node& load_node = item.items()[0];
    const Node& eff_node = item.items()[1];
    const std::string load_path = p + "[0]";
    std::optional<double> load = read_percentage(load_node, load_path, d, "load");
    if (load && !(*load >= 0.0 && *load <= 1.0)) {
      d.add(load_node.location(), load_path,
            "load: must be between 0 and 100 %" + got(trim(load_node.scalar())));
      load.reset();
    }
    if (load) {
      const std::string_view text = trim(load_node.scalar());
      if (i == 0 && *load != 0.0)
        d.add(load_node.location(), load_path, "the table must start at 0 % load" + got(text));
      if (i + 1 == items.size() && *load != 1.0)
        d.add(load_node.location(), load_path, "the table must end at 100 % load" + got(text));
      if (previous && !(*load > previous->first)) {
        d.add(load_node.location(), load_path,
              "loads must increase (got " + quoted(text) + " after " + quoted(previous->second) +
                  ")");
      }
      previous = std::make_pair(*load, text);
    }
    const std::string eff_path = p + "[1]";
    std::optional<double> eff = read_percentage(eff_node, eff_path, d, "efficiency");
    if (eff && !valid_efficiency(*eff)) {
      d.add(eff_node.location(), eff_path,
            "efficiency: must be > 0 and <= 100 %" + got(trim(eff_node.scalar())));
      eff.reset();
    }
    if (load && eff) points.push_back({*load, *eff});
  }
  // A table without errors has >= 2 points: one point cannot both start at 0 % and end at
  // 100 %.
  if (d.size() != errors_before) return std::nullopt;
  return EfficiencyCurve(std::move(points));
}

void read_rating(Reader& r, StageSpec& s, StageContext context) {
  Diagnostics& d = r.diagnostics();
  const Node* rating = r.node("rating", Need::required);
  if (rating == nullptr) {
    (void)r.node("power_factor", Need::optional);
    return;
  }
  const std::string_view text = rating->is_scalar() ? trim(rating->scalar()) : std::string_view{};
  const bool in_va = text.ends_with("VA");
  const bool in_percent = text.ends_with("%");
  if (in_percent && context == StageContext::server_psu) {
    d.add(rating->location(), r.path_of("rating"),
          "a server's PSU needs an absolute rating (e.g. \"3.3 kW\" or \"3.5 kVA\")" + got(text));
  } else if (in_percent) {
    if (auto f = r.quantity("rating", sim::dims::none, Need::required, Bounds::positive()))
      s.rating = Rating::of_design(*f);
  } else if (auto w = r.quantity<sim::dims::power>("rating", Need::required, Bounds::positive())) {
    s.rating = Rating::absolute_per_module(*w);
  }

  const Node* pf_node = r.node("power_factor", Need::optional);
  if (pf_node == nullptr) {
    if (in_va) {
      d.add(rating->location(), r.path_of("rating"),
            "a rating in VA (apparent power) needs power_factor" + got(text));
      s.rating.module = sim::Watts(0);
    }
    return;
  }
  const std::optional<double> pf =
      r.quantity("power_factor", sim::dims::none, Need::optional, Bounds{0.0, false, 1.0, true});
  if (!in_va) {
    if (rating->is_scalar())
      d.add(pf_node->location(), r.path_of("power_factor"),
            "applies only to a rating in VA (rating is " + quoted(text) + ")");
    return;
  }
  if (pf) s.rating.module = s.rating.module * *pf;
}

}  // namespace

StageSpec read_stage(Reader& r, StageContext context) {
  Diagnostics& d = r.diagnostics();
  StageSpec s;
  s.where = r.location();
  s.path = r.path();
  const bool psu = context == StageContext::server_psu;
  const Need named = psu ? Need::optional : Need::required;
  s.name = r.string("name", named).value_or(psu ? std::string(kPsuName) : "");
  s.type = r.string("type", named).value_or(psu ? std::string(kPsuName) : "");
  if (psu) {
    s.scope = Scope::server;
    if (auto scope = r.string("scope", Need::optional); scope && *scope != "server") {
      d.add(r.node("scope", Need::optional)->location(), r.path_of("scope"),
            "a server's PSU has scope server" + got(*scope));
    }
  } else if (auto scope = r.choice("scope", kScopeNames, Need::required)) {
    s.scope = *parse_scope(*scope);
  }
  read_rating(r, s, context);
  s.modules = static_cast<int>(
      r.integer("modules", Need::optional, Bounds::between(1, 1'000'000)).value_or(1));
  if (auto text = r.string("redundancy", Need::optional)) {
    if (auto red = parse_redundancy(*text)) {
      s.redundancy = *red;
    } else {
      d.add(r.node("redundancy", Need::optional)->location(), r.path_of("redundancy"),
            "must be N, N+k (k >= 1) or 2N" + got(*text));
    }
  }
  if (const Node* e = r.node("efficiency", Need::required)) {
    if (auto curve = read_efficiency(*e, r.path_of("efficiency"), d)) s.efficiency = *curve;
  }
  if (auto loc = r.choice("location", kLocations, Need::optional))
    s.location = *loc == "outdoor" ? StageLocation::outdoor : StageLocation::room;
  s.no_load_loss =
      r.quantity<sim::dims::power>("no_load_loss", Need::optional, Bounds::non_negative())
          .value_or(sim::Watts(0));
  r.finish();
  return s;
}

ChainSpec read_chain_stages(const Node& list, std::string name, const std::string& path,
                            Diagnostics& diags) {
  ChainSpec c;
  c.name = std::move(name);
  c.where = list.location();
  c.path = path;
  if (!list.is_sequence()) {
    diags.add(
        list.location(), path,
        "must be a list of stages (got " + std::string(sim::config::kind_name(list.kind())) + ")");
    return c;
  }
  if (list.items().empty()) {
    diags.add(list.location(), path, "must list at least one stage");
    return c;
  }
  // The names read so far, for the uniqueness check.
  struct Seen {
    std::string name;
    std::string item;  // "stages[1]", as messages name it
    bool from_server;
  };
  std::vector<Seen> seen;
  const std::string leaf = path.substr(path.rfind('.') + 1);
  std::optional<std::size_t> above_index;  // the last stage whose scope was read
  for (std::size_t i = 0; i < list.items().size(); ++i) {
    const Node& item = list.items()[i];
    const std::string p = item_path(path, i);
    StageSpec s;
    sim::config::Location name_at = item.location();
    bool scope_known = false;
    sim::config::Location scope_at = item.location();
    if (item.is_scalar()) {
      if (item.scalar() != kServerPsu) {
        std::string msg = "must be a stage (a mapping) or server_psu" + got(item.scalar());
        const std::array<std::string, 1> candidates{std::string(kServerPsu)};
        if (sim::config::did_you_mean(item.scalar(), candidates))
          msg += " \u2014 did you mean \"server_psu\"?";
        diags.add(item.location(), p, std::move(msg));
        continue;
      }
      s.name = kPsuName;
      s.type = kPsuName;
      s.scope = Scope::server;
      s.from_server = true;
      s.where = item.location();
      s.path = p;
      scope_known = true;
    } else {
      Reader r(&item, p, diags);
      s = read_stage(r, StageContext::chain);
      if (!item.is_mapping()) continue;  // reported by the Reader
      if (const Node* n = item.find("name")) name_at = n->location();
      if (const Node* n = item.find("scope")) {
        scope_at = n->location();
        // A scope that failed to read says nothing about the order.
        scope_known = n->is_scalar() && parse_scope(n->scalar()).has_value();
      }
    }
    if (!s.name.empty()) {
      for (const Seen& other : seen) {
        if (other.name != s.name) continue;
        if (s.from_server && other.from_server) {
          diags.add(item.location(), p,
                    "server_psu may appear only once (also " + other.item + ")");
        } else {
          diags.add(name_at, s.from_server ? p : p + ".name",
                    "duplicate stage name " + quoted(s.name) + " (also " + other.item + ")");
        }
        break;
      }
      seen.push_back({s.name, leaf + "[" + std::to_string(i) + "]", s.from_server});
    }
    if (scope_known) {
      if (above_index) {
        const StageSpec& above = c.stages[*above_index];
        if (static_cast<int>(s.scope) < static_cast<int>(above.scope)) {
          diags.add(scope_at, s.from_server ? p : p + ".scope",
                    "a " + std::string(to_string(s.scope)) + " stage cannot be fed by a " +
                        std::string(to_string(above.scope)) + " stage above it (" +
                        quoted(above.name) + "): scopes go from hall towards server");
        }
      }
      above_index = c.stages.size();
    }
    c.stages.push_back(std::move(s));
  }
  return c;
}

std::map<std::string, ChainSpec> read_power_chains(const Node& root, Diagnostics& diags) {
  std::map<std::string, ChainSpec> out;
  const Node* section = root.is_mapping() ? root.find("power_chains") : nullptr;
  if (section == nullptr) return out;
  Reader all(section, "power_chains", diags);
  if (section->is_mapping()) {
    for (const auto& [name, node] : section->entries()) {
      Reader r = all.section(name, Need::required);
      const std::string source = r.string("source", Need::required).value_or("");
      ChainSpec chain;
      if (const Node* stages = r.node("stages", Need::required)) {
        chain = read_chain_stages(*stages, name, r.path_of("stages"), diags);
      }
      chain.name = name;
      chain.source = source;
      chain.where = node.location();
      chain.path = r.path();
      r.finish();
      out.emplace(name, std::move(chain));
    }
  }
  all.finish();
  return out;
}

PowerSpec read_power(Reader& r, const std::map<std::string, ChainSpec>& chains) {
  Diagnostics& d = r.diagnostics();
  PowerSpec p;
  if (const Node* chain = r.node("chain", Need::required)) {
    if (chain->is_sequence()) {
      p.chain = read_chain_stages(*chain, "inline", r.path_of("chain"), d);
    } else if (chain->is_scalar() && chains.empty()) {
      d.add(chain->location(), r.path_of("chain"),
            "unknown power chain " + quoted(chain->scalar()) +
                ": no power_chains are defined (include catalog/power_chains.yaml)");
    } else if (chain->is_scalar()) {
      std::vector<std::string_view> names;
      names.reserve(chains.size());
      for (const auto& [name, spec] : chains) names.push_back(name);
      if (auto name = r.choice("chain", names, Need::required)) p.chain = chains.at(*name);
    } else {
      d.add(chain->location(), r.path_of("chain"),
            "must be the name of a power chain or a list of stages (got " +
                std::string(sim::config::kind_name(chain->kind())) + ")");
    }
  }
  p.grid_capacity =
      r.quantity<sim::dims::power>("grid_capacity", Need::optional, Bounds::positive());
  if (auto o = r.choice("overload", kOverloads, Need::optional))
    p.overload = *o == "trip" ? Overload::trip : Overload::cap;
  if (auto dt =
          r.quantity<sim::dims::time>("control_interval", Need::optional, Bounds::at_least(1e-9))) {
    p.control_interval = sim::Duration::from_seconds(*dt);
  }
  r.finish();
  return p;
}

}  // namespace models::power
