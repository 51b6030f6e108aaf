#include "kernels/measure/call_runner.hpp"

#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "kernels/attention_decode.hpp"
#include "kernels/embedding.hpp"
#include "kernels/ffn.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_bf16.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/measure/inputs.hpp"
#include "kernels/norm.hpp"
#include "kernels/rope.hpp"

namespace kernels::measure {

namespace kc = kernels::cost;

namespace {

[[noreturn]] void unsupported(const kc::KernelCall& call, const std::string& why) {
  throw std::invalid_argument("no CPU kernel for " + describe(call) + ": " + why);
}

void require_fp32(const kc::KernelCall& call, kc::NumberFormat f) {
  if (f != kc::NumberFormat::fp32) {
    unsupported(call, "the CPU kernels compute and store activations in fp32");
  }
}

kv_storage storage_of(const kc::KernelCall& call, kc::NumberFormat f) {
  switch (f) {
    case kc::NumberFormat::fp32:
      return kv_storage::fp32;
    case kc::NumberFormat::bf16:
      return kv_storage::bf16;
    case kc::NumberFormat::fp8:
      return kv_storage::fp8_e4m3;
    case kc::NumberFormat::fp16:
      break;
  }
  unsupported(call, "no fp16 KV-cache storage");
}

std::shared_ptr<Mat> operand(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed,
                             const char* name, float scale = 1.0f) {
  return std::make_shared<Mat>(hashed_operand(rows, cols, seed, name, scale));
}

std::function<void()> gemm_member(const kc::KernelCall& call, const kc::Gemm& g, std::uint64_t seed,
                                  weight_pool* weights) {
  auto x = operand(g.m, g.k, seed, "call.x");
  // Weights scaled like a trained layer's (variance 1/k): outputs stay O(1).
  const float scale = std::sqrt(3.0f / static_cast<float>(g.k));
  if (g.format == kc::NumberFormat::bf16) {
    std::shared_ptr<const bf16_matrix> w =
        weights != nullptr ? weights->bf16(g.n, g.k, seed, scale)
                           : std::make_shared<const bf16_matrix>(bf16_matrix::from_fp32(
                                 hashed_operand(g.n, g.k, seed, "call.w", scale)));
    return [x, w] { (void)linear_bf16(*x, *w); };
  }
  require_fp32(call, g.format);
  std::shared_ptr<const Mat> w = weights != nullptr ? weights->fp32(g.n, g.k, seed, scale)
                                                    : operand(g.n, g.k, seed, "call.w", scale);
  return [x, w] { (void)linear(*x, *w); };
}

// A grouped GEMM on the CPU: its members one after another, each with its own operands.
std::function<void()> gemm(const kc::KernelCall& call, const kc::Gemm& g, std::uint64_t seed,
                           weight_pool* weights) {
  if (g.groups <= 1) return gemm_member(call, g, seed, weights);
  std::vector<std::function<void()>> members;
  for (std::int64_t i = 0; i < g.groups; ++i)
    members.push_back(gemm_member(call, g, seed + static_cast<std::uint64_t>(i) * 7919u, weights));
  return [members = std::move(members)] {
    for (const auto& m : members) m();
  };
}

std::function<void()> elementwise(const kc::KernelCall& call, const kc::Elementwise& e,
                                  std::uint64_t seed) {
  if (e.rows <= 0 || e.elements % e.rows != 0) unsupported(call, "elements are not rows × width");
  const Eigen::Index rows = e.rows;
  const Eigen::Index width = e.elements / e.rows;
  constexpr float eps = 1e-6f;
  auto x = operand(rows, width, seed, "call.x");
  switch (e.op) {
    case kc::ElementwiseOp::rms_norm: {
      auto gamma = std::make_shared<const Vec>(Vec::Ones(width));
      return [x, gamma] { (void)rms_norm(*x, *gamma, eps); };
    }
    case kc::ElementwiseOp::layer_norm: {
      auto gamma = std::make_shared<const Vec>(Vec::Ones(width));
      auto beta = std::make_shared<const Vec>(Vec::Zero(width));
      return [x, gamma, beta] { (void)layer_norm(*x, *gamma, *beta, eps); };
    }
    case kc::ElementwiseOp::silu_mul: {
      // up = 1 + exp(-gate): silu(gate)·up = gate, so the in-place call keeps its values over
      // any number of runs (with random up they shrank by ~4× a run and turned denormal after
      // some dozens: 20× slower).
      auto up = std::make_shared<const Mat>((1.0f + (-x->array()).exp()).matrix());
      return [x, up] { silu_mul(*x, *up); };
    }
    case kc::ElementwiseOp::gelu:
      return [x] { gelu_inplace(*x); };
    case kc::ElementwiseOp::residual_add: {
      auto y = operand(rows, width, seed, "call.y", 1e-3f);  // keeps x bounded over repeats
      return [x, y, launches = e.launches] {
        for (int i = 0; i < launches; ++i) *x += *y;
      };
    }
    case kc::ElementwiseOp::rope: {
      if (e.rotary_dim <= 0 || width % e.rotary_dim != 0) {
        unsupported(call, "rope without a rotary_dim dividing the row");
      }
      auto positions = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(rows));
      std::iota(positions->begin(), positions->end(), 0);
      const auto heads = static_cast<int>(width / e.rotary_dim);
      const auto r = static_cast<int>(e.rotary_dim);
      return [x, positions, spec = rope_spec{heads, r, 0, r, 10000.0}] {
        apply_rope(*x, *positions, spec);
      };
    }
    case kc::ElementwiseOp::embedding: {
      // rows distinct table rows: each gathered row comes from memory once, the call's
      // compulsory traffic.
      auto ids = std::make_shared<std::vector<token_id>>(static_cast<std::size_t>(rows));
      std::iota(ids->begin(), ids->end(), 0);
      return [x, ids] { (void)embedding_lookup(*x, *ids); };
    }
  }
  unsupported(call, "unknown elementwise operator");
}

attention_shape cpu_shape(const kc::KernelCall& call, const kc::AttentionShape& a) {
  require_fp32(call, a.format);
  if (a.v_in_k) unsupported(call, "MLA's absorbed form is timed through kernels/mla.hpp");
  if (a.qk_dim != a.v_dim) unsupported(call, "qk_dim != v_dim");
  return attention_shape::gqa(static_cast<int>(a.heads), static_cast<int>(a.kv_heads),
                              static_cast<int>(a.qk_dim));
}

std::shared_ptr<kv_cache> filled_cache(const kc::KernelCall& call, const kc::AttentionShape& a,
                                       std::int64_t tokens, std::uint64_t seed) {
  const auto kv_heads = static_cast<int>(a.kv_heads);
  const auto dim = static_cast<int>(a.qk_dim);
  auto cache = std::make_shared<kv_cache>(kv_heads, dim, dim, static_cast<int>(tokens),
                                          storage_of(call, a.kv_format));
  cache->append(hashed_operand(tokens, a.kv_heads * a.qk_dim, seed, "call.k"),
                hashed_operand(tokens, a.kv_heads * a.qk_dim, seed, "call.v"));
  return cache;
}

}  // namespace

