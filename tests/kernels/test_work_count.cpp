// FLOP and byte counts checked by counting: every kernel is run once, on one small shape, by an
// instrumented scalar reference written here — numbers that count each arithmetic operation
// as it is executed, arrays that remember which elements were read and which were written —
// and the tally must equal work_count.hpp's figure. The reference's output is also compared
// with the real kernel's, so what is counted is the computation the kernel does.
//
// What is counted follows work_count.hpp's stated conventions, and only those:
//  - an add, subtract, multiply, divide, negation, compare, exp, tanh, cos, sin counts 1 (so
//    a multiply-add counts 2); 1/√x counts 1 (the header's "÷d, +eps, 1/sqrt: 3");
//  - bytes are compulsory traffic with an ideal cache: each distinct element read once, each
//    distinct element written once, times its element size; locals (the FFN hidden layer,
//    attention scores) are on chip;
//  - attention counts only its two matrix products: the scaled softmax is computed here on
//    plain doubles, uncounted;
//  - uncounted by the header, and so computed here on plain doubles: RoPE's angle pos·θ_i
//    (the header counts one cos and one sin per token and pair) and its int32 positions;
//    MoE top-k selection and the normalization of the chosen weights; dequantizing FP8 / BF16
//    cache entries (the decode count is its two products; the cache's bytes are counted).
// The REFERENCE.md figures (published per-token counts) stay as independent anchors.
#include "kernels/work_count.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <numbers>
#include <numeric>
#include <ostream>
#include <set>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/embedding.hpp"
#include "kernels/ffn.hpp"
#include "kernels/gemm.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/mla.hpp"
#include "kernels/moe.hpp"
#include "kernels/norm.hpp"
#include "kernels/positional_encoding.hpp"
#include "kernels/rope.hpp"
#include "kernels/softmax.hpp"
#include "tests/kernels/kernel_test_util.hpp"

namespace kernels {

// Failures print the counts, not the struct's bytes (found by argument-dependent lookup).
void PrintTo(const kernel_work& w, std::ostream* os) {
  *os << "{flops " << w.flops << ", bytes " << w.bytes << "}";
}

namespace {

using test::input;
using test::rel_error;

// ---------------------------------------------------------------------------------------------
// Counting machinery.

struct op_tally {
  std::int64_t ops = 0;
};

// A double that adds one to its tally for every arithmetic operation it takes part in.
struct cnum {
  double v = 0;
  op_tally* t = nullptr;
};

op_tally* tally_of(const cnum& a, const cnum& b) {
  return a.t != nullptr ? a.t : b.t;
}
cnum counted(op_tally* t, double v) {
  ++t->ops;
  return {v, t};
}

cnum operator+(cnum a, cnum b) {
  return counted(tally_of(a, b), a.v + b.v);
}
cnum operator-(cnum a, cnum b) {
  return counted(tally_of(a, b), a.v - b.v);
}
cnum operator*(cnum a, cnum b) {
  return counted(tally_of(a, b), a.v * b.v);
}
cnum operator/(cnum a, cnum b) {
  return counted(tally_of(a, b), a.v / b.v);
}
cnum operator-(cnum a) {
  return counted(a.t, -a.v);
}
cnum operator+(cnum a, double b) {
  return counted(a.t, a.v + b);
}
cnum operator+(double a, cnum b) {
  return counted(b.t, a + b.v);
}
cnum operator*(double a, cnum b) {
  return counted(b.t, a * b.v);
}
cnum operator/(cnum a, double b) {
  return counted(a.t, a.v / b);
}
cnum operator/(double a, cnum b) {
  return counted(b.t, a / b.v);
}
cnum exp(cnum a) {
  return counted(a.t, std::exp(a.v));
}
cnum tanh(cnum a) {
  return counted(a.t, std::tanh(a.v));
}
cnum cos(cnum a) {
  return counted(a.t, std::cos(a.v));
}
cnum sin(cnum a) {
  return counted(a.t, std::sin(a.v));
}
cnum rsqrt(cnum a) {
  return counted(a.t, 1.0 / std::sqrt(a.v));
}
cnum max(cnum a, cnum b) {
  return counted(tally_of(a, b), std::max(a.v, b.v));
}

// An array in memory: remembers which elements were read and which were written.
class tracked {
 public:
  tracked(std::vector<double> values, std::int64_t elem_bytes, op_tally* t)
      : values_(std::move(values)),
        read_(values_.size(), false),
        written_(values_.size(), false),
        elem_(elem_bytes),
        t_(t) {}

