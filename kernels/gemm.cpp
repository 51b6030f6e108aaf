#include "kernels/gemm.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#include "kernels/parallel.hpp"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define FIRSTWALL_GEMM_PACKED 1
#include <immintrin.h>
#endif

namespace kernels {
namespace {

using Index = Eigen::Index;

#if defined(FIRSTWALL_GEMM_PACKED)
// ---- The packed kernel (see gemm.hpp). Names follow Goto & van de Geijn 2008, "Anatomy of
// High-Performance Matrix Multiplication" (ACM TOMS 34(3)), and BLIS (Van Zee & van de Geijn
// 2015): MR × NR register block, KC-deep packed panels, NC-wide packed block of W.
//
// Register block: MR·NV accumulators + NV vectors of W + 1 broadcast of x must fit the vector
// registers (32 with AVX-512, 16 with AVX2), and each k step does NV vector loads and MR
// broadcasts for MR·NV FMAs. AVX-512: 14 × 2 = 28 accumulators, 16 loads per 28 FMAs
// (measured on one Sapphire Rapids core with the panels in cache: 14 × 32 at 0.96 of the FMA
// peak, 12 × 32 at 0.83–0.93, 8 × 48 0.84–0.87, 6 × 64 0.87–0.89). AVX2: 6 × 2 = 12, the
// classic Haswell block.
// Blocking: x's strip (MR × KC, 14 KiB) stays in L1 while the W block (KC × NC = 512 KiB)
// streams from L2 (1 MiB or more on every AVX-512 core: Skylake-SP, Ice Lake, Sapphire
// Rapids, Zen 4, Zen 5). KC = 256 beat 192 and (384, 512 with NC = 256) on Sapphire Rapids.
// These are per-ISA constants; nothing is tuned per host.
#if defined(__AVX512F__)
constexpr int lanes = 16;
constexpr int mr = 14;
using vec = __m512;
inline vec vzero() {
  return _mm512_setzero_ps();
}
inline vec vloadu(const float* p) {
  return _mm512_loadu_ps(p);
}
inline vec vload(const float* p) {
  return _mm512_load_ps(p);
}
inline vec vbroadcast(const float* p) {
  return _mm512_set1_ps(*p);
}
inline vec vfma(vec a, vec b, vec c) {
  return _mm512_fmadd_ps(a, b, c);
}
inline void vstoreu(float* p, vec v) {
  _mm512_storeu_ps(p, v);
}
constexpr const char* packed_name = "packed_avx512";
#else
constexpr int lanes = 8;
constexpr int mr = 6;
using vec = __m256;
inline vec vzero() {
  return _mm256_setzero_ps();
}
inline vec vloadu(const float* p) {
  return _mm256_loadu_ps(p);
}
inline vec vload(const float* p) {
  return _mm256_load_ps(p);
}
inline vec vbroadcast(const float* p) {
  return _mm256_broadcast_ss(p);
}
inline vec vfma(vec a, vec b, vec c) {
  return _mm256_fmadd_ps(a, b, c);
}
inline void vstoreu(float* p, vec v) {
  _mm256_storeu_ps(p, v);
}
constexpr const char* packed_name = "packed_avx2";
#endif
constexpr int nv = 2;
constexpr int nr = nv * lanes;
constexpr Index kc = 256;
constexpr Index nc = 512;
constexpr std::align_val_t buffer_alignment{64};

// c[R × NR] (row stride ldc) = a·b continued from c (or from 0 when `first`), one k step at a
// time: a holds up to MR rows of x at stride kc (a[i·kc + p]), b holds kb rows of NR values of
// W (b[p·NR + j], 64-byte aligned). R = MR except in the last strip of a tile.
template <int R>
void micro_kernel(const float* __restrict a, const float* __restrict b, Index kb, float* c,
                  Index ldc, bool first) {
  // Separate initialization loops, fully unrolled: with a conditional per element GCC 12
  // keeps the AVX2 accumulators on the stack and stores them every k step.
  vec acc[R][nv];
  if (first) {
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      for (int v = 0; v < nv; ++v) acc[i][v] = vzero();
    }
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      for (int v = 0; v < nv; ++v) acc[i][v] = vloadu(c + i * ldc + v * lanes);
    }
  }
  for (Index p = 0; p < kb; ++p) {
    vec bv[nv];
    for (int v = 0; v < nv; ++v) bv[v] = vload(b + p * nr + v * lanes);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const vec ai = vbroadcast(a + i * kc + p);
      for (int v = 0; v < nv; ++v) acc[i][v] = vfma(ai, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    for (int v = 0; v < nv; ++v) vstoreu(c + i * ldc + v * lanes, acc[i][v]);
  }
}

using micro_kernel_fn = void (*)(const float*, const float*, Index, float*, Index, bool);

// micro_kernels[R - 1] computes R rows.
template <std::size_t... I>
constexpr std::array<micro_kernel_fn, sizeof...(I)> micro_kernel_table(std::index_sequence<I...>) {
  return {&micro_kernel<static_cast<int>(I) + 1>...};
}
constexpr auto micro_kernels = micro_kernel_table(std::make_index_sequence<mr>{});

// dst[c·ld_dst + r] = src[r·ld_src + c] for a lanes × lanes block: `rows` valid source rows
// (the rest read as 0) and `cols` valid columns (only those destination rows are written).
#if defined(__AVX512F__)
void transpose_block(const float* src, Index ld_src, Index rows, Index cols, float* dst,
                     Index ld_dst) {
  const auto mask = static_cast<__mmask16>((1u << cols) - 1u);
  __m512 r[16];
  __m512 s[16];
  for (int t = 0; t < 16; ++t) {
    r[t] = t < rows ? _mm512_maskz_loadu_ps(mask, src + t * ld_src) : _mm512_setzero_ps();
  }
  for (int t = 0; t < 16; t += 2) {
    s[t] = _mm512_unpacklo_ps(r[t], r[t + 1]);
    s[t + 1] = _mm512_unpackhi_ps(r[t], r[t + 1]);
  }
  for (int t = 0; t < 16; t += 4) {
    r[t] = _mm512_shuffle_ps(s[t], s[t + 2], 0x44);
    r[t + 1] = _mm512_shuffle_ps(s[t], s[t + 2], 0xEE);
    r[t + 2] = _mm512_shuffle_ps(s[t + 1], s[t + 3], 0x44);
    r[t + 3] = _mm512_shuffle_ps(s[t + 1], s[t + 3], 0xEE);
  }
  for (int t = 0; t < 4; ++t) {
    s[t] = _mm512_shuffle_f32x4(r[t], r[t + 4], 0x88);
    s[t + 4] = _mm512_shuffle_f32x4(r[t], r[t + 4], 0xDD);
    s[t + 8] = _mm512_shuffle_f32x4(r[t + 8], r[t + 12], 0x88);
    s[t + 12] = _mm512_shuffle_f32x4(r[t + 8], r[t + 12], 0xDD);
  }
  for (int t = 0; t < 8; ++t) {
    r[t] = _mm512_shuffle_f32x4(s[t], s[t + 8], 0x88);
    r[t + 8] = _mm512_shuffle_f32x4(s[t], s[t + 8], 0xDD);
  }
  for (Index t = 0; t < cols; ++t) _mm512_storeu_ps(dst + t * ld_dst, r[t]);
}
#else
void transpose_block(const float* src, Index ld_src, Index rows, Index cols, float* dst,
                     Index ld_dst) {
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(cols)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256 r[8];
  __m256 s[8];
  for (int t = 0; t < 8; ++t) {
    r[t] = t < rows ? _mm256_maskload_ps(src + t * ld_src, mask) : _mm256_setzero_ps();
  }
  for (int t = 0; t < 8; t += 2) {
    s[t] = _mm256_unpacklo_ps(r[t], r[t + 1]);
    s[t + 1] = _mm256_unpackhi_ps(r[t], r[t + 1]);
  }
  for (int t = 0; t < 8; t += 4) {
    r[t] = _mm256_shuffle_ps(s[t], s[t + 2], 0x44);
    r[t + 1] = _mm256_shuffle_ps(s[t], s[t + 2], 0xEE);
    r[t + 2] = _mm256_shuffle_ps(s[t + 1], s[t + 3], 0x44);
    r[t + 3] = _mm256_shuffle_ps(s[t + 1], s[t + 3], 0xEE);
  }
  for (int t = 0; t < 4; ++t) {
    s[t] = _mm256_permute2f128_ps(r[t], r[t + 4], 0x20);
    s[t + 4] = _mm256_permute2f128_ps(r[t], r[t + 4], 0x31);
  }
  for (Index t = 0; t < cols; ++t) _mm256_storeu_ps(dst + t * ld_dst, s[t]);
}
#endif

// Packs rows [j0, j0 + NR) of w (rows past n read as 0), columns [p0, p0 + kb), into
// b[p·NR + j].
void pack_w_panel(const float* w, Index ldw, Index n, Index j0, Index p0, Index kb, float* b) {
  for (int g = 0; g < nv; ++g) {
    const Index r0 = j0 + g * lanes;
    const Index rows = std::clamp<Index>(n - r0, 0, lanes);
    for (Index q = 0; q < kb; q += lanes) {
      transpose_block(w + r0 * ldw + p0 + q, ldw, rows, std::min<Index>(lanes, kb - q),
                      b + q * nr + g * lanes, nr);
    }
  }
}

// Per-thread packing buffers, allocated once per thread (the OpenMP pool keeps its threads).
struct pack_buffers {
  float* w = nullptr;  // kc × nc: the packed W block
  float* x = nullptr;  // mr × kc: the x strip
  pack_buffers()
      : w(static_cast<float*>(::operator new[](sizeof(float) * kc * nc, buffer_alignment))),
        x(static_cast<float*>(::operator new[](sizeof(float) * mr * kc, buffer_alignment))) {}
  ~pack_buffers() {
    ::operator delete[](w, buffer_alignment);
    ::operator delete[](x, buffer_alignment);
  }
  pack_buffers(const pack_buffers&) = delete;
  pack_buffers& operator=(const pack_buffers&) = delete;
};

// y[m × n] = x[m × k] · w[n × k]ᵀ, all row-major with the given row strides.
void gemm_packed(const float* x, Index ldx, const float* w, Index ldw, float* y, Index ldy, Index m,
                 Index n, Index k) {
  if (k == 0) {
    for (Index i = 0; i < m; ++i) std::fill(y + i * ldy, y + i * ldy + n, 0.0f);
    return;
  }
  thread_local pack_buffers buf;
  alignas(64) float edge[mr * nr];  // partial micro-tiles at the right edge
  for (Index jc = 0; jc < n; jc += nc) {
    const Index ncols = std::min(nc, n - jc);
    for (Index pc = 0; pc < k; pc += kc) {
      const Index kb = std::min(kc, k - pc);
      const bool first = pc == 0;
      for (Index jr = 0; jr < ncols; jr += nr) {
        pack_w_panel(w + jc * ldw, ldw, ncols, jr, pc, kb, buf.w + jr * kb);
      }
      for (Index ir = 0; ir < m; ir += mr) {
        const Index rows = std::min<Index>(mr, m - ir);
        for (Index i = 0; i < rows; ++i) {
          std::memcpy(buf.x + i * kc, x + (ir + i) * ldx + pc, sizeof(float) * kb);
        }
        const micro_kernel_fn kernel = micro_kernels[static_cast<std::size_t>(rows - 1)];
        for (Index jr = 0; jr < ncols; jr += nr) {
          const Index cols = std::min<Index>(nr, ncols - jr);
          float* c = y + ir * ldy + jc + jr;
          const float* panel = buf.w + jr * kb;
          if (cols == nr) {
            kernel(buf.x, panel, kb, c, ldy, first);
            continue;
          }
          // Right edge: through a full-width buffer (W's panel is zero past n).
          if (!first) {
            for (Index i = 0; i < rows; ++i)
              std::memcpy(edge + i * nr, c + i * ldy, sizeof(float) * cols);
          }
          kernel(buf.x, panel, kb, edge, nr, first);
          for (Index i = 0; i < rows; ++i)
            std::memcpy(c + i * ldy, edge + i * nr, sizeof(float) * cols);
        }
      }
    }
  }
}
#endif  // FIRSTWALL_GEMM_PACKED

#if defined(FIRSTWALL_GEMM_PACKED)
// A single row goes to Eigen's matrix-vector product, which streams W once; packing W would
// cost more than the product (m = 1, n = k = 4096 on Sapphire Rapids: 2.7× slower packed, but
// 1.15× faster at m = 2 and 1.6× at m = 14).
bool use_packed(Index m_total) {
  return m_total >= 2;
}
#endif

}  // namespace

