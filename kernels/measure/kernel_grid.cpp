#include "kernels/measure/kernel_grid.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <set>
#include <utility>

#include "kernels/attention.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/embedding.hpp"
#include "kernels/ffn.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_bf16.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/lm_head.hpp"
#include "kernels/measure/inputs.hpp"
#include "kernels/mla.hpp"
#include "kernels/moe.hpp"
#include "kernels/norm.hpp"
#include "kernels/positional_encoding.hpp"
#include "kernels/rope.hpp"
#include "kernels/softmax.hpp"

namespace kernels::measure {
namespace {

constexpr std::int64_t fp32_bytes = 4;

// Weight scale of a layer with fan-in `in`: uniform ±sqrt(3/in) has variance 1/in (LeCun
// init, as reference_transformer.cpp), so activations stay O(1) through repeated calls and
// no denormal or infinite value ever slows a kernel down.
float fan_in_scale(std::int64_t in) {
  return std::sqrt(3.0f / static_cast<float>(in));
}

template <class T>
T max_of(const std::vector<T>& v) {
  return *std::max_element(v.begin(), v.end());
}

// Token ids spread over the whole table (a stride coprime to any vocabulary size that is not
// a multiple of 7919), so a gather touches rows all over memory as real text does.
std::shared_ptr<const std::vector<token_id>> spread_tokens(std::int64_t n, std::int64_t vocab) {
  auto ids = std::make_shared<std::vector<token_id>>(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    (*ids)[static_cast<std::size_t>(i)] = static_cast<token_id>((i * 7919 + 13) % vocab);
  }
  return ids;
}

std::shared_ptr<const std::vector<std::int32_t>> positions(std::int64_t n) {
  auto p = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(n));
  std::iota(p->begin(), p->end(), 0);
  return p;
}

const char* storage_name(kv_storage s) {
  switch (s) {
    case kv_storage::fp32:
      return "fp32";
    case kv_storage::bf16:
      return "bf16";
    case kv_storage::fp8_e4m3:
      return "fp8_e4m3";
  }
  return "?";
}

swiglu_ffn_weights swiglu_weights(std::int64_t d, std::int64_t f, std::uint64_t seed,
                                  const std::string& name) {
  return swiglu_ffn_weights{hashed_operand(f, d, seed, name + ".w_gate", fan_in_scale(d)),
                            hashed_operand(f, d, seed, name + ".w_up", fan_in_scale(d)),
                            hashed_operand(d, f, seed, name + ".w_down", fan_in_scale(f))};
}

mla_config deepseek_v3_mla(int heads) {
  // DeepSeek-V3 config.json: hidden 7168, q_lora_rank 1536, kv_lora_rank 512,
  // qk_nope_head_dim 128, qk_rope_head_dim 64, v_head_dim 128 (128 heads; fewer per GPU
  // under tensor parallelism, hence the head counts of the grid).
  return mla_config{7168, heads, 1536, 512, 128, 64, 128, 10000.0, 1e-6f};
}

class grid_builder {
 public:
  explicit grid_builder(const grid_options& options) : seed_(options.seed) {}

  std::vector<case_group> take() { return std::move(groups_); }

