#include "models/network/collective.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "sim/engine.hpp"

namespace models::network {

std::string_view to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::all_reduce:
      return "all_reduce";
    case CollectiveOp::reduce_scatter:
      return "reduce_scatter";
    case CollectiveOp::all_gather:
      return "all_gather";
    case CollectiveOp::all_to_all:
      return "all_to_all";
    case CollectiveOp::send_recv:
      return "send_recv";
  }
  return "?";
}

std::string_view to_string(CollectiveAlgorithm algorithm) {
  switch (algorithm) {
    case CollectiveAlgorithm::ring:
      return "ring";
    case CollectiveAlgorithm::double_binary_tree:
      return "double_binary_tree";
    case CollectiveAlgorithm::hierarchical:
      return "hierarchical";
    case CollectiveAlgorithm::in_switch:
      return "in_switch";
  }
  return "?";
}

std::string_view to_string(NcclProtocol p) {
  switch (p) {
    case NcclProtocol::ll:
      return "LL";
    case NcclProtocol::ll128:
      return "LL128";
    case NcclProtocol::simple:
      return "Simple";
  }
  return "?";
}

std::vector<TreeNode> binary_tree(int ranks) {
  std::vector<TreeNode> tree(static_cast<std::size_t>(std::max(ranks, 0)));
  // Parent by NCCL's bit rule: clear the rank's lowest set bit and set the next one up
  // (xx01[0] -> xx10[0], xx11[0] -> xx10[0]); when that is out of range, just clear it.
  for (int r = 1; r < ranks; ++r) {
    const int bit = r & -r;
    int up = (r ^ bit) | (bit << 1);
    if (up >= ranks) up = r ^ bit;
    tree[static_cast<std::size_t>(r)].parent = up;
  }
  // Children follow from the parents (in rank order: the lower child first).
  for (int r = 1; r < ranks; ++r) {
    TreeNode& p = tree[static_cast<std::size_t>(tree[static_cast<std::size_t>(r)].parent)];
    if (p.children[0] < 0)
      p.children[0] = r;
    else if (p.children[1] < 0)
      p.children[1] = r;
    else
      throw std::logic_error("binary_tree: a rank with three children");
  }
  return tree;
}

std::vector<TreeNode> second_tree(int ranks) {
  const std::vector<TreeNode> first = binary_tree(ranks);
  // Rank r of the second tree plays the role of map(r) in the first.
  auto to_first = [&](int r) { return ranks % 2 == 0 ? ranks - 1 - r : (r + ranks - 1) % ranks; };
  auto from_first = [&](int r) { return ranks % 2 == 0 ? ranks - 1 - r : (r + 1) % ranks; };
  std::vector<TreeNode> tree(first.size());
  for (int r = 0; r < ranks; ++r) {
    const TreeNode& f = first[static_cast<std::size_t>(to_first(r))];
    TreeNode& t = tree[static_cast<std::size_t>(r)];
    t.parent = f.parent < 0 ? -1 : from_first(f.parent);
    for (int k = 0; k < 2; ++k) t.children[k] = f.children[k] < 0 ? -1 : from_first(f.children[k]);
  }
  return tree;
}

namespace {

bool crosses_nic(const Topology& topo, const Route& route) {
  return std::any_of(route.begin(), route.end(), [&](LinkId l) {
    return topo.link(l).tier != LinkTier::nvlink && topo.link(l).tier != LinkTier::pcie;
  });
}

// Builds the steps, routing each transfer and charging its tier's α and η.
class Planner {
 public:
  Planner(const Topology& topo, Router& router, const CollectiveProtocol& protocol)
      : topo_(topo), router_(router), protocol_(protocol) {}

