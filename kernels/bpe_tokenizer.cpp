#include "kernels/bpe_tokenizer.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace kernels {
namespace {

constexpr int n_byte_tokens = 256;

enum class byte_class { word, space, other };

byte_class classify(unsigned char c) {
  if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return byte_class::word;
  }
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
    return byte_class::space;
  }
  return byte_class::other;
}

byte_class classify_at(std::string_view s, std::size_t i) {
  return classify(static_cast<unsigned char>(s[i]));
}

std::uint64_t pair_key(token_id left, token_id right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

// Replaces every non-overlapping occurrence of (left, right), scanning left to right — the
// same rule in training and encoding, so encoding the corpus reproduces training's segmentation.
void apply_merge(std::vector<token_id>& symbols, token_id left, token_id right, token_id merged) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
      symbols[out++] = merged;
      ++i;
    } else {
      symbols[out++] = symbols[i];
    }
  }
  symbols.resize(out);
}

std::vector<token_id> bytes_of(std::string_view chunk) {
  std::vector<token_id> symbols(chunk.size());
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    symbols[i] = static_cast<unsigned char>(chunk[i]);
  }
  return symbols;
}

}  // namespace

std::vector<std::string_view> split_chunks(std::string_view text) {
  std::vector<std::string_view> chunks;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    std::size_t j = i;
    if (text[j] == ' ' && j + 1 < n && classify_at(text, j + 1) != byte_class::space) ++j;
    const byte_class c = classify_at(text, j);
    std::size_t k = j + 1;
    while (k < n && classify_at(text, k) == c) ++k;
    // In a whitespace run followed by a word, the run's last space belongs to the next chunk.
    if (c == byte_class::space && k < n && k - j > 1 && text[k - 1] == ' ') --k;
    chunks.push_back(text.substr(i, k - i));
    i = k;
  }
  return chunks;
}

bpe_tokenizer bpe_tokenizer::train(std::string_view corpus, int n_merges) {
  if (n_merges < 0) throw std::invalid_argument("bpe_tokenizer::train: n_merges must be >= 0");
  // Unique chunks with their counts: pair statistics are weighted by chunk frequency.
  std::map<std::string_view, std::int64_t> chunk_counts;
  for (std::string_view chunk : split_chunks(corpus)) ++chunk_counts[chunk];
  std::vector<std::vector<token_id>> words;
  std::vector<std::int64_t> counts;
  for (const auto& [chunk, count] : chunk_counts) {
    words.push_back(bytes_of(chunk));
    counts.push_back(count);
  }

  std::vector<bpe_merge> merges;
  std::unordered_map<std::uint64_t, std::int64_t> pair_counts;
  for (int m = 0; m < n_merges; ++m) {
    pair_counts.clear();
    for (std::size_t w = 0; w < words.size(); ++w) {
      for (std::size_t i = 0; i + 1 < words[w].size(); ++i) {
        pair_counts[pair_key(words[w][i], words[w][i + 1])] += counts[w];
      }
    }
    if (pair_counts.empty()) break;
    // Highest count, ties to the smallest (left, right): a total order, so the hash map's
    // iteration order cannot change the result.
    std::uint64_t best_key = 0;
    std::int64_t best_count = 0;
    for (const auto& [key, count] : pair_counts) {
      if (count > best_count || (count == best_count && key < best_key)) {
        best_key = key;
        best_count = count;
      }
    }
    const bpe_merge merge{static_cast<token_id>(best_key >> 32),
                          static_cast<token_id>(best_key & 0xffffffffU)};
    const auto merged = static_cast<token_id>(n_byte_tokens + m);
    for (auto& word : words) apply_merge(word, merge.left, merge.right, merged);
    merges.push_back(merge);
  }
  return bpe_tokenizer(std::move(merges));
}

bpe_tokenizer::bpe_tokenizer(std::vector<bpe_merge> merges) : merges_(std::move(merges)) {
  vocab_.reserve(n_byte_tokens + merges_.size());
  for (int b = 0; b < n_byte_tokens; ++b) vocab_.emplace_back(1, static_cast<char>(b));
  for (std::size_t m = 0; m < merges_.size(); ++m) {
    const bpe_merge& merge = merges_[m];
    const auto limit = static_cast<token_id>(vocab_.size());
    if (merge.left < 0 || merge.right < 0 || merge.left >= limit || merge.right >= limit) {
      throw std::invalid_argument("bpe_tokenizer: merge " + std::to_string(m) +
                                  " refers to a token that does not exist yet");
    }
    vocab_.push_back(vocab_[static_cast<std::size_t>(merge.left)] +
                     vocab_[static_cast<std::size_t>(merge.right)]);
    ranks_.emplace_back(pair_key(merge.left, merge.right), static_cast<int>(m));
  }
  // A pair merged twice keeps its first (lowest) rank: the later merge can never fire.
  std::stable_sort(ranks_.begin(), ranks_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  ranks_.erase(std::unique(ranks_.begin(), ranks_.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; }),
               ranks_.end());
}

int bpe_tokenizer::rank(token_id left, token_id right) const {
  const std::uint64_t key = pair_key(left, right);
  const auto it =
      std::lower_bound(ranks_.begin(), ranks_.end(), key,
                       [](const auto& entry, std::uint64_t k) { return entry.first < k; });
  if (it == ranks_.end() || it->first != key) return std::numeric_limits<int>::max();
  return it->second;
}

// Repeatedly merges the lowest-ranked adjacent pair present (GPT-2's encoder). Merging pair r
// can only create pairs that contain token 256 + r, and every merge of lower rank predates that
// token, so this equals applying all merges in rank order — i.e. training's segmentation.
std::vector<token_id> bpe_tokenizer::encode_chunk(std::string_view chunk) const {
  std::vector<token_id> symbols = bytes_of(chunk);
  while (symbols.size() > 1) {
    int best = std::numeric_limits<int>::max();
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      best = std::min(best, rank(symbols[i], symbols[i + 1]));
    }
    if (best == std::numeric_limits<int>::max()) break;
    const bpe_merge& merge = merges_[static_cast<std::size_t>(best)];
    apply_merge(symbols, merge.left, merge.right, static_cast<token_id>(n_byte_tokens + best));
  }
  return symbols;
}

std::vector<token_id> bpe_tokenizer::encode(std::string_view text) const {
  std::vector<token_id> tokens;
  tokens.reserve(text.size());
  for (std::string_view chunk : split_chunks(text)) {
    const std::vector<token_id> part = encode_chunk(chunk);
    tokens.insert(tokens.end(), part.begin(), part.end());
  }
  return tokens;
}

const std::string& bpe_tokenizer::token_bytes(token_id t) const {
  if (t < 0 || t >= vocab_size()) {
    throw std::out_of_range("bpe_tokenizer: token id " + std::to_string(t) +
                            " outside vocabulary of " + std::to_string(vocab_size()));
  }
  return vocab_[static_cast<std::size_t>(t)];
}

std::string bpe_tokenizer::decode(std::span<const token_id> tokens) const {
  std::string text;
  for (token_id t : tokens) text += token_bytes(t);
  return text;
}

}  // namespace kernels
