#include "models/workload/host_selfcheck.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>

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
  const km::host_info host = km::probe_host();
  const std::int64_t llc = host.llc_bytes > 0 ? host.llc_bytes : std::int64_t{32} << 20;
  const km::cache_flusher flusher(8 * llc);  // see timing.hpp for why 8x

  SelfcheckResult r;
  if (progress) progress(0, 1, "measuring this host's FMA peak and STREAM bandwidth");
  r.host_peak = km::measure_fma_peak(options.threads, std::int64_t{1} << 22, 3);
  // STREAM's rule: each of the three arrays at least 4x the last-level cache.
  r.host_bandwidth = km::measure_stream_triad(options.threads, 4 * llc / 8 + 1, 3);

  const LlmSpec llm = llm_of(c);
  const GpuSpec gpu = host_spec(host, r.host_peak, r.host_bandwidth);
  const Precision precision{DType::fp32, dtype_of(c.kv_cache_storage), DType::fp32, DType::fp32};
  const sim::Seconds no_overhead{0.0};
  const std::int64_t prompt = options.prompt_tokens;
  // Decode step i (0-based) attends to prompt + i + 1 tokens.
  const std::int64_t first_context = prompt + 1;
  const std::int64_t last_context = prompt + options.decode_tokens;

  // The iteration logic's own list of calls: prefill, first and last decode.
  struct planned {
    kc::KernelCall call;
    double prefill_count = 0;
    double decode_count = 0;
  };
  std::map<std::string, planned> plan;  // by description: one timing per distinct call
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
    }
    for (std::int64_t context : {first_context, last_context}) {
      // Calls other than attention are the same in both decode iterations: count one of them.
      std::map<std::string, double> counts;
      for (const CountedCall& cc : enumerate.calls(decode_batch(context))) {
        const std::string name = km::describe(cc.call);
        plan.try_emplace(name, planned{cc.call});
        counts[name] += cc.count;
      }
      for (const auto& [name, count] : counts) plan.at(name).decode_count = count;
    }
  }

  // Rounds: every call once from cold caches, then the model once. Interleaving puts the slow
  // periods of a shared machine (another tenant's memory traffic) on both sides alike; timing
  // all repeats of one call, then of the next, then the model, left 10-15 % swings in either
  // direction between runs of the command.
  if (progress) progress(0, options.rounds + 1, "building the calls and the model");
  std::vector<std::function<void()>> calls;
  for (const auto& [name, p] : plan) calls.push_back(km::cpu_kernel_call(p.call, c.seed));
  km::reference_runner model(options);
  for (const auto& call : calls) call();  // untimed: first-touch page faults of the operands
  std::vector<std::vector<double>> call_seconds(calls.size());
  std::vector<double> prefill_seconds;
  std::vector<double> decode_rates;
  for (int round = 0; round < options.rounds; ++round) {
    if (progress) progress(round + 1, options.rounds + 1, "round " + std::to_string(round + 1));
    for (std::size_t i = 0; i < calls.size(); ++i) {
      flusher.flush();
      const auto t0 = std::chrono::steady_clock::now();
      calls[i]();
      call_seconds[i].push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    const km::reference_run run = model.run(flusher);
    prefill_seconds.push_back(run.prefill.value());
    decode_rates.push_back(run.decode_tokens_per_s);
  }
  if (progress) progress(options.rounds + 1, options.rounds + 1, "done");

  std::vector<kc::MeasuredPoint> points;
  std::size_t i = 0;
  for (const auto& [name, p] : plan) {
    const sim::Seconds t(km::median_of(call_seconds[i++]));
    r.calls.push_back({name, p.prefill_count, p.decode_count, t});
    points.push_back({host_device, p.call, t});
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
  out << fmt::format("host: FMA peak {:.1f} GFLOP/s, STREAM triad {:.1f} GB/s\n",
                     r.host_peak.value() / 1e9, r.host_bandwidth.value() / 1e9);
  out << fmt::format(
      "calls the serving model's iteration logic enumerates (kernel_iteration_cost), each run "
      "alone on this CPU with cold caches (median over rounds); prefill of {} tokens, decode at "
      "contexts {}..{}:\n",
      o.prompt_tokens, o.prompt_tokens + 1, o.prompt_tokens + o.decode_tokens);
  out << fmt::format("  {:<58} {:>8} {:>7} {:>11} {:>11}\n", "call", "prefill", "decode", "ms/call",
                     "prefill_ms");
  for (const SelfcheckCall& k : r.calls) {
    out << fmt::format("  {:<58} {:>8g} {:>7g} {:>11.4f} {:>11.3f}\n", k.call, k.prefill_count,
                       k.decode_count, k.time.value() * 1e3,
                       k.prefill_count * k.time.value() * 1e3);
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
