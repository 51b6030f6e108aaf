// The assembled model against an independent double-precision forward pass written here
// (one layer, tiny configs, GQA and MLA + MoE); decode token by token equals prefill; and
// tokenize → prefill → greedy decode is deterministic, for the GQA and the MLA + MoE variants.
#include "kernels/reference_transformer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "kernel_test_util.hpp"
#include "kernels/bpe_tokenizer.hpp"
#include "kernels/weight_init.hpp"

namespace kernels {
namespace {

const char* const corpus =
    "firstwall simulates ai data centers: compute, memory, network, power and cooling walls.\n"
    "the kernels tokenize text, embed tokens, rotate queries and keys, attend, and project.\n"
    "a transformer decodes one token at a time while its cache of keys and values grows.\n";

const bpe_tokenizer& tokenizer() {
  static const bpe_tokenizer tok = bpe_tokenizer::train(corpus, 64);
  return tok;
}

transformer_config gqa_config() {
  transformer_config c;
  c.attention = attention_kind::gqa;
  c.n_layers = 2;
  c.d_model = 64;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.ffn_dim = 96;
  c.vocab_size = tokenizer().vocab_size();
  c.max_seq_len = 128;
  c.seed = 11;
  return c;
}

transformer_config mla_moe_config() {
  transformer_config c = gqa_config();
  c.attention = attention_kind::mla;
  c.n_heads = 4;
  c.q_lora_rank = 32;
  c.kv_lora_rank = 32;
  c.qk_nope_head_dim = 16;
  c.qk_rope_head_dim = 8;
  c.v_head_dim = 16;
  c.n_layers = 3;
  c.n_experts = 6;
  c.n_active_experts = 2;
  c.n_shared_experts = 1;
  c.moe_ffn_dim = 32;
  c.n_dense_layers = 1;
  c.router = router_score::sigmoid;
  c.route_scale = 2.5f;
  return c;
}

std::vector<token_id> prompt() {
  return tokenizer().encode("the kernels decode one token at a time while the cache grows.");
}

double rel_error(const Vec& a, const Vec& b) {
  return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

void expect_decode_equals_prefill(const transformer_config& config) {
  const std::vector<token_id> tokens = prompt();
  ASSERT_GT(tokens.size(), 10U);
  reference_transformer full(config);
  const Vec want = full.prefill(tokens);
  ASSERT_EQ(want.size(), config.vocab_size);
  EXPECT_EQ(full.position(), static_cast<int>(tokens.size()));

  reference_transformer stepwise(config);
  Vec got;
  for (token_id t : tokens) got = stepwise.decode_step(t);
  EXPECT_LT(rel_error(got, want), 1e-4);

  // Prefill of a prefix, then decode the rest.
  reference_transformer mixed(config);
  const std::size_t split = tokens.size() / 2;
  got = mixed.prefill(std::span(tokens).first(split));
  for (std::size_t i = split; i < tokens.size(); ++i) got = mixed.decode_step(tokens[i]);
  EXPECT_LT(rel_error(got, want), 1e-4);

  // Chunked prefill (a second prefill continues the cache).
  reference_transformer chunked(config);
  chunked.prefill(std::span(tokens).first(split));
  got = chunked.prefill(std::span(tokens).subspan(split));
  EXPECT_LT(rel_error(got, want), 1e-4);
}

// ---------------------------------------------------------------------------------------------
// A one-layer forward pass in double, straight from the definitions (reference_transformer.hpp,
// rope.hpp, mla.hpp, moe.hpp), over the model's weights. The weights are regenerated here from
// their documented recipe — a pure function of (seed, tensor name, index), weight_init.hpp —
// with the initializer scales of reference_transformer.cpp (±√(3/fan_in) for dense weights,
// 1 ± 0.1 for norm gains, ±1 for the embedding); only the arithmetic is independent.

using MatD = Eigen::MatrixXd;  // [rows = tokens or outputs, cols]
using VecD = Eigen::VectorXd;

MatD dense_d(Eigen::Index out, Eigen::Index in, std::uint64_t seed, const std::string& name) {
  return hashed_matrix(out, in, seed, name, std::sqrt(3.0f / static_cast<float>(in)))
      .cast<double>();
}
VecD gain_d(Eigen::Index n, std::uint64_t seed, const std::string& name) {
  return hashed_vector(n, seed, name, 0.1f, 1.0f).cast<double>();
}

// Row-wise RMSNorm: x / √(mean(x²) + eps) · g.
MatD rms_d(const MatD& x, const VecD& g, double eps) {
  MatD y(x.rows(), x.cols());
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const double inv =
        1.0 / std::sqrt(x.row(t).squaredNorm() / static_cast<double>(x.cols()) + eps);
    for (Eigen::Index j = 0; j < x.cols(); ++j) y(t, j) = x(t, j) * inv * g(j);
  }
  return y;
}

// Interleaved RoPE on columns [col0, col0 + dim) of row t at position pos: pair (2i, 2i+1)
// rotated by pos·base^(−2i/dim).
void rope_d(MatD& x, Eigen::Index t, Eigen::Index col0, int dim, int pos, double base) {
  for (int i = 0; i < dim / 2; ++i) {
    const double angle = pos * std::pow(base, -2.0 * i / dim);
    const double a = x(t, col0 + 2 * i);
    const double b = x(t, col0 + 2 * i + 1);
    x(t, col0 + 2 * i) = a * std::cos(angle) - b * std::sin(angle);
    x(t, col0 + 2 * i + 1) = a * std::sin(angle) + b * std::cos(angle);
  }
}

// Causal softmax attention of one head: rows of q, k, v are tokens.
MatD attend_d(const MatD& q, const MatD& k, const MatD& v, double scale) {
  MatD o = MatD::Zero(q.rows(), v.cols());
  for (Eigen::Index i = 0; i < q.rows(); ++i) {
    VecD s(i + 1);
    for (Eigen::Index j = 0; j <= i; ++j) s(j) = scale * q.row(i).dot(k.row(j));
    const VecD p = (s.array() - s.maxCoeff()).exp().matrix();
    for (Eigen::Index j = 0; j <= i; ++j) o.row(i) += p(j) / p.sum() * v.row(j);
  }
  return o;
}

double silu_d(double z) {
  return z / (1.0 + std::exp(-z));
}

// SwiGLU of each row: W_down · (silu(W_gate·x) ⊙ W_up·x).
MatD swiglu_d(const MatD& x, const MatD& gate, const MatD& up, const MatD& down) {
  const MatD g = x * gate.transpose();
  const MatD u = x * up.transpose();
  MatD h(g.rows(), g.cols());
  for (Eigen::Index i = 0; i < h.size(); ++i) h.data()[i] = silu_d(g.data()[i]) * u.data()[i];
  return h * down.transpose();
}

// Logits of every position of the one-layer model on `tokens`: [tokens, vocab].
MatD one_layer_logits_d(const transformer_config& c, const std::vector<token_id>& tokens) {
  const std::uint64_t seed = c.seed;
  const auto n = static_cast<Eigen::Index>(tokens.size());
  const MatD emb = hashed_matrix(c.vocab_size, c.d_model, seed, "embedding", 1.0f).cast<double>();
  MatD x(n, c.d_model);
  for (Eigen::Index t = 0; t < n; ++t) x.row(t) = emb.row(tokens[static_cast<std::size_t>(t)]);
  const std::string p = "layer0.";
  const MatD h = rms_d(x, gain_d(c.d_model, seed, p + "attn_norm"), c.norm_eps);
  MatD o;  // [n, heads·v]
  if (c.attention == attention_kind::gqa) {
    const int hd = c.head_dim;
    MatD q = h * dense_d(c.n_heads * hd, c.d_model, seed, p + "wq").transpose();
    MatD k = h * dense_d(c.n_kv_heads * hd, c.d_model, seed, p + "wk").transpose();
    const MatD v = h * dense_d(c.n_kv_heads * hd, c.d_model, seed, p + "wv").transpose();
    for (Eigen::Index t = 0; t < n; ++t) {
      for (int hh = 0; hh < c.n_heads; ++hh)
        rope_d(q, t, hh * hd, hd, static_cast<int>(t), c.rope_base);
      for (int hh = 0; hh < c.n_kv_heads; ++hh)
        rope_d(k, t, hh * hd, hd, static_cast<int>(t), c.rope_base);
    }
    o.resize(n, c.n_heads * hd);
    const int group = c.n_heads / c.n_kv_heads;
    for (int hh = 0; hh < c.n_heads; ++hh) {
      const int kv = hh / group;
      o.middleCols(hh * hd, hd) = attend_d(q.middleCols(hh * hd, hd), k.middleCols(kv * hd, hd),
                                           v.middleCols(kv * hd, hd), 1.0 / std::sqrt(hd));
    }
  } else {
    const int nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim, r = c.kv_lora_rank,
              dv = c.v_head_dim, qk = nope + rope;
    const MatD c_q = rms_d(h * dense_d(c.q_lora_rank, c.d_model, seed, p + "w_dq").transpose(),
                           gain_d(c.q_lora_rank, seed, p + "q_norm"), c.norm_eps);
    MatD q = c_q * dense_d(c.n_heads * qk, c.q_lora_rank, seed, p + "w_uq").transpose();
    const MatD kv_a = h * dense_d(r + rope, c.d_model, seed, p + "w_dkv").transpose();
    const MatD c_kv = rms_d(kv_a.leftCols(r), gain_d(r, seed, p + "kv_norm"), c.norm_eps);
    MatD k_rope = kv_a.rightCols(rope);
    for (Eigen::Index t = 0; t < n; ++t) {
      for (int hh = 0; hh < c.n_heads; ++hh)
        rope_d(q, t, hh * qk + nope, rope, static_cast<int>(t), c.rope_base);
      rope_d(k_rope, t, 0, rope, static_cast<int>(t), c.rope_base);
    }
    const MatD w_uk = dense_d(c.n_heads * nope, r, seed, p + "w_uk");
    const MatD w_uv = dense_d(c.n_heads * dv, r, seed, p + "w_uv");
    o.resize(n, c.n_heads * dv);
    for (int hh = 0; hh < c.n_heads; ++hh) {
      MatD k(n, qk);  // k_h = [W_UK,h·c_KV | k_rope], v_h = W_UV,h·c_KV
      k.leftCols(nope) = c_kv * w_uk.middleRows(hh * nope, nope).transpose();
      k.rightCols(rope) = k_rope;
      const MatD v = c_kv * w_uv.middleRows(hh * dv, dv).transpose();
      o.middleCols(hh * dv, dv) = attend_d(q.middleCols(hh * qk, qk), k, v, 1.0 / std::sqrt(qk));
    }
  }
  x += o * dense_d(c.d_model, o.cols(), seed, p + "wo").transpose();
  const MatD f = rms_d(x, gain_d(c.d_model, seed, p + "ffn_norm"), c.norm_eps);
  const auto swiglu_named = [&](const MatD& in, const std::string& name, int ffn) {
    return swiglu_d(in, dense_d(ffn, c.d_model, seed, name + ".w_gate"),
                    dense_d(ffn, c.d_model, seed, name + ".w_up"),
                    dense_d(c.d_model, ffn, seed, name + ".w_down"));
  };
  if (c.n_experts > 0 && c.n_dense_layers == 0) {
    // Sigmoid scores, top-k with ties to the lower index, weights normalized over the top-k
    // times route_scale, plus the shared experts with weight 1.
    const MatD scores = f * dense_d(c.n_experts, c.d_model, seed, p + "router").transpose();
    MatD y = MatD::Zero(n, c.d_model);
    for (int e = 0; e < c.n_shared_experts; ++e) {
      y += swiglu_named(f, p + "shared" + std::to_string(e), c.moe_ffn_dim);
    }
    for (Eigen::Index t = 0; t < n; ++t) {
      std::vector<double> s(static_cast<std::size_t>(c.n_experts));
      for (int e = 0; e < c.n_experts; ++e)
        s[static_cast<std::size_t>(e)] = 1.0 / (1.0 + std::exp(-scores(t, e)));
      std::vector<int> order(s.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return s[static_cast<std::size_t>(a)] > s[static_cast<std::size_t>(b)];
      });
      double sum = 0;
      for (int j = 0; j < c.n_active_experts; ++j)
        sum += s[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])];
      for (int j = 0; j < c.n_active_experts; ++j) {
        const int e = order[static_cast<std::size_t>(j)];
        const double w = s[static_cast<std::size_t>(e)] / sum * c.route_scale;
        y.row(t) += w * swiglu_named(f.row(t), p + "expert" + std::to_string(e), c.moe_ffn_dim);
      }
    }
    x += y;
  } else {
    x += swiglu_named(f, p + "ffn", c.ffn_dim);
  }
  const MatD last = rms_d(x, gain_d(c.d_model, seed, "final_norm"), c.norm_eps);
  return last * dense_d(c.vocab_size, c.d_model, seed, "w_vocab").transpose();
}

