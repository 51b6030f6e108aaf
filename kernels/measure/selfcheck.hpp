#pragma once
// `firstwall kernels selfcheck`: does "time of a model = sum of its measured kernel calls"
// hold on this host? The reference transformer (kernels/reference_transformer.hpp, GQA
// variant) is taken apart into the calls one forward pass makes — embedding, per layer 2
// RMSNorms, the Q/K/V/O projections, RoPE on Q and K, the KV-cache append, attention, two
// residual adds and the SwiGLU FFN, then the final RMSNorm and the LM head of the last token —
// each call is timed alone at its shape, and Σ calls × count predicts
//  - the prefill time of a prompt, and
//  - the decode rate (tokens/s) of the following tokens, with decode attention timed at the
//    mean context of those steps (its cost is linear in the context, so the mean is exact).
// Then the model runs for real and the two are compared.
//
// Calls are timed with cold caches (cache_flusher before each): the model's weights
// (~180 MB in the default configuration) are many times the last-level cache, so in the real
// forward pass every layer reads its weights from memory. Timing the same call hot would
// predict a decode step up to several times too fast on a model that fits in cache, and that
// is not the situation of a served model.

#include <ostream>
#include <string>
#include <vector>

#include "kernels/measure/measure_run.hpp"
#include "kernels/measure/timing.hpp"
#include "kernels/reference_transformer.hpp"

namespace kernels::measure {

struct selfcheck_options {
  transformer_config model;
  int prompt_tokens = 256;
  int decode_tokens = 32;
  int threads = 1;
  int model_repeats = 7;  // prefills and decode runs of the real model (fastest taken)
  timing_options timing;  // per kernel call (the flusher is set by run_selfcheck)
};

// The default model: 4 layers of d_model 1024 (16 query heads, 4 kv heads of 64, SwiGLU 2816,
// vocabulary 8192; ~180 MB of FP32 weights), a 256-token prompt — ~0.4 s of prefill on one
// Zen 4 core, stable to a few percent — and 32 decode steps (~11 ms each). `quick`: a 64-token
// prompt and shorter time boxes per call, same model (it must stay much larger than the LLC,
// see the .cpp) and same 32 decode steps (fewer left the decode figure at the mercy of one
// burst of load).
selfcheck_options default_selfcheck_options(bool quick);

struct call_cost {
  std::string name;
  std::string shape;
  int per_forward = 0;  // calls in one forward pass (layers × calls per layer)
  timing_result timing;
  // The fastest repeat: see "Minimum, not median" in selfcheck.cpp.
  sim::Seconds total() const { return timing.min * static_cast<double>(per_forward); }
};

struct selfcheck_result {
  std::vector<call_cost> prefill_calls;
  std::vector<call_cost> decode_calls;
  double mean_decode_context = 0.0;
  sim::Seconds predicted_prefill{0.0};
  sim::Seconds actual_prefill{0.0};
  double predicted_decode_tokens_per_s = 0.0;
  double actual_decode_tokens_per_s = 0.0;
  double prefill_error_pct = 0.0;  // (predicted − actual) / actual
  double decode_error_pct = 0.0;
  double max_abs_pct_error = 0.0;
};

// Throws std::invalid_argument for a non-GQA model, fewer than 1 prompt / decode token, a
// thread count < 1, or a prompt + decode longer than max_seq_len.
selfcheck_result run_selfcheck(const selfcheck_options& options, const progress_fn& progress);

// The per-call tables, the two comparisons, and last `selfcheck_max_abs_pct_error=X`.
void print_selfcheck(std::ostream& out, const selfcheck_options& options,
                     const selfcheck_result& result);

}  // namespace kernels::measure
