// Issue 9 §4: grouped and batched GEMMs, expert and pipeline parallelism, disaggregated prefill
// and decode, and paged KV with preemption, against closed forms; bad keys with their exact
// messages; determinism.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog_fixture.hpp"
#include "kernels/cost/calibrated_roofline.hpp"
#include "models/scenario/run.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/kernel_iteration_cost.hpp"
#include "models/workload/serving_workload.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "sim/engine.hpp"
#include "sim/wall_monitor.hpp"

namespace {

namespace kc = kernels::cost;
using models::BatchShape;

// --- Grouped and batched GEMMs in the calibrated roofline --------------------------------

// A GEMM class with a launch overhead, a wave weight and no blend: t = t0 + max(q F / (P e_c),
// B / (W e_m)), q = (w + ω (⌈w⌉ - w)) / w over the waves w of the whole group.
kc::Calibration gemm_calibration() {
  kc::Calibration c;
  kc::ClassParams p;
  p.compute_efficiency = 0.7;
  p.memory_efficiency = 0.8;
  p.overhead = sim::Seconds(5e-6);
  p.wave_weight = 0.5;
  c.defaults[kc::KernelClass::gemm] = p;
  return c;
}

kc::Device h100_like() {
  kc::Device d;
  d.name = "test-gpu";
  d.peak_flops = sim::FlopsPerSecond(989.4e12);
  d.memory_bandwidth = sim::BytesPerSecond(3.35e12);
  d.sm_count = 132;
  return d;
}

double closed_form(double m, double n, double k, double groups, double elem) {
  const double flops = 2 * m * n * k * groups;
  const double bytes = (m * k + n * k + m * n) * elem * groups;
  const double tiles = std::ceil(m / 128) * std::ceil(n / 128) * groups;
  const double w = tiles / 132;
  const double q = (w + 0.5 * (std::ceil(w) - w)) / w;
  return 5e-6 + std::max(q * flops / (989.4e12 * 0.7), bytes / (3.35e12 * 0.8));
}

TEST(GroupedGemm, WorkIsTheSumOverTheGroup) {
  const kc::Gemm one{24, 4096, 7168, kc::NumberFormat::fp8};
  const kc::Gemm grouped{24, 4096, 7168, kc::NumberFormat::fp8, 32};
  EXPECT_DOUBLE_EQ(kc::work(grouped).flops.value(), 32 * kc::work(one).flops.value());
  EXPECT_DOUBLE_EQ(kc::work(grouped).bytes.value(), 32 * kc::work(one).bytes.value());
  EXPECT_EQ(kc::tokens(grouped), 24 * 32);
}

TEST(GroupedGemm, CostIsOneLaunchPlusTheRooflineOfTheSum) {
  const kc::CalibratedRoofline model(gemm_calibration());
  const kc::Device d = h100_like();
  // MoE experts of DeepSeek-V3's gate/up projection at TP8: 32 experts of 24 rows each.
  const kc::Gemm grouped{24, 512, 7168, kc::NumberFormat::fp8, 32};
  EXPECT_NEAR(model.duration(grouped, d, 1.0).value(), closed_form(24, 512, 7168, 32, 1), 1e-15);
  // Separately they pay 32 launches and 32 partial waves: the group is cheaper.
  const kc::Gemm one{24, 512, 7168, kc::NumberFormat::fp8};
  EXPECT_NEAR(model.duration(one, d, 1.0).value(), closed_form(24, 512, 7168, 1, 1), 1e-15);
  EXPECT_LT(model.duration(grouped, d, 1.0).value(), 32 * model.duration(one, d, 1.0).value());
  // A group large enough to be compute-bound fills whole waves: it approaches 32 x F / (P e_c)
  // plus one launch, where 32 calls pay 32 launches.
  const kc::Gemm big{4096, 4096, 7168, kc::NumberFormat::fp8, 32};
  EXPECT_NEAR(model.duration(big, d, 1.0).value(), closed_form(4096, 4096, 7168, 32, 1), 1e-15);
}

TEST(GroupedGemm, BatchedMlaAbsorptionIsOneCallPerLayerWithTheHeadsAsTheBatch) {
  const models::Catalog catalog = test::shipped_catalog();
  const models::LlmSpec& v3 = catalog.llms.at("deepseek-v3");
  const models::KernelIterationCost cost(v3, catalog.gpus.at("h200"), models::Precision{}, 8,
                                         models::load_kernel_cost_model(""), models::HostCost{});
  BatchShape b;
  b.decodes = 16;
  b.decode_contexts.assign(16, 2000);
  b.decode_context_sum = 16 * 2000.0;
  int absorb = 0;
  for (const models::CountedCall& cc : cost.calls(b)) {
    const auto* g = std::get_if<kc::Gemm>(&cc.call);
    if (!g || g->groups != 16) continue;  // 128 heads / TP8
    ++absorb;
    EXPECT_EQ(g->m, 16);
    EXPECT_DOUBLE_EQ(cc.count, 61);              // one call per layer, not per head
    const bool uk = g->n == 512 && g->k == 128;  // q_nope -> latent
    const bool uv = g->n == 128 && g->k == 512;  // latent -> v
    EXPECT_TRUE(uk || uv);
  }
  EXPECT_EQ(absorb, 2);
  // The batched call costs the roofline of the sum with one launch: its time equals the same
  // model's time for the group (no per-head launch).
  const auto model = models::load_kernel_cost_model("");
  const kc::Gemm uk{16, 512, 128, kc::NumberFormat::bf16, 16};
  const kc::Gemm one{16, 512, 128, kc::NumberFormat::bf16};
  EXPECT_LT(model->duration(uk, cost.device(), 1.0).value(),
            16 * model->duration(one, cost.device(), 1.0).value() / 4);
}

TEST(GroupedGemm, RoutedExpertsAreOneGroupedCallPerProjectionAndLayer) {
  const models::Catalog catalog = test::shipped_catalog();
  const models::LlmSpec& v3 = catalog.llms.at("deepseek-v3");
  const models::KernelIterationCost cost(v3, catalog.gpus.at("h200"), models::Precision{}, 8,
                                         models::load_kernel_cost_model(""), models::HostCost{});
  BatchShape b;
  b.decodes = 64;
  b.decode_contexts.assign(64, 1000);
  b.decode_context_sum = 64 * 1000.0;
  // Uniform routing: E (1 - (1 - k/E)^T) distinct experts, the T k pairs spread evenly.
  const double distinct = 256 * (1 - std::pow(1 - 8.0 / 256, 64));
  const auto groups = std::llround(distinct);
  int grouped = 0;
  for (const models::CountedCall& cc : cost.calls(b)) {
    const auto* g = std::get_if<kc::Gemm>(&cc.call);
    if (!g || g->groups != groups) continue;
    ++grouped;
    EXPECT_DOUBLE_EQ(cc.count, 58);  // the MoE layers
    EXPECT_EQ(g->m, static_cast<std::int64_t>(std::ceil(64 * 8.0 / static_cast<double>(groups))));
    EXPECT_TRUE((g->n == 2 * 2048 / 8 && g->k == 7168) || (g->n == 7168 && g->k == 2048 / 8));
  }
  EXPECT_EQ(grouped, 2);
}

// --- Expert parallelism --------------------------------------------------------------------

TEST(ExpertParallel, BlomApproximatesTheExpectedMaximumOfNormals) {
  // Exact expected maxima of n standard normals (Harter 1961): 0.5642 (2), 1.4236 (8),
  // 1.7660 (16); Blom's formula is within 5 % at n = 2 and 1 % beyond.
  EXPECT_NEAR(models::expected_max_standard_normal(2), 0.5642, 0.05 * 0.5642);
  EXPECT_NEAR(models::expected_max_standard_normal(8), 1.4236, 0.01 * 1.4236);
  EXPECT_NEAR(models::expected_max_standard_normal(16), 1.7660, 0.01 * 1.7660);
  EXPECT_EQ(models::expected_max_standard_normal(1), 0.0);
}

TEST(ExpertParallel, MaxLoadIsTheMeanPlusZSigmaOfTheHypergeometricSum) {
  const models::MoeSpec moe{256, 8, 1, 2048, 3};
  const double t = 512, n = 16;
  const double mean = t * 8 / n;
  const double sigma = std::sqrt(t * 8 * (1 / n) * (1 - 1 / n) * (256.0 - 8) / 255);
  EXPECT_NEAR(models::expected_max_expert_load(moe, t, 16),
              mean + models::expected_max_standard_normal(16) * sigma, 1e-9);
  EXPECT_DOUBLE_EQ(models::expected_max_expert_load(moe, t, 1), t * 8);
  // One token cannot put more than min(k, E / ep) pairs on a GPU.
  EXPECT_LE(models::expected_max_expert_load(moe, 1, 128), 2.0);
}

class ExpertParallelCost : public ::testing::Test {
 protected:
  models::Catalog catalog = test::shipped_catalog();
  models::training::Fabric fabric = *models::training::dgx_fabric(catalog.gpus.at("h100-sxm"));