// max |got − want| / max |want| of one position's logits.
double rel_error_d(const Vec& got, const VecD& want) {
  return (got.cast<double>() - want).cwiseAbs().maxCoeff() / want.cwiseAbs().maxCoeff();
}

// FP32 kernels through one layer against double: products of ≤ 64 terms, three norms, a
// softmax, each adding a few float roundings (2^-24 ≈ 6e-8) of the terms' magnitude; observed
// 1.8e-7 … 2.7e-7 of the largest logit (GQA and MLA + MoE, prefill and every decode step).
// 2e-6 leaves ~8× room and still catches small slips: a 0.1 % error in one RoPE rotation at
// one position moves the last logits by 2.3e-5; a route_scale of 2.4 for 2.5, by ~1e-2.
constexpr double kFp32VsDouble = 2e-6;

transformer_config tiny_one_layer_gqa() {
  transformer_config c;
  c.attention = attention_kind::gqa;
  c.n_layers = 1;
  c.d_model = 32;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 8;
  c.ffn_dim = 48;
  c.vocab_size = 40;
  c.max_seq_len = 16;
  c.seed = 5;
  return c;
}

transformer_config tiny_one_layer_mla_moe() {
  transformer_config c = tiny_one_layer_gqa();
  c.attention = attention_kind::mla;
  c.q_lora_rank = 16;
  c.kv_lora_rank = 16;
  c.qk_nope_head_dim = 8;
  c.qk_rope_head_dim = 4;
  c.v_head_dim = 8;
  c.n_experts = 4;
  c.n_active_experts = 2;
  c.n_shared_experts = 1;
  c.moe_ffn_dim = 16;
  c.n_dense_layers = 0;  // the one layer is MoE
  c.route_scale = 2.5f;
  return c;
}