  cnum load(std::int64_t i) { return {read_value(i), t_}; }
  // The element's value as a plain double: for arithmetic the header does not count.
  double read_value(std::int64_t i) {
    read_.at(static_cast<std::size_t>(i)) = true;
    return values_[static_cast<std::size_t>(i)];
  }
  void store(std::int64_t i, cnum x) {
    written_.at(static_cast<std::size_t>(i)) = true;
    values_[static_cast<std::size_t>(i)] = x.v;
  }
  double value(std::int64_t i) const { return values_.at(static_cast<std::size_t>(i)); }
  std::int64_t bytes() const {
    const auto n = [](const std::vector<bool>& v) {
      return static_cast<std::int64_t>(std::count(v.begin(), v.end(), true));
    };
    return (n(read_) + n(written_)) * elem_;
  }

 private:
  std::vector<double> values_;
  std::vector<bool> read_;
  std::vector<bool> written_;
  std::int64_t elem_;
  op_tally* t_;
};

// One kernel run: its operation tally and its arrays.
class counter {
 public:
  tracked& array(const Mat& m, std::int64_t elem_bytes) {
    return arrays_.emplace_back(std::vector<double>(m.data(), m.data() + m.size()), elem_bytes,
                                &tally_);
  }
  tracked& array(std::vector<double> values, std::int64_t elem_bytes) {
    return arrays_.emplace_back(std::move(values), elem_bytes, &tally_);
  }
  tracked& output(std::int64_t size, std::int64_t elem_bytes) {
    return array(std::vector<double>(static_cast<std::size_t>(size), 0.0), elem_bytes);
  }
  // A value that enters the computation without an operation (0 for a sum, −∞ for a max).
  cnum constant(double v) { return {v, &tally_}; }

  kernel_work work() const {
    std::int64_t bytes = 0;
    for (const tracked& a : arrays_) bytes += a.bytes();
    return {tally_.ops, bytes};
  }

 private:
  op_tally tally_;
  std::deque<tracked> arrays_;  // stable addresses
};

Mat to_mat(const tracked& a, Eigen::Index rows, Eigen::Index cols) {
  Mat m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(a.value(i));
  return m;
}

// Σ_l a[a0 + l] · b[b0 + l] for l < n, from a counted zero: n multiplies, n adds.
cnum dot(counter& c, tracked& a, std::int64_t a0, tracked& b, std::int64_t b0, std::int64_t n) {
  cnum acc = c.constant(0.0);
  for (std::int64_t l = 0; l < n; ++l) acc = acc + a.load(a0 + l) * b.load(b0 + l);
  return acc;
}

// y[i, j] = Σ_l x[i, l] · w[j, l] (gemm.hpp: y = x·Wᵀ), into y.
void gemm_ref(counter& c, tracked& x, tracked& w, tracked& y, std::int64_t m, std::int64_t n,
              std::int64_t k) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) y.store(i * n + j, dot(c, x, i * k, w, j * k, k));
  }
}

// Softmax of scaled scores on plain doubles: uncounted by the attention convention.
std::vector<double> plain_softmax(const std::vector<cnum>& scores, double scale) {
  double m = -std::numeric_limits<double>::infinity();
  for (const cnum& s : scores) m = std::max(m, s.v * scale);
  std::vector<double> p;
  double sum = 0;
  for (const cnum& s : scores) sum += p.emplace_back(std::exp(s.v * scale - m));
  for (double& x : p) x /= sum;
  return p;
}

constexpr double kTol = 1e-5;  // float kernels vs double references, sums of ≤ 64 terms

// ---------------------------------------------------------------------------------------------
// GEMM, LM head, elementwise kernels.

TEST(work_count, gemm_counted_equals_two_m_n_k_with_mixed_element_sizes) {
  const std::int64_t m = 3, n = 5, k = 7;
  const Mat x = input(m, k, "wc.x");
  const Mat w = input(n, k, "wc.w");
  // BF16 activations and weights, FP32 output: element sizes 2, 2, 4.
  counter c;
  tracked& tx = c.array(x, 2);
  tracked& tw = c.array(w, 2);
  tracked& ty = c.output(m * n, 4);
  gemm_ref(c, tx, tw, ty, m, n, k);
  EXPECT_LE(rel_error(to_mat(ty, m, n), linear(x, w)), kTol);
  EXPECT_EQ(gemm_work(m, n, k, 2, 2, 4), c.work());
  // The LM head is the same product with n = vocabulary.
  counter h;
  tracked& hx = h.array(x, 4);
  tracked& hw = h.array(w, 4);
  tracked& hy = h.output(m * n, 4);
  gemm_ref(h, hx, hw, hy, m, n, k);
  EXPECT_EQ(lm_head_work(m, k, n, 4), h.work());
}

