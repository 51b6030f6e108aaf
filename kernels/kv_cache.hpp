#pragma once
// Per-layer key/value cache of one sequence: the keys and values of every past token, so a
// decode step computes K and V only for the new token.
//
// Storage options (the KV cache is what fills HBM in serving, so its element size matters):
//  - fp32: exact; views into the storage without copying (key_view / value_view).
//  - bf16: round to nearest even, 2 bytes per element.
//  - fp8_e4m3: 1 byte per element plus one FP32 scale per (token, kv head): scale = amax/448
//    over that head's row, so the row's largest element maps to E4M3's largest finite value
//    and every element whose scaled magnitude is >= 2^-6 keeps a relative error <= 2^-4
//    (fp8_e4m3.hpp); smaller elements keep an absolute error <= 2^-10·scale. Per-token scales
//    can be written once at append time — a per-block scale would need re-quantizing a block
//    as it fills. (FlashMLA's FP8 format uses 4 scales per 512-element token row.)
// Reads dequantize to FP32, the compute precision of the attention kernels.

#include <bit>
#include <cstdint>
#include <vector>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "kernels/bf16.hpp"
#include "kernels/tensor.hpp"

namespace kernels {

namespace detail {
// fp8_e4m3_decode without a call or a table: integer operations and selects the compiler
// vectorizes. Normal codes: the bits e.m placed in an FP32 exponent/mantissa with the bias moved
// from 7 to 127; subnormals (e = 0): m·2^-9, exact from an integer; S.1111.111 = NaN. Every code
// is checked against fp8_e4m3_decode through the cache (test_attention).
inline float fp8_e4m3_decode_inline(std::uint8_t code) {
  const std::uint32_t em = code & 0x7FU;
  const std::uint32_t sign = static_cast<std::uint32_t>(code & 0x80U) << 24;
  const float normal = std::bit_cast<float>((em << 20) + (120U << 23));
  const float subnormal = static_cast<float>(em & 7U) * 0.001953125f;  // 2^-9
  float magnitude = (em >> 3) == 0 ? subnormal : normal;
  magnitude = em == 0x7FU ? std::bit_cast<float>(0x7fc00000U) : magnitude;
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(magnitude) | sign);
}
}  // namespace detail

enum class kv_storage { fp32, bf16, fp8_e4m3 };

class kv_cache {
 public:
  // Storage for `capacity` tokens is reserved up front, so views stay valid while appending.
  kv_cache(int n_kv_heads, int head_dim_k, int head_dim_v, int capacity,
           kv_storage storage = kv_storage::fp32);

  // Appends n tokens: k [n, n_kv_heads·head_dim_k], v [n, n_kv_heads·head_dim_v].
  // Throws std::invalid_argument on a shape mismatch, std::length_error beyond capacity.
  void append(const const_mat_ref& k, const const_mat_ref& v);
  void clear() { size_ = 0; }

  int size() const { return size_; }
  int capacity() const { return capacity_; }
  int n_kv_heads() const { return n_kv_heads_; }
  int head_dim_k() const { return keys_.dim; }
  int head_dim_v() const { return values_.dim; }
  kv_storage storage() const { return storage_; }
  // Stored bytes per token (all kv heads, keys + values, including scales).
  std::int64_t bytes_per_token() const;

  // Rows [t0, t0 + n) of kv head `head`, dequantized into out [n, head_dim].
  void read_keys(int head, int t0, int n, mat_ref out) const { read(keys_, head, t0, n, out); }
  void read_values(int head, int t0, int n, mat_ref out) const { read(values_, head, t0, n, out); }
  // Row t of kv head `head` as head_dim FP32 values: a pointer into FP32 storage, else `buf`
  // (head_dim floats) filled with exactly what read_* writes. Unchecked (hot loop of decode):
  // the caller guarantees 0 <= head < n_kv_heads() and 0 <= t < size().
  const float* key_row(int head, int t, float* buf) const noexcept {
    return row(keys_, head, t, buf);
  }
  const float* value_row(int head, int t, float* buf) const noexcept {
    return row(values_, head, t, buf);
  }
  // All cached tokens dequantized: [size, n_kv_heads·head_dim].
  Mat keys() const;
  Mat values() const;
  // FP32 storage only (throws std::logic_error otherwise): the stored rows, no copy.
  const_mat_map key_view() const;
  const_mat_map value_view() const;

 private:
  struct plane {
    int dim = 0;
    Mat fp32;                       // [capacity, heads·dim]
    std::vector<bf16> half;         // [capacity·heads·dim]
    std::vector<std::uint8_t> fp8;  // [capacity·heads·dim]
    std::vector<float> scale;       // [capacity·heads]
  };
  void write(plane& p, int t, const float* row) const;
  void read(const plane& p, int head, int t0, int n, mat_ref out) const;
  Mat read_all(const plane& p) const;
  const float* row(const plane& p, int head, int t, float* buf) const noexcept {
    const std::size_t dim = static_cast<std::size_t>(p.dim);
    const std::size_t index = static_cast<std::size_t>(t) * static_cast<std::size_t>(n_kv_heads_) +
                              static_cast<std::size_t>(head);
    switch (storage_) {
      case kv_storage::fp32:
        break;
      case kv_storage::bf16: {
        const bf16* src = p.half.data() + index * dim;
        for (std::size_t c = 0; c < dim; ++c) buf[c] = to_float(src[c]);
        return buf;
      }
      case kv_storage::fp8_e4m3: {
        const std::uint8_t* src = p.fp8.data() + index * dim;
        const float scale = p.scale[index];
        std::size_t c = 0;
#ifdef __AVX512F__
        // The same decode 16 codes at a time.
        const __m512 scale16 = _mm512_set1_ps(scale);
        for (; c + 16 <= dim; c += 16) {
          const __m512i code =
              _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + c)));
          const __m512i em = _mm512_and_si512(code, _mm512_set1_epi32(0x7F));
          const __m512i sign =
              _mm512_slli_epi32(_mm512_and_si512(code, _mm512_set1_epi32(0x80)), 24);
          const __m512i normal =
              _mm512_add_epi32(_mm512_slli_epi32(em, 20), _mm512_set1_epi32(120 << 23));
          const __m512 subnormal =
              _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_and_si512(em, _mm512_set1_epi32(7))),
                            _mm512_set1_ps(0.001953125f));
          const __mmask16 is_sub = _mm512_cmplt_epi32_mask(em, _mm512_set1_epi32(8));
          const __mmask16 is_nan = _mm512_cmpeq_epi32_mask(em, _mm512_set1_epi32(0x7F));
          __m512i magnitude =
              _mm512_mask_blend_epi32(is_sub, normal, _mm512_castps_si512(subnormal));
          magnitude = _mm512_mask_blend_epi32(is_nan, magnitude, _mm512_set1_epi32(0x7fc00000));
          const __m512 value = _mm512_castsi512_ps(_mm512_or_si512(magnitude, sign));
          _mm512_storeu_ps(buf + c, _mm512_mul_ps(value, scale16));
        }
#endif
        for (; c < dim; ++c) buf[c] = detail::fp8_e4m3_decode_inline(src[c]) * scale;
        return buf;
      }
    }
    return p.fp32.data() + index * dim;
  }
  const_mat_map view(const plane& p) const;

  int n_kv_heads_;
  int capacity_;
  kv_storage storage_;
  int size_ = 0;
  plane keys_;
  plane values_;
};

}  // namespace kernels
