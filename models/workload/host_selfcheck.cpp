#include "models/workload/host_selfcheck.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <variant>

#include <fmt/format.h>

#include "kernels/cost/measured_table.hpp"
#include "kernels/measure/call_runner.hpp"
#include "kernels/measure/host_probe.hpp"
#include "kernels/parallel.hpp"
#include "models/gpu/gpu_spec.hpp"
#include "models/workload/kernel_iteration_cost.hpp"

namespace models {

namespace kc = kernels::cost;
namespace km = kernels::measure;

namespace {

constexpr const char* host_device = "host";

DType dtype_of(kernels::kv_storage s) {
  switch (s) {
    case kernels::kv_storage::fp32:
      return DType::fp32;
    case kernels::kv_storage::bf16:
      return DType::bf16;
    case kernels::kv_storage::fp8_e4m3:
      return DType::fp8;
  }
  return DType::fp32;
}

// This host as the one device of a tp-1 server: measured FMA peak and STREAM bandwidth at the
// selfcheck's thread count (they set KernelIterationCost's compute and memory times, which the
// report prints; the iteration time itself is the sum of the measured calls).
GpuSpec host_spec(const km::host_info& host, sim::FlopsPerSecond peak, sim::BytesPerSecond bw) {
  GpuSpec g;
  g.name = host_device;
  g.source = host.cpu_model + " (measured on " + host.host_id + ")";
  g.peak_flops[static_cast<std::size_t>(DType::fp32)] = peak;
  g.hbm_bandwidth = bw;
  return g;
}

BatchShape prefill_batch(std::int64_t prompt) {
  BatchShape b;
  b.prefills.push_back({prompt, 0, true});
  return b;
}

BatchShape decode_batch(std::int64_t context) {
  BatchShape b;
  b.decodes = 1;
  b.decode_context_sum = static_cast<double>(context);
  b.decode_contexts = {context};
  return b;
}

}  // namespace

LlmSpec llm_of(const kernels::transformer_config& c) {
  LlmSpec s;
  s.name = "reference-transformer-gqa";
  s.source = "kernels/reference_transformer.hpp";
  s.layers = c.n_layers;
  s.hidden = c.d_model;
  s.heads = c.n_heads;
  s.kv_heads = c.n_kv_heads;
  s.head_dim = c.head_dim;
  s.ffn_hidden = c.ffn_dim;
  s.ffn = FfnKind::swiglu;
  s.vocab = c.vocab_size;
  s.tied_embeddings = false;
  s.position = PositionKind::rope;
  s.max_context = c.max_seq_len;
  s.attention = AttentionKind::gqa;
  return s;
}

SelfcheckResult run_host_selfcheck(const km::selfcheck_options& options,
                                   const km::progress_fn& progress) {
  km::check_selfcheck_options(options);
  const kernels::transformer_config& c = options.model;
  const kernels::thread_scope scope(options.threads);

  SelfcheckResult r;
  r.host = km::probe_host();
  if (progress) progress(0, 1, "measuring this host's caches, clock, FMA peak and bandwidth");
  r.core_clock_hz = km::measure_core_clock_hz();
  r.caches = km::measure_cache_sweep(r.host.l2_bytes, options.sweep);
  r.host_peak = km::measure_fma_peak(options.threads, std::int64_t{1} << 22, 3);
  // STREAM's rule: each of the three arrays at least 4x the (effective) last-level cache.
  const std::int64_t stream_bytes =
      km::stream_array_bytes_for(r.host, r.caches, std::int64_t{128} << 20);
  r.host_bandwidth = km::measure_stream_triad(options.threads, stream_bytes / 8, 3);

  const LlmSpec llm = llm_of(c);
  const GpuSpec gpu = host_spec(r.host, r.host_peak, r.host_bandwidth);
  const Precision precision{DType::fp32, dtype_of(c.kv_cache_storage), DType::fp32, DType::fp32};
  const HostCost no_overhead{};  // the reference run is one process, no serving loop
  const std::int64_t prompt = options.prompt_tokens;
  // Decode step i (0-based) attends to prompt + i + 1 tokens.
  const std::int64_t first_context = prompt + 1;
  const std::int64_t last_context = prompt + options.decode_tokens;

  // The iteration logic's own list of calls: prefill, first and last decode.
  struct planned {
    kc::KernelCall call;
    double prefill_count = 0;
    double decode_count = 0;
    std::int64_t bytes = 0;
  };
  std::map<std::string, planned> plan;  // by description: one timing per distinct call
  auto bytes_of = [](const kc::KernelCall& call) {
    return static_cast<std::int64_t>(kc::work(call).bytes.value());
  };
  auto total_bytes = [&](const CountedCall& cc) {
    return static_cast<std::int64_t>(cc.count * static_cast<double>(bytes_of(cc.call)));
  };
  {
    // Enumerating needs no costs: any model will do until the measured table exists.
    class unused final : public kc::KernelCostModel {
     public:
      sim::Seconds duration(const kc::KernelCall&, const kc::Device&, double) const override {
        return sim::Seconds(0.0);
      }
    };
    const KernelIterationCost enumerate(llm, gpu, precision, 1, std::make_shared<unused>(),
                                        no_overhead);
    for (const CountedCall& cc : enumerate.calls(prefill_batch(prompt))) {
      auto& p = plan.try_emplace(km::describe(cc.call), planned{cc.call}).first->second;
      p.prefill_count += cc.count;
      r.prefill_working_set += total_bytes(cc);
    }
    for (std::int64_t context : {first_context, last_context}) {
      // Calls other than attention are the same in both decode iterations: count one of them.
      std::map<std::string, double> counts;
      std::int64_t working_set = 0;
      for (const CountedCall& cc : enumerate.calls(decode_batch(context))) {
        const std::string name = km::describe(cc.call);
        plan.try_emplace(name, planned{cc.call});
        counts[name] += cc.count;
        working_set += total_bytes(cc);
      }
      for (const auto& [name, count] : counts) plan.at(name).decode_count = count;
      r.decode_working_set = std::max(r.decode_working_set, working_set);
    }
    for (auto& [name, p] : plan) p.bytes = bytes_of(p.call);
  }

  // Operands per call: a model has one weight matrix (and one KV cache) per layer, each in its
  // own allocation. A call the iteration runs n times gets n instances of its operands; an
  // elementwise call reads activations, which the model reuses: one instance, run n times.
  if (progress) progress(0, options.rounds + 1, "building the calls and the model");
  struct timed_call {
    std::vector<std::function<void()>> instances;
    double sum = 0.0;  // seconds over the timed runs of this round
    int runs = 0;
  };
  std::vector<timed_call> calls;
  std::vector<const planned*> planned_of;
  km::weight_pool weights;  // layer l's GEMMs share W between prefill and decode, as the model
  for (const auto& [name, p] : plan) {
    const bool per_layer = std::holds_alternative<kc::Gemm>(p.call) ||
                           std::holds_alternative<kc::AttentionPrefill>(p.call) ||
                           std::holds_alternative<kc::AttentionDecode>(p.call);
    const int instances =
        per_layer ? std::max(1, static_cast<int>(std::max(p.prefill_count, p.decode_count))) : 1;
    timed_call& t = calls.emplace_back();
    for (int layer = 0; layer < instances; ++layer) {
      t.instances.push_back(
          km::cpu_kernel_call(p.call, c.seed + static_cast<std::uint64_t>(layer), &weights));
    }
    planned_of.push_back(&p);
  }
  // One pass of an iteration: layer by layer, every call whose count exceeds the layer index
  // runs once (instance = layer), so each operand is reused once per pass, with the rest of the
  // iteration's traffic in between — the reuse distance it has inside the model.
  enum class phase { prefill, decode_first, decode_last };
  auto runs_in = [&](std::size_t i, phase ph) -> double {
    const planned& p = *planned_of[i];
    if (ph == phase::prefill) return p.prefill_count;
    if (const auto* d = std::get_if<kc::AttentionDecode>(&p.call)) {
      const std::int64_t kv = d->kv_lens.empty() ? 0 : d->kv_lens.front();
      return kv == (ph == phase::decode_first ? first_context : last_context) ? p.decode_count
                                                                              : 0.0;
    }
    return p.decode_count;
  };
  auto pass = [&](phase ph, bool timed) {
    int layers = 0;
    for (std::size_t i = 0; i < calls.size(); ++i)
      layers = std::max(layers, static_cast<int>(std::ceil(runs_in(i, ph))));
    for (int l = 0; l < layers; ++l) {
      for (std::size_t i = 0; i < calls.size(); ++i) {
        if (runs_in(i, ph) <= l) continue;
        timed_call& t = calls[i];
        const auto& call = t.instances[static_cast<std::size_t>(l) % t.instances.size()];
        const auto t0 = std::chrono::steady_clock::now();
        call();
        if (timed) {
          t.sum += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          ++t.runs;
        }
      }
    }
  };
  km::reference_runner model(options);
  std::vector<std::vector<double>> call_seconds(calls.size());
  std::vector<double> prefill_seconds;
  std::vector<double> decode_rates;
  for (int round = 0; round < options.rounds; ++round) {
    if (progress) progress(round + 1, options.rounds + 1, "round " + std::to_string(round + 1));
    for (auto& t : calls) t = timed_call{std::move(t.instances)};
    // As the model runs them: one untimed prefill, the timed prefill, then as many decode
    // iterations as the model decodes, the first half at the first context and the second at
    // the last, each half timed over its second half. A cache fills over several passes
    // (Sapphire Rapids' non-inclusive L3 took 3-5 passes over a 30 MB decode step to reach
    // its steady rate), so one untimed pass is not the steady state a decode loop runs in.
    pass(phase::prefill, false);
    pass(phase::prefill, true);
    const int half = std::max(1, options.decode_tokens / 2);
    for (phase ph : {phase::decode_first, phase::decode_last}) {
      for (int step = 0; step < half; ++step) pass(ph, step >= half / 2);
    }
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].runs > 0) call_seconds[i].push_back(calls[i].sum / calls[i].runs);
    }
    const km::reference_run run = model.run();
    prefill_seconds.push_back(run.prefill.value());
    decode_rates.push_back(run.decode_tokens_per_s);
  }
  if (progress) progress(options.rounds + 1, options.rounds + 1, "done");

  std::vector<kc::MeasuredPoint> points;
  std::size_t i = 0;
  for (const auto& [name, p] : plan) {
    const sim::Seconds t(km::median_of(call_seconds[i]));
    r.calls.push_back({name, p.prefill_count, p.decode_count, p.bytes,
                       static_cast<int>(calls[i].instances.size()), t});
    points.push_back({host_device, p.call, t});
    ++i;
  }
  r.actual_prefill = sim::Seconds(km::median_of(prefill_seconds));
  r.actual_decode_tokens_per_s = km::median_of(decode_rates);

  const KernelIterationCost cost(llm, gpu, precision, 1,
                                 std::make_shared<kc::MeasuredTable>(points), no_overhead);
  r.predicted_prefill = cost.cost(prefill_batch(prompt), 1.0).time;
  double decode_seconds = 0.0;
  for (std::int64_t context = first_context; context <= last_context; ++context)
    decode_seconds += cost.cost(decode_batch(context), 1.0).time.value();
  r.predicted_decode_tokens_per_s = static_cast<double>(options.decode_tokens) / decode_seconds;

  r.prefill_error_pct =
      100.0 * (r.predicted_prefill.value() - r.actual_prefill.value()) / r.actual_prefill.value();
  r.decode_error_pct = 100.0 * (r.predicted_decode_tokens_per_s - r.actual_decode_tokens_per_s) /
                       r.actual_decode_tokens_per_s;
  r.max_abs_pct_error = std::max(std::abs(r.prefill_error_pct), std::abs(r.decode_error_pct));
  return r;
}

