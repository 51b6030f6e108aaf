#include "models/power/power_tree.hpp"

#include <cmath>
#include <stdexcept>

namespace models::power {

namespace {
// Rebuilding from the server loads every so many changes bounds the rounding drift of the
// incremental sums (a node whose servers all went idle shows exactly 0 W again) at a cost of
// O(nodes + servers) / 16384 per change.
constexpr std::uint32_t kRebuildEvery = 1u << 14;

std::size_t idx(int i) {
  return static_cast<std::size_t>(i);
}
}  // namespace

PowerTree::PowerTree(std::vector<StageSpec> resolved, HallLayout layout, sim::SimTime start)
    : stages_(std::move(resolved)), layout_(layout), now_(start) {
  if (layout_.rows < 1 || layout_.racks_per_row < 1 || layout_.servers_per_rack < 1)
    throw std::invalid_argument("PowerTree: the hall needs at least one server");
  if (stages_.empty()) throw std::invalid_argument("PowerTree: the chain has no stage");
  for (std::size_t k = 0; k < stages_.size(); ++k) {
    const StageSpec& s = stages_[k];
    if (s.from_server || !s.rating.is_absolute() || !(s.rating.module.value() > 0) || s.modules < 1)
      throw std::invalid_argument("PowerTree: stage " + s.name +
                                  " is not resolved (see resolve_chain)");
    if (k > 0 && static_cast<int>(s.scope) < static_cast<int>(stages_[k - 1].scope))
      throw std::invalid_argument("PowerTree: stage " + s.name +
                                  " is coarser than the stage above it");
  }

  for (std::size_t k = 0; k < stages_.size(); ++k) {
    const StageSpec& s = stages_[k];
    stage_offset_.push_back(static_cast<int>(nodes_.size()));
    const int count = layout_.count(s.scope);
    const int per = layout_.servers_in(s.scope);
    for (int i = 0; i < count; ++i) {
      PowerNode n;
      n.name_ = s.name + "[" + std::to_string(i) + "]";
      n.stage_ = static_cast<int>(k);
      n.instance_ = i;
      n.scope_ = s.scope;
      n.room_ = s.location == StageLocation::room;
      n.servers_ = {i * per, (i + 1) * per};
      if (k > 0)
        n.parent_ =
            node_of(static_cast<int>(k) - 1, layout_.instance_of(i * per, stages_[k - 1].scope));
      n.usable_ = s.usable_rating();
      n.installed_ = s.installed_rating();
      n.since_ = start;
      nodes_.push_back(std::move(n));
    }
  }
  leaf_.resize(idx(layout_.servers()));
  for (int s = 0; s < layout_.servers(); ++s)
    leaf_[idx(s)] = feeding(s, static_cast<int>(stages_.size()) - 1);
  server_load_.assign(idx(layout_.servers()), sim::Watts(0));
  scratch_.assign(nodes_.size(), sim::Watts(0));
  rebuild(start);  // constant losses flow from the start
}

int PowerTree::node_of(int stage, int instance) const {
  return stage_offset_.at(idx(stage)) + instance;
}

int PowerTree::feeding(int server, int stage) const {
  return node_of(stage, layout_.instance_of(server, stages_.at(idx(stage)).scope));
}

std::optional<int> PowerTree::find(std::string_view node_name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name_ == node_name) return static_cast<int>(i);
  }
  return std::nullopt;
}

void PowerTree::check_time(sim::SimTime now) const {
  if (now < now_)
    throw std::logic_error("PowerTree: time went back (" + std::to_string(now.ns()) + " ns < " +
                           std::to_string(now_.ns()) + " ns)");
}

void PowerTree::integrate(PowerNode& n, sim::SimTime now) {
  const sim::Seconds dt = (now - n.since_).seconds();
  n.e_in_ += n.input_ * dt;
  n.e_out_ += n.output_ * dt;
  n.e_loss_ += n.loss_ * dt;
  n.since_ = now;
}

// Sets a node's output (already integrated to `now`); its input follows, or 0 when it is
// de-energized.
void PowerTree::set_output(PowerNode& n, sim::Watts output, sim::SimTime now) {
  const bool changed = output != n.output_;
  n.output_ = output;
  n.input_ = n.dead_ == 0 ? stage_input(stages_[idx(n.stage_)], output) : sim::Watts(0);
  n.loss_ = n.input_ - n.output_;
  if (changed && n.wall_) monitor_->set_load(*n.wall_, now, output.value());
}

void PowerTree::set_server_load(int server, sim::Watts load, sim::SimTime now) {
  check_time(now);
  if (server < 0 || server >= layout_.servers())
    throw std::out_of_range("PowerTree: no server " + std::to_string(server));
  if (!(load.value() >= 0) || !std::isfinite(load.value()))
    throw std::invalid_argument("PowerTree: server load must be finite and >= 0");
  now_ = now;
  sim::Watts& current = server_load_[idx(server)];
  if (load == current) return;
  int id = leaf_[idx(server)];
  if (nodes_[idx(id)].dead_ > 0) return;
  sim::Watts delta = load - current;
  current = load;
  it_ += delta;
  while (true) {
    PowerNode& n = nodes_[idx(id)];
    integrate(n, now);
    const sim::Watts old_in = n.input_;
    const sim::Watts old_loss = n.loss_;
    set_output(n, n.output_ + delta, now);
    const sim::Watts d_loss = n.loss_ - old_loss;
    loss_ += d_loss;
    if (n.room_) room_heat_ += d_loss;
    delta = n.input_ - old_in;
    if (n.parent_ < 0) break;
    id = n.parent_;
  }
  grid_ += delta;
  if (++changes_since_rebuild_ >= kRebuildEvery) rebuild(now);
}

