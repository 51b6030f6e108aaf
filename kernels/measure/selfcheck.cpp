#include "kernels/measure/selfcheck.hpp"

#include <chrono>
#include <stdexcept>

namespace kernels::measure {
namespace {

double seconds_of(const auto& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

selfcheck_options default_selfcheck_options(bool quick) {
  selfcheck_options o;
  transformer_config& c = o.model;
  // The same model in both modes (~215 MB of weights read per decode step). Its size against
  // the LLC no longer matters to the method (each call is timed after its reuse distance of
  // other traffic, host_selfcheck.hpp), but a model several times the LLC is the case served
  // models are in. --quick shortens the prompt and the repeats instead.
  c.attention = attention_kind::gqa;
  c.n_layers = 4;
  c.d_model = 1024;
  c.n_heads = 16;
  c.n_kv_heads = 4;
  c.head_dim = 64;
  c.ffn_dim = 2816;  // ≈ 8/3·d_model rounded to 64, the Llama SwiGLU ratio
  c.vocab_size = 8192;
  c.max_seq_len = 512;
  c.seed = 7;
  o.prompt_tokens = quick ? 64 : 256;
  o.decode_tokens = 32;
  o.rounds = quick ? 5 : 9;
  if (quick) {
    o.sweep.max_bytes = std::int64_t{1} << 30;
    o.sweep.seconds_per_point = 0.01;
  }
  return o;
}

void check_selfcheck_options(const selfcheck_options& options) {
  const transformer_config& c = options.model;
  c.validate();
  if (c.attention != attention_kind::gqa) {
    throw std::invalid_argument(
        "kernels selfcheck: only the gqa variant of the reference transformer is supported");
  }
  if (options.prompt_tokens < 1 || options.decode_tokens < 1 || options.threads < 1 ||
      options.rounds < 1) {
    throw std::invalid_argument(
        "kernels selfcheck: prompt, decode tokens, threads and rounds must be >= 1");
  }
  if (options.prompt_tokens + options.decode_tokens > c.max_seq_len) {
    throw std::invalid_argument("kernels selfcheck: prompt + decode tokens exceed max_seq_len");
  }
}

reference_runner::reference_runner(const selfcheck_options& options)
    : options_((check_selfcheck_options(options), options)), model_(options.model) {
  const transformer_config& c = options_.model;
  prompt_.resize(static_cast<std::size_t>(options_.prompt_tokens));
  for (std::size_t i = 0; i < prompt_.size(); ++i) {
    prompt_[i] = static_cast<token_id>((i * 7919 + 13) % static_cast<std::size_t>(c.vocab_size));
  }
  (void)model_.prefill(prompt_);
}

reference_run reference_runner::run() {
  // One untimed prefill first: in a serving loop the weights were used one iteration earlier.
  model_.reset();
  (void)model_.prefill(prompt_);
  model_.reset();
  const double prefill = seconds_of([&] { (void)model_.prefill(prompt_); });
  const int vocab = options_.model.vocab_size;
  const double decode = seconds_of([&] {
    for (int i = 0; i < options_.decode_tokens; ++i) {
      (void)model_.decode_step(static_cast<token_id>((i * 31 + 7) % vocab));
    }
  });
  return {sim::Seconds(prefill), options_.decode_tokens / decode};
}

}  // namespace kernels::measure