  models::KernelIterationCost make(int tp, int ep, int pp = 1) {
    models::ServingParallelism par;
    par.expert_parallel = ep;
    par.pipeline_parallel = pp;
    par.gpus_per_node = 8;
    par.network = std::make_shared<models::training::AlphaBetaCollectives>(fabric);
    return models::KernelIterationCost(catalog.llms.at("deepseek-v3"), catalog.gpus.at("h100-sxm"),
                                       models::Precision{}, tp, models::load_kernel_cost_model(""),
                                       models::HostCost{}, par);
  }
  static BatchShape decodes(int n) {
    BatchShape b;
    b.decodes = n;
    b.decode_contexts.assign(static_cast<std::size_t>(n), 1000);
    b.decode_context_sum = 1000.0 * n;
    return b;
  }
};

TEST_F(ExpertParallelCost, AllToAllBytesAreConservedAndTimedByTheAlphaBetaForm) {
  // EP16 over two servers: 2 attention groups of TP8. 256 decodes: each group 128 tokens.
  const int ep = 16;
  const BatchShape b = decodes(256);
  const models::IterationCost c = make(8, ep).cost(b, 1.0);
  const double moe_layers = 61 - 3;
  const double per_gpu = 256.0 * 8 * 7168 * 2 / ep;  // S: T k hidden bytes / ep
  // What every GPU sends to the others, summed over the ep GPUs, is what the tokens' k copies
  // leave their GPU with: T k hidden bytes x (ep - 1) / ep per all-to-all, twice per MoE layer.
  const sim::Bytes allreduce(128.0 * 7168 * 2);
  const double tp_bytes = 2 * 61 * models::RingAllReduce::bytes_sent_per_gpu(allreduce, 8).value();
  const double a2a_sent = c.link_bytes_per_gpu.value() - tp_bytes;
  EXPECT_NEAR(a2a_sent * ep, 2 * moe_layers * 256.0 * 8 * 7168 * 2 * (ep - 1.0) / ep, 1e-3);
  // Time: the TP all-reduces plus 2 all-to-alls per MoE layer, each max(NVLink part, NIC part).
  const models::training::AlphaBetaCollectives net(fabric);
  const models::RingAllReduce ring{catalog.gpus.at("h100-sxm").scale_up_one_direction(),
                                   catalog.gpus.at("h100-sxm").scale_up_step_latency,
                                   catalog.gpus.at("h100-sxm").scale_up_efficiency};
  const double a2a = net.all_to_all(sim::Bytes(per_gpu), {ep, 8}).value();
  const double expect_a2a = std::max(
      fabric.scale_up.step_latency.value() +
          7.0 / ep * per_gpu / (fabric.scale_up.bandwidth.value() * fabric.scale_up.efficiency),
      fabric.scale_out.step_latency.value() +
          8.0 / ep * per_gpu / (fabric.scale_out.bandwidth.value() * fabric.scale_out.efficiency));
  EXPECT_NEAR(a2a, expect_a2a, 1e-15);
  EXPECT_NEAR(c.comm_time.value(), 2 * 61 * ring.time(allreduce, 8).value() + 2 * moe_layers * a2a,
              1e-12);
}

TEST_F(ExpertParallelCost, EachGpuRunsItsOwnExpertsWholeWithTheMostLoadedGpusRows) {
  const BatchShape b = decodes(256);
  const double pairs =
      models::expected_max_expert_load(catalog.llms.at("deepseek-v3").moe.value(), 256, 16);
  const double touched =
      models::expected_distinct_experts(catalog.llms.at("deepseek-v3").moe.value(), 256) / 16;
  const auto groups = std::llround(touched);
  int found = 0;
  for (const models::CountedCall& cc : make(8, 16).calls(b)) {
    const auto* g = std::get_if<kc::Gemm>(&cc.call);
    // The experts' projections, whole (not sharded by TP): gate+up 7168 -> 4096, down 2048 -> 7168.
    // (The output projection is also 2048 -> 7168 at TP8, but one GEMM, not a group.)
    if (!g || g->groups == 1 ||
        !((g->n == 2 * 2048 && g->k == 7168) || (g->n == 7168 && g->k == 2048)))
      continue;
    ++found;
    EXPECT_EQ(g->groups, groups);
    EXPECT_EQ(g->m, static_cast<std::int64_t>(std::ceil(pairs / static_cast<double>(groups))));
  }
  EXPECT_EQ(found, 2);
}

TEST_F(ExpertParallelCost, PipelineIterationIsStagesTimesAMicrobatchStagePlusItsSend) {
  // PP2 of TP8 on two servers: each stage runs half the layers on half the batch, twice.
  const BatchShape b = decodes(64);
  const models::IterationCost two = make(8, 1, 2).cost(b, 1.0);
  const models::training::AlphaBetaCollectives net(fabric);
  const double send = net.send_recv(sim::Bytes(32.0 * 7168 * 2), {2, 1}).value();
  EXPECT_NEAR(
      send,
      fabric.scale_out.step_latency.value() +
          32.0 * 7168 * 2 / (fabric.scale_out.bandwidth.value() * fabric.scale_out.efficiency),
      1e-15);
  // The comm part: per microbatch 2 x 30.5 all-reduces of 32 tokens and the send; two of them.
  const models::RingAllReduce ring{catalog.gpus.at("h100-sxm").scale_up_one_direction(),
                                   catalog.gpus.at("h100-sxm").scale_up_step_latency,
                                   catalog.gpus.at("h100-sxm").scale_up_efficiency};
  const double ar = ring.time(sim::Bytes(32.0 * 7168 * 2), 8).value();
  EXPECT_NEAR(two.comm_time.value(), 2 * (2 * 30.5 * ar + send), 1e-12);
}

// --- Scenarios: disaggregation, paged KV, bad keys, determinism ---------------------------

std::string fixture(const std::string& name) {
  return std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/" + name;
}

models::ScenarioSpec load(const std::string& name, std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(fixture(name), o);
}

std::string errors_of(const std::string& name, std::vector<std::string> overrides) {
  try {
    load(name, std::move(overrides));
  } catch (const sim::config::InputError& e) {
    return e.what();
  }
  return "(loaded)";
}

const models::ServingWorkload& serving(const models::RunResult& r) {
  return dynamic_cast<const models::ServingWorkload&>(r.workload());
}

double e2e(const models::RequestRecord& q) {
  return (*q.completion - q.arrival).seconds().value();
}

TEST(Disaggregation, KvTransferTimeIsLatencyPlusBytesOverBandwidthUncontended) {
  // single_request.yaml: Llama-3-8B, a 4096-token prompt, 257 outputs, on a DGX-H100.
  const models::ScenarioSpec spec =
      load("single_request.yaml", {"workload.replicas=2", "workload.prefill_replicas=1"});
  const models::RunResult r = models::run_scenario(spec);
  const models::ServingModel& m = serving(r).model();
  const auto& fab = serving(r).spec().serving.fabric;
  // Both replicas in one server: NVLink. 4096 tokens x 131,072 B (GQA-8, bf16, 32 layers).
  const double bytes = 4096.0 * 131072;
  const double t = fab.scale_up.step_latency.value() +
                   bytes / (fab.scale_up.bandwidth.value() * fab.scale_up.efficiency);
  EXPECT_NEAR(m.kv_transfer_time(4096, 0, 1).value(), t, 1e-15);
  ASSERT_EQ(m.requests().size(), 1u);
  const models::RequestRecord& q = m.requests()[0];
  EXPECT_EQ(q.status, models::RequestStatus::completed);
  EXPECT_EQ(q.replica, 0);
  EXPECT_EQ(q.decode_replica, 1);
  EXPECT_DOUBLE_EQ(r.metric("kv_transfer_bytes_per_request"), bytes);
  // Alone, the request's life is the colocated one plus the transfer (the same prefill and
  // the same decode steps; each event rounds to the nanosecond).
  const models::RunResult colocated = models::run_scenario(load("single_request.yaml"));
  const models::RequestRecord& c = serving(colocated).model().requests()[0];
  EXPECT_NEAR((*q.first_token - q.arrival).seconds().value(),
              (*c.first_token - c.arrival).seconds().value(), 1e-9);
  EXPECT_NEAR(e2e(q) - e2e(c), t, 2e-9);
}

TEST(Disaggregation, AcrossServersTheKvGoesOverTheNicsOneSliceEach) {
  const models::ScenarioSpec spec =
      load("single_request.yaml", {"plant.layout.servers_per_rack=2", "workload.replicas=2",
                                   "workload.tensor_parallel=8", "workload.prefill_replicas=1"});
  const models::RunResult r = models::run_scenario(spec);
  const auto& fab = serving(r).spec().serving.fabric;
  const double per_nic = 4096.0 * 131072 / 8;
  EXPECT_NEAR(serving(r).model().kv_transfer_time(4096, 0, 1).value(),
              fab.scale_out.step_latency.value() +
                  per_nic / (fab.scale_out.bandwidth.value() * fab.scale_out.efficiency),
              1e-15);
  EXPECT_EQ(serving(r).model().requests()[0].status, models::RequestStatus::completed);
}

TEST(Disaggregation, MlaShrinksTheTransferByTheRatioOfCacheBytesPerToken) {
  // DeepSeek-V3: (512 + 64) x 61 layers x 2 B = 70,272 B per token; Llama-3-70B: 2 x 8 x 128 x
  // 80 x 2 B = 327,680 B (REFERENCE.md §4.3): 4.66x.
  const models::Catalog catalog = test::shipped_catalog();
  const double v3 = models::kv_bytes_per_token(catalog.llms.at("deepseek-v3"), models::DType::bf16);
  const double l70 =
      models::kv_bytes_per_token(catalog.llms.at("llama-3-70b"), models::DType::bf16);
  EXPECT_DOUBLE_EQ(v3, 70272);
  EXPECT_DOUBLE_EQ(l70, 327680);
}

// A fake plant group and a constant-time iteration: the scheduler's rules alone.
class FixedGroup final : public models::GpuGroup {
 public:
  explicit FixedGroup(models::GpuSpec gpu) : gpu_(std::move(gpu)) {}
  const std::string& name() const override { return name_; }
  const models::GpuSpec& gpu() const override { return gpu_; }
  int size() const override { return 1; }
  models::IterationRun begin_iteration(sim::SimTime, const models::GpuActivity& a) override {
    models::IterationRun run;
    run.duration = sim::Duration::from_seconds(a.duration(1.0));
    return run;
  }
  void go_idle(sim::SimTime) override {}
  bool running() const override { return true; }
  void on_stop(std::function<void(sim::SimTime)>) override {}