TEST(work_count, embedding_counted_is_a_gather_of_distinct_rows) {
  // Distinct ids: the ideal-cache count reads each of the n rows once. (Repeated ids would
  // read fewer rows; the formula then is an upper bound.)
  const std::int64_t vocab = 11, d = 6;
  const std::vector<token_id> ids = {7, 2, 9, 0};
  const auto n = static_cast<std::int64_t>(ids.size());
  const Mat table = input(vocab, d, "wc.table");
  counter c;
  tracked& tid = c.array(std::vector<double>(ids.begin(), ids.end()), 4);  // int32
  tracked& tt = c.array(table, 4);
  tracked& ty = c.output(n * d, 4);
  for (std::int64_t t = 0; t < n; ++t) {
    const auto id = static_cast<std::int64_t>(tid.read_value(t));
    for (std::int64_t j = 0; j < d; ++j) ty.store(t * d + j, tt.load(id * d + j));
  }
  EXPECT_EQ(to_mat(ty, n, d), embedding_lookup(table, ids));
  EXPECT_EQ(embedding_work(n, d, 4), c.work());
}

TEST(work_count, positional_encoding_counted_is_one_add_per_element) {
  const std::int64_t n = 4, d = 8;
  const Mat x = input(n, d, "wc.pe_x");
  const Mat pe = sinusoidal_positions(0, static_cast<int>(n), static_cast<int>(d));
  counter c;
  tracked& tx = c.array(x, 4);
  tracked& tp = c.array(pe, 4);
  for (std::int64_t i = 0; i < n * d; ++i) tx.store(i, tx.load(i) + tp.load(i));
  Mat got = x;
  add_sinusoidal_positions(got, 0);
  EXPECT_LE(rel_error(got, to_mat(tx, n, d)), kTol);
  EXPECT_EQ(positional_encoding_work(n, d, 4), c.work());
}

TEST(work_count, rope_counted_rotates_only_its_slice) {
  // Heads of 10 columns, the rotated slice [2, 8): untouched columns cost nothing.
  const std::int64_t n = 3, heads = 2, head_dim = 10, offset = 2, r = 6;
  const Mat x = input(n, heads * head_dim, "wc.rope_x");
  const std::vector<std::int32_t> positions = {0, 5, 17};
  const rope_spec spec{static_cast<int>(heads), static_cast<int>(head_dim),
                       static_cast<int>(offset), static_cast<int>(r), 10000.0};
  counter c;
  tracked& tx = c.array(x, 4);
  for (std::int64_t t = 0; t < n; ++t) {
    for (std::int64_t i = 0; i < r / 2; ++i) {
      // θ_i and the angle: not counted (header: one cos and one sin per token and pair).
      const double angle =
          positions[static_cast<std::size_t>(t)] *
          std::pow(spec.base, -2.0 * static_cast<double>(i) / static_cast<double>(r));
      const cnum cs = cos(c.constant(angle));
      const cnum sn = sin(c.constant(angle));
      for (std::int64_t h = 0; h < heads; ++h) {
        const std::int64_t col = t * heads * head_dim + h * head_dim + offset + 2 * i;
        const cnum a = tx.load(col);
        const cnum b = tx.load(col + 1);
        tx.store(col, a * cs - b * sn);
        tx.store(col + 1, a * sn + b * cs);
      }
    }
  }
  Mat got = x;
  apply_rope(got, positions, spec);
  EXPECT_LE(rel_error(got, to_mat(tx, n, heads * head_dim)), kTol);
  EXPECT_EQ(rope_work(n, heads, r, 4), c.work());
}

TEST(work_count, rms_norm_counted) {
  const std::int64_t n = 3, d = 16;
  const float eps = 1e-6f;
  const Mat x = input(n, d, "wc.norm_x");
  const Vec gamma = hashed_vector(d, 7, "wc.gamma", 0.5f, 1.0f);
  counter c;
  tracked& tx = c.array(x, 2);
  tracked& tg = c.array(std::vector<double>(gamma.data(), gamma.data() + d), 2);
  tracked& ty = c.output(n * d, 2);
  for (std::int64_t t = 0; t < n; ++t) {
    const cnum inv = rsqrt(dot(c, tx, t * d, tx, t * d, d) / static_cast<double>(d) + eps);
    for (std::int64_t j = 0; j < d; ++j) ty.store(t * d + j, tx.load(t * d + j) * inv * tg.load(j));
  }
  EXPECT_LE(rel_error(to_mat(ty, n, d), rms_norm(x, gamma, eps)), kTol);
  EXPECT_EQ(rms_norm_work(n, d, 2), c.work());
}

