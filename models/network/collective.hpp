// Collectives as flows: NCCL's algorithms turned into steps of point-to-point transfers on a
// Topology, routed by Router and run on the flow engine (flow_network.hpp), so that shared
// links, oversubscribed spines and other jobs' traffic stretch them as they would on the wire.
//
// Sizes follow nccl-tests (NVIDIA/nccl-tests doc/PERFORMANCE.md): S is each GPU's buffer for
// all-reduce, its input for reduce-scatter, its output for all-gather, its whole send buffer
// for all-to-all (S/n to every member) and the message for send/recv.
//
// A collective is a sequence of steps. Every transfer of a step waits the per-step software
// latency α of its tier (kernel/proxy protocol: the time before the first byte is handed to
// the link), then its route's latency (links + switch hops), then sends its wire bytes at its
// max-min rate. The step ends when its last transfer ends; the next starts then. The
// collective pays a launch latency once, before its first step. Wire bytes are the payload
// divided by the protocol's efficiency η of the tier (headers, flags, chunk hand-shakes: the
// fraction of line rate NCCL's protocols reach, REFERENCE.md C.4) and, for a step that reduces
// what it receives, by the reduction efficiency ρ (the receiver's SMs load, add and store
// every byte, and NCCL's pipeline runs at that pace).
//
// Algorithms (n GPUs, g per server, N = n / g servers, one NIC per GPU on rails):
//   ring          n-1 reduce steps then n-1 copy steps of S/n (Patarasuk & Yuan, JPDC 2009);
//                 across servers, g channels (rings), channel c entering every server at its
//                 GPU c, so each NIC carries one channel (NCCL's rings on a rail-optimized
//                 fabric); inside one server one channel (more do not change a star's loads).
//   double_binary_tree  all-reduce on two complementary binary trees, each carrying S/2 in
//                 `pipeline_chunks` chunks: reduce up, then broadcast down, pipelined by
//                 chunk (Sanders, Speck & Träff, "Two-tree algorithms for full bandwidth
//                 broadcast, reduction and scan", Parallel Computing 2009; NCCL 2.4's trees).
//   hierarchical  reduce-scatter inside every server (ring of g), all-reduce of each GPU's
//                 S/g shard across servers on its rail (ring of N), all-gather inside the
//                 server; reduce-scatter and all-gather are the matching halves.
//   in_switch     all-reduce reduced by the switch (NVLink SHARP, "NVLS"; InfiniBand SHARP):
//                 every GPU sends its S up and S/n of multicast, and receives its reduced S/n
//                 shard and S of multicast, pipelined as one step. Only where the switch has
//                 the capability (networks.yaml in_network_reduction).
//   all-to-all is direct (every pair at once), send/recv one transfer; both ignore the
//   algorithm.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "models/network/flow_network.hpp"
#include "models/network/routing.hpp"
#include "models/network/topology.hpp"
#include "sim/time.hpp"
#include "sim/units.hpp"