const char* gemm_fp32_path(Eigen::Index m) {
#if defined(FIRSTWALL_GEMM_PACKED)
  if (use_packed(m)) return packed_name;
#else
  (void)m;
#endif
  return "eigen";
}

void linear_tile(const const_mat_ref& x, const const_mat_ref& w, mat_ref y, Eigen::Index m_total) {
#if defined(FIRSTWALL_GEMM_PACKED)
  if (use_packed(m_total)) {
    gemm_packed(x.data(), x.outerStride(), w.data(), w.outerStride(), y.data(), y.outerStride(),
                x.rows(), w.rows(), x.cols());
    return;
  }
#else
  (void)m_total;
#endif
  y.noalias() = x * w.transpose();
}

void linear_into(const const_mat_ref& x, const const_mat_ref& w, mat_ref y) {
  if (x.cols() != w.cols() || y.rows() != x.rows() || y.cols() != w.rows()) {
    throw std::invalid_argument("linear: shapes do not match (y = x · Wᵀ, W is [out, in])");
  }
  const Eigen::Index m = x.rows();
  for_each_gemm_tile(
      m, w.rows(), [&](Eigen::Index r0, Eigen::Index rows, Eigen::Index c0, Eigen::Index cols) {
        linear_tile(x.middleRows(r0, rows), w.middleRows(c0, cols), y.block(r0, c0, rows, cols), m);
      });
}

Mat linear(const const_mat_ref& x, const const_mat_ref& w) {
  Mat y(x.rows(), w.rows());
  linear_into(x, w, y);
  return y;
}

}  // namespace kernels