TEST(work_count, layer_norm_counted_two_pass) {
  const std::int64_t n = 3, d = 16;
  const float eps = 1e-5f;
  const Mat x = input(n, d, "wc.ln_x");
  const Vec gamma = hashed_vector(d, 7, "wc.ln_gamma", 0.5f, 1.0f);
  const Vec beta = hashed_vector(d, 7, "wc.ln_beta", 0.5f);
  counter c;
  tracked& tx = c.array(x, 4);
  tracked& tg = c.array(std::vector<double>(gamma.data(), gamma.data() + d), 4);
  tracked& tb = c.array(std::vector<double>(beta.data(), beta.data() + d), 4);
  tracked& ty = c.output(n * d, 4);
  for (std::int64_t t = 0; t < n; ++t) {
    cnum sum = c.constant(0.0);
    for (std::int64_t j = 0; j < d; ++j) sum = sum + tx.load(t * d + j);
    const cnum mean = sum / static_cast<double>(d);
    std::vector<cnum> centered;
    cnum sq = c.constant(0.0);
    for (std::int64_t j = 0; j < d; ++j) {
      centered.push_back(tx.load(t * d + j) - mean);
      sq = sq + centered.back() * centered.back();
    }
    const cnum inv = rsqrt(sq / static_cast<double>(d) + eps);
    for (std::int64_t j = 0; j < d; ++j) {
      ty.store(t * d + j, centered[static_cast<std::size_t>(j)] * inv * tg.load(j) + tb.load(j));
    }
  }
  EXPECT_LE(rel_error(to_mat(ty, n, d), layer_norm(x, gamma, beta, eps)), kTol);
  EXPECT_EQ(layer_norm_work(n, d, 4), c.work());
}

TEST(work_count, softmax_counted) {
  const std::int64_t n = 3, d = 9;
  const Mat x = input(n, d, "wc.softmax_x", 4.0f);
  counter c;
  tracked& tx = c.array(x, 4);
  tracked& ty = c.output(n * d, 4);
  for (std::int64_t t = 0; t < n; ++t) {
    cnum m = c.constant(-std::numeric_limits<double>::infinity());
    for (std::int64_t j = 0; j < d; ++j) m = max(m, tx.load(t * d + j));
    std::vector<cnum> e;
    cnum sum = c.constant(0.0);
    for (std::int64_t j = 0; j < d; ++j) {
      e.push_back(exp(tx.load(t * d + j) - m));
      sum = sum + e.back();
    }
    for (std::int64_t j = 0; j < d; ++j) ty.store(t * d + j, e[static_cast<std::size_t>(j)] / sum);
  }
  Mat got = x;
  softmax_rows(got);
  EXPECT_LE(rel_error(got, to_mat(ty, n, d)), kTol);
  EXPECT_EQ(softmax_work(n, d, 4), c.work());
}

// ---------------------------------------------------------------------------------------------
// FFNs.

cnum gelu(cnum x) {  // ffn.hpp: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  const cnum x3 = x * x * x;
  return 0.5 * x * (1.0 + tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x3)));
}

TEST(work_count, gelu_ffn_counted) {
  const std::int64_t n = 2, d = 8, f = 12;
  const gelu_ffn_weights w{input(f, d, "wc.g_in"), input(f, 1, "wc.g_bin"), input(d, f, "wc.g_out"),
                           input(d, 1, "wc.g_bout")};
  const Mat x = input(n, d, "wc.g_x");
  counter c;
  tracked& tx = c.array(x, 4);
  tracked& win = c.array(w.w_in, 4);
  tracked& bin = c.array(w.b_in, 4);
  tracked& wout = c.array(w.w_out, 4);
  tracked& bout = c.array(w.b_out, 4);
  tracked& ty = c.output(n * d, 4);
  for (std::int64_t t = 0; t < n; ++t) {
    std::vector<cnum> hidden;  // on chip
    for (std::int64_t j = 0; j < f; ++j) {
      hidden.push_back(gelu(dot(c, tx, t * d, win, j * d, d) + bin.load(j)));
    }
    for (std::int64_t o = 0; o < d; ++o) {
      cnum acc = c.constant(0.0);
      for (std::int64_t j = 0; j < f; ++j)
        acc = acc + hidden[static_cast<std::size_t>(j)] * wout.load(o * f + j);
      ty.store(t * d + o, acc + bout.load(o));
    }
  }
  EXPECT_LE(rel_error(to_mat(ty, n, d), gelu_ffn(x, w)), kTol);
  EXPECT_EQ(gelu_ffn_work(n, d, f, 4), c.work());
}