std::string sci(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", x);
  return buf;
}

void expect_logits_match_double_reference(const transformer_config& c) {
  const std::vector<token_id> tokens = {3, 17, 0, 39, 17, 8, 25};
  const MatD want = one_layer_logits_d(c, tokens);
  // Prefill returns the last position's logits; decode every position's.
  reference_transformer prefill(c);
  const double e_prefill =
      rel_error_d(prefill.prefill(tokens), want.row(want.rows() - 1).transpose());
  EXPECT_LE(e_prefill, kFp32VsDouble);
  ::testing::Test::RecordProperty("prefill_rel_error", sci(e_prefill));
  reference_transformer decode(c);
  double e_decode = 0;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const double e = rel_error_d(decode.decode_step(tokens[t]),
                                 want.row(static_cast<Eigen::Index>(t)).transpose());
    EXPECT_LE(e, kFp32VsDouble) << "position " << t;
    e_decode = std::max(e_decode, e);
  }
  ::testing::Test::RecordProperty("decode_max_rel_error", sci(e_decode));
}

TEST(reference_transformer, one_layer_gqa_logits_match_a_double_forward_pass) {
  expect_logits_match_double_reference(tiny_one_layer_gqa());
}

TEST(reference_transformer, one_layer_mla_moe_logits_match_a_double_forward_pass) {
  // Prefill runs the naive MLA form, decode the absorbed one: both against the same reference.
  expect_logits_match_double_reference(tiny_one_layer_mla_moe());
}

