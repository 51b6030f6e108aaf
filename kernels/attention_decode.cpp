#include "kernels/attention_decode.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernels/parallel.hpp"

namespace kernels {
namespace {

// load(g, t0, n, k_buf, v_buf) returns {K chunk [n, dk], V chunk [n, dv]} of kv head g.
template <class Loader>
Mat decode(const const_mat_ref& q, Eigen::Index n_k, const attention_shape& shape, Loader&& load) {
  const Eigen::Index dk = shape.head_dim_qk;
  const Eigen::Index dv = shape.head_dim_v;
  const Eigen::Index group = shape.group_size();
  const Eigen::Index n_chunks = (n_k + decode_chunk - 1) / decode_chunk;
  const Eigen::Index n_kv = shape.n_kv_heads;
  // Partials, one block of `group` rows per (kv head, chunk).
  Mat part_out(n_kv * n_chunks * group, dv);
  Vec part_max(n_kv * n_chunks * group);
  Vec part_sum(n_kv * n_chunks * group);

  parallel_for(n_kv * n_chunks, [&](std::int64_t item) {
    // Chunk-major order: consecutive items read the same cache rows (all kv heads of a token
    // are adjacent in memory), so a row block is fetched from DRAM once, not once per head.
    const Eigen::Index g = item % n_kv;
    const Eigen::Index c = item / n_kv;
    const Eigen::Index t0 = c * decode_chunk;
    const Eigen::Index n = std::min(decode_chunk, n_k - t0);
    Mat k_buf;
    Mat v_buf;
    const auto [k_chunk, v_chunk] = load(g, t0, n, k_buf, v_buf);
    // The group's query heads are adjacent in q: a [group, dk] row-major block.
    const const_mat_map q_group(q.data() + g * group * dk, group, dk, Eigen::OuterStride<>(dk));
    Mat s = q_group * k_chunk.transpose();
    s *= shape.scale;
    const Eigen::Index row0 = (g * n_chunks + c) * group;
    for (Eigen::Index i = 0; i < group; ++i) {
      const float max = s.row(i).maxCoeff();
      s.row(i) = (s.row(i).array() - max).exp();
      part_max(row0 + i) = max;
      part_sum(row0 + i) = s.row(i).sum();
    }
    part_out.middleRows(row0, group).noalias() = s * v_chunk;
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
  return decode(q, k.rows(), shape,
                [&](Eigen::Index g, Eigen::Index t0, Eigen::Index n, Mat&, Mat&) {
                  return std::pair{const_mat_map(k.data() + t0 * k.outerStride() + g * dk, n, dk,
                                                 Eigen::OuterStride<>(k.outerStride())),
                                   const_mat_map(v.data() + t0 * v.outerStride() + g * dv, n, dv,
                                                 Eigen::OuterStride<>(v.outerStride()))};
                });
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
  return decode(
      q, cache.size(), shape,
      [&](Eigen::Index g, Eigen::Index t0, Eigen::Index n, Mat& k_buf, Mat& v_buf) {
        k_buf.resize(n, shape.head_dim_qk);
        v_buf.resize(n, shape.head_dim_v);
        cache.read_keys(static_cast<int>(g), static_cast<int>(t0), static_cast<int>(n), k_buf);
        cache.read_values(static_cast<int>(g), static_cast<int>(t0), static_cast<int>(n), v_buf);
        return std::pair{const_mat_map(k_buf.data(), n, shape.head_dim_qk,
                                       Eigen::OuterStride<>(shape.head_dim_qk)),
                         const_mat_map(v_buf.data(), n, shape.head_dim_v,
                                       Eigen::OuterStride<>(shape.head_dim_v))};
      });
}

Mat attention_prefill(const const_mat_ref& q, const kv_cache& cache, const attention_shape& shape) {
  if (cache.storage() == kv_storage::fp32) {
    return attention_prefill(q, cache.key_view(), cache.value_view(), shape);
  }
  return attention_prefill(q, cache.keys(), cache.values(), shape);
}

}  // namespace kernels
