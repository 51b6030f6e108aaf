#include "kernels/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/parallel.hpp"
#include "kernels/softmax.hpp"

namespace kernels {
namespace {

constexpr float neg_inf = -std::numeric_limits<float>::infinity();

const_mat_map head_block(const const_mat_ref& m, Eigen::Index row0, Eigen::Index rows,
                         Eigen::Index col0, Eigen::Index cols) {
  return const_mat_map(m.data() + row0 * m.outerStride() + col0, rows, cols,
                       Eigen::OuterStride<>(m.outerStride()));
}

}  // namespace

attention_shape attention_shape::gqa(int n_heads, int n_kv_heads, int head_dim) {
  return attention_shape{n_heads, n_kv_heads, head_dim, head_dim,
                         1.0f / std::sqrt(static_cast<float>(head_dim))};
}

void attention_shape::validate(const char* who) const {
  if (n_heads <= 0 || n_kv_heads <= 0 || n_heads % n_kv_heads != 0) {
    throw std::invalid_argument(std::string(who) +
                                ": n_kv_heads must be positive and divide n_heads");
  }
  if (head_dim_qk <= 0 || head_dim_v <= 0) {
    throw std::invalid_argument(std::string(who) + ": head dims must be positive");
  }
}

void check_attention_operands(const const_mat_ref& q, const const_mat_ref& k,
                              const const_mat_ref& v, const attention_shape& shape,
                              const char* who) {
  shape.validate(who);
  const auto fail = [who](const std::string& what) {
    throw std::invalid_argument(std::string(who) + ": " + what);
  };
  if (q.cols() != Eigen::Index{shape.n_heads} * shape.head_dim_qk) {
    fail("q columns != n_heads·head_dim_qk");
  }
  if (k.cols() != Eigen::Index{shape.n_kv_heads} * shape.head_dim_qk) {
    fail("k columns != n_kv_heads·head_dim_qk");
  }
  if (v.cols() != Eigen::Index{shape.n_kv_heads} * shape.head_dim_v) {
    fail("v columns != n_kv_heads·head_dim_v");
  }
  if (k.rows() != v.rows()) fail("k and v row counts differ");
  if (k.rows() < q.rows()) fail("more queries than keys (queries are the last n_q positions)");
}

Mat attention_prefill(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
                      const attention_shape& shape) {
  check_attention_operands(q, k, v, shape, "attention_prefill");
  const Eigen::Index n_q = q.rows();
  const Eigen::Index n_k = k.rows();
  const Eigen::Index offset = n_k - n_q;
  const Eigen::Index dk = shape.head_dim_qk;
  const Eigen::Index dv = shape.head_dim_v;
  const Eigen::Index q_tiles = (n_q + flash_tile_q - 1) / flash_tile_q;
  Mat out(n_q, Eigen::Index{shape.n_heads} * dv);

  parallel_for(q_tiles * shape.n_heads, [&](std::int64_t item) {
    const Eigen::Index h = item / q_tiles;
    const Eigen::Index g = h / shape.group_size();
    const Eigen::Index q0 = (item % q_tiles) * flash_tile_q;
    const Eigen::Index br = std::min(flash_tile_q, n_q - q0);
    const const_mat_map q_tile = head_block(q, q0, br, h * dk, dk);

    Mat acc = Mat::Zero(br, dv);
    Vec row_max = Vec::Constant(br, neg_inf);
    Vec row_sum = Vec::Zero(br);
    Mat scores(br, flash_tile_k);
    // Keys after the tile's last query position are in everyone's future.
    const Eigen::Index k_end = offset + q0 + br;
    for (Eigen::Index k0 = 0; k0 < k_end; k0 += flash_tile_k) {
      const Eigen::Index bc = std::min(flash_tile_k, k_end - k0);
      auto s = scores.leftCols(bc);
      s.noalias() = q_tile * head_block(k, k0, bc, g * dk, dk).transpose();
      s *= shape.scale;
      for (Eigen::Index i = 0; i < br; ++i) {
        // Query i sees keys <= offset + q0 + i; mask the rest of this tile.
        const Eigen::Index visible = std::clamp<Eigen::Index>(offset + q0 + i + 1 - k0, 0, bc);
        s.row(i).tail(bc - visible).setConstant(neg_inf);
        // Online softmax: rescale what was accumulated under the old maximum. The first key
        // tile always holds key 0, which every query sees, so the maximum is finite from then on.
        const float new_max = std::max(row_max(i), s.row(i).maxCoeff());
        const float rescale = std::exp(row_max(i) - new_max);
        s.row(i) = (s.row(i).array() - new_max).exp();
        row_sum(i) = rescale * row_sum(i) + s.row(i).sum();
        acc.row(i) *= rescale;
        row_max(i) = new_max;
      }
      acc.noalias() += s * head_block(v, k0, bc, g * dv, dv);
    }
    out.block(q0, h * dv, br, dv) = acc.array().colwise() / row_sum.array();
  });
  return out;
}

Mat attention_naive(const const_mat_ref& q, const const_mat_ref& k, const const_mat_ref& v,
                    const attention_shape& shape) {
  check_attention_operands(q, k, v, shape, "attention_naive");
  const Eigen::Index n_q = q.rows();
  const Eigen::Index n_k = k.rows();
  const Eigen::Index offset = n_k - n_q;
  const Eigen::Index dk = shape.head_dim_qk;
  const Eigen::Index dv = shape.head_dim_v;
  Mat out(n_q, Eigen::Index{shape.n_heads} * dv);
  parallel_for(shape.n_heads, [&](std::int64_t h) {
    const Eigen::Index g = h / shape.group_size();
    Mat s = head_block(q, 0, n_q, h * dk, dk) * head_block(k, 0, n_k, g * dk, dk).transpose();
    s *= shape.scale;
    for (Eigen::Index i = 0; i < n_q; ++i) {
      for (Eigen::Index j = offset + i + 1; j < n_k; ++j) s(i, j) = neg_inf;
    }
    softmax_rows(s);
    out.block(0, h * dv, n_q, dv).noalias() = s * head_block(v, 0, n_k, g * dv, dv);
  });
  return out;
}

}  // namespace kernels
