// Speed of the kernels against this host's own roofline (issue 3, section 5), for `make bench`:
//  - BM_FmaPeak/<threads>, BM_StreamTriad/<threads>: the roofline anchors
//    (kernels/measure/host_probe.hpp), reported as counters flops_per_s / bytes_per_s.
//  - BM_GemmFp32/<n>/<threads>: square FP32 linear() (y = x·Wᵀ), n = m = k; the label names the
//    tile product (kernels::gemm_fp32_path: packed_avx512, packed_avx2 or eigen).
//  - BM_DecodeGqa/<context>/<threads>: one decode step of GQA attention, 32 query heads and 8 kv
//    heads of 128 (Llama-3-8B/70B head layout) over an FP32 cache of <context> tokens
//    (2 · 8 · 128 · 4 B = 8 KiB per token: 256 MiB at 32k, far beyond the last-level cache).
//  - BM_MlaDecode/<form>/<threads>: one decode step of MLA attention with DeepSeek-V3's dims
//    (128 heads, kv_lora_rank 512, rope 64, nope 128, v 128) over 4096 cached latent rows;
//    form 0 = naive (up-project K and V per cached token), 1 = absorbed.
// Every benchmark uses wall time (UseRealTime): the kernels run OpenMP threads, whose CPU time
// the benchmark's own thread does not see. tools/bench/summarize.py turns the counters into
// gemm_fraction_of_peak, decode_attention_fraction_of_stream and mla_absorbed_speedup.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include <omp.h>

#include "kernels/parallel.hpp"

#include "kernels/attention_decode.hpp"
#include "kernels/gemm.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/measure/host_probe.hpp"
#include "kernels/measure/inputs.hpp"
#include "kernels/mla.hpp"
#include "kernels/work_count.hpp"

namespace {

namespace km = kernels::measure;
using kernels::Mat;

constexpr std::uint64_t seed = 1;

using kernels::thread_scope;

void BM_FmaPeak(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  double best = 0.0;
  // 2^23 iterations ≈ 4.3 GFLOP per thread: 37 ms at Zen 4's 117 GFLOP/s per core.
  for (auto _ : state)
    best = std::max(best, km::measure_fma_peak(threads, std::int64_t{1} << 23, 1).value());
  state.counters["flops_per_s"] = best;
}
BENCHMARK(BM_FmaPeak)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_StreamTriad(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  double best = 0.0;
  // 3 × 256 MiB of doubles (24× a 32 MiB L3); each measure call allocates, first-touches and
  // runs 3 passes.
  for (auto _ : state)
    best = std::max(best, km::measure_stream_triad(threads, std::int64_t{32} << 20, 3).value());
  state.counters["bytes_per_s"] = best;
}
BENCHMARK(BM_StreamTriad)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Operands live in the fixture object, which Google Benchmark keeps for all runs of one
// registered benchmark, so the (large) inputs are generated once, not once per run.
class GemmFixture : public benchmark::Fixture {
 public:
  void SetUp(const benchmark::State& state) override {
    const auto n = static_cast<Eigen::Index>(state.range(0));
    if (!w_ || w_->rows() != n) {
      w_ = std::make_unique<Mat>(
          km::hashed_operand(n, n, seed, "bench.w", std::sqrt(3.0f / static_cast<float>(n))));
      x_ = std::make_unique<Mat>(km::hashed_operand(n, n, seed, "bench.x"));
    }
  }