TEST(reference_transformer, gqa_decode_token_by_token_equals_prefill) {
  expect_decode_equals_prefill(gqa_config());
}

TEST(reference_transformer, gqa_with_fp8_kv_cache_decode_equals_prefill) {
  transformer_config c = gqa_config();
  c.kv_cache_storage = kv_storage::fp8_e4m3;
  expect_decode_equals_prefill(c);
}

TEST(reference_transformer, mla_moe_decode_token_by_token_equals_prefill) {
  // Prefill runs the naive MLA form, decode the absorbed one.
  expect_decode_equals_prefill(mla_moe_config());
}

TEST(reference_transformer, tokenize_prefill_greedy_decode_is_deterministic) {
  for (const transformer_config& c : {gqa_config(), mla_moe_config()}) {
    reference_transformer a(c);
    reference_transformer b(c);
    const std::vector<token_id> first = a.generate_greedy(prompt(), 12);
    EXPECT_EQ(first.size(), 12U);
    EXPECT_EQ(b.generate_greedy(prompt(), 12), first);
    a.reset();
    EXPECT_EQ(a.generate_greedy(prompt(), 12), first);
    // The output decodes to bytes (any token id is a valid byte string).
    EXPECT_FALSE(tokenizer().decode(first).empty());
  }
}

TEST(reference_transformer, different_seeds_give_different_models) {
  transformer_config c = gqa_config();
  reference_transformer a(c);
  c.seed = 12;
  reference_transformer b(c);
  EXPECT_GT(rel_error(a.prefill(prompt()), b.prefill(prompt())), 1e-2);
}

TEST(reference_transformer, rejects_bad_configs_and_overlong_sequences) {
  transformer_config c = gqa_config();
  c.n_kv_heads = 3;
  EXPECT_THROW(reference_transformer{c}, std::invalid_argument);
  c = gqa_config();
  c.max_seq_len = 4;
  reference_transformer model(c);
  const std::vector<token_id> five = {1, 2, 3, 4, 5};
  EXPECT_THROW(model.prefill(five), std::length_error);
  EXPECT_THROW(model.prefill(std::span<const token_id>()), std::invalid_argument);
  EXPECT_EQ(model.position(), 0);
}

}  // namespace
}  // namespace kernels