void print_host_selfcheck(std::ostream& out, const km::selfcheck_options& o,
                          const SelfcheckResult& r) {
  const kernels::transformer_config& c = o.model;
  out << fmt::format(
      "reference transformer (gqa): {} layers, d_model {}, {} heads ({} kv) of {}, SwiGLU {}, "
      "vocab {}; {} thread(s)\n",
      c.n_layers, c.d_model, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_dim, c.vocab_size,
      o.threads);
  const auto mib = [](std::int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
  out << fmt::format(
      "host: {} ({}); caches reported L1d {:.0f} KiB, L2 {:.0f} MiB, LLC {:.0f} "
      "MiB\n",
      r.host.cpu_model, r.host.microarchitecture, mib(r.host.l1d_bytes) * 1024,
      mib(r.host.l2_bytes), mib(r.host.llc_bytes));
  out << fmt::format(
      "host: effective LLC {:.0f} MiB (read sweep, 1 thread: cache {:.1f} GB/s, memory {:.1f} "
      "GB/s), core clock {:.2f} GHz, FMA peak {:.1f} GFLOP/s ({:.0f} FLOP/cycle/core), STREAM "
      "triad {:.1f} GB/s\n",
      mib(r.caches.effective_llc_bytes), r.caches.cache_bw / 1e9, r.caches.memory_bw / 1e9,
      r.core_clock_hz / 1e9, r.host_peak.value() / 1e9,
      r.core_clock_hz > 0 ? r.host_peak.value() / (r.core_clock_hz * o.threads) : 0.0,
      r.host_bandwidth.value() / 1e9);
  const std::int64_t llc =
      r.caches.effective_llc_bytes > 0 ? r.caches.effective_llc_bytes : r.host.llc_bytes;
  const auto fits = [&](std::int64_t ws) {
    return ws <= llc / 2 ? "fits: warm" : ws >= 2 * llc ? "does not fit: cold" : "partly fits";
  };
  out << fmt::format(
      "iteration working sets: prefill {:.1f} MiB, decode {:.1f} MiB against the effective LLC "
      "({}, {}); each call is timed inside a replay of its iteration, one operand set per "
      "layer\n",
      mib(r.prefill_working_set), mib(r.decode_working_set), fits(r.prefill_working_set),
      fits(r.decode_working_set));
  out << fmt::format(
      "calls the serving model's iteration logic enumerates (kernel_iteration_cost), each run "
      "alone on this CPU (median over rounds); prefill of {} tokens, decode at contexts "
      "{}..{}:\n",
      o.prompt_tokens, o.prompt_tokens + 1, o.prompt_tokens + o.decode_tokens);
  out << fmt::format("  {:<58} {:>8} {:>7} {:>9} {:>5} {:>11} {:>11}\n", "call", "prefill",
                     "decode", "MiB/call", "inst", "ms/call", "prefill_ms");
  for (const SelfcheckCall& k : r.calls) {
    out << fmt::format("  {:<58} {:>8g} {:>7g} {:>9.1f} {:>5} {:>11.4f} {:>11.3f}\n", k.call,
                       k.prefill_count, k.decode_count, mib(k.bytes), k.instances,
                       k.time.value() * 1e3, k.prefill_count * k.time.value() * 1e3);
  }
  out << '\n';
  out << fmt::format("prefill: predicted {:.2f} ms, actual {:.2f} ms, error {:+.1f} %\n",
                     r.predicted_prefill.value() * 1e3, r.actual_prefill.value() * 1e3,
                     r.prefill_error_pct);
  out << fmt::format(
      "decode:  predicted {:.1f} tokens/s, actual {:.1f} tokens/s, error {:+.1f} %\n",
      r.predicted_decode_tokens_per_s, r.actual_decode_tokens_per_s, r.decode_error_pct);
  out << fmt::format("selfcheck_max_abs_pct_error={:.1f}\n", r.max_abs_pct_error);
}

}  // namespace models
