#pragma once
// The measuring half of `firstwall kernels selfcheck`: the reference transformer
// (kernels/reference_transformer.hpp, GQA variant) run for real on this host — the prefill
// time of a prompt and the decode rate of the tokens that follow. The predicting half,
// models/workload/host_selfcheck.hpp, costs the same model through the serving model's
// iteration logic with kernel times measured on this host, and compares the two.
//
// A run starts in the state a serving loop leaves its model in: the caller reads the model's
// own per-iteration traffic of other data first (cache_flusher), so what of the weights is
// still cached is what a cache of this host's effective size keeps over that reuse distance —
// nothing when the model is several times the effective LLC, all of it when it fits.

#include <cstdint>
#include <vector>

#include "kernels/measure/host_probe.hpp"
#include "kernels/measure/timing.hpp"
#include "kernels/reference_transformer.hpp"
#include "sim/units.hpp"

namespace kernels::measure {

struct selfcheck_options {
  transformer_config model;
  int prompt_tokens = 256;
  int decode_tokens = 32;
  int threads = 1;
  // Rounds of measurement: each times every kernel call once and runs the model once; the
  // median over rounds is taken on both sides.
  int rounds = 9;
  // The read sweep that finds the effective LLC (host_probe.hpp); --quick stops at 1 GiB.
  cache_sweep_options sweep;
};

// The default model: 4 layers of d_model 1024 (16 query heads, 4 kv heads of 64, SwiGLU 2816,
// vocabulary 8192; ~215 MB of FP32 weights), a 256-token prompt (~0.3 s of prefill on one
// Zen 4 core) and 32 decode steps (~11 ms each). `quick`: a 64-token prompt and 5 rounds, same
// model and the same 32 decode steps (fewer left the decode figure at the mercy of one burst
// of load).
selfcheck_options default_selfcheck_options(bool quick);

// Throws std::invalid_argument for a non-GQA model, fewer than 1 prompt / decode token, a
// thread count or round count < 1, or a prompt + decode longer than max_seq_len.
void check_selfcheck_options(const selfcheck_options& options);

struct reference_run {
  sim::Seconds prefill{0.0};       // of the prompt
  double decode_tokens_per_s = 0;  // over decode_tokens steps after it
};

// The reference transformer built once and run on demand, so that a caller can interleave its
// runs with other measurements (the host selfcheck alternates them with the kernel calls that
// predict it: slow periods of a shared machine then hit both sides alike).
class reference_runner {
 public:
  // Throws std::invalid_argument for options check_selfcheck_options refuses. Runs one
  // untimed prefill (page faults of the caches' and activations' first use).
  explicit reference_runner(const selfcheck_options& options);
  // One run: `flush_bytes` of the flusher read (the model's own iteration traffic, so the
  // weights are as cached as in a serving loop), then the prompt's prefill, then the decode
  // steps right after it, as a server runs them. Runs on the calling thread's OpenMP thread
  // count.
  reference_run run();

 private:
  selfcheck_options options_;
  reference_transformer model_;
  std::vector<token_id> prompt_;
};

}  // namespace kernels::measure
