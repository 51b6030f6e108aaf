#include "kernels/gemm_bf16.hpp"

#include <algorithm>
#include <stdexcept>

#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"

#if defined(__AVX512BF16__)
#include <immintrin.h>
#endif

namespace kernels {
namespace {

#if defined(__AVX512BF16__)
__m512bh load_bf16x32(const bf16* p) {
  return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
}

__m512bh load_bf16_tail(const bf16* p, Eigen::Index count) {
  const auto mask = static_cast<__mmask32>((std::uint64_t{1} << count) - 1);
  return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, p));
}

// MR rows of x against NR rows of W: MR·NR dot products sharing their loads. Each accumulator
// sees the same sequence of VDPBF16PS steps whatever MR and NR are, so which variant computes
// an element does not change its value.
template <int MR, int NR>
void dot_block(const bf16* x, Eigen::Index ldx, const bf16* w, Eigen::Index ldw, Eigen::Index k,
               float* y, Eigen::Index ldy) {
  __m512 acc[MR][NR];
  for (auto& row : acc) {
    for (auto& a : row) a = _mm512_setzero_ps();
  }
  Eigen::Index p = 0;
  for (; p + 32 <= k; p += 32) {
    __m512bh wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = load_bf16x32(w + j * ldw + p);
    for (int i = 0; i < MR; ++i) {
      const __m512bh xv = load_bf16x32(x + i * ldx + p);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], xv, wv[j]);
    }
  }
  if (p < k) {
    __m512bh wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = load_bf16_tail(w + j * ldw + p, k - p);
    for (int i = 0; i < MR; ++i) {
      const __m512bh xv = load_bf16_tail(x + i * ldx + p, k - p);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], xv, wv[j]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) y[i * ldy + j] = _mm512_reduce_add_ps(acc[i][j]);
  }
}

void tile_avx512(const bf16_matrix& xb, const bf16_matrix& w, Eigen::Index r0, Eigen::Index rows,
                 Eigen::Index c0, Eigen::Index cols, Mat& y) {
  const Eigen::Index k = w.cols;
  const Eigen::Index ldy = y.cols();
  Eigen::Index i = 0;
  for (; i + 2 <= rows; i += 2) {
    Eigen::Index j = 0;
    for (; j + 4 <= cols; j += 4) {
      dot_block<2, 4>(xb.row(r0 + i), k, w.row(c0 + j), k, k, &y(r0 + i, c0 + j), ldy);
    }
    for (; j < cols; ++j) {
      dot_block<2, 1>(xb.row(r0 + i), k, w.row(c0 + j), k, k, &y(r0 + i, c0 + j), ldy);
    }
  }
  for (; i < rows; ++i) {
    Eigen::Index j = 0;
    for (; j + 4 <= cols; j += 4) {
      dot_block<1, 4>(xb.row(r0 + i), k, w.row(c0 + j), k, k, &y(r0 + i, c0 + j), ldy);
    }
    for (; j < cols; ++j) {
      dot_block<1, 1>(xb.row(r0 + i), k, w.row(c0 + j), k, k, &y(r0 + i, c0 + j), ldy);
    }
  }
}
#endif

Mat widen_rows(const bf16_matrix& m, Eigen::Index r0, Eigen::Index rows) {
  Mat out(rows, m.cols);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const bf16* src = m.row(r0 + r);
    for (Eigen::Index c = 0; c < m.cols; ++c) out(r, c) = to_float(src[c]);
  }
  return out;
}

}  // namespace

bf16_matrix bf16_matrix::from_fp32(const const_mat_ref& m) {
  bf16_matrix out{m.rows(), m.cols(), std::vector<bf16>(static_cast<std::size_t>(m.size()))};
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      out.data[static_cast<std::size_t>(r * m.cols() + c)] = to_bf16(m(r, c));
    }
  }
  return out;
}

Mat bf16_matrix::to_fp32() const {
  return widen_rows(*this, 0, rows);
}

bool bf16_path_available(bf16_path path) {
#if defined(__AVX512BF16__)
  (void)path;
  return true;
#else
  return path != bf16_path::avx512_bf16;
#endif
}

Mat linear_bf16(const const_mat_ref& x, const bf16_matrix& w, bf16_path path) {
  if (x.cols() != w.cols) {
    throw std::invalid_argument("linear_bf16: x columns != W columns (y = x · Wᵀ)");
  }
  if (!bf16_path_available(path)) {
    throw std::invalid_argument(
        "linear_bf16: AVX512-BF16 path not compiled in (no __AVX512BF16__)");
  }
  if (path == bf16_path::automatic) {
#if defined(__AVX512BF16__)
    path = bf16_path::avx512_bf16;
#else
    path = bf16_path::fp32_convert;
#endif
  }
  const bf16_matrix xb = bf16_matrix::from_fp32(x);
  const Eigen::Index m = x.rows();
  const Eigen::Index n = w.rows;
  Mat y(m, n);
  const Mat x_rounded = path == bf16_path::fp32_convert ? xb.to_fp32() : Mat();
  for_each_gemm_tile(
      m, n, [&](Eigen::Index r0, Eigen::Index rows, Eigen::Index c0, Eigen::Index cols) {
#if defined(__AVX512BF16__)
        if (path == bf16_path::avx512_bf16) {
          tile_avx512(xb, w, r0, rows, c0, cols, y);
          return;
        }
#endif
        const Mat w_tile = widen_rows(w, c0, cols);
        linear_tile(x_rounded.middleRows(r0, rows), w_tile, y.block(r0, c0, rows, cols), m);
      });
  return y;
}

}  // namespace kernels
