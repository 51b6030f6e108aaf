// The serving scheduler's rules against closed forms: routing, the batch-size cap, chunked
// prefill of a prompt longer than the token budget, the drain cut-off, the trace time scale,
// and fp8 weights and KV cache. Each runs tests/fixtures/scenarios/single_request.yaml
// (Llama-3-8B on H100s at the peak-rate roofline, plant coupling off) with overrides; traces
// are written next to the test so that the arrivals sit beside the assertions about them.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "llama3_8b_by_hand.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/serving_workload.hpp"
#include "sim/config.hpp"

namespace {

namespace fs = std::filesystem;
using models::RequestRecord;
using models::RequestStatus;

const std::vector<RequestRecord>& requests(const models::RunResult& r) {
  return dynamic_cast<const models::ServingWorkload&>(r.workload()).model().requests();
}

struct TraceRow {
  double at_s;
  int prompt;
  int output;
};

class ServingScheduling : public ::testing::Test {
 protected:
  fs::path dir =
      fs::temp_directory_path() / ("firstwall_scheduling_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }

  // Writes a trace CSV and returns the override that replays it (an absolute path).
  std::string trace(const std::vector<TraceRow>& rows) {
    const fs::path p = dir / "trace.csv";
    std::ofstream out(p);
    out << "arrived_at,num_prefill_tokens,num_decode_tokens\n";
    for (const TraceRow& r : rows) out << r.at_s << "," << r.prompt << "," << r.output << "\n";
    return "workload.arrivals.path=" + p.string();
  }

  static models::RunResult run(std::vector<std::string> overrides) {
    models::LoadOptions o;
    o.overrides = std::move(overrides);
    return models::run_scenario(models::load_scenario(
        std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/single_request.yaml", o));
  }
};

// Nine requests one second apart, each done within milliseconds. Least-loaded routing sends
// every one to replica 0 (all replicas idle, ties to the lowest index); round robin sends
// request i to replica i mod 3, whatever the load.
TEST_F(ServingScheduling, RoundRobinAlternatesReplicasExactly) {
  std::vector<TraceRow> rows;
  for (int i = 0; i < 9; ++i) rows.push_back({1.0 + i, 128, 4});
  const std::string path = trace(rows);

  const models::RunResult rr = run({path, "workload.replicas=3", "workload.router=round_robin"});
  ASSERT_EQ(requests(rr).size(), 9u);
  for (const RequestRecord& q : requests(rr)) {
    EXPECT_EQ(q.replica, q.id % 3) << "request " << q.id;
    EXPECT_EQ(q.status, RequestStatus::completed);
  }

  const models::RunResult ll = run({path, "workload.replicas=3"});
  for (const RequestRecord& q : requests(ll)) EXPECT_EQ(q.replica, 0) << "request " << q.id;
}

// N = 10 requests arrive together (128 prompt tokens, 3 output tokens). With a cap of c
// running requests, they are served in ceil(N / c) waves: wave k is requests k c .. k c + c - 1
// (first come, first served), prefilled in one iteration and decoded in two more, and the
// next wave is admitted only once it has completed. So 3 ceil(N / c) iterations in all.
TEST_F(ServingScheduling, BatchRequestCapAdmitsSimultaneousRequestsInWaves) {
  const int n = 10;
  const std::string path = trace(std::vector<TraceRow>(n, TraceRow{0.5, 128, 3}));
  for (int cap : {3, 4, 5, 10}) {
    SCOPED_TRACE("max_batch_requests " + std::to_string(cap));
    const models::RunResult r = run({path, "workload.max_batch_requests=" + std::to_string(cap)});
    const auto& q = requests(r);
    ASSERT_EQ(q.size(), std::size_t(n));
    const int waves = (n + cap - 1) / cap;
    EXPECT_EQ(r.metric("iterations"), 3.0 * waves);
    std::map<std::int64_t, std::vector<std::int64_t>> by_first_token;  // ns -> ids
    for (const RequestRecord& x : q) {
      ASSERT_EQ(x.status, RequestStatus::completed);
      by_first_token[x.first_token->ns()].push_back(x.id);
    }
    ASSERT_EQ(by_first_token.size(), std::size_t(waves));
    int k = 0;
    sim::SimTime previous_completion = sim::SimTime::zero();
    for (const auto& [first_ns, ids] : by_first_token) {
      const int size = std::min(cap, n - k * cap);
      ASSERT_EQ(ids.size(), std::size_t(size));
      for (int j = 0; j < size; ++j) EXPECT_EQ(ids[std::size_t(j)], k * cap + j);
      // The wave starts after the previous one has left, and leaves together.
      EXPECT_GT(first_ns, previous_completion.ns());
      previous_completion = *q[std::size_t(ids.front())].completion;
      for (std::int64_t id : ids) EXPECT_EQ(q[std::size_t(id)].completion, previous_completion);
      ++k;
    }
  }
}

// Under a Poisson load that queues (poisson_small's 20 requests/s on two replicas, with a
// cap of 4), a replica never holds more than 4 requests past their first token at once, and
// the cap is reached.
TEST_F(ServingScheduling, BatchRequestCapHoldsUnderAQueueingLoad) {
  models::LoadOptions o;
  o.overrides = {"workload.max_batch_requests=4"};
  const models::RunResult r = models::run_scenario(models::load_scenario(
      std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/poisson_small.yaml", o));
  const auto& q = requests(r);
  ASSERT_GT(q.size(), 300u);
  std::size_t most = 0;
  for (const RequestRecord& at : q) {
    ASSERT_EQ(at.status, RequestStatus::completed);
    const sim::SimTime t = *at.first_token;
    std::size_t running = 0;  // on the same replica, first token at or before t, not yet done
    for (const RequestRecord& x : q) {
      running += x.replica == at.replica && *x.first_token <= t && t < *x.completion;
    }
    EXPECT_LE(running, 4u) << "at " << t.seconds() << " s on replica " << at.replica;
    most = std::max(most, running);
  }
  EXPECT_EQ(most, 4u);
}

// A 4096-token prompt with a budget of 1536 tokens per iteration is prefilled in
// ceil(4096 / 1536) = 3 chunks of 1536, 1536 and 1024 tokens, each attending to the prompt
// before it. Each chunk is compute-bound, so TTFT = the chunks' FLOPs / 989.4 TFLOP/s.
TEST_F(ServingScheduling, PromptLongerThanTheBudgetIsPrefilledInChunks) {
  using namespace llama3_8b;
  const models::RunResult r = run({"workload.max_batch_tokens=1536"});
  const RequestRecord& q = requests(r)[0];
  ASSERT_EQ(q.status, RequestStatus::completed);
  EXPECT_EQ(r.metric("iterations"),
            3 + 256.0);  // the chunks, then one decode per token after the first

  // Attended pairs: 1536 x 1537 / 2; 1536 x 1536 + 1536 x 1537 / 2; 1024 x 3072 + 1024 x 1025 / 2.
  const double pairs[3] = {1'180'416, 3'539'712, 3'670'528};
  EXPECT_EQ(pairs[0] + pairs[1] + pairs[2], 4096.0 * 4097 / 2);  // the unchunked prompt's
  const double flops[3] = {
      2 * 1536 * kBodyMatmul + kAttentionFlopsPerPair * pairs[0],
      2 * 1536 * kBodyMatmul + kAttentionFlopsPerPair * pairs[1],
      2 * 1024 * kBodyMatmul + 2 * kEmbedding + kAttentionFlopsPerPair * pairs[2]};
  const double kv_touched[3] = {1536, 3072, 4096};  // the past read plus the chunk written
  const double tokens[3] = {1536, 1536, 1024};
  double ttft = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_LT(iteration_bytes(tokens[i], kv_touched[i]) / kH100Hbm, flops[i] / kH100PeakBf16);
    ttft += flops[i] / kH100PeakBf16;
  }
  EXPECT_NEAR((*q.first_token - q.arrival).seconds().value(), ttft, 3e-9);  // 3 roundings to 1 ns
}

// With a budget of 1000 the prompt takes ceil(4096 / 1000) = 5 iterations, and the last chunk
// of 96 tokens is too small to be compute-bound: its 1.5 TFLOP take 1.6 ms, but it streams
// every weight (15.0 GB) and reads the 4000 cached tokens' KV (0.5 GB), 4.6 ms at 3.35 TB/s.
TEST_F(ServingScheduling, ASmallLastChunkIsBoundByHbm) {
  using namespace llama3_8b;
  const models::RunResult r = run({"workload.max_batch_tokens=1000"});
  const RequestRecord& q = requests(r)[0];
  EXPECT_EQ(r.metric("iterations"), 5 + 256.0);
  double ttft = 0;
  for (int i = 0; i < 4; ++i) {
    const double f = chunk_flops(1000, 1000.0 * i, false);
    ASSERT_LT(iteration_bytes(1000, 1000.0 * (i + 1)) / kH100Hbm, f / kH100PeakBf16);
    ttft += f / kH100PeakBf16;
  }
  const double last_flops = chunk_flops(96, 4000, true);
  const double last_bytes = iteration_bytes(96, 4000 + 96);
  EXPECT_EQ(last_bytes, (6'979'321'856.0 + 525'336'576 + 96 * 4096) * 2 + 4096 * 131'072.0);
  ASSERT_GT(last_bytes / kH100Hbm, last_flops / kH100PeakBf16);
  ttft += last_bytes / kH100Hbm;
  EXPECT_NEAR((*q.first_token - q.arrival).seconds().value(), ttft, 5e-9);
}

// Arrivals stop at simulation.duration (1 s); in-flight requests may finish until duration +
// drain (1.5 s). The lone request's first token comes at 0.5 s + 62.23 ms; decode step g then
// takes (15,009,325,056 + (4096 + g) x 131,072) B / 3.35 TB/s (about 4.6 ms), so 201 steps end
// by 1.5 s and the 202nd would end after it. The run stops at 1.5 s with the request
// unfinished, 1 + 201 tokens generated.
TEST_F(ServingScheduling, RequestsInFlightAtTheDrainLimitAreUnfinished) {
  using namespace llama3_8b;
  const models::RunResult r = run({"simulation.duration=1 s", "simulation.drain=500 ms"});
  const double first_token = 0.5 + chunk_flops(4096, 0, true) / kH100PeakBf16;
  double t = first_token;
  int steps = 0;
  for (int g = 1;; ++g) {
    const double step = iteration_bytes(1, 4096 + g) / kH100Hbm;
    if (t + step > 1.5) {
      ASSERT_GT(t + step - 1.5, 1e-6) << "too close to the limit for nanosecond rounding";
      break;
    }
    ASSERT_GT(1.5 - (t + step), 1e-6);
    t += step;
    ++steps;
  }
  EXPECT_EQ(steps, 201);

  EXPECT_EQ(r.end.ns(), 1'500'000'000);  // duration + drain
  ASSERT_EQ(requests(r).size(), 1u);
  const RequestRecord& q = requests(r)[0];
  EXPECT_EQ(q.status, RequestStatus::unfinished);
  EXPECT_FALSE(q.completion.has_value());
  ASSERT_TRUE(q.first_token.has_value());
  EXPECT_NEAR(q.first_token->seconds(), first_token, 1e-9);
  EXPECT_EQ(q.generated_tokens, 1 + steps);
  EXPECT_EQ(r.metric("requests_unfinished"), 1.0);
  EXPECT_EQ(r.metric("requests_completed"), 0.0);
  EXPECT_EQ(r.metric("output_tokens"), 1.0 + steps);
}

// time_scale multiplies the trace's arrival times: 0.5, 1.25, 3 and 7.5 s at 0.4 arrive at
// 0.2, 0.5, 1.2 and 3 s, to the nanosecond; at 2 they arrive at 1, 2.5, 6 and 15 s, and the
// last one falls after simulation.duration (10 s) and never arrives.
TEST_F(ServingScheduling, TraceTimeScaleScalesArrivalsExactly) {
  const std::string path = trace({{0.5, 128, 2}, {1.25, 128, 2}, {3.0, 128, 2}, {7.5, 128, 2}});
  const models::RunResult faster = run({path, "workload.arrivals.time_scale=0.4"});
  const std::vector<std::int64_t> at_04 = {200'000'000, 500'000'000, 1'200'000'000, 3'000'000'000};
  ASSERT_EQ(requests(faster).size(), at_04.size());
  for (std::size_t i = 0; i < at_04.size(); ++i)
    EXPECT_EQ(requests(faster)[i].arrival.ns(), at_04[i]) << "request " << i;

  const models::RunResult slower = run({path, "workload.arrivals.time_scale=2"});
  const std::vector<std::int64_t> at_2 = {1'000'000'000, 2'500'000'000, 6'000'000'000};
  ASSERT_EQ(requests(slower).size(), at_2.size());
  for (std::size_t i = 0; i < at_2.size(); ++i)
    EXPECT_EQ(requests(slower)[i].arrival.ns(), at_2[i]) << "request " << i;
  EXPECT_EQ(slower.metric("requests_arrived"), 3.0);
}

// repeat replays the trace back to back: rows at 0, 1 and 3 s (n = 3, mean gap 1.5 s) repeat
// every 3 + 1.5 = 4.5 s, so copy k arrives at 0, 1, 3 s + 4.5 k; with time_scale 0.5 every
// time halves (period 2.25 s). Arrivals stop at simulation.duration (10 s, exclusive).
TEST_F(ServingScheduling, TraceRepeatReplaysCopiesOnePeriodApart) {
  const std::string path = trace({{0.0, 128, 2}, {1.0, 128, 2}, {3.0, 128, 2}});
  const double period = 3.0 + (3.0 - 0.0) / (3 - 1);
  auto expected_ns = [&](double scale) {
    std::vector<std::int64_t> at;
    for (int k = 0;; ++k) {
      bool any = false;
      for (double t : {0.0, 1.0, 3.0}) {
        const double s = (t + k * period) * scale;
        if (s < 10.0) {
          at.push_back(std::llround(s * 1e9));
          any = true;
        }
      }
      if (!any) return at;
    }
  };
  for (double scale : {1.0, 0.5}) {
    const models::RunResult r = run({path, "workload.arrivals.repeat=true",
                                     "workload.arrivals.time_scale=" + std::to_string(scale)});
    const std::vector<std::int64_t> want = expected_ns(scale);
    ASSERT_EQ(requests(r).size(), want.size()) << "time_scale " << scale;
    for (std::size_t i = 0; i < want.size(); ++i)
      EXPECT_EQ(requests(r)[i].arrival.ns(), want[i]) << "request " << i << ", scale " << scale;
  }
  EXPECT_EQ(expected_ns(1.0).size(), 7u);   // 0 1 3 | 4.5 5.5 7.5 | 9
  EXPECT_EQ(expected_ns(0.5).size(), 14u);  // copies 0..3 whole, then 9 and 9.5 of copy 4

  // Without repeat the trace is played once.
  EXPECT_EQ(requests(run({path})).size(), 3u);
}

// A trace that cannot be repeated (one row: no period) is refused at the key, as is a
// repeated trace that would bring more requests than a run holds.
TEST_F(ServingScheduling, TraceRepeatErrors) {
  auto errors = [](std::vector<std::string> overrides) -> std::string {
    try {
      run(std::move(overrides));
    } catch (const sim::config::InputError& e) {
      return e.what();
    }
    return "(ran)";
  };
  const std::string one = trace({{2.0, 128, 2}});
  EXPECT_EQ(errors({one, "workload.arrivals.repeat=true"}),
            "--set:2:1: workload.arrivals.repeat: a repeated trace needs at least two rows and a "
            "last arrival after 0 s");
  const std::string two = trace({{0.0, 128, 2}, {1.0, 128, 2}});  // 2 rows every 2 s
  // 2 rows per 2e-7 s x 10 s = 1e8 > 5e7.
  EXPECT_EQ(errors({two, "workload.arrivals.repeat=true", "workload.arrivals.time_scale=1e-7"}),
            "--set:3:1: workload.arrivals.time_scale: the repeated trace would bring 1e+08 "
            "requests in simulation.duration; at most 5e+07 are supported per run");
}

// fp8 weights and KV cache (1 byte per element, against bf16's 2): the weights per GPU and
// the KV bytes per token halve, the KV capacity is what the freed HBM holds, every decode
// step moves half the bytes, and the prefill runs at the fp8 peak (1978.9 TFLOP/s).
TEST_F(ServingScheduling, Fp8WeightsAndKvCacheHalveTheBytes) {
  using namespace llama3_8b;
  const models::RunResult bf16 = run({});
  const models::RunResult fp8 = run({"workload.weight_dtype=fp8", "workload.kv_cache_dtype=fp8"});

  EXPECT_EQ(bf16.metric("weights_per_gpu"), 16'060'522'496.0);  // 8,030,261,248 x 2 B
  EXPECT_EQ(fp8.metric("weights_per_gpu"), 8'030'261'248.0);    // x 1 B
  EXPECT_EQ(bf16.metric("kv_bytes_per_token_per_gpu"), 131'072.0);
  EXPECT_EQ(fp8.metric("kv_bytes_per_token_per_gpu"), 65'536.0);  // 2 x 32 x 8 x 128 x 1 B
  // floor((81,559 MiB x (1 - 10 % reserve) - weights) / KV bytes per token):
  // (76,968,728,985.6 - 16,060,522,496) / 131,072 = 464,692.7 and
  // (76,968,728,985.6 - 8,030,261,248) / 65,536 = 1,051,917.5.
  EXPECT_EQ(std::floor((kH100HbmCapacity * 0.9 - 16'060'522'496.0) / 131'072), 464'692.0);
  EXPECT_EQ(bf16.metric("kv_capacity_tokens_per_replica"), 464'692.0);
  EXPECT_EQ(fp8.metric("kv_capacity_tokens_per_replica"), 1'051'917.0);

  const RequestRecord& q = requests(fp8)[0];
  ASSERT_EQ(q.status, RequestStatus::completed);
  // Decode: the bf16 step's bytes, each at 1 byte: (15,009,325,056 / 2 + 4224.5 x 65,536) B
  // / 3.35 TB/s = 2.3228416 ms, half of bf16's 4.6456832 ms.
  const double tpot = (*q.completion - *q.first_token).seconds().value() / 256;
  EXPECT_NEAR(tpot, iteration_bytes(1, 4224.5, 1, 65'536) / kH100Hbm, 1e-9);
  EXPECT_NEAR(tpot, 2.3228416e-3, 1e-9);
  // Prefill: the same 61,574,775,570,432 FLOPs at the fp8 peak.
  EXPECT_NEAR((*q.first_token - q.arrival).seconds().value(),
              chunk_flops(4096, 0, true) / kH100PeakFp8, 1e-9);
}

}  // namespace
