// The serving model against closed forms, conservation laws and determinism.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "llama3_8b_by_hand.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/serving_workload.hpp"

namespace {

const models::ServingWorkloadSpec& serving(const models::ScenarioSpec& s) {
  return dynamic_cast<const models::ServingWorkloadSpec&>(*s.workload);
}
const std::vector<models::RequestRecord>& requests(const models::RunResult& r) {
  return dynamic_cast<const models::ServingWorkload&>(r.workload()).model().requests();
}

std::string fixture(const std::string& name) {
  return std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/" + name;
}

models::ScenarioSpec load(const std::string& name, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(fixture(name), o);
}

const sim::WallResult& wall(const models::RunResult& r, const std::string& name) {
  for (const auto& w : r.walls) {
    if (w.name == name) return w;
  }
  throw std::runtime_error("no wall " + name);
}

// Llama-3-8B alone on one H100 at the peak-rate roofline (single_request.yaml: a 4096-token
// prompt and 257 output tokens arriving at 0.5 s, plant coupling off). Expected values are
// worked out in llama3_8b_by_hand.hpp from the published config and the datasheet.
TEST(Serving, LoneRequestDecodeIsBoundByWeightBytesOverHbmBandwidth) {
  using namespace llama3_8b;
  const models::RunResult r = models::run_scenario(load("single_request.yaml"));
  ASSERT_EQ(requests(r).size(), 1u);
  const models::RequestRecord& q = requests(r)[0];
  ASSERT_EQ(q.status, models::RequestStatus::completed);
  ASSERT_EQ(q.prompt_tokens, 4096);
  ASSERT_EQ(q.output_tokens, 257);

  // Decode step g (g = 1..256) streams the body and the LM head once, gathers one embedding
  // row, and touches 4096 + g tokens of KV cache (4095 + g read, 1 written):
  //   bytes_g = (6,979,321,856 + 525,336,576 + 4096) x 2 B + (4096 + g) x 131,072 B.
  // Its FLOPs (2 x 7.5e9 + 524,288 x 4352 = 1.7e10) take 17 us at 989.4 TFLOP/s against
  // 4.6 ms for the bytes at 3.35 TB/s: HBM-bound. TPOT is the mean step, whose context is
  // 4096 + (1 + 256) / 2 = 4224.5 tokens on average.
  const double weights_read = (kBodyMatmul + kEmbedding + 4096) * 2;
  EXPECT_EQ(weights_read, 15'009'325'056.0);
  const double step_flops = 2 * (kBodyMatmul + kEmbedding) + kAttentionFlopsPerPair * (4096 + 256);
  ASSERT_LT(step_flops / kH100PeakBf16, weights_read / kH100Hbm / 100);
  const double expected = (weights_read + 4224.5 * kKvBytesPerTokenBf16) / kH100Hbm;
  EXPECT_DOUBLE_EQ(expected, 4.6456832e-3);  // 15,563,038,720 B / 3.35 TB/s
  const double tpot =
      (*q.completion - *q.first_token).seconds().value() / double(q.output_tokens - 1);
  EXPECT_NEAR(tpot, expected, 1e-9);  // each step's end is rounded to the nanosecond

  // The rule of thumb "weight bytes / bandwidth" holds within 10 % for a lone request (the
  // embedding table and the KV cache are the difference): 8,030,261,248 x 2 B / 3.35 TB/s.
  const double rule = kTotalParams * 2 / kH100Hbm;
  EXPECT_NEAR(tpot / rule, 1.0, 0.10);
}

TEST(Serving, LoneRequestPrefillIsComputeBound) {
  using namespace llama3_8b;
  const models::RunResult r = models::run_scenario(load("single_request.yaml"));
  const models::RequestRecord& q = requests(r)[0];
  EXPECT_DOUBLE_EQ(q.arrival.seconds(), 0.5);
  // 4096 prompt tokens fit one iteration (budget 8192):
  //   FLOPs = 2 x 4096 x 6,979,321,856 (body) + 2 x 525,336,576 (LM head, last token)
  //         + 524,288 x 4096 x 4097 / 2 (causal attention) = 61,574,775,570,432,
  // 62.23 ms at 989.4 TFLOP/s, against 4.8 ms for its bytes (weights, 4096 embedding rows,
  // 4096 tokens of KV written) at 3.35 TB/s: compute-bound, TTFT = FLOPs / peak.
  const double flops =
      2 * 4096 * kBodyMatmul + 2 * kEmbedding + kAttentionFlopsPerPair * 4096 * 4097 / 2;
  EXPECT_EQ(flops, 61'574'775'570'432.0);
  ASSERT_LT(iteration_bytes(4096, 4096) / kH100Hbm, flops / kH100PeakBf16);
  EXPECT_NEAR((*q.first_token - q.arrival).seconds().value(), flops / kH100PeakBf16, 1e-9);
  EXPECT_NEAR(flops / kH100PeakBf16, 62.2344608555e-3, 1e-12);
}

TEST(Serving, TensorParallelAddsTwoAllReducesPerLayer) {
  const models::ScenarioSpec one = load("single_request.yaml");
  const models::ScenarioSpec two = load("single_request.yaml", {"workload.tensor_parallel=2"});
  const auto a = requests(models::run_scenario(one))[0];
  const auto b = requests(models::run_scenario(two))[0];
  // Prefill: compute halves; 2 * layers all-reduces of prompt * hidden * 2 B are added.
  const double s = double(a.prompt_tokens) * serving(one).llm.hidden * 2;
  const double alpha = one.plant.gpu.scale_up_step_latency.value();
  const double link =
      one.plant.gpu.scale_up_one_direction().value() * one.plant.gpu.scale_up_efficiency;
  const double allreduce = 2 * alpha + 1.0 * s / link;  // p = 2: 2(p-1) steps, 2(p-1)/p = 1
  const double t1 = (*a.first_token - a.arrival).seconds().value();
  const double t2 = (*b.first_token - b.arrival).seconds().value();
  EXPECT_NEAR(t2, t1 / 2 + 2 * serving(one).llm.layers * allreduce, 1e-8);
}

TEST(Serving, TokensAreConservedAndEveryRequestIsAccountedFor) {
  const models::ScenarioSpec spec = load("poisson_small.yaml");
  const models::RunResult r = models::run_scenario(spec);
  ASSERT_GT(requests(r).size(), 300u);
  std::int64_t completed = 0;
  for (const auto& q : requests(r)) {
    ASSERT_EQ(q.status, models::RequestStatus::completed) << "drain is long enough for all";
    EXPECT_EQ(q.generated_tokens, q.output_tokens);
    EXPECT_LE(q.arrival, *q.first_token);
    EXPECT_LE(*q.first_token, *q.completion);
    ++completed;
  }
  EXPECT_EQ(r.metric("requests_completed"), double(completed));
  const double out =
      std::accumulate(requests(r).begin(), requests(r).end(), 0.0,
                      [](double s, const auto& q) { return s + double(q.output_tokens); });
  EXPECT_EQ(r.metric("output_tokens"), out);
  // Both replicas got work (least-loaded routing).
  int on0 = 0;
  for (const auto& q : requests(r)) on0 += q.replica == 0;
  EXPECT_GT(on0, 0);
  EXPECT_LT(on0, int(requests(r).size()));
}

TEST(Serving, SameSeedSameRunDifferentSeedDifferentRun) {
  const models::RunResult a = models::run_scenario(load("poisson_small.yaml"));
  const models::RunResult b = models::run_scenario(load("poisson_small.yaml"));
  ASSERT_EQ(requests(a).size(), requests(b).size());
  for (std::size_t i = 0; i < requests(a).size(); ++i) {
    EXPECT_EQ(requests(a)[i].arrival, requests(b)[i].arrival);
    EXPECT_EQ(requests(a)[i].completion, requests(b)[i].completion);
    EXPECT_EQ(requests(a)[i].prompt_tokens, requests(b)[i].prompt_tokens);
  }
  EXPECT_EQ(a.events, b.events);
  models::LoadOptions o;
  o.seed = 8;
  const models::RunResult c =
      models::run_scenario(models::load_scenario(fixture("poisson_small.yaml"), o));
  EXPECT_NE(requests(a)[0].arrival, requests(c)[0].arrival);
}

TEST(Serving, KvCapacityWallQueuesRequests) {
  // Llama-3-70B on 4 A100s with 56 % of HBM reserved: 37.8 GB - 35.3 GB of bf16 weights
  // leaves ~2.5 GB per GPU for KV, ~31k tokens at 81,920 B each; ~35 requests of ~800
  // tokens fill it while 20 requests/s need more in flight: the rest wait.
  const models::ScenarioSpec spec =
      load("poisson_small.yaml", {"workload.model=llama-3-70b", "workload.replicas=1",
                                  "workload.tensor_parallel=4", "workload.memory_reserve=56 %"});
  const models::RunResult r = models::run_scenario(spec);
  const sim::WallResult& cap = wall(r, "replica[0].hbm_capacity");
  ASSERT_TRUE(cap.first_hit.has_value());
  EXPECT_GE(cap.peak_utilization, 1.0);
  EXPECT_GT(r.metric("kv_blocked_admissions"), 0);
  // Requests that waited for KV space saw long time to first token.
  EXPECT_GT(r.metric("ttft_p99"), serving(spec).slo.ttft.value());
}

TEST(Serving, RequestLargerThanTheCacheIsRejected) {
  const models::ScenarioSpec spec =
      load("single_request.yaml", {"plant.server=dgx-a100", "workload.model=llama-3-70b",
                                   "workload.tensor_parallel=4", "workload.memory_reserve=58.6 %"});
  const models::RunResult r = models::run_scenario(spec);
  // KV capacity = (HBM * (1 - reserve) - weights / tp) / KV bytes per token per GPU.
  // Llama-3-70B (config.json: hidden 8192, 80 layers, 64 heads, 8 KV heads of 128, FFN
  // 28672, vocab 128256, untied): per layer 8192 x (8192 + 2 x 1024) + 8192 x 8192 attention
  // and 3 x 8192 x 28672 FFN; two 128256 x 8192 embeddings; 2 x 8192 x 80 + 8192 norm gains.
  const double params = 80 * (8192.0 * (8192 + 2 * 1024) + 8192.0 * 8192 + 3 * 8192.0 * 28672) +
                        2 * 128256.0 * 8192 + (2 * 8192.0 * 80 + 8192);
  EXPECT_EQ(params, 70'553'706'496.0);    // Meta's published "70.6 B"
  const double weights = params * 2 / 4;  // bf16, over 4 GPUs
  const double per_token = 2.0 * 80 * (8 / 4) * 128 * 2;
  const double hbm = 81920.0 * 1024 * 1024;  // the A100's usable HBM, 81,920 MiB
  const double capacity = std::floor((hbm * (1 - 0.586) - weights) / per_token);
  EXPECT_EQ(r.metric("kv_capacity_tokens_per_replica"), capacity);
  ASSERT_LT(capacity, 4096 + 257);
  ASSERT_EQ(requests(r).size(), 1u);
  EXPECT_EQ(requests(r)[0].status, models::RequestStatus::rejected);
  EXPECT_EQ(r.metric("requests_rejected"), 1.0);
}

TEST(Serving, WallsAreRankedByFirstHitThenPeak) {
  const models::RunResult r = models::run_scenario(load("poisson_small.yaml"));
  bool seen_unhit = false;
  for (std::size_t i = 0; i < r.walls.size(); ++i) {
    EXPECT_EQ(r.walls[i].rank, int(i) + 1);
    if (!r.walls[i].first_hit) {
      seen_unhit = true;
    } else {
      EXPECT_FALSE(seen_unhit) << "a hit wall after an unhit one";
    }
    if (i > 0 && r.walls[i].first_hit && r.walls[i - 1].first_hit) {
      EXPECT_LE(*r.walls[i - 1].first_hit, *r.walls[i].first_hit);
    }
    if (i > 0 && !r.walls[i].first_hit && !r.walls[i - 1].first_hit) {
      EXPECT_GE(r.walls[i - 1].peak_utilization, r.walls[i].peak_utilization);
    }
  }
}

}  // namespace

namespace {

// The compute wall is timed by saturation, not by peak ratios: a replica is saturated while
// its iterations run back to back and leave requests waiting. Here the overload starts at
// 10 s; the saturation wall must be hit within one window of it, and be a compute wall
// (prefill at the roofline is SM-bound). Before the overload it is not hit.
TEST(Serving, ComputeWallIsHitWithinOneWindowOfTheQueueStartingToGrow) {
  const models::ScenarioSpec spec = load("compute_bound_ramp.yaml");
  const models::RunResult r = models::run_scenario(spec);
  const sim::WallResult& sat = wall(r, "replica[0].saturation");
  ASSERT_TRUE(sat.first_hit.has_value());
  const double window = spec.walls.window.seconds().value();
  const double queue_grows = 10.0;
  EXPECT_GE(sat.first_hit->seconds(), queue_grows);
  EXPECT_LE(sat.first_hit->seconds(), queue_grows + window);
  EXPECT_EQ(sat.kind, "compute");
  // The queue really grows from then on: a request arriving at 19 s waits far longer for its
  // first token than one arriving at 10 s.
  const auto& q = requests(r);
  const auto waited = [&](double at) {
    for (const auto& x : q) {
      if (x.arrival.seconds() >= at) return (*x.first_token - x.arrival).seconds().value();
    }
    return 0.0;
  };
  EXPECT_GT(waited(19.0), 10 * waited(10.0));

  const models::RunResult calm =
      models::run_scenario(load("compute_bound_ramp.yaml", {"simulation.duration=10 s"}));
  EXPECT_FALSE(wall(calm, "replica[0].saturation").first_hit.has_value());
}

}  // namespace