 private:
  std::string name_ = "replica[0]";
  models::GpuSpec gpu_;
};

class FixedCost final : public models::IterationCostModel {
 public:
  models::IterationCost cost(const BatchShape&, double) const override {
    models::IterationCost c;
    c.time = sim::Seconds(1e-3);
    c.memory_bound = sim::Seconds(1e-3);
    return c;
  }
};

struct PagedRun {
  std::vector<models::RequestRecord> records;
  models::ServingStats stats;
};

// Two requests of an 8-token prompt and 16 outputs at t = 0 on a cache of exactly 24 tokens
// (three 8-token blocks).
PagedRun run_tiny(models::KvAdmission policy) {
  models::LlmSpec llm;
  llm.name = "tiny";
  llm.layers = 1;
  llm.hidden = 64;
  llm.heads = 1;
  llm.kv_heads = 1;
  llm.head_dim = 64;
  llm.ffn_hidden = 128;
  llm.vocab = 16;
  models::GpuSpec gpu;
  gpu.name = "tiny-gpu";
  const double weights = models::count_params(llm).total() * 2;
  const double kv = models::kv_bytes_per_token(llm, models::DType::bf16);  // 256 B
  gpu.hbm_capacity = sim::Bytes(weights + 24 * kv);
  models::ServingSpec spec;
  spec.memory_reserve = 0;
  spec.kv_admission = policy;
  spec.kv_block_tokens = 8;
  spec.max_batch_tokens = 64;
  spec.max_batch_requests = 8;
  sim::Engine engine;
  sim::WallMonitor walls;
  FixedGroup group(gpu);
  models::ServingModel model(engine, walls, llm, spec,
                             models::SloSpec{sim::Seconds(10), sim::Seconds(10), 0.99},
                             std::make_unique<FixedCost>(), {&group});
  EXPECT_EQ(model.kv_capacity_tokens(), 24);
  models::ArrivalSpec arrivals;
  arrivals.process = models::ArrivalSpec::Process::trace;
  arrivals.trace = {models::TraceRow{0.0, 8, 16}, models::TraceRow{0.0, 8, 16}};
  models::RequestSource source(arrivals, engine.rng("a"), engine.rng("l"), sim::SimTime::max());
  model.start(source);
  engine.run();
  return {model.requests(), model.stats()};
}

TEST(PagedKv, AdmitsMoreThanReservationAndPreemptsWhenBlocksRunOut) {
  // reserve: 8 + 16 = 24 tokens each: one at a time; the second starts when the first ends
  // (iteration 1 prefills, 15 decode steps follow: 16 iterations of 1 ms each).
  const PagedRun reserve = run_tiny(models::KvAdmission::reserve);
  EXPECT_EQ(reserve.stats.max_running, 1);
  EXPECT_EQ(reserve.stats.preemptions, 0);
  EXPECT_NEAR(reserve.records[1].first_token->seconds(), 0.017, 1e-9);
  // paged: both prompts fit one block each and prefill together. The first decode step needs a
  // second block for each (context 9): 4 blocks > 3, so the later one is preempted. The first
  // grows to 3 blocks (context 23) and completes; the second is then readmitted and prefills
  // its prompt and its one token again (9 tokens), and completes.
  const PagedRun paged = run_tiny(models::KvAdmission::paged);
  EXPECT_EQ(paged.stats.max_running, 2);
  EXPECT_EQ(paged.stats.preemptions, 1);
  EXPECT_EQ(paged.stats.recomputed_tokens, 9);
  EXPECT_EQ(paged.records[1].preempted, 1);
  EXPECT_NEAR(paged.records[1].first_token->seconds(), 0.001, 1e-9);  // prefilled with the first
  for (const auto& q : paged.records) {
    EXPECT_EQ(q.status, models::RequestStatus::completed);
    EXPECT_EQ(q.generated_tokens, 16);
  }
  // The second request: its first 1 ms iteration, then waits for the first (16 iterations),
  // 1 recompute iteration (token 2), 14 decode steps (tokens 3..16).
  EXPECT_NEAR(paged.records[0].completion->seconds(), 0.016, 1e-9);
  EXPECT_NEAR(paged.records[1].completion->seconds(), 0.016 + 0.001 + 0.014, 1e-9);
}

TEST(ServingParallelKeys, BadKeysAreLocatedErrorsWithExactMessages) {
  const std::string f = fixture("single_request.yaml");
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.expert_parallel=2"}),
            "--set:1:1: workload.expert_parallel: must be 1: llama-3-8b has no routed experts");
  EXPECT_EQ(
      errors_of("single_request.yaml", {"workload.replicas=2", "workload.prefill_replicas=2"}),
      "--set:2:1: workload.prefill_replicas: must be < replicas (2): the rest of the "
      "replicas decode");
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.kv_admission=pages"}),
            "--set:1:1: workload.kv_admission: must be one of: reserve, paged (got \"pages\") "
            "\u2014 did you mean \"paged\"?");
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.kv_block_tokens=32"}),
            "--set:1:1: workload.kv_block_tokens: applies only to kv_admission: paged");
  EXPECT_EQ(errors_of("single_request.yaml", {"workload.pipeline_parallel=2"}),
            f + ":28:15: workload.cost_model: must be calibrated with expert_parallel or "
                "pipeline_parallel > 1");
  EXPECT_EQ(
      errors_of("single_request.yaml", {"workload.pipeline_parallel=2",
                                        "workload.cost_model=calibrated", "workload.replicas=5"}),
      "--set:3:1: workload.replicas: 5 replicas of 2 GPUs need 10 GPUs; the plant has 8");
  EXPECT_EQ(
      errors_of("single_request.yaml", {"workload.model=deepseek-v3", "workload.tensor_parallel=8",
                                        "workload.expert_parallel=12"}),
      "--set:3:1: workload.expert_parallel: must be a multiple of tensor_parallel (8): the "
      "experts are spread over whole tensor-parallel groups");
}

