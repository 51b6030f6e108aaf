// Training's collectives read off the plant's network (models/workload/training/
// plant_fabric.hpp): the figures against networks.yaml and gpus.yaml, the α–β times against
// their closed forms written from those figures, the DGX default plant against dgx_fabric(),
// pods and sites from `plant.network`, `workload.fabric` as an override, and located errors
// for a job the network cannot carry.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/network/propagation.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "models/workload/training/training_workload.hpp"
#include "sim/config.hpp"
#include "training_fixture.hpp"

namespace {

namespace tr = models::training;

// The small job (16 GPUs on two DGX H100, TP 2 PP 2 DP 4) with `overrides`: its spec.
const tr::TrainingWorkloadSpec& spec_of(const models::ScenarioSpec& s) {
  return dynamic_cast<const tr::TrainingWorkloadSpec&>(*s.workload);
}
models::ScenarioSpec load(std::vector<std::string> overrides = {}) {
  return test::load_small_job(std::move(overrides));
}
std::string errors_of(std::vector<std::string> overrides) {
  return test::small_job_errors(std::move(overrides));
}

// The catalog figures the derivation must find (networks.yaml, gpus.yaml).
constexpr double kNvlink4 = 450e9;       // nvlink4-nvswitch gpu_bandwidth, per direction
constexpr double kNvlink3 = 300e9;       // nvlink3-nvswitch
constexpr double kNdr = 400e9 / 8;       // ndr-400g
constexpr double kHdr = 200e9 / 8;       // hdr-200g
constexpr double kAlphaUp = 3.37e-6;     // gpus.yaml scale_up step_latency (A100 and H100)
constexpr double kEtaUpH100 = 0.5072;    // gpus.yaml h100-sxm scale_up efficiency
constexpr double kEtaUpA100 = 0.4762;    // gpus.yaml a100-sxm-80gb
constexpr double kAlphaNic = 5e-6;       // REFERENCE.md B.5
constexpr double kEtaNdr = 47.0 / 50;    // nccl-tests#290/#309
constexpr double kEtaHdr = 192.0 / 200;  // nccl#812

TEST(PlantFabric, H100FiguresAreTheNetworkCatalogsAndTheGpuFit) {
  const models::ScenarioSpec s = load();
  const tr::Fabric& f = spec_of(s).fabric;
  EXPECT_EQ(f.gpus_per_node, 8);
  EXPECT_DOUBLE_EQ(f.scale_up.bandwidth.value(), kNvlink4);
  EXPECT_NEAR(f.scale_up.step_latency.value(), kAlphaUp, 1e-15);
  EXPECT_NEAR(f.scale_up.efficiency, kEtaUpH100, 1e-12);
  EXPECT_DOUBLE_EQ(f.scale_out.bandwidth.value(), kNdr);
  EXPECT_NEAR(f.scale_out.step_latency.value(), kAlphaNic, 1e-15);
  EXPECT_NEAR(f.scale_out.efficiency, kEtaNdr, 1e-12);
  // The default plant network is full bisection: no pods, one site.
  EXPECT_EQ(spec_of(s).layout.pod_gpus, 0);
  EXPECT_EQ(spec_of(s).layout.sites, 1);
}

// On a DGX A100 plant the derived fabric is dgx_fabric() exactly, so every step is the same.
// On DGX H100 they differ in one figure only: dgx_fabric() scales gpus.yaml's NVLink4 η (which
// already carries the large-message factor (370/450)/(231.6/300)) by that factor again.
TEST(PlantFabric, TheDgxDefaultPlantAgreesWithDgxFabric) {
  const models::ScenarioSpec a = load({"plant.server=dgx-a100"});
  const tr::Fabric& f = spec_of(a).fabric;
  const tr::Fabric d = *tr::dgx_fabric(a.plant.gpu);
  EXPECT_EQ(f.gpus_per_node, d.gpus_per_node);
  EXPECT_DOUBLE_EQ(f.scale_up.bandwidth.value(), kNvlink3);
  EXPECT_DOUBLE_EQ(f.scale_out.bandwidth.value(), kHdr);
  EXPECT_NEAR(f.scale_out.efficiency, kEtaHdr, 1e-12);
  for (auto [x, y] : {std::pair{&f.scale_up, &d.scale_up}, {&f.scale_out, &d.scale_out}}) {
    EXPECT_DOUBLE_EQ(x->bandwidth.value(), y->bandwidth.value());
    EXPECT_DOUBLE_EQ(x->step_latency.value(), y->step_latency.value());
    EXPECT_DOUBLE_EQ(x->efficiency, y->efficiency);
  }
  EXPECT_NEAR(f.scale_up.efficiency, kEtaUpA100, 1e-12);
  const tr::TrainingSpec t = test::gpt3_175b(2);
  tr::ClusterLayout layout;
  layout.gpus = t.gpus;
  const double derived =
      tr::TrainingStepModel(t, a.plant.gpu, test::shipped_kernels(),
                            std::make_shared<tr::ClusterCollectives>(f, layout), f.gpus_per_node)
          .step()
          .step_time.value();
  EXPECT_DOUBLE_EQ(derived, test::step_model(t).step().step_time.value());

  // H100: the same figures (dgx_fabric once applied NVLink4's large-message factor a second
  // time over gpus.yaml's 50.72 %, which already carries it).
  const models::ScenarioSpec h = load();
  const tr::Fabric dh = *tr::dgx_fabric(h.plant.gpu);
  EXPECT_NEAR(dh.scale_up.efficiency, kEtaUpH100, 1e-12);
  EXPECT_DOUBLE_EQ(dh.scale_up.efficiency, spec_of(h).fabric.scale_up.efficiency);
  EXPECT_DOUBLE_EQ(dh.scale_out.efficiency, spec_of(h).fabric.scale_out.efficiency);
}

// The α–β times from the plant's figures, written out: a 16-GPU group over two servers
// (g = 8 per server, N = 2 servers) and a pipeline send between them.
TEST(PlantFabric, DerivedCollectivesAreTheClosedFormsOfThePlantsFigures) {
  const models::ScenarioSpec s = load();
  const tr::ClusterCollectives c(spec_of(s).fabric, spec_of(s).layout);
  const double S = 1e9;
  const tr::CommGroup group{16, 8, 1};
  const double up = 7 * kAlphaUp + 7.0 / 8 * S / (kEtaUpH100 * kNvlink4);
  const double out = 1 * kAlphaNic + 1.0 / 2 * (S / 8) / (kEtaNdr * kNdr);
  EXPECT_NEAR(c.reduce_scatter(sim::Bytes(S), group).value(), up + out, 1e-12);
  EXPECT_NEAR(c.all_gather(sim::Bytes(S), group).value(), up + out, 1e-12);
  EXPECT_NEAR(c.all_reduce(sim::Bytes(S), group).value(), 2 * (up + out), 1e-12);
  EXPECT_NEAR(c.send_recv(sim::Bytes(S), tr::CommGroup{2, 1, 8}).value(),
              kAlphaNic + S / (kEtaNdr * kNdr), 1e-12);
  EXPECT_NEAR(c.send_recv(sim::Bytes(S), tr::CommGroup{2, 2, 1}).value(),
              kAlphaUp + S / (kEtaUpH100 * kNvlink4), 1e-12);
}

// Rail units as pods with an oversubscription above them: a ring that leaves its pod gets
// the pod's uplinks, B / r per GPU, shared by the m = pod / stride members in the pod over
// the g rails (cluster_collectives.hpp).
TEST(PlantFabric, RailUnitsArePodsWithTheirOversubscription) {
  const models::ScenarioSpec s = load(
      {"plant.network.scale_out.kind=rail_optimized", "plant.network.scale_out.servers_per_unit=1",
       "plant.network.scale_out.spines=1", "plant.network.scale_out.oversubscription=4"});
  const tr::ClusterLayout& l = spec_of(s).layout;
  EXPECT_EQ(l.pod_gpus, 8);
  EXPECT_DOUBLE_EQ(l.above_pod_oversubscription, 4.0);
  const tr::ClusterCollectives c(spec_of(s).fabric, l);
  const double S = 1e9;
  const double share = std::min(kEtaNdr * kNdr, (kNdr / 4) * 8 / 8);
  const double expected =
      7 * kAlphaUp + 7.0 / 8 * S / (kEtaUpH100 * kNvlink4) + kAlphaNic + 1.0 / 2 * (S / 8) / share;
  EXPECT_NEAR(c.reduce_scatter(sim::Bytes(S), tr::CommGroup{16, 8, 1}).value(), expected, 1e-12);
}

// A k-ary fat-tree's pods: k²/4 hosts under the aggregation oversubscription; with edge
// oversubscription an edge switch's k/2 hosts under edge × aggregation (plant_fabric.hpp).
TEST(PlantFabric, FatTreePodsAndTheirOversubscription) {
  const models::ScenarioSpec a =
      load({"plant.network.scale_out.kind=fat_tree", "plant.network.scale_out.k=4",
            "plant.network.scale_out.aggregation_oversubscription=3"});
  EXPECT_EQ(spec_of(a).layout.pod_gpus, 4 * 4 / 4);
  EXPECT_DOUBLE_EQ(spec_of(a).layout.above_pod_oversubscription, 3.0);
  EXPECT_DOUBLE_EQ(spec_of(a).fabric.scale_out.bandwidth.value(), kNdr);
  const models::ScenarioSpec e =
      load({"plant.network.scale_out.kind=fat_tree", "plant.network.scale_out.k=4",
            "plant.network.scale_out.edge_oversubscription=2",
            "plant.network.scale_out.aggregation_oversubscription=3"});
  EXPECT_EQ(spec_of(e).layout.pod_gpus, 4 / 2);
  EXPECT_DOUBLE_EQ(spec_of(e).layout.above_pod_oversubscription, 2.0 * 3.0);
}

// Two sites of one server each: the job over both sees the gateways' bandwidth and the fiber.
TEST(PlantFabric, SitesComeFromThePlantNetwork) {
  const models::ScenarioSpec s =
      load({"plant.network.sites.count=2", "plant.network.sites.gateway_bandwidth=800 Gb/s",
            "plant.network.sites.fiber_length=100 km"});
  const tr::ClusterLayout& l = spec_of(s).layout;
  EXPECT_EQ(l.sites, 2);
  EXPECT_DOUBLE_EQ(l.site_bandwidth.value(), 800e9 / 8);
  EXPECT_DOUBLE_EQ(l.fiber_length.kilometers(), 100.0);
  const tr::ClusterCollectives c(spec_of(s).fabric, l);
  EXPECT_NEAR(c.fiber_delay().value(), 100e3 * 1.468 / 299792458.0, 1e-15);
}

// `workload.fabric` still overrides the plant's figures key by key.
TEST(PlantFabric, WorkloadFabricOverridesKeyByKey) {
  const models::ScenarioSpec s =
      load({"workload.fabric.scale_out.bandwidth=10 Gb/s", "workload.fabric.pod_gpus=8",
            "workload.fabric.above_pod_oversubscription=2"});
  const tr::Fabric& f = spec_of(s).fabric;
  EXPECT_DOUBLE_EQ(f.scale_out.bandwidth.value(), 10e9 / 8);
  EXPECT_NEAR(f.scale_out.efficiency, kEtaNdr, 1e-12);  // the rest is still the plant's
  EXPECT_DOUBLE_EQ(f.scale_up.bandwidth.value(), kNvlink4);
  EXPECT_EQ(spec_of(s).layout.pod_gpus, 8);
  EXPECT_DOUBLE_EQ(spec_of(s).layout.above_pod_oversubscription, 2.0);
}

TEST(PlantFabric, AJobAcrossServersWithoutScaleOutIsALocatedError) {
  EXPECT_EQ(errors_of({"plant.network.scale_out.kind=none"}),
            "--set:1:1: plant.network.scale_out: the training job's 16 GPUs span 2 servers of 8 "
            "GPUs, but the plant's network has no scale-out between servers: give "
            "plant.network.scale_out (rail_optimized or fat_tree)");
  // No `workload.fabric` makes up for cables the plant does not have.
  EXPECT_EQ(errors_of({"plant.network.scale_out.kind=none", "workload.fabric.pod_gpus=8"}),
            "--set:1:1: plant.network.scale_out: the training job's 16 GPUs span 2 servers of 8 "
            "GPUs, but the plant's network has no scale-out between servers: give "
            "plant.network.scale_out (rail_optimized or fat_tree)");
  // Inside one server it needs none.
  EXPECT_EQ(
      errors_of({"plant.network.scale_out.kind=none", "workload.gpus=8", "workload.parallel.dp=2"}),
      "(loaded)");
}

TEST(PlantFabric, AJobOverSitesUnevenlyIsALocatedError) {
  EXPECT_EQ(
      errors_of({"plant.layout.servers_per_rack=4", "workload.parallel.dp=8",
                 "plant.network.sites.count=4", "plant.network.sites.gateway_bandwidth=800 Gb/s",
                 "plant.network.sites.fiber_length=1 km"}),
      "--set:3:1: plant.network.sites.count: the training job's 32 GPUs span sites of 8 "
      "GPUs; a job is split over exactly two whole sites (16 GPUs) or stays in one");
}

}  // namespace
