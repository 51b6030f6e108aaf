#include "kernels/cost/measured_table.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace kernels::cost {

namespace {

std::string attention_key(std::string_view kind, const AttentionShape& a, std::size_t requests) {
  return fmt::format("{} heads={} kv_heads={} qk={} v={} v_in_k={} {} kv {} requests={}", kind,
                     a.heads, a.kv_heads, a.qk_dim, a.v_dim, a.v_in_k, to_string(a.format),
                     to_string(a.kv_format), requests);
}

// The shape of a call without its interpolation axis; nullopt when the call is never covered.
std::optional<std::string> shape_key(const KernelCall& call) {
  if (const auto* g = std::get_if<Gemm>(&call)) {
    // A grouped GEMM is its own series: one launch of many members is not an ungrouped
    // GEMM of m·groups rows (different weights per member).
    if (g->groups > 1)
      return fmt::format("gemm n={} k={} {} groups={}", g->n, g->k, to_string(g->format),
                         g->groups);
    return fmt::format("gemm n={} k={} {}", g->n, g->k, to_string(g->format));
  }
  if (const auto* e = std::get_if<Elementwise>(&call)) {
    if (e->rows <= 0) return std::nullopt;
    const double rows = static_cast<double>(e->rows);
    return fmt::format("{} elements/row={:.6g} flops/row={:.6g} launches={}",
                       to_string(kernel_class(call)), static_cast<double>(e->elements) / rows,
                       e->flops.value() / rows, e->launches);
  }
  if (const auto* p = std::get_if<AttentionPrefill>(&call)) {
    return attention_key("attention_prefill", p->shape, p->requests.size());
  }
  const auto& d = std::get<AttentionDecode>(call);
  return attention_key("attention_decode", d.shape, d.kv_lens.size());
}

// What a series interpolates along: the tokens of GEMMs and elementwise operators; for
// attention, the quantity its work is proportional to — the causal (query, key) pairs of a
// prefill, the cached tokens a decode reads.
double axis(const KernelCall& call) {
  if (const auto* p = std::get_if<AttentionPrefill>(&call)) {
    double pairs = 0;
    for (const QueryKv& r : p->requests)
      pairs += static_cast<double>(causal_pairs(r.query_len, r.kv_len));
    return pairs;
  }
  if (const auto* d = std::get_if<AttentionDecode>(&call)) {
    double keys = 0;
    for (std::int64_t kv : d->kv_lens) keys += static_cast<double>(kv);
    return keys;
  }
  return static_cast<double>(tokens(call));
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

MeasuredTable::MeasuredTable(const std::vector<MeasuredPoint>& points) {
  std::map<Key, std::map<double, std::vector<double>>> grouped;
  for (const MeasuredPoint& p : points) {
    if (!(p.time.value() > 0)) continue;
    const auto key = shape_key(p.call);
    if (!key) continue;
    grouped[{p.device, *key}][axis(p.call)].push_back(p.time.value());
  }
  for (auto& [key, by_tokens] : grouped) {
    auto& s = series_[key];
    for (auto& [t, times] : by_tokens) s.emplace_back(t, median_of(times));
  }
}

std::optional<sim::Seconds> MeasuredTable::lookup(const KernelCall& call,
                                                  const Device& device) const {
  const auto key = shape_key(call);
  if (!key) return std::nullopt;
  const auto it = series_.find({device.name, *key});
  if (it == series_.end()) return std::nullopt;
  const auto& s = it->second;
  const double x = axis(call);
  if (s.empty() || x < s.front().first || x > s.back().first) return std::nullopt;
  const auto hi =
      std::lower_bound(s.begin(), s.end(), x, [](const auto& p, double v) { return p.first < v; });
  if (hi->first == x) return sim::Seconds(hi->second);
  const auto lo = hi - 1;
  // Log-log: kernel times follow power laws in the token count (pairs, keys) between measured
  // points (flat while launch-bound, linear once bandwidth- or compute-bound).
  const double f =
      (std::log(x) - std::log(lo->first)) / (std::log(hi->first) - std::log(lo->first));
  return sim::Seconds(
      std::exp(std::log(lo->second) + f * (std::log(hi->second) - std::log(lo->second))));
}

bool MeasuredTable::covers(const KernelCall& call, const Device& device) const {
  return lookup(call, device).has_value();
}

sim::Seconds MeasuredTable::duration(const KernelCall& call, const Device& device,
                                     double clock_ratio) const {
  check_clock_ratio(clock_ratio);
  const auto t = lookup(call, device);
  if (!t) {
    throw std::out_of_range("measured table does not cover this " +
                            std::string(to_string(kernel_class(call))) + " call on " + device.name);
  }
  const KernelWork w = work(call);
  const double intensity = w.bytes.value() > 0 ? w.flops.value() / w.bytes.value() : 0.0;
  const double ridge = device.peak_flops.value() / device.memory_bandwidth.value();
  return intensity >= ridge ? *t / clock_ratio : *t;
}

}  // namespace kernels::cost