  void new_step() { plan_.steps.emplace_back(); }
  // A transfer from GPU a to GPU b (or over an explicit route) in the current step.
  void add(NodeId a, NodeId b, sim::Bytes payload, bool reduce, std::uint64_t key = 0) {
    auto route = router_.route(a, b, key);
    if (!route)
      throw std::invalid_argument(
          fmt::format("collective: {} cannot reach {}", topo_.node(a).name, topo_.node(b).name));
    add_route(std::move(*route), payload, reduce);
  }
  void add_route(Route route, sim::Bytes payload, bool reduce) {
    Transfer t;
    t.scale_out = crosses_nic(topo_, route);
    const TierProtocol& tier = t.scale_out ? protocol_.scale_out : protocol_.scale_up;
    t.route = std::move(route);
    t.payload = payload;
    t.wire = payload / (tier.efficiency * (reduce ? protocol_.reduction_efficiency : 1.0));
    t.delay = tier.step_latency;
    plan_.steps.back().transfers.push_back(std::move(t));
  }
  CollectivePlan take() {
    plan_.launch_latency = protocol_.launch_latency;
    std::erase_if(plan_.steps, [](const CollectiveStep& s) { return s.transfers.empty(); });
    return std::move(plan_);
  }

 private:
  const Topology& topo_;
  Router& router_;
  const CollectiveProtocol& protocol_;
  CollectivePlan plan_;
};

struct Shape {
  int n, g, servers;
};

Shape shape_of(const Collective& c) {
  const int n = static_cast<int>(c.gpus.size());
  if (c.size.value() < 0) throw std::invalid_argument("collective: size must be >= 0");
  if (c.op == CollectiveOp::send_recv) {
    if (n != 2) throw std::invalid_argument("collective: send/recv needs exactly 2 GPUs");
    return {2, 1, 2};
  }
  if (n < 1) throw std::invalid_argument("collective: no members");
  if (c.gpus_per_server < 1 || n % c.gpus_per_server != 0)
    throw std::invalid_argument(
        "collective: members must be a positive multiple of gpus_per_server");
  return {n, c.gpus_per_server, n / c.gpus_per_server};
}

// Ring reduce-scatter and/or all-gather steps over `rings` (each a ring of GPUs), each
// moving `chunk` per step and link.
void ring_steps(Planner& p, const std::vector<std::vector<NodeId>>& rings, sim::Bytes chunk,
                int reduce_steps, int copy_steps) {
  for (int s = 0; s < reduce_steps + copy_steps; ++s) {
    p.new_step();
    for (std::size_t r = 0; r < rings.size(); ++r) {
      const auto& ring = rings[r];
      for (std::size_t i = 0; i < ring.size(); ++i)
        p.add(ring[i], ring[(i + 1) % ring.size()], chunk, s < reduce_steps, r);
    }
  }
}

void plan_ring(Planner& p, const Collective& c, Shape sh, int reduce_steps, int copy_steps) {
  // One channel inside a server; across servers one channel per rail, channel k entering
  // every server at its GPU k and leaving from GPU k-1, so each NIC carries one channel.
  const int channels = sh.servers > 1 ? sh.g : 1;
  std::vector<std::vector<NodeId>> rings(static_cast<std::size_t>(channels));
  for (int k = 0; k < channels; ++k)
    for (int j = 0; j < sh.servers; ++j)
      for (int i = 0; i < sh.g; ++i)
        rings[static_cast<std::size_t>(k)].push_back(
            c.gpus[static_cast<std::size_t>(j * sh.g + (k + i) % sh.g)]);
  ring_steps(p, rings, c.size / static_cast<double>(sh.n * channels), reduce_steps, copy_steps);
}

void plan_hierarchical(Planner& p, const Collective& c, Shape sh) {
  std::vector<std::vector<NodeId>> in_server(static_cast<std::size_t>(sh.servers));
  std::vector<std::vector<NodeId>> rails(static_cast<std::size_t>(sh.g));
  for (int j = 0; j < sh.servers; ++j)
    for (int i = 0; i < sh.g; ++i) {
      const NodeId gpu = c.gpus[static_cast<std::size_t>(j * sh.g + i)];
      in_server[static_cast<std::size_t>(j)].push_back(gpu);
      rails[static_cast<std::size_t>(i)].push_back(gpu);
    }
  const sim::Bytes server_chunk = c.size / static_cast<double>(sh.g);
  const sim::Bytes rail_chunk = server_chunk / static_cast<double>(sh.servers);
  const int g1 = sh.g - 1, n1 = sh.servers - 1;
  switch (c.op) {
    case CollectiveOp::all_reduce:
      ring_steps(p, in_server, server_chunk, g1, 0);
      ring_steps(p, rails, rail_chunk, n1, n1);
      ring_steps(p, in_server, server_chunk, 0, g1);
      break;
    case CollectiveOp::reduce_scatter:
      ring_steps(p, in_server, server_chunk, g1, 0);
      ring_steps(p, rails, rail_chunk, n1, 0);
      break;
    case CollectiveOp::all_gather:
      ring_steps(p, rails, rail_chunk, 0, n1);
      ring_steps(p, in_server, server_chunk, 0, g1);
      break;
    default:
      break;
  }
}

// Waves of the pipelined double binary tree: wave index -> (from rank, to rank) pairs.
struct TreeWaves {
  std::vector<std::vector<std::pair<int, int>>> reduce, broadcast;
};

TreeWaves tree_waves(int ranks, int chunks) {
  TreeWaves w;
  for (const auto& tree : {binary_tree(ranks), second_tree(ranks)}) {
    std::vector<int> height(tree.size(), 0), depth(tree.size(), 0);
    // Ranks are not in topological order; iterate to a fixed point (log n rounds).
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t r = 0; r < tree.size(); ++r) {
        const int p = tree[r].parent;
        if (p < 0) continue;
        const auto up = static_cast<std::size_t>(p);
        if (height[up] < height[r] + 1) height[up] = height[r] + 1, changed = true;
        if (depth[r] != depth[up] + 1) depth[r] = depth[up] + 1, changed = true;
      }
    }
    for (std::size_t r = 0; r < tree.size(); ++r)
      for (int k = 0; k < chunks; ++k) {
        if (tree[r].parent >= 0) {  // chunk k leaves a node of height h at wave k + h
          const auto wave = static_cast<std::size_t>(k + height[r]);
          if (w.reduce.size() <= wave) w.reduce.resize(wave + 1);
          w.reduce[wave].emplace_back(static_cast<int>(r), tree[r].parent);
        }
        for (int child : tree[r].children) {  // and comes down from depth d at wave k + d
          if (child < 0) continue;
          const auto wave = static_cast<std::size_t>(k + depth[r]);
          if (w.broadcast.size() <= wave) w.broadcast.resize(wave + 1);
          w.broadcast[wave].emplace_back(static_cast<int>(r), child);
        }
      }
  }
  return w;
}