// One token through a SwiGLU FFN whose weights are tracked arrays; adds to out_acc.
void swiglu_row(counter& c, tracked& x, std::int64_t x0, tracked& gate, tracked& up, tracked& down,
                std::int64_t d, std::int64_t f, std::vector<cnum>& out) {
  std::vector<cnum> hidden;
  for (std::int64_t j = 0; j < f; ++j) {
    const cnum g = dot(c, x, x0, gate, j * d, d);
    const cnum u = dot(c, x, x0, up, j * d, d);
    hidden.push_back(g / (1.0 + exp(-g)) * u);  // silu(g)·u: negate, exp, +1, ÷, ×
  }
  for (std::int64_t o = 0; o < d; ++o) {
    cnum acc = c.constant(0.0);
    for (std::int64_t j = 0; j < f; ++j)
      acc = acc + hidden[static_cast<std::size_t>(j)] * down.load(o * f + j);
    out.push_back(acc);
  }
}

TEST(work_count, swiglu_ffn_counted) {
  const std::int64_t n = 2, d = 8, f = 12;
  const swiglu_ffn_weights w{input(f, d, "wc.s_gate"), input(f, d, "wc.s_up"),
                             input(d, f, "wc.s_down")};
  const Mat x = input(n, d, "wc.s_x");
  counter c;
  tracked& tx = c.array(x, 2);
  tracked& gate = c.array(w.w_gate, 2);
  tracked& up = c.array(w.w_up, 2);
  tracked& down = c.array(w.w_down, 2);
  tracked& ty = c.output(n * d, 2);
  for (std::int64_t t = 0; t < n; ++t) {
    std::vector<cnum> y;
    swiglu_row(c, tx, t * d, gate, up, down, d, f, y);
    for (std::int64_t o = 0; o < d; ++o) ty.store(t * d + o, y[static_cast<std::size_t>(o)]);
  }
  EXPECT_LE(rel_error(to_mat(ty, n, d), swiglu_ffn(x, w)), kTol);
  EXPECT_EQ(swiglu_ffn_work(n, d, f, 2), c.work());
}

// ---------------------------------------------------------------------------------------------
// Attention.

// Causal attention of the last n_q of n_k positions (attention.hpp), counting the two
// products only. k_at / v_at give a key or value element as a counted number.
template <class KAt, class VAt>
void attention_ref(counter& c, tracked& q, tracked& out, std::int64_t n_q, std::int64_t n_k,
                   const attention_shape& s, KAt&& k_at, VAt&& v_at) {
  const std::int64_t dk = s.head_dim_qk, dv = s.head_dim_v;
  for (std::int64_t i = 0; i < n_q; ++i) {
    const std::int64_t visible = n_k - n_q + i + 1;
    for (std::int64_t h = 0; h < s.n_heads; ++h) {
      const std::int64_t kvh = h / s.group_size();
      std::vector<cnum> scores;
      for (std::int64_t j = 0; j < visible; ++j) {
        cnum acc = c.constant(0.0);
        for (std::int64_t l = 0; l < dk; ++l) {
          acc = acc + q.load((i * s.n_heads + h) * dk + l) * k_at(j, kvh, l);
        }
        scores.push_back(acc);
      }
      const std::vector<double> p = plain_softmax(scores, s.scale);
      for (std::int64_t l = 0; l < dv; ++l) {
        cnum acc = c.constant(0.0);
        for (std::int64_t j = 0; j < visible; ++j) {
          acc = acc + c.constant(p[static_cast<std::size_t>(j)]) * v_at(j, kvh, l);
        }
        out.store((i * s.n_heads + h) * dv + l, acc);
      }
    }
  }
}

TEST(work_count, chunked_gqa_prefill_counted_over_the_causal_pairs) {
  // 5 queries continuing 4 cached tokens, 4 query heads over 2 kv heads, d_qk 8 ≠ d_v 6.
  const std::int64_t n_q = 5, n_k = 9;
  attention_shape s = attention_shape::gqa(4, 2, 8);
  s.head_dim_v = 6;
  const Mat q = input(n_q, s.n_heads * s.head_dim_qk, "wc.att_q");
  const Mat k = input(n_k, s.n_kv_heads * s.head_dim_qk, "wc.att_k");
  const Mat v = input(n_k, s.n_kv_heads * s.head_dim_v, "wc.att_v");
  counter c;
  tracked& tq = c.array(q, 4);
  tracked& tk = c.array(k, 4);
  tracked& tv = c.array(v, 4);
  tracked& to = c.output(n_q * s.n_heads * s.head_dim_v, 4);
  attention_ref(
      c, tq, to, n_q, n_k, s,
      [&](std::int64_t j, std::int64_t kvh, std::int64_t l) {
        return tk.load((j * s.n_kv_heads + kvh) * s.head_dim_qk + l);
      },
      [&](std::int64_t j, std::int64_t kvh, std::int64_t l) {
        return tv.load((j * s.n_kv_heads + kvh) * s.head_dim_v + l);
      });
  EXPECT_LE(rel_error(to_mat(to, n_q, s.n_heads * s.head_dim_v), attention_prefill(q, k, v, s)),
            kTol);
  EXPECT_EQ(attention_prefill_work(n_q, n_k, s, 4), c.work());
}

