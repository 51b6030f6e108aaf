#include "models/network/flow_collectives.hpp"

#include <stdexcept>

namespace models::network {

namespace {

struct Layout {
  int servers, per_server;
};

// send/recv: the two GPUs share a server when the group says so (gpus_per_node >= 2),
// otherwise they are GPU 0 of two servers (one rail, as pipeline stages are placed).
Layout layout(CollectiveOp op, training::CommGroup group, int gpus_per_server) {
  if (op == CollectiveOp::send_recv) return group.gpus_per_node >= 2 ? Layout{1, 2} : Layout{2, 1};
  if (group.size < 1 || group.gpus_per_node < 1 || group.size % group.gpus_per_node != 0)
    throw std::invalid_argument("CommGroup: size must be a positive multiple of gpus_per_node");
  if (group.gpus_per_node > gpus_per_server)
    throw std::invalid_argument("CommGroup: more GPUs per node than the server has");
  return {group.size / group.gpus_per_node, group.gpus_per_node};
}

}  // namespace

Collective FlowCollectives::collective(CollectiveOp op, sim::Bytes size, training::CommGroup group,
                                       const Cluster& cluster) const {
  const Layout l = layout(op, group, server_.gpus);
  Collective c;
  c.op = op;
  c.size = size;
  c.gpus = members(cluster, l.servers, l.per_server);
  c.gpus_per_server = op == CollectiveOp::send_recv ? 1 : l.per_server;
  c.algorithm = l.servers > 1 && op != CollectiveOp::all_to_all
                    ? calibration_.multi_server_all_reduce
                    : CollectiveAlgorithm::ring;
  return c;
}

sim::Seconds FlowCollectives::time(CollectiveOp op, sim::Bytes size,
                                   training::CommGroup group) const {
  const Layout l = layout(op, group, server_.gpus);
  const Cluster cluster = build_cluster(server_, l.servers);
  Router router(cluster.topology);
  return simulate_collective(cluster.topology, router, collective(op, size, group, cluster),
                             calibration_.protocol, cluster.reducing_switches);
}

}  // namespace models::network