void plan_tree(Planner& p, const Collective& c, Shape sh) {
  if (c.pipeline_chunks < 1)
    throw std::invalid_argument("collective: pipeline_chunks must be >= 1");
  const TreeWaves w = tree_waves(sh.n, c.pipeline_chunks);
  const sim::Bytes chunk = c.size / (2.0 * c.pipeline_chunks);
  for (int phase = 0; phase < 2; ++phase)
    for (const auto& wave : phase == 0 ? w.reduce : w.broadcast) {
      p.new_step();
      for (const auto& [from, to] : wave)
        p.add(c.gpus[static_cast<std::size_t>(from)], c.gpus[static_cast<std::size_t>(to)], chunk,
              phase == 0);
    }
}

// The link between a GPU and its scale-up switch, in the direction asked.
std::optional<LinkId> switch_link(const Topology& topo, NodeId gpu, bool up,
                                  std::span<const NodeId> capable) {
  const auto& g = topo.graph();
  if (up) {
    for (auto e : boost::make_iterator_range(boost::out_edges(gpu, g))) {
      const NodeId to = static_cast<NodeId>(boost::target(e, g));
      if (std::find(capable.begin(), capable.end(), to) != capable.end()) return g[e];
    }
  } else {
    for (auto e : boost::make_iterator_range(boost::in_edges(gpu, g))) {
      const NodeId from = static_cast<NodeId>(boost::source(e, g));
      if (std::find(capable.begin(), capable.end(), from) != capable.end()) return g[e];
    }
  }
  return std::nullopt;
}