// Decode over a cache of each storage; the cache's bytes are its codes (element size of the
// storage) plus, for FP8, one FP32 scale per (token, kv head) for K and one for V.
void check_decode(kv_storage storage, std::int64_t code_bytes, bool scaled) {
  const std::int64_t n_k = 7;
  const attention_shape s = attention_shape::gqa(4, 2, 8);
  const std::int64_t dk = s.head_dim_qk, dv = s.head_dim_v, hkv = s.n_kv_heads;
  const Mat q = input(1, s.n_heads * dk, "wc.dec_q");
  kv_cache cache(s.n_kv_heads, s.head_dim_qk, s.head_dim_v, static_cast<int>(n_k), storage);
  cache.append(input(n_k, hkv * dk, "wc.dec_k"), input(n_k, hkv * dv, "wc.dec_v"));
  const Mat keys = cache.keys();  // what the codes decode to
  const Mat values = cache.values();
  counter c;
  tracked& tq = c.array(q, 4);
  tracked& k_codes = c.array(keys, code_bytes);
  tracked& v_codes = c.array(values, code_bytes);
  tracked& k_scales = c.output(n_k * hkv, 4);
  tracked& v_scales = c.output(n_k * hkv, 4);
  tracked& to = c.output(s.n_heads * dv, 4);
  // Dequantizing is not counted; reading the codes and the scales is.
  const auto element = [&](tracked& codes, tracked& scales, std::int64_t d, std::int64_t j,
                           std::int64_t kvh, std::int64_t l) {
    if (scaled) scales.read_value(j * hkv + kvh);
    return c.constant(codes.read_value((j * hkv + kvh) * d + l));
  };
  attention_ref(
      c, tq, to, 1, n_k, s,
      [&](std::int64_t j, std::int64_t kvh, std::int64_t l) {
        return element(k_codes, k_scales, dk, j, kvh, l);
      },
      [&](std::int64_t j, std::int64_t kvh, std::int64_t l) {
        return element(v_codes, v_scales, dv, j, kvh, l);
      });
  EXPECT_LE(rel_error(to_mat(to, 1, s.n_heads * dv), attention_decode(q, cache, s)), kTol);
  EXPECT_EQ(attention_decode_work(n_k, s, 4, cache.bytes_per_token()), c.work());
}

TEST(work_count, decode_counted_over_fp32_bf16_and_fp8_caches) {
  {
    SCOPED_TRACE("fp32");
    check_decode(kv_storage::fp32, 4, false);
  }
  {
    SCOPED_TRACE("bf16");
    check_decode(kv_storage::bf16, 2, false);
  }
  {
    SCOPED_TRACE("fp8_e4m3");
    check_decode(kv_storage::fp8_e4m3, 1, true);
  }
}

