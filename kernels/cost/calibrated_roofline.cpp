#include "kernels/cost/calibrated_roofline.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace kernels::cost {

KernelTime KernelCostModel::split(const KernelCall& call, const Device& device) const {
  const sim::Seconds full = duration(call, device, 1.0);
  const sim::Seconds half = duration(call, device, 0.5);
  KernelTime t;
  t.clocked = sim::Seconds(std::clamp((half - full).value(), 0.0, full.value()));
  t.unclocked = full - t.clocked;
  return t;
}

void check_clock_ratio(double clock_ratio) {
  if (!(clock_ratio > 0.0 && clock_ratio <= 1.0)) {
    throw std::invalid_argument("clock_ratio must be in (0, 1], got " +
                                std::to_string(clock_ratio));
  }
}

std::optional<KernelClass> stand_in(KernelClass c) {
  switch (c) {
    case KernelClass::layer_norm:
      return KernelClass::rms_norm;
    case KernelClass::rms_norm:
      return KernelClass::layer_norm;
    case KernelClass::gelu:
      return KernelClass::silu_mul;
    case KernelClass::silu_mul:
      return KernelClass::gelu;
    default:
      return std::nullopt;
  }
}

const ClassParams* Calibration::find_exact(KernelClass c, std::string_view device) const {
  if (auto d = devices.find(device); d != devices.end()) {
    if (auto it = d->second.find(c); it != d->second.end()) return &it->second;
  }
  if (auto it = defaults.find(c); it != defaults.end()) return &it->second;
  return nullptr;
}

const ClassParams* Calibration::find(KernelClass c, std::string_view device) const {
  if (const ClassParams* p = find_exact(c, device)) return p;
  if (const auto s = stand_in(c)) return find_exact(*s, device);
  return nullptr;
}

CostFeatures cost_features(const KernelCall& call, const Device& device, const GemmTile& tile) {
  const KernelWork w = work(call);
  CostFeatures f;
  f.compute_at_peak = w.flops / device.peak_flops;
  f.memory_at_peak = w.bytes / device.memory_bandwidth;
  const double sms = device.sm_count ? static_cast<double>(*device.sm_count) : 0.0;
  f.sm_count = sms;
  f.sm_clock = device.sm_clock.value_or(sim::Hertz(0));
  f.l2_cache = device.l2_cache.value_or(sim::Bytes(0));
  f.bytes = w.bytes;
  if (const auto* g = std::get_if<Gemm>(&call); g && sms > 0 && g->m > 0 && g->n > 0) {
    // A grouped or batched GEMM is one grid over the tiles of all its members: waves are
    // quantized over the whole group, not per member (Gemm::groups).
    const double tiles = std::ceil(static_cast<double>(g->m) / static_cast<double>(tile.m)) *
                         std::ceil(static_cast<double>(g->n) / static_cast<double>(tile.n)) *
                         static_cast<double>(g->groups);
    f.waves = tiles / sms;
  }
  if (const auto* e = std::get_if<Elementwise>(&call)) {
    f.launches = e->launches;
    f.rows = static_cast<double>(e->rows);
  }
  return f;
}

RooflineParts roofline_parts(const CostFeatures& f, const ClassParams& p) {
  RooflineParts parts;
  double q = 1.0;
  if (f.waves > 0) q = (f.waves + p.wave_weight * (std::ceil(f.waves) - f.waves)) / f.waves;
  parts.compute = f.compute_at_peak * (q / p.compute_efficiency);
  // Share of the bytes that come from HBM (B'/B).
  double from_hbm = 1.0;
  if (p.l2_hit_fraction > 0 && f.bytes.value() > 0) {
    from_hbm =
        1.0 - p.l2_hit_fraction * std::min(f.bytes.value(), f.l2_cache.value()) / f.bytes.value();
  }
  parts.memory = f.memory_at_peak * (from_hbm / p.memory_efficiency);
  const double cycles_per_second = f.sm_clock.value();
  if (f.sm_count > 0 && cycles_per_second > 0) {
    if (p.row_bytes_per_cycle && f.rows > 0) {
      const double waves = std::max(1.0, f.rows / (f.sm_count * p.rows_per_sm));
      const double bytes_per_row = f.bytes.value() * from_hbm / f.rows;
      parts.sm = sim::Seconds(waves * bytes_per_row / (*p.row_bytes_per_cycle * cycles_per_second));
    } else if (p.sm_bytes_per_cycle) {
      parts.sm = sim::Seconds(f.bytes.value() * from_hbm /
                              (f.sm_count * *p.sm_bytes_per_cycle * cycles_per_second));
    }
  }
  parts.overhead = p.overhead * static_cast<double>(f.launches);
  return parts;
}