void plan_in_switch(Planner& p, const Topology& topo, const Collective& c, Shape sh,
                    std::span<const NodeId> capable) {
  if (sh.servers > 1)
    throw std::invalid_argument("collective: in_switch reduction spans one scale-up domain");
  const sim::Bytes shard = c.size / static_cast<double>(sh.n);
  p.new_step();
  for (NodeId gpu : c.gpus) {
    const auto up = switch_link(topo, gpu, true, capable);
    const auto down = switch_link(topo, gpu, false, capable);
    if (!up || !down)
      throw std::invalid_argument(fmt::format(
          "collective: {} is not on a switch with in-network reduction", topo.node(gpu).name));
    // The switch adds the contributions (no reduction on the GPUs: ρ does not apply).
    p.add_route({*up}, c.size, false);    // contributions to every shard
    p.add_route({*down}, shard, false);   // the reduced shard it owns
    p.add_route({*up}, shard, false);     // that shard, multicast
    p.add_route({*down}, c.size, false);  // every shard, from the multicasts
  }
}

}  // namespace

CollectivePlan plan_collective(const Topology& topology, Router& router, const Collective& c,
                               const CollectiveProtocol& protocol,
                               std::span<const NodeId> in_switch_capable) {
  const Shape sh = shape_of(c);
  Planner p(topology, router, protocol);
  if (sh.n == 1) return p.take();
  switch (c.op) {
    case CollectiveOp::send_recv:
      p.new_step();
      p.add(c.gpus[0], c.gpus[1], c.size, false);
      return p.take();
    case CollectiveOp::all_to_all:
      p.new_step();
      for (int i = 0; i < sh.n; ++i)
        for (int j = 0; j < sh.n; ++j)
          if (i != j)
            p.add(c.gpus[static_cast<std::size_t>(i)], c.gpus[static_cast<std::size_t>(j)],
                  c.size / static_cast<double>(sh.n), false);
      return p.take();
    default:
      break;
  }
  const bool ar = c.op == CollectiveOp::all_reduce;
  const int reduce_steps = c.op == CollectiveOp::all_gather ? 0 : sh.n - 1;
  const int copy_steps = c.op == CollectiveOp::reduce_scatter ? 0 : sh.n - 1;
  switch (c.algorithm) {
    case CollectiveAlgorithm::ring:
      plan_ring(p, c, sh, reduce_steps, copy_steps);
      break;
    case CollectiveAlgorithm::hierarchical:
      plan_hierarchical(p, c, sh);
      break;
    case CollectiveAlgorithm::double_binary_tree:
      if (!ar)
        throw std::invalid_argument("collective: double_binary_tree is an all-reduce algorithm");
      plan_tree(p, c, sh);
      break;
    case CollectiveAlgorithm::in_switch:
      if (!ar) throw std::invalid_argument("collective: in_switch is an all-reduce algorithm");
      plan_in_switch(p, topology, c, sh, in_switch_capable);
      break;
  }
  return p.take();
}

CollectiveRun run_collectives(const Topology& topology, std::span<const CollectivePlan> plans,
                              std::span<const sim::SimTime> starts) {
  if (plans.size() != starts.size())
    throw std::invalid_argument("run_collectives: one start time per plan");
  sim::Engine engine;
  FlowScheduler flows(engine, topology, "network.collectives");
  CollectiveRun run;
  run.start.assign(starts.begin(), starts.end());
  run.finish.assign(plans.size(), sim::SimTime::zero());
  std::vector<std::size_t> step(plans.size(), 0);
  std::vector<std::size_t> outstanding(plans.size(), 0);

  // Starts step `step[i]` of plan i now, or records its end.
  std::function<void(std::size_t)> begin_step = [&](std::size_t i) {
    const CollectivePlan& plan = plans[i];
    if (step[i] >= plan.steps.size()) {
      run.finish[i] = engine.now();
      return;
    }
    const CollectiveStep& s = plan.steps[step[i]];
    outstanding[i] = s.transfers.size();
    for (const Transfer& t : s.transfers) {
      engine.schedule_at(
          engine.now() + sim::Duration::from_seconds(t.delay),
          [&, i, tp = &t] {
            flows.start(tp->route, tp->wire, [&, i](FlowId, sim::SimTime) {
              if (--outstanding[i] == 0) {
                ++step[i];
                begin_step(i);
              }
            });
          },
          "network.collective_step");
    }
  };
  for (std::size_t i = 0; i < plans.size(); ++i)
    engine.schedule_at(
        starts[i] + sim::Duration::from_seconds(plans[i].launch_latency), [&, i] { begin_step(i); },
        "network.collective_launch");
  engine.run();
  run.links.assign(flows.network().usage().begin(), flows.network().usage().end());
  return run;
}

