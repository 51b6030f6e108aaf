// Calibrated roofline: per kernel class, a roofline whose efficiencies were fitted to
// measured GPU profiles (`firstwall kernels fit`), applied to any device's peaks.
//
// For a call with F FLOPs and B bytes on a device with dense peak P, bandwidth W, S SMs at
// maximum clock f:
//
//   t = launches · t0 + blend_p( q · F / (P · e_c · r),  B' / (W · e_m),  t_sm / r )
//
//   e_c, e_m   compute and memory efficiency of the class (fractions of the peaks)
//   t0         fixed time per launch (kernel prologue, tail, launch gap)
//   r          clock_ratio f_now / f: the SM-side parts stretch, the HBM part does not
//              (DESIGN.md "Coupling")
//   q          GEMM wave quantization: the output's ceil(m/Tm)·ceil(n/Tn) tiles run in
//              waves of S; with w = tiles / S, q = (w + ω·(ceil(w) - w)) / w, where the
//              fitted ω in [0, 1] says how much of the last partial wave costs a full one
//              (0: none, as with stream-K or split-K; 1: a full wave)
//   B'         bytes that come from HBM: B - φ · min(B, L2). The fitted φ is the share of an
//              L2-sized working set still in the cache from the kernel before (Vidur times
//              each operator inside a running layer, as a server runs it): an A100 residual
//              add moves 1.94 TB/s at 512 tokens of Llama-3-8B (12.6 MB) but 1.71 TB/s at
//              32,768 (805 MB). Without it, a fit to ≤ 4,096 tokens overstates the bandwidth
//              reached at 32,768 by ~12 %. B' replaces B in the memory and SM terms.
//   t_sm       what the SMs, not HBM, allow a memory-bound kernel, in SM clock cycles:
//              - row-wise kernels launch one thread block per token (vLLM's RMSNorm, SiLU·mul
//                and RoPE: grid = num_tokens in csrc/layernorm_kernels.cu,
//                activation_kernels.cu, pos_encoding_kernels.cu; PyTorch's LayerNorm). With
//                R rows of b = B'/R bytes, t_sm = max(1, R / (S · k)) · b / (f · β_row): k rows in
//                flight per SM, each block moving β_row bytes per cycle. It is why such a
//                kernel takes 20 µs for a single token of Llama-2-70B's 28,672-wide SiLU·mul
//                on an A100 (Vidur): one block does all the work.
//              - streaming kernels (PyTorch's elementwise add and GELU, the embedding gather):
//                t_sm = B' / (S · f · β_sm). The gather moves ~2 bytes per SM cycle on the
//                A100, A40 and H100 alike (Vidur), whatever their HBM bandwidth.
//              Per cycle, because that is what carries over between GPUs.
//   blend_p    (a^p + b^p + c^p)^(1/p): the roofline's max() softened where neither limit is
//              reached (p fitted; absent = max itself)
//
// In the limits this is the plain roofline: a huge GEMM takes F / (P · e_c · r) + t0, a
// long bandwidth-bound pass B / (W · e_m) + t0.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kernels/cost/device.hpp"
#include "kernels/cost/kernel_call.hpp"
#include "kernels/cost/kernel_cost_model.hpp"
#include "sim/units.hpp"

namespace kernels::cost {

struct ClassParams {
  double compute_efficiency = 1;         // e_c, fraction of the dense peak
  double memory_efficiency = 1;          // e_m, fraction of the HBM bandwidth
  sim::Seconds overhead{0};              // t0, per launch
  std::optional<double> blend_exponent;  // p >= 1; absent: max()
  double wave_weight = 0;                // ω (GEMM)
  double l2_hit_fraction = 0;            // φ
  // Bytes per SM clock cycle (a count of bytes, not a rate: cycles are the unit of time).
  std::optional<double> row_bytes_per_cycle;  // β_row: one block on its row (row-wise)
  double rows_per_sm = 1;                     // k (row-wise)
  std::optional<double> sm_bytes_per_cycle;   // β_sm: one SM (streaming)
  std::string source;                         // where hand-set values come from (attention)
};

struct GemmTile {
  std::int64_t m = 128;
  std::int64_t n = 128;
};

struct Calibration {
  GemmTile tile;
  // Parameters for devices without their own entry (fitted across all devices).
  std::map<KernelClass, ClassParams> defaults;
  // Per catalog device name: parameters fitted with that device's measurements.
  std::map<std::string, std::map<KernelClass, ClassParams>, std::less<>> devices;

  // The device's own parameters for the class, else the defaults; if the calibration has
  // neither (its tables had no such operator), those of the stand-in class; else nullptr.
  const ClassParams* find(KernelClass c, std::string_view device) const;
  // Same without the stand-in.
  const ClassParams* find_exact(KernelClass c, std::string_view device) const;
};

// The class whose parameters a calibration without `c` uses instead: the other norm for a
// norm, the other activation for an activation (same role in the layer, different kernel;
// kernels/cost/README.md reports what this costs in accuracy).
std::optional<KernelClass> stand_in(KernelClass c);

// What a call costs at the device's peaks, before efficiencies: the shape features the
// fitted parameters act on. Computed once per call and device (the fitter reuses them).
struct CostFeatures {
  sim::Seconds compute_at_peak;  // F / P
  sim::Seconds memory_at_peak;   // B / W
  double waves = 0;              // GEMM tiles / S; 0 when not a GEMM or S is unknown
  double rows = 0;               // elementwise rows; 0 when not elementwise
  double sm_count = 0;           // 0 when unknown
  sim::Hertz sm_clock;           // 0 when unknown
  sim::Bytes l2_cache;           // 0 when unknown
  sim::Bytes bytes;
  int launches = 1;
};

CostFeatures cost_features(const KernelCall& call, const Device& device, const GemmTile& tile);

// The three limits and the fixed part, at full clock.
struct RooflineParts {
  sim::Seconds compute;   // q · F / (P · e_c)
  sim::Seconds memory;    // B / (W · e_m)
  sim::Seconds sm;        // t_sm
  sim::Seconds overhead;  // launches · t0
};

RooflineParts roofline_parts(const CostFeatures& f, const ClassParams& p);
// t at clock ratio r (see the file comment).
sim::Seconds combine(const RooflineParts& parts, const ClassParams& p, double clock_ratio);
// The time at full clock split into clocked and unclocked parts (kernel_cost_model.hpp).
KernelTime split_parts(const RooflineParts& parts, const ClassParams& p);

class CalibratedRoofline final : public KernelCostModel {
 public:
  explicit CalibratedRoofline(Calibration calibration);

  // Throws std::out_of_range when the calibration has no parameters for the call's class.
  sim::Seconds duration(const KernelCall& call, const Device& device,
                        double clock_ratio) const override;
  KernelTime split(const KernelCall& call, const Device& device) const override;
  RooflineParts parts(const KernelCall& call, const Device& device) const;
  const Calibration& calibration() const { return calibration_; }

 private:
  const ClassParams& params(const KernelCall& call, const Device& device) const;
  Calibration calibration_;
};

}  // namespace kernels::cost