sim::Seconds combine(const RooflineParts& parts, const ClassParams& p, double clock_ratio) {
  const double c = parts.compute.value() / clock_ratio;
  const double m = parts.memory.value();
  const double r = parts.sm.value() / clock_ratio;
  double limit = 0;
  if (p.blend_exponent) {
    // Scaled by the largest term so that a^p cannot overflow or vanish for any p.
    const double big = std::max({c, m, r});
    if (big > 0) {
      const double e = *p.blend_exponent;
      limit = big *
              std::pow(std::pow(c / big, e) + std::pow(m / big, e) + std::pow(r / big, e), 1.0 / e);
    }
  } else {
    limit = std::max({c, m, r});
  }
  return parts.overhead + sim::Seconds(limit);
}

// The blend at full clock, shared between its terms in proportion to their p-th powers (the
// max() form gives it all to the largest): the SM-side terms (compute, t_sm) are clocked,
// the HBM term and the launch overhead are not.
KernelTime split_parts(const RooflineParts& parts, const ClassParams& p) {
  const double c = parts.compute.value();
  const double m = parts.memory.value();
  const double r = parts.sm.value();
  // The blend of combine() at full clock, its p-th powers computed once for both the total
  // and the shares.
  double limit = 0, clocked_share = 0;
  const double big = std::max({c, m, r});
  if (big > 0) {
    if (p.blend_exponent) {
      const double e = *p.blend_exponent;
      const double pc = std::pow(c / big, e), pm = std::pow(m / big, e), pr = std::pow(r / big, e);
      const double sum = pc + pm + pr;
      limit = big * std::pow(sum, 1.0 / e);
      clocked_share = (pc + pr) / sum;
    } else {
      limit = big;
      clocked_share = std::max(c, r) >= m ? 1.0 : 0.0;
    }
  }
  KernelTime t;
  t.clocked = sim::Seconds(limit * clocked_share);
  t.unclocked = parts.overhead + sim::Seconds(limit * (1 - clocked_share));
  return t;
}

CalibratedRoofline::CalibratedRoofline(Calibration calibration)
    : calibration_(std::move(calibration)) {}

const ClassParams& CalibratedRoofline::params(const KernelCall& call, const Device& device) const {
  const KernelClass c = kernel_class(call);
  const ClassParams* p = calibration_.find(c, device.name);
  if (!p) {
    throw std::out_of_range("calibration has no parameters for kernel class " +
                            std::string(to_string(c)));
  }
  return *p;
}

RooflineParts CalibratedRoofline::parts(const KernelCall& call, const Device& device) const {
  return roofline_parts(cost_features(call, device, calibration_.tile), params(call, device));
}

KernelTime CalibratedRoofline::split(const KernelCall& call, const Device& device) const {
  const ClassParams& p = params(call, device);
  return split_parts(roofline_parts(cost_features(call, device, calibration_.tile), p), p);
}

sim::Seconds CalibratedRoofline::duration(const KernelCall& call, const Device& device,
                                          double clock_ratio) const {
  check_clock_ratio(clock_ratio);
  const ClassParams& p = params(call, device);
  return combine(roofline_parts(cost_features(call, device, calibration_.tile), p), p, clock_ratio);
}

}  // namespace kernels::cost
