#include "kernels/kv_cache.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/fp8_e4m3.hpp"

namespace kernels {

kv_cache::kv_cache(int n_kv_heads, int head_dim_k, int head_dim_v, int capacity, kv_storage storage)
    : n_kv_heads_(n_kv_heads), capacity_(capacity), storage_(storage) {
  if (n_kv_heads <= 0 || head_dim_k <= 0 || head_dim_v <= 0 || capacity < 0) {
    throw std::invalid_argument("kv_cache: heads and head dims must be positive");
  }
  for (auto [p, dim] : {std::pair{&keys_, head_dim_k}, std::pair{&values_, head_dim_v}}) {
    p->dim = dim;
    const auto elements = static_cast<std::size_t>(capacity) * n_kv_heads * dim;
    switch (storage) {
      case kv_storage::fp32:
        p->fp32.resize(capacity, Eigen::Index{n_kv_heads} * dim);
        break;
      case kv_storage::bf16:
        p->half.resize(elements);
        break;
      case kv_storage::fp8_e4m3:
        p->fp8.resize(elements);
        p->scale.resize(static_cast<std::size_t>(capacity) * n_kv_heads);
        break;
    }
  }
}

std::int64_t kv_cache::bytes_per_token() const {
  const std::int64_t elements = std::int64_t{n_kv_heads_} * (keys_.dim + values_.dim);
  switch (storage_) {
    case kv_storage::fp32:
      return 4 * elements;
    case kv_storage::bf16:
      return 2 * elements;
    case kv_storage::fp8_e4m3:
      return elements + 8 * std::int64_t{n_kv_heads_};  // + an FP32 scale for K and V per head
  }
  return 0;
}

void kv_cache::append(const const_mat_ref& k, const const_mat_ref& v) {
  if (k.rows() != v.rows() || k.cols() != Eigen::Index{n_kv_heads_} * keys_.dim ||
      v.cols() != Eigen::Index{n_kv_heads_} * values_.dim) {
    throw std::invalid_argument("kv_cache::append: k/v shape does not match the cache");
  }
  if (size_ + k.rows() > capacity_) {
    throw std::length_error("kv_cache::append: capacity of " + std::to_string(capacity_) +
                            " tokens exceeded");
  }
  for (Eigen::Index r = 0; r < k.rows(); ++r) {
    const int t = size_ + static_cast<int>(r);
    write(keys_, t, k.row(r).data());
    write(values_, t, v.row(r).data());
  }
  size_ += static_cast<int>(k.rows());
}

void kv_cache::write(plane& p, int t, const float* row) const {
  const std::size_t width = static_cast<std::size_t>(n_kv_heads_) * p.dim;
  const std::size_t base = static_cast<std::size_t>(t) * width;
  switch (storage_) {
    case kv_storage::fp32:
      for (std::size_t c = 0; c < width; ++c) p.fp32(t, static_cast<Eigen::Index>(c)) = row[c];
      break;
    case kv_storage::bf16:
      for (std::size_t c = 0; c < width; ++c) p.half[base + c] = to_bf16(row[c]);
      break;
    case kv_storage::fp8_e4m3:
      for (int h = 0; h < n_kv_heads_; ++h) {
        const float* src = row + static_cast<std::ptrdiff_t>(h) * p.dim;
        float amax = 0.0f;
        for (int c = 0; c < p.dim; ++c) amax = std::max(amax, std::abs(src[c]));
        // An all-zero row has no range to fit; any scale stores it exactly.
        const float scale = amax > 0.0f ? amax / fp8_e4m3_max : 1.0f;
        p.scale[static_cast<std::size_t>(t) * n_kv_heads_ + h] = scale;
        std::uint8_t* dst = p.fp8.data() + base + static_cast<std::size_t>(h) * p.dim;
        for (int c = 0; c < p.dim; ++c) dst[c] = fp8_e4m3_encode(src[c] / scale);
      }
      break;
  }
}

void kv_cache::read(const plane& p, int head, int t0, int n, mat_ref out) const {
  if (head < 0 || head >= n_kv_heads_ || t0 < 0 || n < 0 || t0 + n > size_ || out.rows() != n ||
      out.cols() != p.dim) {
    throw std::out_of_range("kv_cache::read: rows, head or output shape out of range");
  }
  const std::size_t width = static_cast<std::size_t>(n_kv_heads_) * p.dim;
  for (int r = 0; r < n; ++r) {
    const std::size_t base =
        static_cast<std::size_t>(t0 + r) * width + static_cast<std::size_t>(head) * p.dim;
    switch (storage_) {
      case kv_storage::fp32:
        out.row(r) = p.fp32.row(t0 + r).segment(Eigen::Index{head} * p.dim, p.dim);
        break;
      case kv_storage::bf16:
        for (int c = 0; c < p.dim; ++c)
          out(r, c) = to_float(p.half[base + static_cast<std::size_t>(c)]);
        break;
      case kv_storage::fp8_e4m3: {
        const float scale = p.scale[static_cast<std::size_t>(t0 + r) * n_kv_heads_ + head];
        for (int c = 0; c < p.dim; ++c) {
          out(r, c) = fp8_e4m3_decode(p.fp8[base + static_cast<std::size_t>(c)]) * scale;
        }
        break;
      }
    }
  }
}

Mat kv_cache::read_all(const plane& p) const {
  Mat all(size_, Eigen::Index{n_kv_heads_} * p.dim);
  for (int h = 0; h < n_kv_heads_; ++h) {
    Mat part(size_, p.dim);
    read(p, h, 0, size_, part);
    all.middleCols(Eigen::Index{h} * p.dim, p.dim) = part;
  }
  return all;
}

Mat kv_cache::keys() const {
  return read_all(keys_);
}
Mat kv_cache::values() const {
  return read_all(values_);
}

const_mat_map kv_cache::view(const plane& p) const {
  if (storage_ != kv_storage::fp32) {
    throw std::logic_error("kv_cache: views exist only for fp32 storage; use read_* instead");
  }
  return const_mat_map(p.fp32.data(), size_, p.fp32.cols(), Eigen::OuterStride<>(p.fp32.cols()));
}

const_mat_map kv_cache::key_view() const {
  return view(keys_);
}
const_mat_map kv_cache::value_view() const {
  return view(values_);
}

}  // namespace kernels