// MLA attention (mla.hpp) of n_q queries over n_k latent rows, both forms, counted.
void check_mla(mla_form form, std::int64_t n_q) {
  mla_config cfg;
  cfg.d_model = 16;
  cfg.n_heads = 2;
  cfg.q_lora_rank = 8;
  cfg.kv_lora_rank = 8;
  cfg.qk_nope_head_dim = 6;
  cfg.qk_rope_head_dim = 4;
  cfg.v_head_dim = 5;
  const std::int64_t n_k = 7, h = cfg.n_heads, r = cfg.kv_lora_rank, p = cfg.qk_rope_head_dim,
                     nope = cfg.qk_nope_head_dim, dv = cfg.v_head_dim, qk = nope + p;
  mla_weights w;
  w.w_uk = input(h * nope, r, "wc.mla_uk");
  w.w_uv = input(h * dv, r, "wc.mla_uv");
  const Mat q = input(n_q, h * qk, "wc.mla_q");
  const Mat latent = input(n_k, r + p, "wc.mla_latent");
  mla_cache cache(cfg, static_cast<int>(n_k));
  cache.append(latent);

  counter c;
  tracked& tq = c.array(q, 4);
  tracked& tl = c.array(latent, 4);
  tracked& tuk = c.array(w.w_uk, 4);
  tracked& tuv = c.array(w.w_uv, 4);
  tracked& to = c.output(n_q * h * dv, 4);
  const double scale = cfg.scale();
  if (form == mla_form::absorbed) {
    for (std::int64_t i = 0; i < n_q; ++i) {
      const std::int64_t visible = n_k - n_q + i + 1;
      for (std::int64_t hh = 0; hh < h; ++hh) {
        std::vector<cnum> q_lat;  // W_UK,hᵀ·q_nope,h
        for (std::int64_t col = 0; col < r; ++col) {
          cnum acc = c.constant(0.0);
          for (std::int64_t j = 0; j < nope; ++j) {
            acc = acc + tq.load(i * h * qk + hh * qk + j) * tuk.load((hh * nope + j) * r + col);
          }
          q_lat.push_back(acc);
        }
        std::vector<cnum> scores;
        for (std::int64_t t = 0; t < visible; ++t) {
          cnum acc = c.constant(0.0);
          for (std::int64_t col = 0; col < r; ++col) {
            acc = acc + q_lat[static_cast<std::size_t>(col)] * tl.load(t * (r + p) + col);
          }
          for (std::int64_t j = 0; j < p; ++j) {
            acc = acc + tq.load(i * h * qk + hh * qk + nope + j) * tl.load(t * (r + p) + r + j);
          }
          scores.push_back(acc);
        }
        const std::vector<double> pr = plain_softmax(scores, scale);
        std::vector<cnum> o_lat;
        for (std::int64_t col = 0; col < r; ++col) {
          cnum acc = c.constant(0.0);
          for (std::int64_t t = 0; t < visible; ++t) {
            acc = acc + c.constant(pr[static_cast<std::size_t>(t)]) * tl.load(t * (r + p) + col);
          }
          o_lat.push_back(acc);
        }
        for (std::int64_t o = 0; o < dv; ++o) {
          cnum acc = c.constant(0.0);
          for (std::int64_t col = 0; col < r; ++col) {
            acc = acc + o_lat[static_cast<std::size_t>(col)] * tuv.load((hh * dv + o) * r + col);
          }
          to.store(i * h * dv + hh * dv + o, acc);
        }
      }
    }
  } else {
    // Up-project every cached token: K_nope and V are materialized (written, then read).
    tracked& k_nope = c.output(n_k * h * nope, 4);
    tracked& v = c.output(n_k * h * dv, 4);
    for (std::int64_t t = 0; t < n_k; ++t) {
      for (std::int64_t j = 0; j < h * nope; ++j) {
        k_nope.store(t * h * nope + j, dot(c, tl, t * (r + p), tuk, j * r, r));
      }
      for (std::int64_t j = 0; j < h * dv; ++j) {
        v.store(t * h * dv + j, dot(c, tl, t * (r + p), tuv, j * r, r));
      }
    }
    const attention_shape s{static_cast<int>(h), static_cast<int>(h), static_cast<int>(qk),
                            static_cast<int>(dv), cfg.scale()};
    attention_ref(
        c, tq, to, n_q, n_k, s,
        [&](std::int64_t t, std::int64_t hh, std::int64_t l) {
          return l < nope ? k_nope.load(t * h * nope + hh * nope + l)
                          : tl.load(t * (r + p) + r + (l - nope));
        },
        [&](std::int64_t t, std::int64_t hh, std::int64_t l) {
          return v.load(t * h * dv + hh * dv + l);
        });
  }
  EXPECT_LE(rel_error(to_mat(to, n_q, h * dv), mla_attention(q, cache, w, cfg, form)), kTol);
  EXPECT_EQ(mla_attention_work(n_q, n_k, cfg, form, 4), c.work());
}

TEST(work_count, mla_counted_in_both_forms_for_prefill_and_decode) {
  for (const std::int64_t n_q : {1, 3}) {
    SCOPED_TRACE(n_q);
    check_mla(mla_form::absorbed, n_q);
    check_mla(mla_form::naive, n_q);
  }
}

// ---------------------------------------------------------------------------------------------
// MoE.

