// Llama-3-8B on one H100 SXM, worked out by hand from the published numbers, independently
// of models/workload/llm_spec.* and iteration_cost.*: the serving tests compare the
// simulator with these, so a wrong formula in the code fails them.
//
// Model: meta-llama/Meta-Llama-3-8B config.json — hidden 4096, 32 layers, 32 query heads and
// 8 KV heads of head_dim 128, SwiGLU FFN of 14336, vocab 128256, untied embeddings.
// Weights are counted as the code counts them: every matrix and the RMSNorm gains, no biases
// (Llama has none). GPU: H100 SXM datasheet — 989.4 TFLOP/s dense bf16, 1978.9 fp8,
// 3.35 TB/s HBM3, 81,559 MiB of HBM (nvidia-smi).
#pragma once

namespace llama3_8b {

// One layer's attention projections: Q and O are 4096 x 4096, K and V 4096 x (8 x 128).
inline constexpr double kAttentionPerLayer = 4096.0 * (4096 + 2 * 1024) + 4096.0 * 4096;
static_assert(kAttentionPerLayer == 41'943'040.0);
// One layer's SwiGLU: gate and up 4096 x 14336, down 14336 x 4096.
inline constexpr double kFfnPerLayer = 3 * 4096.0 * 14336;
static_assert(kFfnPerLayer == 176'160'768.0);
// The matmul weights every token goes through, 32 layers.
inline constexpr double kBodyMatmul = 32 * (kAttentionPerLayer + kFfnPerLayer);
static_assert(kBodyMatmul == 6'979'321'856.0);
// The token embedding (a lookup) and, untied, the LM head (a matmul) of the same size.
inline constexpr double kEmbedding = 128256.0 * 4096;
static_assert(kEmbedding == 525'336'576.0);
// Two RMSNorm gains per layer and the final norm.
inline constexpr double kNorms = 32 * 2 * 4096.0 + 4096;
static_assert(kNorms == 266'240.0);
// 8,030,261,248: Meta's published "8.03 B".
inline constexpr double kTotalParams = kBodyMatmul + 2 * kEmbedding + kNorms;
static_assert(kTotalParams == 8'030'261'248.0);

// K and V, 32 layers x 8 KV heads x 128, 2 bytes each in bf16.
inline constexpr double kKvBytesPerTokenBf16 = 2.0 * 32 * 8 * 128 * 2;
static_assert(kKvBytesPerTokenBf16 == 131'072.0);

// Attention FLOPs per (query token, attended token) pair: per head QK^T (128 multiply-adds)
// and the weighted sum of V (128), 2 FLOPs each; 32 heads, 32 layers.
inline constexpr double kAttentionFlopsPerPair = 32 * 32 * (2 * 128 + 2 * 128.0);
static_assert(kAttentionFlopsPerPair == 524'288.0);

inline constexpr double kH100PeakBf16 = 989.4e12;                  // FLOP/s
inline constexpr double kH100PeakFp8 = 1978.9e12;                  // FLOP/s
inline constexpr double kH100Hbm = 3.35e12;                        // B/s
inline constexpr double kH100HbmCapacity = 81559.0 * 1024 * 1024;  // B
static_assert(kH100HbmCapacity == 85'520'809'984.0);

// Pairs attended by a prompt chunk of n tokens after `past` cached ones: token i of the chunk
// attends to past + i tokens, so n * past + n (n + 1) / 2.
constexpr double attended_pairs(double n, double past) {
  return n * past + n * (n + 1) / 2;
}

// FLOPs of that chunk: 2 per weight per token through the body, attention, and the LM head
// for one token when the chunk ends the prompt (it samples the first output token).
constexpr double chunk_flops(double n, double past, bool last) {
  return 2 * n * kBodyMatmul + (last ? 2 * kEmbedding : 0) +
         kAttentionFlopsPerPair * attended_pairs(n, past);
}

// HBM bytes of one iteration of `tokens` new tokens that touches `kv_tokens` tokens of KV
// cache (read or written), weights in `weight_bytes` bytes per element: the body and the LM
// head streamed once, one embedding row gathered per token, and the cache.
constexpr double iteration_bytes(double tokens, double kv_tokens, double weight_bytes = 2,
                                 double kv_bytes_per_token = kKvBytesPerTokenBf16) {
  return (kBodyMatmul + kEmbedding + tokens * 4096) * weight_bytes + kv_tokens * kv_bytes_per_token;
}

}  // namespace llama3_8b
