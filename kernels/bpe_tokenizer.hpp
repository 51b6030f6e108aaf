#pragma once
// Byte-level byte-pair encoding (Sennrich, Haddow & Birch 2016, "Neural Machine Translation of
// Rare Words with Subword Units", ACL; byte-level base vocabulary as in GPT-2, Radford et al.
// 2019). The base vocabulary is the 256 byte values, so every byte string — valid UTF-8 or
// not — encodes, and decode(encode(s)) == s exactly. Merge i creates token 256 + i.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/token.hpp"

namespace kernels {

struct bpe_merge {
  token_id left;
  token_id right;
  friend bool operator==(const bpe_merge&, const bpe_merge&) = default;
};

class bpe_tokenizer {
 public:
  // Learns up to n_merges merges from corpus: each step merges the most frequent adjacent pair
  // (ties: the smallest (left, right) pair of ids, so training is deterministic), and stops
  // early when no adjacent pair is left. Pairs never span chunk boundaries (see split_chunks).
  static bpe_tokenizer train(std::string_view corpus, int n_merges);

  // Rebuilds a tokenizer from learned merges; throws std::invalid_argument if merge i refers
  // to a token that does not exist yet (id >= 256 + i).
  explicit bpe_tokenizer(std::vector<bpe_merge> merges);

  std::vector<token_id> encode(std::string_view text) const;
  // Throws std::out_of_range for an id outside the vocabulary.
  std::string decode(std::span<const token_id> tokens) const;

  int vocab_size() const { return static_cast<int>(vocab_.size()); }
  const std::vector<bpe_merge>& merges() const { return merges_; }
  const std::string& token_bytes(token_id t) const;

 private:
  std::vector<token_id> encode_chunk(std::string_view chunk) const;
  int rank(token_id left, token_id right) const;

  std::vector<bpe_merge> merges_;
  std::vector<std::string> vocab_;                    // bytes of each token id
  std::vector<std::pair<std::uint64_t, int>> ranks_;  // sorted (pair key, merge index)
};

// Pre-tokenization: cuts text into chunks that merges may not cross, so tokens stay inside
// words (GPT-2 does the same with a regex). Bytes are classed as word (ASCII letters, digits,
// and every byte >= 0x80 so UTF-8 sequences stay whole), whitespace, or other; a chunk is a
// run of one class, and a single space directly before a non-space joins that run (" word",
// as in GPT-2). The chunks concatenate back to the input exactly.
std::vector<std::string_view> split_chunks(std::string_view text);

}  // namespace kernels
