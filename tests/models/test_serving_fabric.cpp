// Serving's cross-server traffic on the plant's fabric (models/workload/serving.hpp, issue 9
// §2): a replica whose expert-parallel all-to-alls share an oversubscribed spine with another
// replica's waits, in its iterations and in the report, what the max-min sharing costs; alone
// it takes the closed form exactly.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/workload.hpp"

namespace {

const std::string kNetwork = std::string(FIRSTWALL_FIXTURES_DIR) + "/network/";

models::RunResult run(const std::string& file, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::run_scenario(models::load_scenario(kNetwork + file, o));
}

// tests/fixtures/network/serving_ep_shared_spine.yaml: 4 DGX H100, rail-optimized, one spine
// at 4:1, so a rail leaf's uplink is C = 4 x 400 Gb/s / 4 = 50 GB/s. A replica is EP16 over
// two servers; per iteration each GPU sends S bytes (every dispatch and combine summed) to each
// GPU of the other server: 2 x 8 x 8 = 128 flows, of which the 7 from GPU i to rails j != i
// climb leaf i's uplink, from both servers: 14 of the replica's flows per uplink (and 14 per
// downlink), which bind them (a NIC's 8 flows get 50 GB/s / 8 > C / 14). Max-min: alone each
// such flow gets C / 14, and the replica's flows take T_alone = L + 14 S / C; beside the other
// replica, whose iterations run at the same instants, C / 28: T = L + 28 S / C. The iteration
// waits T - T_alone = 14 S / C beyond its closed form (the route latency L cancels).
constexpr double kUplink = 4 * 50e9 / 4;
constexpr double kPairsPerReplica = 2 * 8 * 8;
constexpr double kFlowsPerUplink = 14;

TEST(ServingFabric, ReplicasSharingASpineWaitTheirMaxMinShare) {
  const models::RunResult both = run("serving_ep_shared_spine.yaml");
  const double bytes = both.metric("scale_out_bytes");
  ASSERT_GT(bytes, 0);
  // The replicas run the same iterations (identical request pairs, round robin).
  const double pair_bytes_per_replica = bytes / 2 / kPairsPerReplica;  // sum of S
  const double expected_extra = kFlowsPerUplink * pair_bytes_per_replica / kUplink;
  for (const char* r : {"replica0", "replica1"}) {
    const std::string p(r);
    // SimTime rounds each iteration's times to 1 ns: 2 ns per iteration at most.
    EXPECT_NEAR(both.metric(p + "_scale_out_comm_extra"), expected_extra,
                2e-9 * both.metric("iterations"))
        << p;
    EXPECT_GT(both.metric(p + "_scale_out_comm_stretch"), 1.5) << p;
  }
  const double closed = both.metric("scale_out_comm_closed_form");
  EXPECT_NEAR(both.metric("scale_out_comm_stretch"),
              (closed + both.metric("scale_out_comm_extra")) / closed, 1e-12);
  EXPECT_NEAR(both.metric("scale_out_comm_extra"), 2 * expected_extra,
              4e-9 * both.metric("iterations"));

  // The report: the per-replica stretch line and the uplinks as a network wall.
  std::ostringstream summary;
  both.workload().print_summary(summary, both.summary);
  EXPECT_NE(summary.str().find("scale-out   "), std::string::npos) << summary.str();
  EXPECT_NE(summary.str().find("replica[1] "), std::string::npos) << summary.str();
  const sim::WallResult* uplink = nullptr;
  for (const auto& w : both.walls)
    if (w.name == "network.leaf_uplink") uplink = &w;
  ASSERT_NE(uplink, nullptr);
  EXPECT_EQ(uplink->kind, "network");
  EXPECT_GT(uplink->peak_utilization, 0);
  // Serving puts only what leaves the server on the fabric as flows (FabricUse::scale_out);
  // the NVLink tier's wall reads its TP8 all-reduces, costed in closed form
  // (Fabric::scale_up_load; tests/models/test_nvlink_wall.cpp).
  const sim::WallResult* nvlink = nullptr;
  for (const auto& w : both.walls)
    if (w.name == "network.nvlink") nvlink = &w;
  ASSERT_NE(nvlink, nullptr);
  EXPECT_GT(nvlink->peak_utilization, 0);
}

// Alone on the same oversubscribed spine, a replica's iterations take the closed form exactly:
// the same run as on servers the plant's network does not connect (closed form throughout).
// Expert parallelism over two servers, and pipeline parallelism (TP8 x PP2 of Llama-3-70B:
// stage 0 on one server, stage 1 on the next, each GPU sending to its counterpart).
TEST(ServingFabric, AloneTheIterationsTakeTheClosedFormExactly) {
  const std::vector<std::vector<std::string>> layouts = {
      {"workload.replicas=1"},
      {"workload.replicas=1", "workload.model=llama-3-70b", "workload.expert_parallel=1",
       "workload.pipeline_parallel=2", "workload.weight_dtype=bf16"}};
  for (const auto& overrides : layouts) {
    const models::RunResult alone = run("serving_ep_shared_spine.yaml", overrides);
    const models::RunResult closed = run("serving_ep_standalone_servers.yaml", overrides);
    EXPECT_EQ(alone.metric("scale_out_comm_extra"), 0.0) << overrides.back();
    EXPECT_EQ(alone.metric("scale_out_comm_stretch"), 1.0) << overrides.back();
    EXPECT_GT(alone.metric("scale_out_comm_closed_form"), 0) << overrides.back();
    EXPECT_TRUE(std::isnan(closed.metric("scale_out_comm_stretch")));  // not on the fabric
    for (const char* m : {"iterations", "ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99",
                          "busy_share_comm", "throughput_output_tokens_whole_run"}) {
      EXPECT_EQ(alone.metric(m), closed.metric(m)) << m << " " << overrides.back();
    }
  }
}

// Where the uplinks are not oversubscribed, the NICs bind the flows (8 per NIC: 50 GB/s / 8 <
// 200 GB/s / 28): nothing the two replicas share binds, and neither waits.
TEST(ServingFabric, WithoutASharedBottleneckNeitherReplicaWaits) {
  const models::RunResult r =
      run("serving_ep_shared_spine.yaml", {"plant.network.scale_out.oversubscription=1"});
  EXPECT_GT(r.metric("scale_out_comm_closed_form"), 0);
  EXPECT_EQ(r.metric("replica0_scale_out_comm_extra"), 0.0);
  EXPECT_EQ(r.metric("replica1_scale_out_comm_extra"), 0.0);
}

// tests/fixtures/network/serving_kv_shared_nics.yaml: two TP8 prefill replicas finish
// identical prompts at the same instant and both send the KV, S = bytes per request / 8 per
// GPU, GPU i to GPU i of the one decode server: its NIC (B = 50 GB/s) receives two flows, each
// at B / 2, so each transfer takes L + 2 S / B instead of L + S / B alone: it waits S / B
// beyond its closed form, and the decode replica admits the request that much later.
TEST(ServingFabric, KvTransfersMeetingOnADecodeNicWaitTheirShare) {
  const models::RunResult both = run("serving_kv_shared_nics.yaml");
  const double transfers = both.metric("kv_transfers");
  ASSERT_EQ(transfers, 20);
  const double s = both.metric("kv_transfer_bytes_per_request") / 8;
  constexpr double kNic = 50e9;
  EXPECT_NEAR(both.metric("kv_transfer_extra"), transfers * s / kNic, 2e-9 * transfers);
  EXPECT_GT(both.metric("kv_transfer_stretch"), 1.5);

  // One prefill replica: its transfers go one after another and share nothing; each takes
  // the closed form exactly.
  const models::RunResult alone =
      run("serving_kv_shared_nics.yaml", {"workload.replicas=2", "workload.prefill_replicas=1"});
  EXPECT_EQ(alone.metric("kv_transfer_extra"), 0.0);
  EXPECT_EQ(alone.metric("kv_transfer_stretch"), 1.0);
  EXPECT_NEAR(alone.metric("kv_transfer_closed_form"), both.metric("kv_transfer_closed_form"),
              1e-12);
}

TEST(ServingFabric, TheRunIsDeterministic) {
  const models::RunResult a = run("serving_ep_shared_spine.yaml");
  const models::RunResult b = run("serving_ep_shared_spine.yaml");
  ASSERT_EQ(a.summary.size(), b.summary.size());
  for (std::size_t i = 0; i < a.summary.size(); ++i) {
    EXPECT_EQ(a.summary[i].name, b.summary[i].name);
    if (!std::isnan(a.summary[i].value)) {
      EXPECT_EQ(a.summary[i].value, b.summary[i].value) << a.summary[i].name;
    }
  }
  EXPECT_EQ(a.events, b.events);
}

}  // namespace