 protected:
  std::unique_ptr<Mat> w_;
  std::unique_ptr<Mat> x_;
};

BENCHMARK_DEFINE_F(GemmFixture, BM_GemmFp32)(benchmark::State& state) {
  const thread_scope scope(static_cast<int>(state.range(1)));
  const std::int64_t n = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(kernels::linear(*x_, *w_));
  state.SetLabel(kernels::gemm_fp32_path(n));
  state.counters["flops_per_s"] =
      benchmark::Counter(static_cast<double>(kernels::gemm_work(n, n, n, 4).flops),
                         benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_REGISTER_F(GemmFixture, BM_GemmFp32)
    ->ArgNames({"n", "threads"})
    ->Args({1024, 1})
    ->Args({1024, 2})
    ->Args({2048, 1})
    ->Args({2048, 2})
    ->Args({4096, 1})
    ->Args({4096, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

class DecodeFixture : public benchmark::Fixture {
 public:
  static constexpr int heads = 32;
  static constexpr int kv_heads = 8;
  static constexpr int head_dim = 128;
  void SetUp(const benchmark::State& state) override {
    const auto context = static_cast<int>(state.range(0));
    if (!cache_ || cache_->size() != context) {
      const thread_scope all(omp_get_num_procs());
      cache_ = std::make_unique<kernels::kv_cache>(kv_heads, head_dim, head_dim, context);
      cache_->append(km::hashed_operand(context, kv_heads * head_dim, seed, "bench.k"),
                     km::hashed_operand(context, kv_heads * head_dim, seed, "bench.v"));
      q_ = std::make_unique<Mat>(km::hashed_operand(1, heads * head_dim, seed, "bench.q"));
    }
  }

 protected:
  std::unique_ptr<kernels::kv_cache> cache_;
  std::unique_ptr<Mat> q_;
};

BENCHMARK_DEFINE_F(DecodeFixture, BM_DecodeGqa)(benchmark::State& state) {
  const thread_scope scope(static_cast<int>(state.range(1)));
  const auto shape = kernels::attention_shape::gqa(heads, kv_heads, head_dim);
  for (auto _ : state) benchmark::DoNotOptimize(kernels::attention_decode(*q_, *cache_, shape));
  const kernels::kernel_work w =
      kernels::attention_decode_work(state.range(0), shape, 4, cache_->bytes_per_token());
  state.counters["bytes_per_s"] = benchmark::Counter(static_cast<double>(w.bytes),
                                                     benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flops_per_s"] = benchmark::Counter(static_cast<double>(w.flops),
                                                     benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_REGISTER_F(DecodeFixture, BM_DecodeGqa)
    ->ArgNames({"context", "threads"})
    ->Args({32768, 1})
    ->Args({32768, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

class MlaFixture : public benchmark::Fixture {
 public:
  // DeepSeek-V3 config.json (d_model and q_lora_rank are not read by mla_attention).
  const kernels::mla_config config{7168, 128, 1536, 512, 128, 64, 128, 10000.0, 1e-6f};
  static constexpr int context = 4096;
  void SetUp(const benchmark::State&) override {
    if (cache_) return;
    const thread_scope all(omp_get_num_procs());
    const float scale = std::sqrt(3.0f / static_cast<float>(config.kv_lora_rank));
    weights_.w_uk = km::hashed_operand(config.n_heads * config.qk_nope_head_dim,
                                       config.kv_lora_rank, seed, "bench.w_uk", scale);
    weights_.w_uv = km::hashed_operand(config.n_heads * config.v_head_dim, config.kv_lora_rank,
                                       seed, "bench.w_uv", scale);
    cache_ = std::make_unique<kernels::mla_cache>(config, context);
    cache_->append(km::hashed_operand(context, config.latent_dim(), seed, "bench.latent"));
    q_ = std::make_unique<Mat>(
        km::hashed_operand(1, config.n_heads * config.qk_head_dim(), seed, "bench.q"));
  }

 protected:
  kernels::mla_weights weights_;
  std::unique_ptr<kernels::mla_cache> cache_;
  std::unique_ptr<Mat> q_;
};

BENCHMARK_DEFINE_F(MlaFixture, BM_MlaDecode)(benchmark::State& state) {
  const auto form = state.range(0) == 0 ? kernels::mla_form::naive : kernels::mla_form::absorbed;
  const thread_scope scope(static_cast<int>(state.range(1)));
  for (auto _ : state)
    benchmark::DoNotOptimize(kernels::mla_attention(*q_, *cache_, weights_, config, form));
  state.counters["flops_per_s"] = benchmark::Counter(
      static_cast<double>(kernels::mla_attention_work(1, context, config, form, 4).flops),
      benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_REGISTER_F(MlaFixture, BM_MlaDecode)
    ->ArgNames({"form", "threads"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

// The host beside the figures (the same ISA runs at different widths on different cores):
// summarize.py prints it with the kernel lines.
int main(int argc, char** argv) {
  const km::host_info host = km::probe_host();
  benchmark::AddCustomContext("cpu_model", host.cpu_model);
  benchmark::AddCustomContext("microarchitecture", host.microarchitecture);
  benchmark::AddCustomContext("fma_isa", km::fma_isa());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