sim::Seconds simulate_collective(const Topology& topology, Router& router, const Collective& c,
                                 const CollectiveProtocol& protocol,
                                 std::span<const NodeId> in_switch_capable) {
  const CollectivePlan plan = plan_collective(topology, router, c, protocol, in_switch_capable);
  const sim::SimTime start = sim::SimTime::zero();
  return run_collectives(topology, std::span(&plan, 1), std::span(&start, 1)).duration(0);
}

ProtocolChoice choose_protocol(const Topology& topology, Router& router, const Collective& c,
                               const ProtocolSet& set, std::span<const NodeId> in_switch_capable) {
  if (set.protocols.empty()) throw std::invalid_argument("choose_protocol: no protocol");
  ProtocolChoice best;
  for (const auto& [name, parameters] : set.protocols) {
    const sim::Seconds t = simulate_collective(topology, router, c, parameters, in_switch_capable);
    if (!best.parameters || t.value() < best.time.value()) best = {name, &parameters, t};
  }
  return best;
}

sim::Seconds simulate_collective(const Topology& topology, Router& router, const Collective& c,
                                 const ProtocolSet& set,
                                 std::span<const NodeId> in_switch_capable) {
  return choose_protocol(topology, router, c, set, in_switch_capable).time;
}

FabricFigures fabric_figures(const Topology& topology, Router& router, const Collective& c) {
  FabricFigures f;
  auto latency_of = [&](NodeId a, NodeId b) {
    const auto route = router.route(a, b);
    if (!route) throw std::invalid_argument("fabric_figures: unreachable members");
    return *route;
  };
  const int g = std::max(c.gpus_per_server, 1);
  const std::size_t n = c.gpus.size();
  if (c.op == CollectiveOp::send_recv && n == 2) {
    const Route r = latency_of(c.gpus[0], c.gpus[1]);
    const sim::Seconds l = topology.latency(r);
    if (crosses_nic(topology, r)) {
      f.nic_bandwidth = topology.bottleneck(r);
      f.same_rail_latency = f.cross_rail_latency = l;
    } else {
      f.scale_up_bandwidth = topology.bottleneck(r);
      f.scale_up_latency = l;
    }
    return f;
  }
  if (g >= 2 && n >= 2) {
    const Route r = latency_of(c.gpus[0], c.gpus[1]);
    f.scale_up_bandwidth = topology.bottleneck(r);
    f.scale_up_latency = topology.latency(r);
    f.in_switch_latency = r.empty() ? sim::Seconds(0) : topology.link(r.front()).latency;
  }
  if (n > static_cast<std::size_t>(g)) {
    const Route same = latency_of(c.gpus[0], c.gpus[static_cast<std::size_t>(g)]);
    f.nic_bandwidth = topology.bottleneck(same);
    f.same_rail_latency = topology.latency(same);
    f.cross_rail_latency =
        g >= 2 ? topology.latency(latency_of(c.gpus[0], c.gpus[static_cast<std::size_t>(g) + 1]))
               : f.same_rail_latency;
  }
  return f;
}

