#include "kernels/attention_decode.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "kernels/parallel.hpp"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace kernels {
namespace {

// Groups up to this many query heads per kv head (GQA / MHA: 1–16) take the fused pass; larger
// groups (MLA's absorbed MQA: 128 heads over one latent kv head) are compute-bound, and one
// small GEMM per chunk is the faster form there.
constexpr Eigen::Index max_fused_group = 16;
// Tokens scored before one online-softmax update.
constexpr Eigen::Index token_block = 16;
// Software prefetch distance in tokens (rows read in place): one kv head's row is a few cache
// lines in every n_kv_heads·head_dim-float cache row, a stride the hardware prefetchers do not
// follow across 4 KiB pages.
constexpr Eigen::Index prefetch_tokens = 8;

inline void prefetch_row(const float* row, Eigen::Index n) {
  for (Eigen::Index d = 0; d < n; d += 16) __builtin_prefetch(row + d);
}

// Lanes of the portable dot product's accumulators.
constexpr Eigen::Index lanes = 16;

// e^x for x <= 0 (scores minus their running max), vectorizable: Cephes expf — n = round(x·log2 e),
// r = x − n·ln 2 in two parts, degree-6 polynomial, times 2^n; about 1 ulp. Below −87.3 it
// returns ~1e-38 instead of underflowing to 0 (no visible difference in a softmax sum).
inline float exp_nonpositive(float x) {
  x = std::max(x, -87.3f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
  return y * std::bit_cast<float>(bits);
}

// Σ a[d]·b[d] in a fixed order (the same on every call, so results do not depend on threads):
// independent partial sums (vectorizable without reassociation), then a pairwise reduction.
inline float dot(const float* a, const float* b, Eigen::Index n) {
  float acc[lanes] = {};
  Eigen::Index d = 0;
  for (; d + lanes <= n; d += lanes) {
    for (Eigen::Index l = 0; l < lanes; ++l) acc[l] += a[d + l] * b[d + l];
  }
  for (Eigen::Index l = 0; d < n; ++d, ++l) acc[l] += a[d] * b[d];
  for (Eigen::Index w = lanes / 2; w > 0; w /= 2) {
    for (Eigen::Index l = 0; l < w; ++l) acc[l] += acc[l + w];
  }
  return acc[0];
}

using score_block = float[max_fused_group][token_block];

#ifdef __AVX512F__
// Register tiles for head dims that are multiples of 16: each K (V) vector loaded once serves
// NH query heads, each query vector NT tokens.
template <int NH, int NT>
inline void score_tile(const float* q, Eigen::Index dk, const float* const* k, score_block& p,
                       Eigen::Index i0, Eigen::Index j0) {
  __m512 acc[NH][NT];
  for (int h = 0; h < NH; ++h)
    for (int t = 0; t < NT; ++t) acc[h][t] = _mm512_setzero_ps();
  for (Eigen::Index d = 0; d < dk; d += 16) {
    __m512 kv[NT];
    for (int t = 0; t < NT; ++t) kv[t] = _mm512_loadu_ps(k[j0 + t] + d);
    for (int h = 0; h < NH; ++h) {
      const __m512 qv = _mm512_loadu_ps(q + (i0 + h) * dk + d);
      for (int t = 0; t < NT; ++t) acc[h][t] = _mm512_fmadd_ps(qv, kv[t], acc[h][t]);
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int t = 0; t < NT; ++t) p[i0 + h][j0 + t] = _mm512_reduce_add_ps(acc[h][t]);
}

template <int NH, int NV>
inline void value_tile(float* o, Eigen::Index dv, const score_block& p, const float* const* v,
                       Eigen::Index nb, Eigen::Index i0, Eigen::Index d0) {
  __m512 acc[NH][NV];
  for (int h = 0; h < NH; ++h)
    for (int u = 0; u < NV; ++u) acc[h][u] = _mm512_loadu_ps(o + (i0 + h) * dv + d0 + 16 * u);
  for (Eigen::Index j = 0; j < nb; ++j) {
    __m512 vv[NV];
    for (int u = 0; u < NV; ++u) vv[u] = _mm512_loadu_ps(v[j] + d0 + 16 * u);
    for (int h = 0; h < NH; ++h) {
      const __m512 w = _mm512_set1_ps(p[i0 + h][j]);
      for (int u = 0; u < NV; ++u) acc[h][u] = _mm512_fmadd_ps(w, vv[u], acc[h][u]);
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int u = 0; u < NV; ++u) _mm512_storeu_ps(o + (i0 + h) * dv + d0 + 16 * u, acc[h][u]);
}

template <int NH>
inline void value_tiles(float* o, Eigen::Index dv, const score_block& p, const float* const* v,
                        Eigen::Index nb, Eigen::Index i0) {
  Eigen::Index d = 0;
  for (; d + 64 <= dv; d += 64) value_tile<NH, 4>(o, dv, p, v, nb, i0, d);
  for (; d < dv; d += 16) value_tile<NH, 1>(o, dv, p, v, nb, i0, d);
}
#endif

// p[i][j] = q_i · k_j for the group's heads i < group and the block's tokens j < nb.
inline void block_scores(const float* q, Eigen::Index group, Eigen::Index dk, const float* const* k,
                         Eigen::Index nb, score_block& p) {
#ifdef __AVX512F__
  if (dk % 16 == 0) {
    Eigen::Index i = 0;
    for (; i + 4 <= group; i += 4) {
      Eigen::Index j = 0;
      for (; j + 4 <= nb; j += 4) score_tile<4, 4>(q, dk, k, p, i, j);
      for (; j < nb; ++j) score_tile<4, 1>(q, dk, k, p, i, j);
    }
    for (; i < group; ++i) {
      Eigen::Index j = 0;
      for (; j + 4 <= nb; j += 4) score_tile<1, 4>(q, dk, k, p, i, j);
      for (; j < nb; ++j) score_tile<1, 1>(q, dk, k, p, i, j);
    }
    return;
  }
#endif
  for (Eigen::Index j = 0; j < nb; ++j)
    for (Eigen::Index i = 0; i < group; ++i) p[i][j] = dot(q + i * dk, k[j], dk);
}

// o_i[d] += Σ_j p[i][j]·v_j[d] (j = 0 … nb−1 in order) for the group's heads.
inline void block_values(float* o, Eigen::Index group, Eigen::Index dv, const score_block& p,
                         const float* const* v, Eigen::Index nb) {
#ifdef __AVX512F__
  if (dv % 16 == 0) {
    Eigen::Index i = 0;
    for (; i + 4 <= group; i += 4) value_tiles<4>(o, dv, p, v, nb, i);
    for (; i < group; ++i) value_tiles<1>(o, dv, p, v, nb, i);
    return;
  }
#endif
  for (Eigen::Index i = 0; i < group; ++i) {
    float* oi = o + i * dv;
    for (Eigen::Index j = 0; j < nb; ++j) {
      const float w = p[i][j];
      for (Eigen::Index d = 0; d < dv; ++d) oi[d] += w * v[j][d];
    }
  }
}

// Rows is the cache access: k(g, t, buf) / v(g, t, buf) return the FP32 key / value row of
// token t, kv head g — a pointer into FP32 storage (copies = false; k_stride / v_stride are the
// row strides), or buf filled by dequantizing (copies = true).
// Each (kv head, chunk) item is one pass over the chunk's rows: per block of token_block
// tokens, scores of the group's query heads (dot products against each K row), an online
// softmax update per head (running max and sum; Milakov & Gimelshein 2018), then the weighted
// V rows accumulated into the head's partial output. No allocation inside items: partials live
// in part_out, row buffers are per thread, allocated once per call.
template <class Rows>
Mat decode(const const_mat_ref& q, Eigen::Index n_k, const attention_shape& shape, bool copies,
           const Rows& rows) {
  const Eigen::Index dk = shape.head_dim_qk;
  const Eigen::Index dv = shape.head_dim_v;
  const Eigen::Index group = shape.group_size();
  const Eigen::Index n_chunks = (n_k + decode_chunk - 1) / decode_chunk;
  const Eigen::Index n_kv = shape.n_kv_heads;
  // Partials, one block of `group` rows per (kv head, chunk).
  Mat part_out(n_kv * n_chunks * group, dv);
  Vec part_max(n_kv * n_chunks * group);
  Vec part_sum(n_kv * n_chunks * group);
  const bool fused = group <= max_fused_group;
  // Per-thread dequantization buffers: one K row and a block of V rows (fused form), or one
  // K and one V row (the GEMM form copies its rows into its chunk matrices anyway).
  const Eigen::Index buf_size = copies ? (fused ? token_block : 1) * (dk + dv) : 0;
  std::vector<float> bufs(static_cast<std::size_t>(buf_size) *
                          static_cast<std::size_t>(omp_get_max_threads()));

  parallel_for(n_kv * n_chunks, [&](std::int64_t item) {
    // Chunk-major order: consecutive items read the same cache rows (all kv heads of a token
    // are adjacent in memory), so a row block is fetched from DRAM once, not once per head.
    const Eigen::Index g = item % n_kv;
    const Eigen::Index c = item / n_kv;
    const Eigen::Index t0 = c * decode_chunk;
    const Eigen::Index n = std::min(decode_chunk, n_k - t0);
    const Eigen::Index row0 = (g * n_chunks + c) * group;
    float* k_buf = bufs.data() + buf_size * omp_get_thread_num();
    float* v_buf = k_buf + (fused ? token_block : 1) * dk;
    const float* q_group = q.data() + g * group * dk;
    const auto k_row = [&](Eigen::Index t, float* buf) {
      return rows.k(static_cast<int>(g), static_cast<int>(t), buf);
    };
    const auto v_row = [&](Eigen::Index t, float* buf) {
      return rows.v(static_cast<int>(g), static_cast<int>(t), buf);
    };

    if (!fused) {
      // The group's query heads are adjacent in q: a [group, dk] row-major block.
      Mat k_chunk;
      Mat v_chunk;
      const float* k0 = k_row(t0, k_buf);
      const float* v0 = v_row(t0, v_buf);
      Eigen::Index k_stride = rows.k_stride;
      Eigen::Index v_stride = rows.v_stride;
      if (copies) {  // dequantize the chunk
        k_chunk.resize(n, dk);
        v_chunk.resize(n, dv);
        for (Eigen::Index r = 0; r < n; ++r) {
          k_chunk.row(r) = Eigen::Map<const Eigen::RowVectorXf>(k_row(t0 + r, k_buf), dk);
          v_chunk.row(r) = Eigen::Map<const Eigen::RowVectorXf>(v_row(t0 + r, v_buf), dv);
        }
        k0 = k_chunk.data();
        v0 = v_chunk.data();
        k_stride = dk;
        v_stride = dv;
      }
      const const_mat_map k_map(k0, n, dk, Eigen::OuterStride<>(k_stride));
      const const_mat_map v_map(v0, n, dv, Eigen::OuterStride<>(v_stride));
      const const_mat_map q_map(q_group, group, dk, Eigen::OuterStride<>(dk));
      Mat s = q_map * k_map.transpose();
      s *= shape.scale;
      for (Eigen::Index i = 0; i < group; ++i) {
        const float max = s.row(i).maxCoeff();
        s.row(i) = (s.row(i).array() - max).exp();
        part_max(row0 + i) = max;
        part_sum(row0 + i) = s.row(i).sum();
      }
      part_out.middleRows(row0, group).noalias() = s * v_map;
      return;
    }

    float run_max[max_fused_group];
    float run_sum[max_fused_group];
    score_block p;
    for (Eigen::Index i = 0; i < group; ++i) {
      run_max[i] = -std::numeric_limits<float>::infinity();
      run_sum[i] = 0.0f;
    }
    part_out.middleRows(row0, group).setZero();
    float* out_rows = part_out.data() + row0 * dv;
    const float* k_rows[token_block];
    const float* v_rows[token_block];
    for (Eigen::Index b0 = 0; b0 < n; b0 += token_block) {
      const Eigen::Index nb = std::min(token_block, n - b0);
      for (Eigen::Index j = 0; j < nb; ++j) {
        const Eigen::Index t = t0 + b0 + j;
        if (!copies && t + prefetch_tokens < t0 + n) {
          prefetch_row(k_row(t + prefetch_tokens, k_buf), dk);
          prefetch_row(v_row(t + prefetch_tokens, v_buf), dv);
        }
        k_rows[j] = k_row(t, k_buf + j * dk);
      }
      block_scores(q_group, group, dk, k_rows, nb, p);
      for (Eigen::Index i = 0; i < group; ++i) {
        for (Eigen::Index j = 0; j < nb; ++j) p[i][j] *= shape.scale;
        float block_max = p[i][0];
        for (Eigen::Index j = 1; j < nb; ++j) block_max = std::max(block_max, p[i][j]);
        if (block_max > run_max[i]) {
          // Rescale what was accumulated under the old max (nothing yet on the first block).
          if (run_max[i] != -std::numeric_limits<float>::infinity()) {
            const float alpha = std::exp(run_max[i] - block_max);
            run_sum[i] *= alpha;
            float* o = out_rows + i * dv;
            for (Eigen::Index d = 0; d < dv; ++d) o[d] *= alpha;
          }
          run_max[i] = block_max;
        }
        const float m = run_max[i];
        for (Eigen::Index j = 0; j < nb; ++j) p[i][j] = exp_nonpositive(p[i][j] - m);
        for (Eigen::Index j = 0; j < nb; ++j) run_sum[i] += p[i][j];
      }
      for (Eigen::Index j = 0; j < nb; ++j) v_rows[j] = v_row(t0 + b0 + j, v_buf + j * dv);
      block_values(out_rows, group, dv, p, v_rows, nb);
    }
    for (Eigen::Index i = 0; i < group; ++i) {
      part_max(row0 + i) = run_max[i];
      part_sum(row0 + i) = run_sum[i];
    }
  });

  Mat out(1, Eigen::Index{shape.n_heads} * dv);
  parallel_for(n_kv, [&](std::int64_t g) {
    for (Eigen::Index i = 0; i < group; ++i) {
      const auto row = [&](Eigen::Index c) { return (g * n_chunks + c) * group + i; };
      float max = part_max(row(0));
      for (Eigen::Index c = 1; c < n_chunks; ++c) max = std::max(max, part_max(row(c)));
      Eigen::RowVectorXf acc = Eigen::RowVectorXf::Zero(dv);
      float sum = 0.0f;
      for (Eigen::Index c = 0; c < n_chunks; ++c) {
        const float w = std::exp(part_max(row(c)) - max);
        acc += w * part_out.row(row(c));
        sum += w * part_sum(row(c));
      }
      out.block(0, (g * group + i) * dv, 1, dv) = acc / sum;
    }
  });
  return out;
}

void check_decode(const const_mat_ref& q, Eigen::Index n_k) {
  if (q.rows() != 1) throw std::invalid_argument("attention_decode: q must have exactly one row");
  if (n_k < 1) throw std::invalid_argument("attention_decode: no cached tokens");
}

}  // namespace

Mat attention_decode(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
                     const attention_shape& shape) {
  check_attention_operands(q, k, v, shape, "attention_decode");
  check_decode(q, k.rows());
  const Eigen::Index dk = shape.head_dim_qk;
  const Eigen::Index dv = shape.head_dim_v;
  struct rows_t {
    const float* k_base;
    const float* v_base;
    Eigen::Index k_stride, v_stride, dk, dv;
    const float* k(int g, int t, float*) const { return k_base + t * k_stride + g * dk; }
    const float* v(int g, int t, float*) const { return v_base + t * v_stride + g * dv; }
  };
  return decode(q, k.rows(), shape, false,
                rows_t{k.data(), v.data(), k.outerStride(), v.outerStride(), dk, dv});
}

Mat attention_decode(const const_mat_ref& q, const kv_cache& cache, const attention_shape& shape) {
  shape.validate("attention_decode");
  if (cache.n_kv_heads() != shape.n_kv_heads || cache.head_dim_k() != shape.head_dim_qk ||
      cache.head_dim_v() != shape.head_dim_v) {
    throw std::invalid_argument("attention_decode: cache does not match attention_shape");
  }
  if (cache.storage() == kv_storage::fp32) {
    return attention_decode(q, cache.key_view(), cache.value_view(), shape);
  }
  if (q.cols() != Eigen::Index{shape.n_heads} * shape.head_dim_qk) {
    throw std::invalid_argument("attention_decode: q columns != n_heads·head_dim_qk");
  }
  check_decode(q, cache.size());
  struct rows_t {
    const kv_cache* cache;
    Eigen::Index k_stride = 0, v_stride = 0;  // rows are dequantized copies
    const float* k(int g, int t, float* buf) const { return cache->key_row(g, t, buf); }
    const float* v(int g, int t, float* buf) const { return cache->value_row(g, t, buf); }
  };
  return decode(q, cache.size(), shape, true, rows_t{&cache});
}

Mat attention_prefill(const const_mat_ref& q, const kv_cache& cache, const attention_shape& shape) {
  if (cache.storage() == kv_storage::fp32) {
    return attention_prefill(q, cache.key_view(), cache.value_view(), shape);
  }
  return attention_prefill(q, cache.keys(), cache.values(), shape);
}

}  // namespace kernels