void PowerTree::rebuild(sim::SimTime now) {
  for (PowerNode& n : nodes_) integrate(n, now);
  for (sim::Watts& w : scratch_) w = sim::Watts(0);
  it_ = sim::Watts(0);
  for (std::size_t s = 0; s < server_load_.size(); ++s) {
    const int leaf = leaf_[s];
    if (nodes_[idx(leaf)].dead_ > 0) server_load_[s] = sim::Watts(0);
    scratch_[idx(leaf)] += server_load_[s];
    it_ += server_load_[s];
  }
  // Stage-major order: children come after their parents, so a backwards sweep finishes
  // every child before its parent reads it.
  for (std::size_t i = nodes_.size(); i-- > 0;) {
    PowerNode& n = nodes_[i];
    set_output(n, scratch_[i], now);
    if (n.parent_ >= 0) scratch_[idx(n.parent_)] += n.input_;
  }
  grid_ = sim::Watts(0);
  loss_ = sim::Watts(0);
  room_heat_ = sim::Watts(0);
  for (const PowerNode& n : nodes_) {
    if (n.parent_ < 0) grid_ += n.input_;
    loss_ += n.loss_;
    if (n.room_) room_heat_ += n.loss_;
  }
  changes_since_rebuild_ = 0;
}

void PowerTree::set_tripped(int id, bool tripped, sim::SimTime now) {
  check_time(now);
  PowerNode& top = nodes_.at(idx(id));
  now_ = now;
  if (top.tripped_ == tripped) return;
  top.tripped_ = tripped;
  const int step = tripped ? 1 : -1;
  for (std::size_t k = idx(top.stage_); k < stages_.size(); ++k) {
    const int first = feeding(top.servers_.first, static_cast<int>(k));
    const int last = feeding(top.servers_.last - 1, static_cast<int>(k));
    for (int i = first; i <= last; ++i) nodes_[idx(i)].dead_ += step;
  }
  rebuild(now);
}

StagePower PowerTree::stage_power(int stage) const {
  StagePower p;
  p.name = stages_.at(idx(stage)).name;
  const int first = stage_offset_[idx(stage)];
  const int last = first + layout_.count(stages_[idx(stage)].scope);
  for (int i = first; i < last; ++i) {
    const PowerNode& n = nodes_[idx(i)];
    p.output += n.output_;
    p.input += n.input_;
    p.loss += n.loss_;
  }
  return p;
}

sim::Joules PowerTree::energy_in(int id, sim::SimTime now) const {
  check_time(now);
  const PowerNode& n = node(id);
  return n.e_in_ + n.input_ * (now - n.since_).seconds();
}

sim::Joules PowerTree::energy_out(int id, sim::SimTime now) const {
  check_time(now);
  const PowerNode& n = node(id);
  return n.e_out_ + n.output_ * (now - n.since_).seconds();
}

sim::Joules PowerTree::energy_loss(int id, sim::SimTime now) const {
  check_time(now);
  const PowerNode& n = node(id);
  return n.e_loss_ + n.loss_ * (now - n.since_).seconds();
}

sim::Joules PowerTree::grid_energy(sim::SimTime now) const {
  sim::Joules e{0};
  for (int i = 0; i < layout_.count(stages_.front().scope); ++i) e += energy_in(i, now);
  return e;
}

sim::Joules PowerTree::it_energy(sim::SimTime now) const {
  sim::Joules e{0};
  const int first = stage_offset_.back();
  for (int i = first; i < static_cast<int>(nodes_.size()); ++i) e += energy_out(i, now);
  return e;
}

sim::Joules PowerTree::loss_energy(sim::SimTime now) const {
  sim::Joules e{0};
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) e += energy_loss(i, now);
  return e;
}

sim::Joules PowerTree::room_heat_energy(sim::SimTime now) const {
  sim::Joules e{0};
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (nodes_[idx(i)].room_) e += energy_loss(i, now);
  }
  return e;
}

std::vector<StageEnergy> PowerTree::stage_energies(sim::SimTime now) const {
  std::vector<StageEnergy> out(stages_.size());
  for (std::size_t k = 0; k < stages_.size(); ++k) out[k].name = stages_[k].name;
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    StageEnergy& e = out[idx(nodes_[idx(i)].stage_)];
    e.input += energy_in(i, now);
    e.output += energy_out(i, now);
    e.loss += energy_loss(i, now);
  }
  return out;
}

void PowerTree::register_walls(sim::WallMonitor& monitor) {
  if (monitor_ != nullptr) throw std::logic_error("PowerTree: walls registered twice");
  monitor_ = &monitor;
  for (PowerNode& n : nodes_) {
    n.wall_ =
        monitor.add("power." + n.name_, "power", n.usable_.value(), "W", sim::Aggregation::rate);
    if (n.output_.value() != 0.0) monitor.set_load(*n.wall_, now_, n.output_.value());
  }
}

IntervalMeter::IntervalMeter(const PowerTree& tree, sim::SimTime start)
    : tree_(&tree), last_(start), energy_(tree.nodes().size()), mean_(tree.nodes().size()) {
  for (std::size_t i = 0; i < energy_.size(); ++i)
    energy_[i] = tree.energy_out(static_cast<int>(i), start);
}

std::span<const sim::Watts> IntervalMeter::close(sim::SimTime now) {
  const sim::Seconds dt = (now - last_).seconds();
  for (std::size_t i = 0; i < energy_.size(); ++i) {
    const sim::Joules e = tree_->energy_out(static_cast<int>(i), now);
    mean_[i] = dt.value() > 0 ? (e - energy_[i]) / dt : tree_->node(static_cast<int>(i)).output();
    energy_[i] = e;
  }
  last_ = now;
  return mean_;
}

}  // namespace models::power