sim::Seconds collective_alpha_beta(const Collective& c, const CollectiveProtocol& pr,
                                   const FabricFigures& fab) {
  const Shape sh = shape_of(c);
  const double S = c.size.value();
  const double n = sh.n, g = sh.g, N = sh.servers;
  const double rho = pr.reduction_efficiency;
  const double a_u = pr.scale_up.step_latency.value(), a_x = pr.scale_out.step_latency.value();
  const double bu = pr.scale_up.efficiency * fab.scale_up_bandwidth.value();
  const double bx = pr.scale_out.efficiency * fab.nic_bandwidth.value();
  const double l_u = fab.scale_up_latency.value();
  const double l_same = fab.same_rail_latency.value(), l_cross = fab.cross_rail_latency.value();
  const double launch = pr.launch_latency.value();
  if (sh.n == 1) return sim::Seconds(0);
  auto t_u = [&](double bytes) { return a_u + l_u + bytes / bu; };
  auto t_x = [&](double bytes, double l) { return a_x + l + bytes / bx; };

  if (c.op == CollectiveOp::send_recv) {
    const bool out = fab.nic_bandwidth.value() > 0;
    return sim::Seconds(launch + (out ? t_x(S, l_same) : t_u(S)));
  }
  if (c.op == CollectiveOp::all_to_all) {
    double t = 0;
    if (g > 1) t = std::max(t, a_u + l_u + (g - 1) * (S / n) / bu);
    if (N > 1) t = std::max(t, a_x + (g > 1 ? l_cross : l_same) + (n - g) * (S / n) / bx);
    return sim::Seconds(launch + t);
  }
  const double reduce_steps = c.op == CollectiveOp::all_gather ? 0 : n - 1;
  const double copy_steps = c.op == CollectiveOp::reduce_scatter ? 0 : n - 1;
  switch (c.algorithm) {
    case CollectiveAlgorithm::ring: {
      auto step = [&](double f) {
        if (N == 1) return t_u(S / n / f);
        const double chunk = S / (n * g) / f;  // per channel
        double t = t_x(chunk, g > 1 ? l_cross : l_same);
        if (g > 1) t = std::max(t, a_u + l_u + (g - 1) * chunk / bu);
        return t;
      };
      return sim::Seconds(launch + reduce_steps * step(rho) + copy_steps * step(1));
    }
    case CollectiveAlgorithm::hierarchical: {
      auto half = [&](double f) {
        return (g - 1) * (g > 1 ? t_u(S / g / f) : 0) +
               (N - 1) * (N > 1 ? t_x(S / (g * N) / f, l_same) : 0);
      };
      double t = 0;
      if (c.op != CollectiveOp::all_gather) t += half(rho);
      if (c.op != CollectiveOp::reduce_scatter) t += half(1);
      return sim::Seconds(launch + t);
    }
    case CollectiveAlgorithm::in_switch:
      return sim::Seconds(launch + a_u + fab.in_switch_latency.value() + (1 + 1 / n) * S / bu);
    case CollectiveAlgorithm::double_binary_tree: {
      if (N > 1)
        throw std::invalid_argument(
            "collective_alpha_beta: the tree's closed form is for one server");
      const TreeWaves w = tree_waves(sh.n, c.pipeline_chunks);
      const double chunk = S / (2.0 * c.pipeline_chunks);
      double t = launch;
      for (int phase = 0; phase < 2; ++phase)
        for (const auto& wave : phase == 0 ? w.reduce : w.broadcast) {
          if (wave.empty()) continue;
          // On a star every GPU has one port each way: the busiest port sets the pace.
          std::map<int, int> sends, receives;
          int k = 0;
          for (const auto& [from, to] : wave) {
            k = std::max(k, ++sends[from]);
            k = std::max(k, ++receives[to]);
          }
          t += t_u(k * chunk / (phase == 0 ? rho : 1.0));
        }
      return sim::Seconds(t);
    }
  }
  return sim::Seconds(0);
}

sim::BytesPerSecond bus_bandwidth(CollectiveOp op, int members, sim::Bytes size,
                                  sim::Seconds time) {
  const double algbw = size.value() / time.value();
  const double n = members;
  switch (op) {
    case CollectiveOp::all_reduce:
      return sim::BytesPerSecond(algbw * 2 * (n - 1) / n);
    case CollectiveOp::reduce_scatter:
    case CollectiveOp::all_gather:
    case CollectiveOp::all_to_all:
      return sim::BytesPerSecond(algbw * (n - 1) / n);
    case CollectiveOp::send_recv:
      return sim::BytesPerSecond(algbw);
  }
  return sim::BytesPerSecond(0);
}

}  // namespace models::network
