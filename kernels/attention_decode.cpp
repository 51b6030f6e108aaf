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
// Tokens whose K (V) rows one sweep over the slab's kv heads reads (see decode()): 8 was the
// fastest on Zen 4 (GQA 32q/8kv, 32k tokens, one thread: 4 tokens −12 %, 16 tokens −7 %).
constexpr Eigen::Index sweep_tokens = 8;

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

#ifdef __AVX512F__
// exp_nonpositive on 16 lanes (the same steps, with fused multiply-adds).
inline __m512 exp_nonpositive16(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
  const __m512 n = _mm512_roundscale_ps(
      _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
      _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f),
                                   _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x));
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(y, r), r, r), _mm512_set1_ps(1.0f));
  const __m512i bits =
      _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}
#endif

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

// Scores of one block: row i (a query head) holds its token_block scores.
using score_rows = float*;

#ifdef __AVX512F__
// Register tiles for head dims that are multiples of 16: each K (V) vector loaded once serves
// NH query heads, each query vector NT tokens.
template <int NH, int NT>
inline void score_tile(const float* q, Eigen::Index dk, const float* const* k, score_rows p,
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
  if constexpr (NH == 4 && NT == 4) {
    // The 16 horizontal sums in one tree (45 shuffles and adds instead of 16 separate
    // reductions, which cost as much as the tile's FMAs): lane 4h + t of the result is q_h·k_t.
    __m512 c[8];
    for (int i = 0; i < 8; ++i) {  // 512 -> 256-bit halves: acc[t][h] pairs by token
      const __m512 a = acc[(2 * i) % 4][(2 * i) / 4];
      const __m512 b = acc[(2 * i + 1) % 4][(2 * i + 1) / 4];
      c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    __m512 d[4];
    for (int i = 0; i < 4; ++i) {  // -> 128-bit lanes
      d[i] = _mm512_add_ps(_mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    }
    __m512 e[2];
    for (int i = 0; i < 2; ++i) {  // -> pairs within each 128-bit lane
      e[i] = _mm512_add_ps(_mm512_shuffle_ps(d[2 * i], d[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_ps(d[2 * i], d[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    }
    const __m512 f = _mm512_add_ps(_mm512_shuffle_ps(e[0], e[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_ps(e[0], e[1], _MM_SHUFFLE(3, 1, 3, 1)));
    float sums[16];
    _mm512_storeu_ps(sums, f);
    for (int h = 0; h < 4; ++h)
      for (int t = 0; t < 4; ++t) p[(i0 + h) * token_block + j0 + t] = sums[4 * h + t];
  } else {
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < NT; ++t)
        p[(i0 + h) * token_block + j0 + t] = _mm512_reduce_add_ps(acc[h][t]);
  }
}

template <int NH, int NV>
inline void value_tile(float* o, Eigen::Index dv, const float* p, const float* const* v,
                       Eigen::Index nb, Eigen::Index i0, Eigen::Index d0) {
  __m512 acc[NH][NV];
  for (int h = 0; h < NH; ++h)
    for (int u = 0; u < NV; ++u) acc[h][u] = _mm512_loadu_ps(o + (i0 + h) * dv + d0 + 16 * u);
  for (Eigen::Index j = 0; j < nb; ++j) {
    __m512 vv[NV];
    for (int u = 0; u < NV; ++u) vv[u] = _mm512_loadu_ps(v[j] + d0 + 16 * u);
    for (int h = 0; h < NH; ++h) {
      const __m512 w = _mm512_set1_ps(p[(i0 + h) * token_block + j]);
      for (int u = 0; u < NV; ++u) acc[h][u] = _mm512_fmadd_ps(w, vv[u], acc[h][u]);
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int u = 0; u < NV; ++u) _mm512_storeu_ps(o + (i0 + h) * dv + d0 + 16 * u, acc[h][u]);
}

template <int NH>
inline void value_tiles(float* o, Eigen::Index dv, const float* p, const float* const* v,
                        Eigen::Index nb, Eigen::Index i0) {
  Eigen::Index d = 0;
  for (; d + 64 <= dv; d += 64) value_tile<NH, 4>(o, dv, p, v, nb, i0, d);
  for (; d < dv; d += 16) value_tile<NH, 1>(o, dv, p, v, nb, i0, d);
}
#endif

// p[i·token_block + j] = q_i · k_j for the group's heads i < group and tokens j < nb. Each score
// is one dot product in a fixed order, whichever tile computes it.
inline void block_scores(const float* q, Eigen::Index group, Eigen::Index dk, const float* const* k,
                         Eigen::Index nb, score_rows p) {
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
    for (Eigen::Index i = 0; i < group; ++i) p[i * token_block + j] = dot(q + i * dk, k[j], dk);
}

// o_i[d] += Σ_j p[i·token_block + j]·v_j[d] (j = 0 … nb−1 in order) for the group's heads.
// Splitting the tokens over several calls gives the same bits (each o_i[d] is one chain of FMAs).
inline void block_values(float* o, Eigen::Index group, Eigen::Index dv, const float* p,
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
      const float w = p[i * token_block + j];
      for (Eigen::Index d = 0; d < dv; ++d) oi[d] += w * v[j][d];
    }
  }
}

// Rows is the cache access: k(g, t, buf) / v(g, t, buf) return the FP32 key / value row of
// token t, kv head g — a pointer into FP32 storage (copies = false; k_stride / v_stride are the
// row strides), or buf filled by dequantizing (copies = true).
//
// Fused form (groups of up to 16 query heads per kv head): an item is one chunk of tokens for a
// slab of adjacent kv heads — all of them when there are enough chunks to keep every thread busy.
// One pass over the chunk, per block of token_block tokens: the scores of every query head of
// the slab, an online-softmax update per head (running max and sum; Milakov & Gimelshein 2018),
// then the weighted V rows added to each head's partial output. Within a block, sweeps of
// sweep_tokens tokens are the outer loop and kv heads the inner one, so the cache is read row after
// row, front to back (a token's kv heads are adjacent): a stream the hardware prefetchers follow.
// One kv head per item instead reads a few cache lines out of every row — a 4 KiB stride no
// prefetcher follows, which left decode at a quarter of STREAM bandwidth. Each head's arithmetic is
// the same in any slab, so the slab size (which depends on the thread count) cannot change a bit of
// the result. No allocation inside items: partials live in part_out, scratch is per thread.
template <class Rows>
Mat decode(const const_mat_ref& q, Eigen::Index n_k, const attention_shape& shape, bool copies,
           const Rows& rows) {
  const Eigen::Index dk = shape.head_dim_qk;
  const Eigen::Index dv = shape.head_dim_v;
  const Eigen::Index group = shape.group_size();
  const Eigen::Index n_chunks = (n_k + decode_chunk - 1) / decode_chunk;
  const Eigen::Index n_kv = shape.n_kv_heads;
  // Partials of query head i of kv head g over chunk c: row (g·n_chunks + c)·group + i.
  Mat part_out(n_kv * n_chunks * group, dv);
  Vec part_max(n_kv * n_chunks * group);
  Vec part_sum(n_kv * n_chunks * group);
  const auto part_row = [&](Eigen::Index g, Eigen::Index c) { return (g * n_chunks + c) * group; };
  const auto k_row = [&](Eigen::Index g, Eigen::Index t, float* buf) {
    return rows.k(static_cast<int>(g), static_cast<int>(t), buf);
  };
  const auto v_row = [&](Eigen::Index g, Eigen::Index t, float* buf) {
    return rows.v(static_cast<int>(g), static_cast<int>(t), buf);
  };
  const auto threads = static_cast<Eigen::Index>(omp_get_max_threads());

  if (group > max_fused_group) {
    // One small GEMM per (kv head, chunk); rows dequantized into the chunk matrices.
    parallel_for(n_kv * n_chunks, [&](std::int64_t item) {
      const Eigen::Index g = item % n_kv;
      const Eigen::Index c = item / n_kv;
      const Eigen::Index t0 = c * decode_chunk;
      const Eigen::Index n = std::min(decode_chunk, n_k - t0);
      const Eigen::Index row0 = part_row(g, c);
      Mat k_chunk;
      Mat v_chunk;
      const float* k0 = nullptr;
      const float* v0 = nullptr;
      Eigen::Index k_stride = rows.k_stride;
      Eigen::Index v_stride = rows.v_stride;
      if (copies) {
        k_chunk.resize(n, dk);
        v_chunk.resize(n, dv);
        for (Eigen::Index r = 0; r < n; ++r) {
          k_row(g, t0 + r, k_chunk.row(r).data());
          v_row(g, t0 + r, v_chunk.row(r).data());
        }
        k0 = k_chunk.data();
        v0 = v_chunk.data();
        k_stride = dk;
        v_stride = dv;
      } else {
        k0 = k_row(g, t0, nullptr);
        v0 = v_row(g, t0, nullptr);
      }
      const const_mat_map k_map(k0, n, dk, Eigen::OuterStride<>(k_stride));
      const const_mat_map v_map(v0, n, dv, Eigen::OuterStride<>(v_stride));
      // The group's query heads are adjacent in q: a [group, dk] row-major block.
      const const_mat_map q_map(q.data() + g * group * dk, group, dk, Eigen::OuterStride<>(dk));
      Mat s = q_map * k_map.transpose();
      s *= shape.scale;
      for (Eigen::Index i = 0; i < group; ++i) {
        const float max = s.row(i).maxCoeff();
        s.row(i) = (s.row(i).array() - max).exp();
        part_max(row0 + i) = max;
        part_sum(row0 + i) = s.row(i).sum();
      }
      part_out.middleRows(row0, group).noalias() = s * v_map;
    });
  } else {
    // Slabs: as few as leave about four items per thread.
    const Eigen::Index n_slabs =
        std::clamp<Eigen::Index>((4 * threads + n_chunks - 1) / n_chunks, 1, n_kv);
    const Eigen::Index slab = (n_kv + n_slabs - 1) / n_slabs;
    const Eigen::Index slabs = (n_kv + slab - 1) / slab;  // after rounding the slab size up
    // Per-thread scratch: the slab's block scores, running max and sum, and (dequantizing
    // caches only) one sweep's K and V rows.
    const Eigen::Index heads = slab * group;
    const Eigen::Index row_buf = copies ? sweep_tokens * (dk + dv) : 0;
    const Eigen::Index scratch = heads * (token_block + 2) + row_buf;
    std::vector<float> scratch_all(static_cast<std::size_t>(scratch * threads));

    parallel_for(n_chunks * slabs, [&](std::int64_t item) {
      const Eigen::Index c = item / slabs;
      const Eigen::Index g0 = (item % slabs) * slab;
      const Eigen::Index g1 = std::min(n_kv, g0 + slab);
      const Eigen::Index t0 = c * decode_chunk;
      const Eigen::Index n = std::min(decode_chunk, n_k - t0);
      float* p = scratch_all.data() + scratch * omp_get_thread_num();
      float* run_max = p + heads * token_block;
      float* run_sum = run_max + heads;
      float* k_buf = run_sum + heads;
      float* v_buf = k_buf + (copies ? sweep_tokens * dk : 0);
      const auto scores = [&](Eigen::Index g) { return p + (g - g0) * group * token_block; };
      const auto out_rows = [&](Eigen::Index g) { return part_out.data() + part_row(g, c) * dv; };
      const Eigen::Index n_heads = (g1 - g0) * group;
      std::fill(run_max, run_max + n_heads, -std::numeric_limits<float>::infinity());
      std::fill(run_sum, run_sum + n_heads, 0.0f);
      for (Eigen::Index g = g0; g < g1; ++g) part_out.middleRows(part_row(g, c), group).setZero();

      // A new running max for head h: rescale what was accumulated under the old one (nothing
      // yet on the first block).
      const auto rescale = [&](Eigen::Index h, float block_max) {
        if (block_max <= run_max[h]) return;
        if (run_max[h] != -std::numeric_limits<float>::infinity()) {
          const float alpha = std::exp(run_max[h] - block_max);
          run_sum[h] *= alpha;
          float* o = out_rows(g0 + h / group) + (h % group) * dv;
          for (Eigen::Index d = 0; d < dv; ++d) o[d] *= alpha;
        }
        run_max[h] = block_max;
      };
      // The block's tokens b0 .. b0 + nb in sweeps of sweep_tokens, each over all the slab's kv
      // heads: for each (sweep, kv head), kv_rows holds the sweep's rows of that head (`row`
      // reads them, into `buf` where the cache dequantizes) and consume(g, j0, ns) uses them.
      const float* kv_rows[sweep_tokens];
      const auto sweep = [&](Eigen::Index b0, Eigen::Index nb, const auto& row, float* buf,
                             Eigen::Index dim, const auto& consume) {
        for (Eigen::Index j0 = 0; j0 < nb; j0 += sweep_tokens) {
          const Eigen::Index ns = std::min(sweep_tokens, nb - j0);
          for (Eigen::Index g = g0; g < g1; ++g) {
            for (Eigen::Index j = 0; j < ns; ++j)
              kv_rows[j] = row(g, t0 + b0 + j0 + j, buf + j * dim);
            consume(g, j0, ns);
          }
        }
      };
      for (Eigen::Index b0 = 0; b0 < n; b0 += token_block) {
        const Eigen::Index nb = std::min(token_block, n - b0);
        sweep(b0, nb, k_row, k_buf, dk, [&](Eigen::Index g, Eigen::Index j0, Eigen::Index ns) {
          block_scores(q.data() + g * group * dk, group, dk, kv_rows, ns, scores(g) + j0);
        });
        for (Eigen::Index h = 0; h < n_heads; ++h) {
          float* ph = p + h * token_block;
#ifdef __AVX512F__
          static_assert(token_block == 16, "one AVX-512 vector per block of scores");
          if (nb == token_block) {  // a full block in one vector: the steps of the loops below
            const __m512 x = _mm512_mul_ps(_mm512_loadu_ps(ph), _mm512_set1_ps(shape.scale));
            const float block_max = _mm512_reduce_max_ps(x);
            rescale(h, block_max);
            const __m512 e = exp_nonpositive16(_mm512_sub_ps(x, _mm512_set1_ps(run_max[h])));
            _mm512_storeu_ps(ph, e);
            run_sum[h] += _mm512_reduce_add_ps(e);
            continue;
          }
#endif
          for (Eigen::Index j = 0; j < nb; ++j) ph[j] *= shape.scale;
          float block_max = ph[0];
          for (Eigen::Index j = 1; j < nb; ++j) block_max = std::max(block_max, ph[j]);
          rescale(h, block_max);
          const float m = run_max[h];
          for (Eigen::Index j = 0; j < nb; ++j) ph[j] = exp_nonpositive(ph[j] - m);
          for (Eigen::Index j = 0; j < nb; ++j) run_sum[h] += ph[j];
        }
        sweep(b0, nb, v_row, v_buf, dv, [&](Eigen::Index g, Eigen::Index j0, Eigen::Index ns) {
          block_values(out_rows(g), group, dv, scores(g) + j0, kv_rows, ns);
        });
      }
      for (Eigen::Index g = g0; g < g1; ++g) {
        for (Eigen::Index i = 0; i < group; ++i) {
          part_max(part_row(g, c) + i) = run_max[(g - g0) * group + i];
          part_sum(part_row(g, c) + i) = run_sum[(g - g0) * group + i];
        }
      }
    });
  }

  Mat out(1, Eigen::Index{shape.n_heads} * dv);
  parallel_for(n_kv, [&](std::int64_t g) {
    for (Eigen::Index i = 0; i < group; ++i) {
      const auto row = [&](Eigen::Index c) { return part_row(g, c) + i; };
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