TEST(ServingParallelKeys, AGpuWithoutADocumentedFabricNeedsOneOnAPlantWithoutANetwork) {
  // 4097 x 4 HGX H200 servers: 131,104 GPUs, more than a plant builds a network for by default
  // (plant_spec.hpp kMaxNetworkGpus); with a network the fabric is its (test_serving_plant_fabric).
  EXPECT_EQ(
      errors_of("single_request.yaml", {"plant.server=hgx-h200", "plant.layout.racks_per_row=4097",
                                        "plant.layout.servers_per_rack=4", "workload.replicas=2",
                                        "workload.prefill_replicas=1"}),
      fixture("single_request.yaml") +
          ":16:3: workload.fabric: no DGX fabric is documented for h200 and the plant has "
          "no network: give fabric.scale_up and fabric.scale_out (expert_parallel, "
          "pipeline_parallel and prefill_replicas send over it)");
}

TEST(ServingParallel, DisaggregatedPagedRunsAreDeterministic) {
  const std::vector<std::string> o = {
      "workload.replicas=3", "workload.prefill_replicas=1", "workload.kv_admission=paged",
      "workload.arrivals.path=" + std::string(FIRSTWALL_SHARED_DATA) + "/traces/splitwise_conv.csv",
      "simulation.duration=20 s"};
  const models::RunResult a = models::run_scenario(load("single_request.yaml", o));
  const models::RunResult b = models::run_scenario(load("single_request.yaml", o));
  const auto& qa = serving(a).model().requests();
  const auto& qb = serving(b).model().requests();
  ASSERT_EQ(qa.size(), qb.size());
  ASSERT_GT(qa.size(), 10u);
  for (std::size_t i = 0; i < qa.size(); ++i) {
    EXPECT_EQ(qa[i].completion, qb[i].completion);
    EXPECT_EQ(qa[i].decode_replica, qb[i].decode_replica);
  }
  EXPECT_EQ(a.metric("kv_transfers"), b.metric("kv_transfers"));
  EXPECT_GT(a.metric("kv_transfers"), 0);
}

}  // namespace
