// `firstwall kernels selfcheck`: the serving model's iteration logic, fed with kernel times
// measured on this host, against the reference transformer run for real on this host. It
// tests the step every GPU prediction of firstwall rests on — "an iteration costs the sum of
// the kernels it runs" — where both sides can be measured.
//
//  1. The reference transformer's configuration becomes an LlmSpec (llm_of) served by one
//     device, this host: tensor parallelism 1, no host overhead per iteration, the cache
//     storage of the configuration, FP32 otherwise. The host probe gives its caches (reported
//     and effective: a read-bandwidth sweep), its core clock, FMA peak and STREAM triad.
//  2. KernelIterationCost (kernel_iteration_cost.hpp) enumerates the calls of the prefill
//     iteration (the whole prompt as one chunk) and of the first and last decode iterations.
//     Each distinct call runs alone on this CPU (kernels/measure/call_runner.hpp) in the cache
//     state the model's own run leaves its operands in. Inside the model a call's operands
//     were last touched one iteration earlier, with the rest of the iteration's traffic in
//     between, and each layer has its own weights. So every call gets one operand set per
//     layer that runs it, and the harness replays the iteration as the model does: layer by
//     layer, every call of that layer once, timing each call inside the replay (one untimed
//     replay first). What of the weights a cache of this host keeps over that reuse distance
//     is then what the model finds — all of a model that fits the effective LLC, nothing of
//     one several times larger, the host's own mix in between — measured, not assumed. A
//     fixed cold-cache flush before every call (the method before) over-predicted decode by
//     76 % on a guest whose 8× "LLC" flush (3.84 GB) also evicted the page-table walks.
//  3. Measurement goes in rounds: each round times every call once, then runs the reference
//     transformer once (kernels/measure/selfcheck.hpp: prefill, then the decode steps). Medians
//     over rounds on both sides; the calls' medians become a MeasuredTable for the device
//     "host". Interleaving matters on a shared machine whose memory bandwidth drifts: with all
//     repeats of each call taken back to back, the fastest repeats summed to a decode step
//     17-43 % faster than the real one, and medians still swung by 10-15 % between runs.
//  4. KernelIterationCost with that table costs the prefill iteration and every decode
//     iteration (decode attention between the first and last contexts is interpolated along
//     the cached tokens, as the table does for any device); the errors of the prefill time and
//     of the decode rate against the real runs are reported.
// The reference transformer runs the operator split the iteration logic counts (fused QKV and
// gate/up GEMMs, one RoPE call); it normalizes only the last row before the LM head where the
// iteration counts every row (vLLM's order), a difference below 0.1 % of a prefill here.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "kernels/measure/measure_run.hpp"
#include "kernels/measure/selfcheck.hpp"
#include "models/workload/llm_spec.hpp"
#include "sim/units.hpp"

namespace models {

// The LlmSpec of a GQA reference transformer (SwiGLU, RoPE, RMSNorm, untied LM head).
LlmSpec llm_of(const kernels::transformer_config& config);

struct SelfcheckCall {
  std::string call;          // kernels::measure::describe
  double prefill_count = 0;  // runs in the prefill iteration
  double decode_count = 0;   // runs in the first (or last) decode iteration
  std::int64_t bytes = 0;    // compulsory bytes of one run (kernels/cost work())
  int instances = 1;         // operand sets timed per round (one per layer for weights)
  sim::Seconds time{0.0};    // one run: mean over the instances, median over the rounds
};

struct SelfcheckResult {
  kernels::measure::host_info host;      // caches as reported
  kernels::measure::cache_sweep caches;  // the read sweep: effective LLC
  double core_clock_hz = 0.0;
  sim::FlopsPerSecond host_peak{0.0};       // FMA loop, the selfcheck's thread count
  sim::BytesPerSecond host_bandwidth{0.0};  // STREAM triad, same threads
  std::int64_t prefill_working_set = 0;     // compulsory bytes of the prefill iteration
  std::int64_t decode_working_set = 0;      // of a decode iteration (the larger of the two)
  std::vector<SelfcheckCall> calls;
  sim::Seconds predicted_prefill{0.0};
  sim::Seconds actual_prefill{0.0};
  double predicted_decode_tokens_per_s = 0.0;
  double actual_decode_tokens_per_s = 0.0;
  double prefill_error_pct = 0.0;  // (predicted − actual) / actual
  double decode_error_pct = 0.0;
  double max_abs_pct_error = 0.0;
};

// Throws std::invalid_argument for options kernels::measure::check_selfcheck_options refuses.
SelfcheckResult run_host_selfcheck(const kernels::measure::selfcheck_options& options,
                                   const kernels::measure::progress_fn& progress);

// The measured calls, the two comparisons, and last `selfcheck_max_abs_pct_error=X`.
void print_host_selfcheck(std::ostream& out, const kernels::measure::selfcheck_options& options,
                          const SelfcheckResult& result);

}  // namespace models