namespace models::network {

enum class CollectiveOp { all_reduce, reduce_scatter, all_gather, all_to_all, send_recv };
enum class CollectiveAlgorithm { ring, double_binary_tree, hierarchical, in_switch };

std::string_view to_string(CollectiveOp op);
std::string_view to_string(CollectiveAlgorithm algorithm);

// The software that drives the links (NCCL's kernels and proxies), per tier: scale-up
// (routes on NVLink/PCIe only) and scale-out (routes through a NIC). Fitted once
// (collective_protocol.hpp, models/network/calibration/nccl_protocol.yaml).
struct TierProtocol {
  sim::Seconds step_latency{0};  // α per step
  double efficiency = 1;         // η: payload / wire bytes
};
struct CollectiveProtocol {
  sim::Seconds launch_latency{0};  // once per collective
  TierProtocol scale_up;
  TierProtocol scale_out;
  double reduction_efficiency = 1;  // ρ: a reduce step's pace relative to a copy step
};

// NCCL's three protocols (NVIDIA/nccl src/include/device.h, src/graph/tuning.cc). Each moves
// the same data with different hand-shakes: LL (low latency) stores 8 bytes of which 4 are a
// flag, so a receiver polls without a separate fence; LL128 stores 128-byte lines of which
// 120 bytes are data (needs NVLink's ordering); Simple moves large chunks with a fence and a
// flag per chunk. LL and LL128 start fast and reach a fraction of the line rate; Simple pays
// more per step and reaches the most. NCCL's tuner picks one per collective by the least
// modelled time (tuning.cc ncclTopoTuneModel; enqueue.cc getAlgoInfo); so do we, with our
// own model of the time (simulate_collective below).
enum class NcclProtocol { ll, ll128, simple };
std::string_view to_string(NcclProtocol p);

// The protocols a collective may use, each with its own launch, step latencies and
// efficiencies (ρ is the same in all: the reduction runs on the same SMs).
struct ProtocolSet {
  std::vector<std::pair<NcclProtocol, CollectiveProtocol>> protocols;
  // Simple only: the single-protocol model (the calibration's format 1).
  static ProtocolSet only(const CollectiveProtocol& simple) {
    return ProtocolSet{{{NcclProtocol::simple, simple}}};
  }
};

struct Collective {
  CollectiveOp op = CollectiveOp::all_reduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::ring;
  // Members, server-major: gpus[j * gpus_per_server + i] is GPU i of server j, and GPU i of
  // every server is on rail i. send/recv: gpus[0] sends to gpus[1].
  std::vector<NodeId> gpus;
  int gpus_per_server = 1;
  sim::Bytes size{0};
  int pipeline_chunks = 8;  // double_binary_tree only: chunks per tree
};

// One point-to-point transfer of a step.
struct Transfer {
  Route route;
  sim::Bytes payload{0};
  sim::Bytes wire{0};      // payload / (η ρ): what the links carry
  sim::Seconds delay{0};   // α of its tier, from the start of the step
  bool scale_out = false;  // crosses a NIC
};
struct CollectiveStep {
  std::vector<Transfer> transfers;
};
struct CollectivePlan {
  sim::Seconds launch_latency{0};
  std::vector<CollectiveStep> steps;
};

// The steps of `c` on `topology`. Throws std::invalid_argument for a collective that cannot
// run as asked: fewer than 1 member (2 for send/recv), a size < 0, members not a multiple of
// gpus_per_server, unreachable members, an algorithm the op does not have, in_switch without
// the switch capability (`in_switch_capable`: the scale-up switches that reduce) or across
// servers.
CollectivePlan plan_collective(const Topology& topology, Router& router, const Collective& c,
                               const CollectiveProtocol& protocol,
                               std::span<const NodeId> in_switch_capable = {});

// Several collectives on one network, each started at its time; contention among them (and
// among the transfers of one) is max-min fair.
struct CollectiveRun {
  std::vector<sim::SimTime> start;   // per plan
  std::vector<sim::SimTime> finish;  // per plan
  std::vector<LinkUsage> links;      // by link id: bytes carried, busy time
  sim::Seconds duration(std::size_t i) const { return (finish.at(i) - start.at(i)).seconds(); }
};
CollectiveRun run_collectives(const Topology& topology, std::span<const CollectivePlan> plans,
                              std::span<const sim::SimTime> starts);
// One collective alone from t = 0: its time.
sim::Seconds simulate_collective(const Topology& topology, Router& router, const Collective& c,
                                 const CollectiveProtocol& protocol,
                                 std::span<const NodeId> in_switch_capable = {});

// The protocol NCCL's tuner would pick for `c` (the least time, each protocol simulated
// alone on the topology; the first listed wins a tie) and that time. Throws
// std::invalid_argument on an empty set, and as plan_collective does.
struct ProtocolChoice {
  NcclProtocol protocol = NcclProtocol::simple;
  const CollectiveProtocol* parameters = nullptr;  // into the set
  sim::Seconds time{0};
};
ProtocolChoice choose_protocol(const Topology& topology, Router& router, const Collective& c,
                               const ProtocolSet& set,
                               std::span<const NodeId> in_switch_capable = {});
// One collective alone from t = 0 under the protocol choose_protocol picks: its time.
sim::Seconds simulate_collective(const Topology& topology, Router& router, const Collective& c,
                                 const ProtocolSet& set,
                                 std::span<const NodeId> in_switch_capable = {});

// What the closed forms need of the fabric: per-direction bandwidth of a GPU's scale-up port
// and NIC, and route latencies (links + switch hops) inside a server, between GPUs of one
// rail and between rails.
struct FabricFigures {
  sim::BytesPerSecond scale_up_bandwidth{0};
  sim::BytesPerSecond nic_bandwidth{0};
  sim::Seconds scale_up_latency{0};
  sim::Seconds same_rail_latency{0};
  sim::Seconds cross_rail_latency{0};
  sim::Seconds in_switch_latency{0};  // one GPU-switch link
};
// Read off the topology between members of `c` (scale-out figures only when it spans servers).
FabricFigures fabric_figures(const Topology& topology, Router& router, const Collective& c);

// The α–β time of `c`, uncontended. With t_u(x) = α_u + L_u + x / (η_u B_u) and
// t_x(x, L) = α_x + L + x / (η_x B_x), f = ρ on reduce steps and 1 on copy steps, c = S / n:
//   ring, one server        (n-1) t_u(c/ρ) [+ (n-1) t_u(c)]          AR = RS + AG
//   ring, N > 1 servers     per step max(α_u + L_u + (g-1) c/g / (η_u f B_u), t_x(c/(g f),
//   L_cross))
//                           (g = 1: only the NIC term, same rail)
//   hierarchical            (g-1) t_u(S/(g f)) + (N-1) t_x(S/(g N f), L_same) per half
//   all-to-all              max(α_u + L_u + (g-1) S/n / (η_u B_u), α_x + L_cross + (n-g) S/n / (η_x
//   B_x))
//                           (exact when L_same = L_cross; otherwise same-rail transfers start
//                           earlier and the time is up to L_cross - L_same shorter)
//   send/recv               t of the pair's tier with S
//   in_switch               α_u + L_link + (1 + 1/n) S / (η_u B_u)
//   double_binary_tree      Σ over waves w of max(α + L + k_w · (S/2/C) / (η B f)), k_w the most
//                           transfers any one link carries in wave w (one server, equal links)
// plus the launch latency once. Equal to simulate_collective up to SimTime's 1 ns grain per
// step (tests/network/test_collective.cpp).
sim::Seconds collective_alpha_beta(const Collective& c, const CollectiveProtocol& protocol,
                                   const FabricFigures& fabric);

// nccl-tests' bus bandwidth (doc/PERFORMANCE.md): algbw = S / t; all-reduce
// busbw = algbw · 2(n-1)/n; reduce-scatter, all-gather, all-to-all algbw · (n-1)/n;
// send/recv algbw.
sim::BytesPerSecond bus_bandwidth(CollectiveOp op, int members, sim::Bytes size, sim::Seconds time);

// NCCL's binary tree over ranks 0..n-1 (trees.cc, ncclGetBtree): the root is 0; a rank's
// level is its lowest set bit; parents and children are found by bit arithmetic, so the
// tree is balanced and in-order. The second tree of the double binary tree is the first
// mirrored (r -> n-1-r) when n is even, shifted by one (r -> r-1 mod n) when n is odd, so
// that a rank is an inner node in at most one of the two (ncclGetDtree).
struct TreeNode {
  int parent = -1;
  int children[2] = {-1, -1};
};
std::vector<TreeNode> binary_tree(int ranks);
std::vector<TreeNode> second_tree(int ranks);

}  // namespace models::network
