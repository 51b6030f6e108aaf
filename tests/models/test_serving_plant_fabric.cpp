// Serving's fabric read off the plant's network (issue 9: the fabric described once): on a DGX
// A100 or H100 plant it is dgx_fabric() exactly; on an HGX H200 (no DGX fabric catalogued) it
// is the network catalog's and the GPU fit's figures; `workload.fabric` overrides key by key.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/scenario/scenario.hpp"
#include "models/workload/serving_workload.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "sim/config.hpp"

namespace {

namespace tr = models::training;

std::string fixture(const std::string& name) {
  return std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/" + name;
}

// single_request.yaml (Llama-3-8B on one DGX H100) as one prefill and one decode replica: a
// workload that sends KV over its fabric.
models::ScenarioSpec load(std::vector<std::string> overrides) {
  overrides.insert(overrides.begin(), {"workload.replicas=2", "workload.prefill_replicas=1"});
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(fixture("single_request.yaml"), o);
}

const tr::Fabric& fabric_of(const models::ScenarioSpec& s) {
  return dynamic_cast<const models::ServingWorkloadSpec&>(*s.workload).serving.fabric;
}

void expect_same_tiers(const tr::Fabric& a, const tr::Fabric& b) {
  EXPECT_EQ(a.gpus_per_node, b.gpus_per_node);
  EXPECT_EQ(a.scale_up.bandwidth.value(), b.scale_up.bandwidth.value());
  EXPECT_EQ(a.scale_up.step_latency.value(), b.scale_up.step_latency.value());
  EXPECT_EQ(a.scale_up.efficiency, b.scale_up.efficiency);
  EXPECT_EQ(a.scale_out.bandwidth.value(), b.scale_out.bandwidth.value());
  EXPECT_EQ(a.scale_out.step_latency.value(), b.scale_out.step_latency.value());
  EXPECT_EQ(a.scale_out.efficiency, b.scale_out.efficiency);
}

TEST(ServingPlantFabric, OnDgxPlantsTheNetworksFiguresAreDgxFabricsExactly) {
  for (const char* server : {"dgx-a100", "dgx-h100"}) {
    SCOPED_TRACE(server);
    // Two servers, so the NIC is read off the route between them.
    const models::ScenarioSpec s =
        load({std::string("plant.server=") + server, "plant.layout.servers_per_rack=2"});
    expect_same_tiers(fabric_of(s), *tr::dgx_fabric(s.plant.gpu));
  }
}

TEST(ServingPlantFabric, AnH200WithoutFabricReadsThePlantNetwork) {
  const models::ScenarioSpec s = load({"plant.server=hgx-h200", "plant.layout.servers_per_rack=2"});
  const tr::Fabric& f = fabric_of(s);
  EXPECT_EQ(f.gpus_per_node, 8);
  EXPECT_DOUBLE_EQ(f.scale_up.bandwidth.value(), 450e9);         // nvlink4-nvswitch, per direction
  EXPECT_NEAR(f.scale_up.step_latency.value(), 3.37e-6, 1e-15);  // gpus.yaml h200 scale_up
  EXPECT_NEAR(f.scale_up.efficiency, 0.5072, 1e-12);
  EXPECT_DOUBLE_EQ(f.scale_out.bandwidth.value(), 400e9 / 8);  // ndr-400g NIC
  EXPECT_NEAR(f.scale_out.step_latency.value(), 5e-6, 1e-15);  // REFERENCE.md B.5
  EXPECT_NEAR(f.scale_out.efficiency, 47.0 / 50, 1e-12);       // nccl-tests#290/#309
}

TEST(ServingPlantFabric, WorkloadFabricOverridesKeyByKey) {
  const models::ScenarioSpec s = load({"plant.server=hgx-h200", "plant.layout.servers_per_rack=2",
                                       "workload.fabric.scale_out.bandwidth=100 Gb/s"});
  const tr::Fabric& f = fabric_of(s);
  EXPECT_DOUBLE_EQ(f.scale_out.bandwidth.value(), 100e9 / 8);
  EXPECT_NEAR(f.scale_out.efficiency, 47.0 / 50, 1e-12);  // the plant's, not overridden
  EXPECT_DOUBLE_EQ(f.scale_up.bandwidth.value(), 450e9);
}

}  // namespace
