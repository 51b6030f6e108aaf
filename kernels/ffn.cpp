#include "kernels/ffn.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "kernels/gemm.hpp"

namespace kernels {
namespace {

constexpr float sqrt_2_over_pi = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);

}  // namespace

float gelu_tanh(float x) {
  return 0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
}

void silu_mul(mat_ref gate, const const_mat_ref& up) {
  if (gate.rows() != up.rows() || gate.cols() != up.cols()) {
    throw std::invalid_argument("silu_mul: gate and up differ in shape");
  }
  gate.array() = gate.array() / (1.0f + (-gate.array()).exp()) * up.array();
}

void gelu_inplace(mat_ref x) {
  x = x.unaryExpr([](float v) { return gelu_tanh(v); });
}

Mat gelu_ffn(const const_mat_ref& x, const gelu_ffn_weights& w) {
  if (w.b_in.size() != w.w_in.rows() || w.b_out.size() != w.w_out.rows() ||
      w.w_out.cols() != w.w_in.rows()) {
    throw std::invalid_argument("gelu_ffn: inconsistent weight shapes");
  }
  Mat h = linear(x, w.w_in);
  h.rowwise() += w.b_in.transpose();
  gelu_inplace(h);
  Mat y = linear(h, w.w_out);
  y.rowwise() += w.b_out.transpose();
  return y;
}

Mat swiglu_ffn(const const_mat_ref& x, const swiglu_ffn_weights& w) {
  if (w.w_up.rows() != w.w_gate.rows() || w.w_up.cols() != w.w_gate.cols() ||
      w.w_down.cols() != w.w_gate.rows()) {
    throw std::invalid_argument("swiglu_ffn: inconsistent weight shapes");
  }
  Mat gate = linear(x, w.w_gate);
  const Mat up = linear(x, w.w_up);
  silu_mul(gate, up);
  return linear(gate, w.w_down);
}

Mat swiglu_ffn_merged(const const_mat_ref& x, const const_mat_ref& w_gate_up,
                      const const_mat_ref& w_down) {
  if (w_gate_up.rows() % 2 != 0 || w_down.cols() * 2 != w_gate_up.rows()) {
    throw std::invalid_argument("swiglu_ffn_merged: inconsistent weight shapes");
  }
  Mat gate_up = linear(x, w_gate_up);
  const Eigen::Index f = w_down.cols();
  silu_mul(gate_up.leftCols(f), gate_up.rightCols(f));
  return linear(gate_up.leftCols(f), w_down);
}

}  // namespace kernels
