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

#include <cstdint>
#include <vector>

#include "kernels/bf16.hpp"
#include "kernels/tensor.hpp"

namespace kernels {

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
  const_mat_map view(const plane& p) const;

  int n_kv_heads_;
  int capacity_;
  kv_storage storage_;
  int size_ = 0;
  plane keys_;
  plane values_;
};

}  // namespace kernels
