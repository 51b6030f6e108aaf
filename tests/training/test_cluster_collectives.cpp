// Pods and sites over the α–β fabric (models/workload/training/cluster_collectives.hpp):
// inside one pod and one site it is the α–β fabric exactly; across sites the closed forms
// hold term by term; the oversubscribed tier slows only what leaves a pod.
#include <gtest/gtest.h>

#include "models/workload/training/cluster_collectives.hpp"

namespace {

namespace tr = models::training;
using sim::Bytes;
using sim::Seconds;

tr::Fabric fabric() {
  tr::Fabric f;
  f.gpus_per_node = 8;
  f.scale_up = {sim::BytesPerSecond(450e9), Seconds(3e-6), 0.5};
  f.scale_out = {sim::BytesPerSecond(50e9), Seconds(5e-6), 0.94};
  return f;
}

TEST(ClusterCollectives, OnePodOneSiteIsTheAlphaBetaFabric) {
  tr::ClusterLayout l;
  l.gpus = 1024;
  const tr::ClusterCollectives c(fabric(), l);
  const tr::AlphaBetaCollectives ab(fabric());
  for (tr::CommGroup g :
       {tr::CommGroup{8, 8, 1}, tr::CommGroup{128, 8, 1}, tr::CommGroup{64, 1, 16}}) {
    EXPECT_DOUBLE_EQ(c.all_reduce(Bytes(1e9), g).value(), ab.all_reduce(Bytes(1e9), g).value());
    EXPECT_DOUBLE_EQ(c.reduce_scatter(Bytes(1e8), g).value(),
                     ab.reduce_scatter(Bytes(1e8), g).value());
    EXPECT_DOUBLE_EQ(c.all_to_all(Bytes(1e8), g).value(), ab.all_to_all(Bytes(1e8), g).value());
  }
}

// DP of 16 members at stride 8 over two sites of 64 GPUs: 8 members per site, one per
// server; RS = the in-site ring over 8 NICs + α + L n / c + (S/16) / min(ηB, B_sites / 64).
TEST(ClusterCollectives, AcrossSitesReduceScatterIsInSiteThenOneExchange) {
  tr::ClusterLayout l;
  l.gpus = 128;
  l.sites = 2;
  l.site_bandwidth = sim::BytesPerSecond(400e9);  // 400 GB/s / 64 GPUs = 6.25 GB/s each
  l.fiber_length = models::network::Length::kilometers(100);
  const tr::ClusterCollectives c(fabric(), l);
  const tr::CommGroup g{16, 1, 8};
  const Bytes s(1.6e9);
  const double delay = 100e3 * 1.468 / 299792458.0;
  const double in_site = 7 * 5e-6 + (7.0 / 8.0) * 1.6e9 / (50e9 * 0.94);
  const double cross = 5e-6 + delay + (1.6e9 / 16) / 6.25e9;
  const tr::CollectiveParts rs = c.reduce_scatter_parts(s, g);
  EXPECT_NEAR(rs.total.value(), in_site + cross, 1e-12);
  EXPECT_NEAR(rs.cross_site.value(), cross, 1e-12);
  EXPECT_NEAR(rs.propagation.value(), delay, 1e-15);
  const tr::CollectiveParts ar = c.all_reduce_parts(s, g);
  EXPECT_NEAR(ar.total.value(), 2 * (in_site + cross), 1e-12);
  EXPECT_NEAR(ar.propagation.value(), 2 * delay, 1e-15);
  // A group inside one site does not cross.
  EXPECT_EQ(c.reduce_scatter_parts(s, tr::CommGroup{8, 1, 8}).cross_site.value(), 0.0);
}

// 1:7 above pods of 256 GPUs. A ring with 2 members per pod (stride 128) sends 1 flow per
// GPU out of the pod, at (B/7)·2 = 14.3 GB/s < ηB; a ring with 32 members per pod (stride 8)
// is not slowed ((B/7)·32 > ηB).
TEST(ClusterCollectives, OversubscriptionSlowsOnlyRingsThatLeaveTheirPodOften) {
  tr::ClusterLayout l;
  l.gpus = 1024;
  l.pod_gpus = 256;
  l.above_pod_oversubscription = 7;
  const tr::ClusterCollectives c(fabric(), l);
  const tr::AlphaBetaCollectives ab(fabric());
  const Bytes s(1e9);
  const tr::CommGroup sparse{8, 1, 128};
  const double share = 50e9 / 7 * 2;
  EXPECT_NEAR(c.reduce_scatter(s, sparse).value(), 7 * 5e-6 + (7.0 / 8.0) * 1e9 / share, 1e-12);
  const tr::CommGroup dense{128, 1, 8};
  EXPECT_DOUBLE_EQ(c.reduce_scatter(s, dense).value(), ab.reduce_scatter(s, dense).value());
}

}  // namespace
