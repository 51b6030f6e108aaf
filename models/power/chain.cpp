#include "models/power/chain.hpp"

#include <stdexcept>

namespace models::power {

bool ChainSpec::needs_server_psu() const {
  for (const StageSpec& s : stages) {
    if (s.from_server) return true;
  }
  return false;
}

std::vector<StageSpec> resolve_chain(const ChainSpec& chain, const HallLayout& layout,
                                     const StageSpec* server_psu, sim::Watts server_nameplate,
                                     sim::config::Diagnostics& diags) {
  std::vector<StageSpec> out;
  out.reserve(chain.stages.size());
  for (const StageSpec& s : chain.stages) {
    if (!s.from_server) {
      out.push_back(s);
      continue;
    }
    if (server_psu == nullptr) {
      diags.add(s.where, s.path,
                "chain \"" + chain.name +
                    "\" takes the server's own PSU (server_psu), but the server has no psu");
      continue;
    }
    StageSpec psu = *server_psu;
    psu.name = s.name;
    psu.scope = Scope::server;
    psu.from_server = false;
    out.push_back(std::move(psu));
  }
  for (StageSpec& s : out) {
    if (s.rating.is_absolute()) continue;
    if (!(server_nameplate.value() > 0.0))
      throw std::invalid_argument("resolve_chain: percentage ratings need a server nameplate > 0");
    const sim::Watts design = server_nameplate * static_cast<double>(layout.servers_in(s.scope));
    s.rating =
        Rating::absolute_per_module(design * s.rating.fraction / static_cast<double>(s.modules));
  }
  return out;
}

double chain_efficiency(std::span<const StageSpec> stages, std::span<const double> load_fractions) {
  if (stages.size() != load_fractions.size())
    throw std::invalid_argument("chain_efficiency: one load fraction per stage");
  double eta = 1.0;
  for (std::size_t i = 0; i < stages.size(); ++i)
    eta *= stage_efficiency(stages[i], load_fractions[i]);
  return eta;
}

DesignPoint design_point(std::span<const StageSpec> resolved, const HallLayout& layout,
                         sim::Watts server_load) {
  DesignPoint p;
  p.stages.resize(resolved.size());
  if (resolved.empty()) return p;
  p.it = server_load * static_cast<double>(layout.servers());
  sim::Watts below = server_load;  // input of one instance of the stage below
  Scope below_scope = Scope::server;
  for (std::size_t k = resolved.size(); k-- > 0;) {
    const StageSpec& s = resolved[k];
    if (!s.rating.is_absolute() || s.from_server)
      throw std::invalid_argument("design_point: stage " + s.name + " is not resolved");
    const double children =
        static_cast<double>(layout.count(below_scope)) / static_cast<double>(layout.count(s.scope));
    StagePoint& sp = p.stages[k];
    sp.output = below * children;
    sp.input = stage_input(s, sp.output);
    sp.load_fraction = (sp.output / s.installed_rating()).value();
    sp.usable_utilization = (sp.output / s.usable_rating()).value();
    sp.efficiency = sp.input.value() > 0 ? (sp.output / sp.input).value() : 1.0;
    if (s.location == StageLocation::room)
      p.room_heat += (sp.input - sp.output) * static_cast<double>(layout.count(s.scope));
    below = sp.input;
    below_scope = s.scope;
  }
  p.grid = below * static_cast<double>(layout.count(resolved.front().scope));
  return p;
}

}  // namespace models::power
