// The network's flow engine at scale (models/network): maxmin_10k_flows_ms is one max-min
// recompute of 10,000 flows on a 4,096-GPU three-tier fat-tree (k = 32, 16 of its 32 pods
// populated: 16 x 16 edge switches x 16 GPUs), each GPU one 400 Gb/s NIC, flows between
// random GPU pairs routed with ECMP. Issue 9 §8 target: <= 100 ms.
#include <benchmark/benchmark.h>

#include "models/network/builders.hpp"
#include "models/network/flow_network.hpp"
#include "models/network/routing.hpp"
#include "sim/random.hpp"

namespace {

using namespace models::network;

Topology fat_tree_4096() {
  Topology topo;
  std::vector<NodeId> gpus;
  for (int i = 0; i < 4096; ++i)
    gpus.push_back(topo.add_node(NodeKind::gpu, "gpu" + std::to_string(i)));
  FatTree spec;
  spec.k = 32;
  spec.pods = 16;
  spec.link_bandwidth = sim::BytesPerSecond(50e9);
  add_fat_tree(topo, "", gpus, spec);
  return topo;
}

void BM_MaxMinRecompute(benchmark::State& state) {
  const auto flow_count = static_cast<std::size_t>(state.range(0));
  const Topology topo = fat_tree_4096();
  Router router(topo);
  sim::RngStream rng(1, "bench", "maxmin");
  FlowNetwork network(topo);
  const auto gpus = topo.gpus();
  for (std::size_t i = 0; i < flow_count; ++i) {
    const NodeId src = gpus[rng.uniform_index(gpus.size())];
    NodeId dst = gpus[rng.uniform_index(gpus.size())];
    while (dst == src) dst = gpus[rng.uniform_index(gpus.size())];
    network.start(sim::SimTime{}, *router.route(src, dst, i), sim::Bytes(1e9));
  }
  network.advance(sim::SimTime{});  // zero latency: every flow starts sending, one recompute
  if (network.sending_count() != flow_count) state.SkipWithError("flows not all sending");
  for (auto _ : state) {
    network.recompute_rates();
    benchmark::DoNotOptimize(network.rate(0));
  }
  state.counters["flows"] = static_cast<double>(flow_count);
  state.counters["links"] = static_cast<double>(topo.link_count());
}
BENCHMARK(BM_MaxMinRecompute)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
