#include "kernels/bpe_tokenizer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kernels {
namespace {

const char* const corpus =
    "the quick brown fox jumps over the lazy dog. the dog sleeps; the fox runs.\n"
    "a tokenizer learns merges from the most frequent pairs of the corpus, then the merges\n"
    "are replayed in order to encode new text. the the the quick quick brown brown fox.\n";

TEST(split_chunks, space_joins_the_following_word_and_chunks_concatenate_back) {
  const std::string text = "Hello  world!\n\tx";
  const std::vector<std::string_view> chunks = split_chunks(text);
  const std::vector<std::string_view> want = {"Hello", " ", " world", "!", "\n\t", "x"};
  EXPECT_EQ(chunks, want);
}

TEST(bpe_tokenizer, learns_the_classic_example_with_smallest_pair_tie_break) {
  // "aaabdaaabac" (Gage 1994 / Wikipedia "Byte pair encoding"): aa occurs 4 times, then ab and
  // (aa)a tie at 2 and the smaller pair (a, b) wins, then (aa)(ab) occurs twice.
  const bpe_tokenizer tok = bpe_tokenizer::train("aaabdaaabac", 3);
  const std::vector<bpe_merge> want = {{'a', 'a'}, {'a', 'b'}, {256, 257}};
  EXPECT_EQ(tok.merges(), want);
  EXPECT_EQ(tok.vocab_size(), 259);
  EXPECT_EQ(tok.token_bytes(258), "aaab");
  EXPECT_EQ(tok.encode("aaabdaaabac"), (std::vector<token_id>{258, 'd', 258, 'a', 'c'}));
}

TEST(bpe_tokenizer, equal_counts_go_to_the_smallest_pair) {
  // Every pair occurs once; (' ', 'c') = (32, 99) is the smallest.
  const bpe_tokenizer tok = bpe_tokenizer::train("ab cd", 1);
  ASSERT_EQ(tok.merges().size(), 1U);
  EXPECT_EQ(tok.merges()[0], (bpe_merge{' ', 'c'}));
}

TEST(bpe_tokenizer, stops_when_no_pair_is_left) {
  EXPECT_EQ(bpe_tokenizer::train("ab", 10).merges().size(), 1U);
  EXPECT_EQ(bpe_tokenizer::train("", 10).vocab_size(), 256);
}

TEST(bpe_tokenizer, training_is_deterministic) {
  EXPECT_EQ(bpe_tokenizer::train(corpus, 80).merges(), bpe_tokenizer::train(corpus, 80).merges());
}

TEST(bpe_tokenizer, round_trips_arbitrary_bytes_exactly) {
  const bpe_tokenizer tok = bpe_tokenizer::train(corpus, 120);
  // Invalid UTF-8 (lone continuation, truncated sequences, 0xFF) and an embedded NUL.
  const char invalid[] = "\xff\xfe\xc3(\x80 the \xe2\x82 dog\0x";
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  const std::vector<std::string> texts = {
      "",
      corpus,
      "the quick brown fox",
      "naïve café — 日本語 🙂 the fox",
      all_bytes,
      std::string(invalid, sizeof invalid - 1),
      "    leading spaces and trailing   ",
  };
  for (const std::string& text : texts) {
    EXPECT_EQ(tok.decode(tok.encode(text)), text);
  }
}

TEST(bpe_tokenizer, merges_compress_text_like_the_corpus) {
  const bpe_tokenizer tok = bpe_tokenizer::train(corpus, 120);
  const std::string text = "the quick brown fox jumps over the lazy dog.";
  EXPECT_LT(tok.encode(text).size(), text.size() / 2);
}

TEST(bpe_tokenizer, rebuilt_from_merges_encodes_identically) {
  const bpe_tokenizer tok = bpe_tokenizer::train(corpus, 60);
  const bpe_tokenizer copy(tok.merges());
  EXPECT_EQ(copy.encode(corpus), tok.encode(corpus));
}

TEST(bpe_tokenizer, rejects_merges_of_tokens_that_do_not_exist_yet) {
  EXPECT_THROW(bpe_tokenizer({{256, 'a'}}), std::invalid_argument);
  EXPECT_THROW(bpe_tokenizer::train("abc", -1), std::invalid_argument);
}

TEST(bpe_tokenizer, decode_rejects_ids_outside_the_vocabulary) {
  const bpe_tokenizer tok = bpe_tokenizer::train("abab", 1);
  const std::vector<token_id> bad = {'a', 257};
  EXPECT_THROW(tok.decode(bad), std::out_of_range);
}

}  // namespace
}  // namespace kernels
