#include "kernels/cost/kernel_call.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace kernels::cost {

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("kernel call: ") + what);
}

double d(std::int64_t v) {
  return static_cast<double>(v);
}

Elementwise make(ElementwiseOp op, std::int64_t rows, std::int64_t elements, double bytes,
                 double flops, int launches = 1) {
  require(rows >= 0 && elements >= 0, "negative size");
  Elementwise e;
  e.op = op;
  e.rows = rows;
  e.elements = elements;
  e.bytes = sim::Bytes(bytes);
  e.flops = sim::Flops(flops);
  e.launches = launches;
  return e;
}

void check(const AttentionShape& s) {
  require(s.heads > 0 && s.kv_heads > 0 && s.qk_dim > 0 && s.v_dim > 0,
          "attention dimensions must be > 0");
  require(s.heads % s.kv_heads == 0, "kv_heads must divide heads");
}

// Bytes of one cached token's K (and V unless V is a slice of K) for all KV heads.
double kv_token_bytes(const AttentionShape& s) {
  const double dims = s.v_in_k ? d(s.qk_dim) : d(s.qk_dim + s.v_dim);
  return d(s.kv_heads) * dims * element_size(s.kv_format).value();
}

constexpr std::array<std::string_view, 10> kClassNames = {
    "gemm",         "rms_norm", "layer_norm", "silu_mul",          "gelu",
    "residual_add", "rope",     "embedding",  "attention_prefill", "attention_decode"};

}  // namespace

sim::Bytes element_size(NumberFormat f) {
  switch (f) {
    case NumberFormat::fp32:
      return sim::Bytes(4);
    case NumberFormat::bf16:
      return sim::Bytes(2);
    case NumberFormat::fp16:
      return sim::Bytes(2);
    case NumberFormat::fp8:
      return sim::Bytes(1);
  }
  return sim::Bytes(0);
}

std::string_view to_string(NumberFormat f) {
  switch (f) {
    case NumberFormat::fp32:
      return "fp32";
    case NumberFormat::bf16:
      return "bf16";
    case NumberFormat::fp16:
      return "fp16";
    case NumberFormat::fp8:
      return "fp8";
  }
  return "?";
}

std::string_view to_string(KernelClass c) {
  return kClassNames[static_cast<std::size_t>(c)];
}

std::optional<KernelClass> parse_kernel_class(std::string_view s) {
  for (KernelClass c : kAllKernelClasses) {
    if (to_string(c) == s) return c;
  }
  return std::nullopt;
}

KernelClass kernel_class(const KernelCall& call) {
  return std::visit(
      overloaded{[](const Gemm&) { return KernelClass::gemm; },
                 [](const Elementwise& e) {
                   switch (e.op) {
                     case ElementwiseOp::rms_norm:
                       return KernelClass::rms_norm;
                     case ElementwiseOp::layer_norm:
                       return KernelClass::layer_norm;
                     case ElementwiseOp::silu_mul:
                       return KernelClass::silu_mul;
                     case ElementwiseOp::gelu:
                       return KernelClass::gelu;
                     case ElementwiseOp::residual_add:
                       return KernelClass::residual_add;
                     case ElementwiseOp::rope:
                       return KernelClass::rope;
                     case ElementwiseOp::embedding:
                       return KernelClass::embedding;
                   }
                   return KernelClass::residual_add;
                 },
                 [](const AttentionPrefill&) { return KernelClass::attention_prefill; },
                 [](const AttentionDecode&) { return KernelClass::attention_decode; }},
      call);
}

std::int64_t causal_pairs(std::int64_t query_len, std::int64_t kv_len) {
  require(query_len >= 0 && kv_len >= query_len, "need 0 <= query_len <= kv_len");
  return query_len * (kv_len - query_len) + query_len * (query_len + 1) / 2;
}

