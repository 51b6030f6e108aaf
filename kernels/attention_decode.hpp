#pragma once
// Attention of new tokens against cached keys and values.
//
// Decode: one new token per sequence; its n_heads queries attend to all n_k cached tokens (the
// cache holds the past and the token itself, so there is nothing to mask). Split-K form
// ("Flash-Decoding", Dao, Haziza, Massa & Sizov 2023, crfm.stanford.edu/2023/10/12/
// flashdecoding.html): the cached tokens are cut into chunks of decode_chunk tokens; each
// chunk (for a slab of kv heads) is a work item computing, per query head, a partial (max, sum,
// unnormalized output) in one fused pass over the chunk's K and V rows: per block of 16 tokens,
// the scores (each K vector loaded once for all query heads of its group), an online-softmax
// update (Milakov & Gimelshein 2018), and the weighted V rows added to the accumulators — read
// front to back through the cache, no per-item allocation or packing. Groups larger than 16
// query heads (MLA's absorbed MQA) are compute-bound and use one small GEMM per (kv head, chunk)
// instead. The partials are merged in chunk order. Chunks depend only on n_k, so results are
// bit-identical for any thread count, and a single sequence still spreads over all cores.
//
// Layouts as in attention.hpp; q is [1, n_heads·head_dim_qk], the result [1, n_heads·head_dim_v].

#include "kernels/attention.hpp"
#include "kernels/kv_cache.hpp"

namespace kernels {

inline constexpr Eigen::Index decode_chunk = 256;

Mat attention_decode(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
                     const attention_shape& shape);

// Over a cache of any storage: FP32 storage is read in place; BF16/FP8 rows are dequantized
// (kv_cache::key_row / value_row, inlined) into a small per-thread buffer as they are reached.
Mat attention_decode(const const_mat_ref& q, const kv_cache& cache, const attention_shape& shape);

// Causal prefill of the last q.rows() cached tokens (attention.hpp semantics) against the
// dequantized cache — the same K/V values that later decode steps read.
Mat attention_prefill(const const_mat_ref& q, const kv_cache& cache, const attention_shape& shape);

}  // namespace kernels
