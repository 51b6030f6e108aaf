// The assembled model: decode token by token equals prefill, and tokenize → prefill → greedy
// decode is deterministic, for the GQA and the MLA + MoE variants.
#include "kernels/reference_transformer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/bpe_tokenizer.hpp"

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