KernelWork work(const KernelCall& call) {
  return std::visit(
      overloaded{
          [](const Gemm& g) {
            require(g.m >= 0 && g.n >= 0 && g.k >= 0, "negative GEMM dimension");
            require(g.groups >= 1, "GEMM groups must be >= 1");
            const double e = element_size(g.format).value();
            const double groups = d(g.groups);
            return KernelWork{
                sim::Flops(2.0 * d(g.m) * d(g.n) * d(g.k) * groups),
                sim::Bytes((d(g.m) * d(g.k) + d(g.n) * d(g.k) + d(g.m) * d(g.n)) * e * groups)};
          },
          [](const Elementwise& e) {
            return KernelWork{e.flops, e.bytes};
          },
          [](const AttentionPrefill& a) {
            check(a.shape);
            const double e = element_size(a.shape.format).value();
            double flops = 0;
            double bytes = 0;
            for (const QueryKv& r : a.requests) {
              const double pairs = d(causal_pairs(r.query_len, r.kv_len));
              flops += 2.0 * d(a.shape.heads) * pairs * d(a.shape.qk_dim + a.shape.v_dim);
              bytes += d(r.query_len) * d(a.shape.heads) * d(a.shape.qk_dim + a.shape.v_dim) * e +
                       d(r.kv_len) * kv_token_bytes(a.shape);
            }
            return KernelWork{sim::Flops(flops), sim::Bytes(bytes)};
          },
          [](const AttentionDecode& a) {
            check(a.shape);
            const double e = element_size(a.shape.format).value();
            double flops = 0;
            double bytes = 0;
            for (std::int64_t kv : a.kv_lens) {
              require(kv >= 1, "decode kv_len must be >= 1");
              flops += 2.0 * d(a.shape.heads) * d(kv) * d(a.shape.qk_dim + a.shape.v_dim);
              bytes += d(a.shape.heads) * d(a.shape.qk_dim + a.shape.v_dim) * e +
                       d(kv) * kv_token_bytes(a.shape);
            }
            return KernelWork{sim::Flops(flops), sim::Bytes(bytes)};
          }},
      call);
}

std::int64_t tokens(const KernelCall& call) {
  return std::visit(
      overloaded{
          [](const Gemm& g) { return g.m * g.groups; }, [](const Elementwise& e) { return e.rows; },
          [](const AttentionPrefill& a) {
            std::int64_t q = 0;
            for (const QueryKv& r : a.requests) q += r.query_len;
            return q;
          },
          [](const AttentionDecode& a) { return static_cast<std::int64_t>(a.kv_lens.size()); }},
      call);
}

Elementwise rms_norm(std::int64_t tokens, std::int64_t hidden, NumberFormat f) {
  const double e = element_size(f).value();
  return make(ElementwiseOp::rms_norm, tokens, tokens * hidden,
              (2.0 * d(tokens) * d(hidden) + d(hidden)) * e, d(tokens) * (4.0 * d(hidden) + 3.0));
}

Elementwise layer_norm(std::int64_t tokens, std::int64_t hidden, NumberFormat f) {
  const double e = element_size(f).value();
  return make(ElementwiseOp::layer_norm, tokens, tokens * hidden,
              (2.0 * d(tokens) * d(hidden) + 2.0 * d(hidden)) * e,
              d(tokens) * (7.0 * d(hidden) + 4.0));
}

Elementwise silu_mul(std::int64_t tokens, std::int64_t width, NumberFormat f) {
  const double e = element_size(f).value();
  return make(ElementwiseOp::silu_mul, tokens, tokens * width, 3.0 * d(tokens) * d(width) * e,
              5.0 * d(tokens) * d(width));
}

Elementwise gelu(std::int64_t tokens, std::int64_t width, NumberFormat f) {
  const double e = element_size(f).value();
  return make(ElementwiseOp::gelu, tokens, tokens * width, 2.0 * d(tokens) * d(width) * e,
              9.0 * d(tokens) * d(width));
}

Elementwise residual_add(std::int64_t tokens, std::int64_t hidden, int operands, NumberFormat f) {
  require(operands >= 2, "a sum needs at least 2 operands");
  const double e = element_size(f).value();
  const double adds = operands - 1;
  return make(ElementwiseOp::residual_add, tokens, tokens * hidden,
              adds * 3.0 * d(tokens) * d(hidden) * e, adds * d(tokens) * d(hidden), operands - 1);
}

Elementwise rope(std::int64_t tokens, std::int64_t heads, std::int64_t kv_heads,
                 std::int64_t rotary_dim, NumberFormat f) {
  const double e = element_size(f).value();
  const double h = d(heads + kv_heads);
  const double n = d(tokens);
  const double r = d(rotary_dim);
  Elementwise call = make(ElementwiseOp::rope, tokens, tokens * (heads + kv_heads) * rotary_dim,
                          2.0 * n * h * r * e + n * r * e + 8.0 * n, 3.0 * n * h * r + n * r);
  call.rotary_dim = rotary_dim;
  return call;
}

Elementwise embedding(std::int64_t tokens, std::int64_t hidden, NumberFormat f) {
  const double e = element_size(f).value();
  return make(ElementwiseOp::embedding, tokens, tokens * hidden,
              8.0 * d(tokens) + 2.0 * d(tokens) * d(hidden) * e, 0.0);
}

AttentionShape mla_absorbed(std::int64_t heads, std::int64_t kv_lora_rank, std::int64_t rope_dim,
                            NumberFormat f, NumberFormat kv_format) {
  AttentionShape s;
  s.heads = heads;
  s.kv_heads = 1;
  s.qk_dim = kv_lora_rank + rope_dim;
  s.v_dim = kv_lora_rank;
  s.v_in_k = true;
  s.format = f;
  s.kv_format = kv_format;
  return s;
}

}  // namespace kernels::cost