  void vocab(std::int64_t vocab, std::int64_t d, const std::vector<std::int64_t>& embed_tokens,
             const std::vector<std::int64_t>& head_tokens) {
    case_group g;
    for (auto t : embed_tokens) {
      g.cases.push_back(
          {"embedding", "gather", "fp32", {.tokens = t, .d_model = d, .vocab = vocab}});
    }
    for (auto t : head_tokens) {
      g.cases.push_back({"lm_head",
                         "gemm",
                         "fp32",
                         {.tokens = t, .m = t, .n = vocab, .k = d, .d_model = d, .vocab = vocab}});
    }
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      // One table serves both kernels, as in a model with tied embeddings (GPT-2).
      auto table =
          std::make_shared<const Mat>(hashed_operand(vocab, d, seed, "measure.vocab", 0.05f));
      auto h =
          std::make_shared<const Mat>(hashed_operand(max_of(head_tokens), d, seed, "measure.h"));
      std::vector<prepared_case> out;
      out.reserve(embed_tokens.size() + head_tokens.size());
      for (auto t : embed_tokens) {
        auto ids = spread_tokens(t, vocab);
        out.push_back({[table, ids] { (void)embedding_lookup(*table, *ids); },
                       embedding_work(t, d, fp32_bytes),
                       {.tokens = t, .d_model = d, .vocab = vocab}});
      }
      for (auto t : head_tokens) {
        out.push_back({[table, h, t] { (void)lm_head(h->topRows(t), *table); },
                       lm_head_work(t, d, vocab, fp32_bytes),
                       {.tokens = t, .m = t, .n = vocab, .k = d, .d_model = d, .vocab = vocab}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  void sinusoidal(std::int64_t d, const std::vector<std::int64_t>& tokens) {
    case_group g;
    for (auto t : tokens) {
      g.cases.push_back({"positional_encoding", "sinusoidal", "fp32", {.tokens = t, .d_model = d}});
    }
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto x = std::make_shared<Mat>(hashed_operand(max_of(tokens), d, seed, "measure.x"));
      std::vector<prepared_case> out;
      out.reserve(tokens.size());
      for (auto t : tokens) {
        out.push_back({[x, t] {
                         auto rows = x->topRows(t);
                         add_sinusoidal_positions(rows, 0);
                       },
                       positional_encoding_work(t, d, fp32_bytes),
                       {.tokens = t, .d_model = d}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // RoPE on `heads` heads of head_dim columns, rotating rope_dim of them from `offset`.
  void rope(int heads, int head_dim, int offset, int rope_dim,
            const std::vector<std::int64_t>& tokens) {
    case_group g;
    const kernel_shape base{.heads = heads, .head_dim_qk = head_dim, .rope_dim = rope_dim};
    for (auto t : tokens) {
      kernel_shape s = base;
      s.tokens = t;
      g.cases.push_back({"rope", "interleaved", "fp32", s});
    }
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto x = std::make_shared<Mat>(
          hashed_operand(max_of(tokens), std::int64_t{heads} * head_dim, seed, "measure.q"));
      const rope_spec spec{heads, head_dim, offset, rope_dim, 10000.0};
      std::vector<prepared_case> out;
      out.reserve(tokens.size());
      for (auto t : tokens) {
        auto pos = positions(t);
        kernel_shape s = base;
        s.tokens = t;
        // A rotation keeps norms, so repeated calls on the same rows stay bounded.
        out.push_back({[x, t, pos, spec] {
                         auto rows = x->topRows(t);
                         apply_rope(rows, *pos, spec);
                       },
                       rope_work(t, heads, rope_dim, fp32_bytes), s});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  void norms(std::int64_t d, const std::vector<std::int64_t>& tokens) {
    case_group g;
    for (auto t : tokens)
      g.cases.push_back({"rms_norm", "rowwise", "fp32", {.tokens = t, .d_model = d}});
    for (auto t : tokens)
      g.cases.push_back({"layer_norm", "two_pass", "fp32", {.tokens = t, .d_model = d}});
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto x = std::make_shared<const Mat>(hashed_operand(max_of(tokens), d, seed, "measure.x"));
      auto gamma = std::make_shared<const Vec>(
          hashed_operand(d, 1, seed, "measure.gamma", 0.1f).array() + 1.0f);
      auto beta = std::make_shared<const Vec>(hashed_operand(d, 1, seed, "measure.beta", 0.1f));
      std::vector<prepared_case> out;
      out.reserve(2 * tokens.size());
      for (auto t : tokens) {
        out.push_back({[x, gamma, t] { (void)rms_norm(x->topRows(t), *gamma, 1e-6f); },
                       rms_norm_work(t, d, fp32_bytes),
                       {.tokens = t, .d_model = d}});
      }
      for (auto t : tokens) {
        out.push_back(
            {[x, gamma, beta, t] { (void)layer_norm(x->topRows(t), *gamma, *beta, 1e-5f); },
             layer_norm_work(t, d, fp32_bytes),
             {.tokens = t, .d_model = d}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // Softmax over rows of length `context` (attention scores: rows = heads × queries).
  void softmax(std::int64_t context, const std::vector<std::int64_t>& rows) {
    case_group g;
    for (auto r : rows)
      g.cases.push_back({"softmax", "stable", "fp32", {.tokens = r, .context = context}});
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto x = std::make_shared<Mat>(
          hashed_operand(max_of(rows), context, seed, "measure.scores", 4.0f));
      std::vector<prepared_case> out;
      out.reserve(rows.size());
      for (auto r : rows) {
        // In place: after the first call the rows are probabilities, whose softmax is as
        // expensive to compute.
        out.push_back({[x, r] {
                         auto block = x->topRows(r);
                         softmax_rows(block);
                       },
                       softmax_work(r, context, fp32_bytes),
                       {.tokens = r, .context = context}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // FP32 y[m, n] = x[m, k] · W[n, k]ᵀ for every m of `ms`, one weight matrix.
  void gemm(std::int64_t n, std::int64_t k, const std::vector<std::int64_t>& ms) {
    case_group g;
    for (auto m : ms)
      g.cases.push_back({"gemm", "eigen_tiled", "fp32", {.tokens = m, .m = m, .n = n, .k = k}});
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto w =
          std::make_shared<const Mat>(hashed_operand(n, k, seed, "measure.w", fan_in_scale(k)));
      auto x = std::make_shared<const Mat>(hashed_operand(max_of(ms), k, seed, "measure.x"));
      std::vector<prepared_case> out;
      out.reserve(ms.size());
      for (auto m : ms) {
        out.push_back({[w, x, m] { (void)linear(x->topRows(m), *w); },
                       gemm_work(m, n, k, fp32_bytes),
                       {.tokens = m, .m = m, .n = n, .k = k}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // BF16 operands, FP32 accumulation and output; every available path.
  void gemm_bf16(std::int64_t n, std::int64_t k, const std::vector<std::int64_t>& ms) {
    std::vector<std::pair<bf16_path, const char*>> paths;
    if (bf16_path_available(bf16_path::avx512_bf16))
      paths.emplace_back(bf16_path::avx512_bf16, "avx512_bf16");
    paths.emplace_back(bf16_path::fp32_convert, "fp32_convert");
    case_group g;
    for (const auto& [path, name] : paths) {
      for (auto m : ms)
        g.cases.push_back({"gemm", name, "bf16", {.tokens = m, .m = m, .n = n, .k = k}});
    }
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto w = std::make_shared<const bf16_matrix>(
          bf16_matrix::from_fp32(hashed_operand(n, k, seed, "measure.w", fan_in_scale(k))));
      auto x = std::make_shared<const Mat>(hashed_operand(max_of(ms), k, seed, "measure.x"));
      std::vector<prepared_case> out;
      out.reserve(paths.size() * ms.size());
      for (const auto& [path, name] : paths) {
        for (auto m : ms) {
          // x is FP32 and rounded to BF16 inside the call, as in a model whose activations
          // come out of FP32 kernels; the weights are stored BF16.
          out.push_back({[w, x, m, p = path] { (void)linear_bf16(x->topRows(m), *w, p); },
                         gemm_work(m, n, k, 2, 2, fp32_bytes),
                         {.tokens = m, .m = m, .n = n, .k = k}});
        }
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // Causal prefill of n tokens (flash at every n, naive at the `naive` ones) and chunked
  // prefills of (n_q, n_k) pairs.
  void prefill(int heads, int kv_heads, int head_dim, const std::vector<std::int64_t>& ns,
               const std::vector<std::int64_t>& naive,
               const std::vector<std::pair<std::int64_t, std::int64_t>>& chunks) {
    const attention_shape shape = attention_shape::gqa(heads, kv_heads, head_dim);
    auto info = [=](std::int64_t n_q, std::int64_t n_k) {
      return kernel_shape{.tokens = n_q,
                          .context = n_k,
                          .heads = heads,
                          .kv_heads = kv_heads,
                          .head_dim_qk = head_dim,
                          .head_dim_v = head_dim};
    };
    case_group g;
    for (auto n : ns) g.cases.push_back({"attention_prefill", "flash", "fp32", info(n, n)});
    for (auto n : naive) g.cases.push_back({"attention_prefill", "naive", "fp32", info(n, n)});
    for (auto [n_q, n_k] : chunks)
      g.cases.push_back({"attention_prefill", "flash", "fp32", info(n_q, n_k)});
    std::int64_t max_n = std::max(max_of(ns), naive.empty() ? 0 : max_of(naive));
    for (auto [n_q, n_k] : chunks) max_n = std::max(max_n, n_k);
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto q = std::make_shared<const Mat>(
          hashed_operand(max_n, std::int64_t{heads} * head_dim, seed, "measure.q"));
      auto k = std::make_shared<const Mat>(
          hashed_operand(max_n, std::int64_t{kv_heads} * head_dim, seed, "measure.k"));
      auto v = std::make_shared<const Mat>(
          hashed_operand(max_n, std::int64_t{kv_heads} * head_dim, seed, "measure.v"));
      std::vector<prepared_case> out;
      auto add = [&](std::int64_t n_q, std::int64_t n_k, bool flash) {
        auto run = [q, k, v, n_q, n_k, shape, flash] {
          if (flash) {
            (void)attention_prefill(q->topRows(n_q), k->topRows(n_k), v->topRows(n_k), shape);
          } else {
            (void)attention_naive(q->topRows(n_q), k->topRows(n_k), v->topRows(n_k), shape);
          }
        };
        out.push_back({run, attention_prefill_work(n_q, n_k, shape, fp32_bytes), info(n_q, n_k)});
      };
      for (auto n : ns) add(n, n, true);
      for (auto n : naive) add(n, n, false);
      for (const auto& chunk : chunks) add(chunk.first, chunk.second, true);
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // One decode step over caches of every context length, in every storage format.
  void decode(int heads, int kv_heads, int head_dim, const std::vector<std::int64_t>& contexts) {
    const attention_shape shape = attention_shape::gqa(heads, kv_heads, head_dim);
    const std::vector<kv_storage> storages{kv_storage::fp32, kv_storage::bf16,
                                           kv_storage::fp8_e4m3};
    auto info = [=](std::int64_t ctx) {
      return kernel_shape{.tokens = 1,
                          .context = ctx,
                          .heads = heads,
                          .kv_heads = kv_heads,
                          .head_dim_qk = head_dim,
                          .head_dim_v = head_dim};
    };
    case_group g;
    for (auto s : storages) {
      for (auto ctx : contexts)
        g.cases.push_back({"attention_decode", "split_k", storage_name(s), info(ctx)});
    }
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      const std::int64_t max_ctx = max_of(contexts);
      const Mat k = hashed_operand(max_ctx, std::int64_t{kv_heads} * head_dim, seed, "measure.k");
      const Mat v = hashed_operand(max_ctx, std::int64_t{kv_heads} * head_dim, seed, "measure.v");
      auto q = std::make_shared<const Mat>(
          hashed_operand(1, std::int64_t{heads} * head_dim, seed, "measure.q"));
      std::vector<prepared_case> out;
      out.reserve(storages.size() * contexts.size());
      for (auto s : storages) {
        for (auto ctx : contexts) {
          auto cache =
              std::make_shared<kv_cache>(kv_heads, head_dim, head_dim, static_cast<int>(ctx), s);
          cache->append(k.topRows(ctx), v.topRows(ctx));
          out.push_back({[q, cache, shape] { (void)attention_decode(*q, *cache, shape); },
                         attention_decode_work(ctx, shape, fp32_bytes, cache->bytes_per_token()),
                         info(ctx)});
        }
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  // MLA attention (DeepSeek-V3 dims) of n_q queries over n_k latent rows, in the forms given.
  void mla(const char* kernel, int heads,
           const std::vector<std::pair<std::int64_t, std::int64_t>>& points,
           const std::vector<mla_form>& forms) {
    const mla_config c = deepseek_v3_mla(heads);
    auto info = [=](std::int64_t n_q, std::int64_t n_k) {
      return kernel_shape{.tokens = n_q,
                          .context = n_k,
                          .heads = heads,
                          .head_dim_qk = c.qk_head_dim(),
                          .head_dim_v = c.v_head_dim,
                          .kv_lora_rank = c.kv_lora_rank,
                          .rope_dim = c.qk_rope_head_dim};
    };
    case_group g;
    for (auto form : forms) {
      for (auto [n_q, n_k] : points) {
        g.cases.push_back(
            {kernel, form == mla_form::naive ? "naive" : "absorbed", "fp32", info(n_q, n_k)});
      }
    }
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      std::int64_t max_q = 0;
      std::int64_t max_k = 0;
      for (auto [n_q, n_k] : points) {
        max_q = std::max(max_q, n_q);
        max_k = std::max(max_k, n_k);
      }
      // mla_attention reads only W_UK and W_UV (and the cache); the projections are GEMMs
      // measured on their own.
      auto w = std::make_shared<mla_weights>();
      w->w_uk = hashed_operand(std::int64_t{heads} * c.qk_nope_head_dim, c.kv_lora_rank, seed,
                               "measure.w_uk", fan_in_scale(c.kv_lora_rank));
      w->w_uv = hashed_operand(std::int64_t{heads} * c.v_head_dim, c.kv_lora_rank, seed,
                               "measure.w_uv", fan_in_scale(c.kv_lora_rank));
      const Mat latent = hashed_operand(max_k, c.latent_dim(), seed, "measure.latent");
      auto q = std::make_shared<const Mat>(
          hashed_operand(max_q, std::int64_t{heads} * c.qk_head_dim(), seed, "measure.q"));
      std::vector<prepared_case> out;
      out.reserve(forms.size() * points.size());
      for (auto form : forms) {
        for (const auto& point : points) {
          const std::int64_t n_q = point.first;
          const std::int64_t n_k = point.second;
          auto cache = std::make_shared<mla_cache>(c, static_cast<int>(n_k));
          cache->append(latent.topRows(n_k));
          out.push_back({[q, cache, w, c, n_q, form] {
                           (void)mla_attention(q->topRows(n_q), *cache, *w, c, form);
                         },
                         mla_attention_work(n_q, n_k, c, form, fp32_bytes), info(n_q, n_k)});
        }
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  void gelu_ffn(std::int64_t d, std::int64_t f, const std::vector<std::int64_t>& tokens) {
    case_group g;
    for (auto t : tokens)
      g.cases.push_back({"gelu_ffn", "tanh", "fp32", {.tokens = t, .d_model = d, .ffn_dim = f}});
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto w = std::make_shared<const gelu_ffn_weights>(
          gelu_ffn_weights{hashed_operand(f, d, seed, "measure.w_in", fan_in_scale(d)),
                           hashed_operand(f, 1, seed, "measure.b_in", 0.1f),
                           hashed_operand(d, f, seed, "measure.w_out", fan_in_scale(f)),
                           hashed_operand(d, 1, seed, "measure.b_out", 0.1f)});
      auto x = std::make_shared<const Mat>(hashed_operand(max_of(tokens), d, seed, "measure.x"));
      std::vector<prepared_case> out;
      out.reserve(tokens.size());
      for (auto t : tokens) {
        out.push_back({[w, x, t] { (void)kernels::gelu_ffn(x->topRows(t), *w); },
                       gelu_ffn_work(t, d, f, fp32_bytes),
                       {.tokens = t, .d_model = d, .ffn_dim = f}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  void swiglu_ffn(std::int64_t d, std::int64_t f, const std::vector<std::int64_t>& tokens) {
    case_group g;
    for (auto t : tokens)
      g.cases.push_back(
          {"swiglu_ffn", "default", "fp32", {.tokens = t, .d_model = d, .ffn_dim = f}});
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto w =
          std::make_shared<const swiglu_ffn_weights>(swiglu_weights(d, f, seed, "measure.ffn"));
      auto x = std::make_shared<const Mat>(hashed_operand(max_of(tokens), d, seed, "measure.x"));
      std::vector<prepared_case> out;
      out.reserve(tokens.size());
      for (auto t : tokens) {
        out.push_back({[w, x, t] { (void)kernels::swiglu_ffn(x->topRows(t), *w); },
                       swiglu_ffn_work(t, d, f, fp32_bytes),
                       {.tokens = t, .d_model = d, .ffn_dim = f}});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

  void moe(std::int64_t d, std::int64_t f, int experts, int top_k, int shared,
           const std::vector<std::int64_t>& tokens) {
    const moe_config config{experts, top_k, router_score::sigmoid, true, 1.0f};
    auto info = [=](std::int64_t t) {
      return kernel_shape{.tokens = t,
                          .d_model = d,
                          .ffn_dim = f,
                          .experts = experts,
                          .top_k = top_k,
                          .shared_experts = shared};
    };
    case_group g;
    for (auto t : tokens) g.cases.push_back({"moe", "sigmoid_top_k", "fp32", info(t)});
    const std::uint64_t seed = seed_;
    g.prepare = [=] {
      auto w = std::make_shared<moe_weights>();
      w->router = hashed_operand(experts, d, seed, "measure.router", fan_in_scale(d));
      for (int e = 0; e < experts; ++e)
        w->experts.push_back(swiglu_weights(d, f, seed, "measure.expert" + std::to_string(e)));
      for (int e = 0; e < shared; ++e)
        w->shared.push_back(swiglu_weights(d, f, seed, "measure.shared" + std::to_string(e)));
      auto x = std::make_shared<const Mat>(hashed_operand(max_of(tokens), d, seed, "measure.x"));
      std::vector<prepared_case> out;
      out.reserve(tokens.size());
      for (auto t : tokens) {
        // The bytes depend on how many experts the tokens reach: route once, outside timing.
        const moe_routing routing = moe_route(x->topRows(t), w->router, config);
        const std::set<int> touched(routing.expert.begin(), routing.expert.end());
        kernel_shape s = info(t);
        s.experts_touched = static_cast<std::int64_t>(touched.size());
        out.push_back({[w, x, t, config] { (void)moe_ffn(x->topRows(t), *w, config); },
                       moe_work(t, d, f, shared, s.experts_touched, config, fp32_bytes), s});
      }
      return out;
    };
    groups_.push_back(std::move(g));
  }

 private:
  std::uint64_t seed_;
  std::vector<case_group> groups_;
};

}  // namespace

std::string shape_string(const kernel_shape& shape) {
  std::string out;
  for (const auto& col : shape_columns) {
    const std::int64_t v = shape.*col.field;
    if (v == 0) continue;
    if (!out.empty()) out += ' ';
    out += col.name;
    out += '=';
    out += std::to_string(v);
  }
  return out;
}

std::vector<case_group> kernel_grid(const grid_options& options) {
  grid_builder b(options);
  using v = std::vector<std::int64_t>;
  if (options.quick) {
    // Small shapes of the same families: every kernel, each point in milliseconds.
    b.vocab(8192, 1024, v{1, 128}, v{1, 16});
    b.sinusoidal(1024, v{1, 128});
    b.rope(8, 64, 0, 64, v{1, 128});
    b.rope(16, 192, 128, 64, v{1, 128});
    b.norms(1024, v{1, 128});
    b.softmax(1024, v{32, 256});
    b.gemm(512, 512, v{512});
    b.gemm(1024, 1024, v{1, 32, 256});
    b.gemm_bf16(1024, 1024, v{1, 32, 256});
    b.prefill(8, 8, 64, v{64, 256}, v{64}, {});
    b.prefill(8, 2, 64, v{64, 256}, v{}, {{64, 256}});
    b.decode(8, 8, 64, v{1024});
    b.decode(8, 2, 64, v{256, 2048});
    b.mla("mla_decode", 16, {{1, 256}, {1, 1024}}, {mla_form::naive, mla_form::absorbed});
    b.mla("mla_prefill", 16, {{64, 64}}, {mla_form::naive, mla_form::absorbed});
    b.gelu_ffn(512, 2048, v{1, 32});
    b.swiglu_ffn(512, 1408, v{1, 32});
    b.moe(512, 256, 8, 2, 1, v{1, 32});
    return b.take();
  }
  // Llama-class shapes (d_model 4096, SwiGLU 11008 / 14336, 32 query heads of 128 with 8 kv
  // heads, vocabulary 32000) and DeepSeek-V3's MLA, from one token (decode) to thousands
  // (prefill).
  b.vocab(32000, 4096, v{1, 512, 4096}, v{1, 16, 128});
  b.sinusoidal(4096, v{1, 64});
  b.rope(32, 128, 0, 128, v{1, 512, 2048});
  b.rope(128, 192, 128, 64, v{1, 512});
  b.norms(4096, v{1, 512, 4096});
  b.norms(7168, v{1, 512});
  b.softmax(1024, v{32, 4096});
  b.softmax(32768, v{32, 256});
  for (std::int64_t s : {256, 512, 1024, 2048, 4096}) b.gemm(s, s, v{s});
  b.gemm(4096, 4096, v{1, 8, 32, 128, 512, 2048});
  b.gemm(11008, 4096, v{1, 32, 512, 2048});
  b.gemm(4096, 11008, v{1, 32, 512});
  b.gemm_bf16(4096, 4096, v{1, 32, 512});
  b.gemm_bf16(2048, 2048, v{2048});
  b.prefill(32, 32, 128, v{128, 512, 2048}, v{128, 512}, {});
  b.prefill(32, 8, 128, v{128, 512, 2048}, v{512}, {{512, 2048}});
  b.decode(32, 32, 128, v{512, 4096, 8192});
  b.decode(32, 8, 128, v{512, 4096, 32768});
  b.mla("mla_decode", 16, {{1, 512}, {1, 4096}}, {mla_form::naive, mla_form::absorbed});
  b.mla("mla_decode", 128, {{1, 512}, {1, 4096}}, {mla_form::naive, mla_form::absorbed});
  b.mla("mla_decode", 128, {{1, 16384}}, {mla_form::absorbed});
  b.mla("mla_prefill", 16, {{512, 512}}, {mla_form::naive, mla_form::absorbed});
  b.gelu_ffn(2048, 8192, v{1, 32, 512});
  b.swiglu_ffn(2048, 5632, v{1, 32, 512});
  b.swiglu_ffn(4096, 11008, v{1, 32, 512});
  // DeepSeek-V2-Lite-like MoE layer shrunk to 16 experts (d_model 2048, expert ffn 1408,
  // top 4, 2 shared experts): the routed part is what differs from a dense FFN.
  b.moe(2048, 1408, 16, 4, 2, v{1, 32, 512});
  return b.take();
}

std::vector<std::string> kernel_names() {
  std::vector<std::string> names;
  for (const case_group& g : kernel_grid(grid_options{.quick = true})) {
    for (const case_info& c : g.cases) {
      if (std::find(names.begin(), names.end(), c.kernel) == names.end()) names.push_back(c.kernel);
    }
  }
  return names;
}

}  // namespace kernels::measure
