// `firstwall kernels selfcheck`: the serving model's iteration logic, fed with kernel times
// measured on this host, against the reference transformer run for real on this host. It
// tests the step every GPU prediction of firstwall rests on — "an iteration costs the sum of
// the kernels it runs" — where both sides can be measured.
//
//  1. The reference transformer's configuration becomes an LlmSpec (llm_of) served by one
//     device, this host: tensor parallelism 1, no host overhead per iteration, the cache
//     storage of the configuration, FP32 otherwise.
//  2. KernelIterationCost (kernel_iteration_cost.hpp) enumerates the calls of the prefill
//     iteration (the whole prompt as one chunk) and of the first and last decode iterations.
//     Each distinct call runs alone on this CPU (kernels/measure/call_runner.hpp) from cold
//     caches.
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
  sim::Seconds time{0.0};    // one run from cold caches, median over the rounds
};

struct SelfcheckResult {
  sim::FlopsPerSecond host_peak{0.0};       // FMA loop, the selfcheck's thread count
  sim::BytesPerSecond host_bandwidth{0.0};  // STREAM triad, same threads
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