std::shared_ptr<const Mat> weight_pool::fp32(Eigen::Index n, Eigen::Index k, std::uint64_t seed,
                                             float scale) {
  auto& w = fp32_[key{n, k, seed}];
  if (!w) w = std::make_shared<const Mat>(hashed_operand(n, k, seed, "call.w", scale));
  return w;
}

std::shared_ptr<const bf16_matrix> weight_pool::bf16(Eigen::Index n, Eigen::Index k,
                                                     std::uint64_t seed, float scale) {
  auto& w = bf16_[key{n, k, seed}];
  if (!w) {
    w = std::make_shared<const bf16_matrix>(
        bf16_matrix::from_fp32(hashed_operand(n, k, seed, "call.w", scale)));
  }
  return w;
}

std::function<void()> cpu_kernel_call(const kc::KernelCall& call, std::uint64_t seed,
                                      weight_pool* weights) {
  if (const auto* g = std::get_if<kc::Gemm>(&call)) return gemm(call, *g, seed, weights);
  if (const auto* e = std::get_if<kc::Elementwise>(&call)) return elementwise(call, *e, seed);
  std::vector<std::function<void()>> parts;
  if (const auto* p = std::get_if<kc::AttentionPrefill>(&call)) {
    const attention_shape shape = cpu_shape(call, p->shape);
    for (const kc::QueryKv& r : p->requests) {
      auto cache = filled_cache(call, p->shape, r.kv_len, seed);
      auto q = operand(r.query_len, p->shape.heads * p->shape.qk_dim, seed, "call.q");
      parts.push_back([cache, q, shape] { (void)attention_prefill(*q, *cache, shape); });
    }
  } else {
    const auto& d = std::get<kc::AttentionDecode>(call);
    const attention_shape shape = cpu_shape(call, d.shape);
    for (std::int64_t kv : d.kv_lens) {
      auto cache = filled_cache(call, d.shape, kv, seed);
      auto q = operand(1, d.shape.heads * d.shape.qk_dim, seed, "call.q");
      parts.push_back([cache, q, shape] { (void)attention_decode(*q, *cache, shape); });
    }
  }
  return [parts = std::move(parts)] {
    for (const auto& part : parts) part();
  };
}

std::string describe(const kc::KernelCall& call) {
  using std::to_string;
  auto fmt = [](kc::NumberFormat f) { return std::string(kc::to_string(f)); };
  if (const auto* g = std::get_if<kc::Gemm>(&call)) {
    return "gemm m=" + to_string(g->m) + " n=" + to_string(g->n) + " k=" + to_string(g->k) + " " +
           fmt(g->format) + (g->groups > 1 ? " groups=" + to_string(g->groups) : "");
  }
  if (const auto* e = std::get_if<kc::Elementwise>(&call)) {
    std::string s = std::string(kc::to_string(kc::kernel_class(call))) +
                    " rows=" + to_string(e->rows) +
                    " width=" + to_string(e->rows > 0 ? e->elements / e->rows : 0);
    if (e->launches > 1) s += " launches=" + to_string(e->launches);
    return s;
  }
  auto heads = [&](const kc::AttentionShape& a) {
    return to_string(a.heads) + "q/" + to_string(a.kv_heads) + "kv x" + to_string(a.qk_dim) +
           (a.v_in_k || a.v_dim != a.qk_dim ? "/" + to_string(a.v_dim) : "") + " " + fmt(a.format) +
           " kv " + fmt(a.kv_format);
  };
  if (const auto* p = std::get_if<kc::AttentionPrefill>(&call)) {
    std::string s = "attention_prefill " + heads(p->shape);
    for (const kc::QueryKv& r : p->requests)
      s += " q=" + to_string(r.query_len) + "/kv=" + to_string(r.kv_len);
    return s;
  }
  const auto& d = std::get<kc::AttentionDecode>(call);
  std::string s = "attention_decode " + heads(d.shape) + " kv_len=";
  for (std::size_t i = 0; i < d.kv_lens.size(); ++i) s += (i ? "," : "") + to_string(d.kv_lens[i]);
  return s;
}

}  // namespace kernels::measure