TEST(work_count, moe_counted_with_the_experts_the_routing_touched) {
  const std::int64_t n = 3, d = 8, f = 4, e = 8, k = 2;
  const moe_config cfg{static_cast<int>(e), static_cast<int>(k), router_score::sigmoid, true, 2.5f};
  moe_weights w;
  w.router = input(e, d, "wc.moe_router", 2.0f);
  for (std::int64_t i = 0; i < e; ++i) {
    const std::string tag = "wc.moe_e" + std::to_string(i);
    w.experts.push_back({input(f, d, tag + "g"), input(f, d, tag + "u"), input(d, f, tag + "d")});
  }
  w.shared.push_back(
      {input(f, d, "wc.moe_sg"), input(f, d, "wc.moe_su"), input(d, f, "wc.moe_sd")});
  const Mat x = input(n, d, "wc.moe_x");

  counter c;
  tracked& tx = c.array(x, 4);
  tracked& router = c.array(w.router, 4);
  std::vector<tracked*> gate, up, down;
  for (const swiglu_ffn_weights& ew : w.experts) {
    gate.push_back(&c.array(ew.w_gate, 4));
    up.push_back(&c.array(ew.w_up, 4));
    down.push_back(&c.array(ew.w_down, 4));
  }
  tracked& sg = c.array(w.shared[0].w_gate, 4);
  tracked& su = c.array(w.shared[0].w_up, 4);
  tracked& sd = c.array(w.shared[0].w_down, 4);
  tracked& ty = c.output(n * d, 4);
  std::set<std::int64_t> touched;
  for (std::int64_t t = 0; t < n; ++t) {
    std::vector<cnum> score;
    for (std::int64_t j = 0; j < e; ++j) {
      score.push_back(1.0 / (1.0 + exp(-dot(c, tx, t * d, router, j * d, d))));  // sigmoid: 4
    }
    // Top-k (ties → lower index) and normalized weights: plain doubles, not counted.
    std::vector<std::int64_t> order(static_cast<std::size_t>(e));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return score[static_cast<std::size_t>(a)].v > score[static_cast<std::size_t>(b)].v;
    });
    double sum = 0;
    for (std::int64_t j = 0; j < k; ++j) sum += score[static_cast<std::size_t>(order[j])].v;
    std::vector<cnum> out;  // starts as the shared expert's output
    swiglu_row(c, tx, t * d, sg, su, sd, d, f, out);
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t ex = order[static_cast<std::size_t>(j)];
      touched.insert(ex);
      const double weight = score[static_cast<std::size_t>(ex)].v / sum * cfg.route_scale;
      std::vector<cnum> y;
      const auto u = static_cast<std::size_t>(ex);
      swiglu_row(c, tx, t * d, *gate[u], *up[u], *down[u], d, f, y);
      for (std::int64_t o = 0; o < d; ++o) {
        const auto oo = static_cast<std::size_t>(o);
        out[oo] = out[oo] + c.constant(weight) * y[oo];
      }
    }
    for (std::int64_t o = 0; o < d; ++o) ty.store(t * d + o, out[static_cast<std::size_t>(o)]);
  }
  // The bytes check means something only if some experts went untouched.
  ASSERT_LT(static_cast<std::int64_t>(touched.size()), e);
  EXPECT_LE(rel_error(to_mat(ty, n, d), moe_ffn(x, w, cfg)), kTol);
  EXPECT_EQ(moe_work(n, d, f, 1, static_cast<std::int64_t>(touched.size()), cfg, 4), c.work());
}

// ---------------------------------------------------------------------------------------------
// Published anchors (REFERENCE.md).

TEST(work_count, llama3_70b_gqa_decode_is_four_flops_per_byte) {
  // REFERENCE.md §3.2: 64 query heads, 8 kv heads, d = 128: per cached token and layer
  // 32,768 FLOP over 8,192 B (fp32).
  const attention_shape s = attention_shape::gqa(64, 8, 128);
  const kv_cache cache(8, 128, 128, 0);
  const kernel_work one = attention_decode_work(1000, s, 4, cache.bytes_per_token());
  const kernel_work two = attention_decode_work(1001, s, 4, cache.bytes_per_token());
  EXPECT_EQ(two.flops - one.flops, 32768);
  EXPECT_EQ(two.bytes - one.bytes, 8192);
}

TEST(work_count, deepseek_v3_absorbed_mla_decode_per_cached_token) {
  // REFERENCE.md: h 128, d_k 576, d_v 512 → 2·128·(576 + 512) = 278,528 FLOP per cached token,
  // over 576·4 = 2,304 B fp32.
  mla_config c{7168, 128, 1536, 512, 128, 64, 128};
  const kernel_work one = mla_attention_work(1, 4000, c, mla_form::absorbed, 4);
  const kernel_work two = mla_attention_work(1, 4001, c, mla_form::absorbed, 4);
  EXPECT_EQ(two.flops - one.flops, 278528);
  EXPECT_EQ(two.bytes - one.bytes, 2304);
}

TEST(work_count, causal_prefill_is_about_half_the_published_non_causal_count) {
  // REFERENCE.md §3.2 quotes 4·h·n²·d for non-causal attention (n = 1024, 25 heads of 64);
  // the causal count keeps n(n+1)/2 of the n² pairs.
  const kernel_work w = attention_prefill_work(1024, 1024, attention_shape::gqa(25, 25, 64), 4);
  const double non_causal = 4.0 * 25 * 1024.0 * 1024.0 * 64;
  EXPECT_DOUBLE_EQ(static_cast<double>(w.flops) / non_causal, 1025.0 / 2048.0);
}

}  // namespace
}  // namespace kernels
