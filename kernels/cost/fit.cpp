#include "kernels/cost/fit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <Eigen/Dense>

namespace kernels::cost {

namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

// How a class's time depends on its parameters (calibrated_roofline.hpp):
//  gemm       compute and memory roofs, wave quantization, blend
//  row_wise   memory roof and the one-block-per-row limit, blend: kernels that launch one
//             thread block per token (vLLM's RMSNorm, SiLU·mul, RoPE; PyTorch's
//             vectorized LayerNorm, aten/src/ATen/native/cuda/layer_norm_kernel.cu)
//  gather     memory roof and an SM throughput roof, blend: the embedding gather, which
//             reaches ~2 bytes per SM cycle on the A100, A40 and H100 alike, far below HBM
//  streaming  memory roof only: PyTorch's elementwise kernels (GELU, add) spread elements,
//             not rows, over the GPU and reach most of the HBM bandwidth
enum class Form { gemm, row_wise, gather, streaming };

Form form_of(KernelClass c) {
  switch (c) {
    case KernelClass::gemm:
      return Form::gemm;
    case KernelClass::rms_norm:
    case KernelClass::layer_norm:
    case KernelClass::silu_mul:
    case KernelClass::rope:
      return Form::row_wise;
    case KernelClass::embedding:
      return Form::gather;
    default:
      return Form::streaming;
  }
}

Eigen::Index parameter_count(KernelClass c) {
  switch (form_of(c)) {
    case Form::gemm:
    case Form::row_wise:
      return 6;
    case Form::gather:
      return 5;
    case Form::streaming:
      return 3;
  }
  return 0;
}

double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double logit(double p) {
  return std::log(p / (1.0 - p));
}

// A parameter the data does not need (an SM limit that never binds, a zero overhead) drifts
// towards ±∞ in the transformed space; clamping keeps it finite, and so printable.
double bounded_exp(double x) {
  return std::exp(std::clamp(x, -60.0, 60.0));
}

// Blend exponents above ~64 are max() to within 2 % (n^(1/p) for n = 3 terms).
constexpr double kMaxBlendExponent = 64.0;
double blend(double x) {
  return 1.0 + (kMaxBlendExponent - 1.0) * logistic(x);
}
double blend_inverse(double p) {
  return logit((p - 1.0) / (kMaxBlendExponent - 1.0));
}

// Transformed parameters -> ClassParams. Efficiencies go through a logistic, so they stay
// in (0, 1); times and rates through exp; the blend exponent p = 1 + 63·logistic(x).
//  gemm:      [logit e_c, logit e_m, log t0/s, x_p, logit ω, logit φ]
//  row_wise:  [logit e_m, log t0/s, log β_row, log k, x_p, logit φ]
//  gather:    [logit e_m, log t0/s, log β_sm, x_p, logit φ]
//  streaming: [logit e_m, log t0/s, logit φ]
ClassParams decode(KernelClass c, const Vec& x) {
  ClassParams p;
  switch (form_of(c)) {
    case Form::gemm:
      p.compute_efficiency = logistic(x[0]);
      p.memory_efficiency = logistic(x[1]);
      p.overhead = sim::Seconds(bounded_exp(x[2]));
      p.blend_exponent = blend(x[3]);
      p.wave_weight = logistic(x[4]);
      p.l2_hit_fraction = logistic(x[5]);
      break;
    case Form::row_wise:
      p.memory_efficiency = logistic(x[0]);
      p.overhead = sim::Seconds(bounded_exp(x[1]));
      p.row_bytes_per_cycle = bounded_exp(x[2]);
      p.rows_per_sm = bounded_exp(x[3]);
      p.blend_exponent = blend(x[4]);
      p.l2_hit_fraction = logistic(x[5]);
      break;
    case Form::gather:
      p.memory_efficiency = logistic(x[0]);
      p.overhead = sim::Seconds(bounded_exp(x[1]));
      p.sm_bytes_per_cycle = bounded_exp(x[2]);
      p.blend_exponent = blend(x[3]);
      p.l2_hit_fraction = logistic(x[4]);
      break;
    case Form::streaming:
      p.memory_efficiency = logistic(x[0]);
      p.overhead = sim::Seconds(bounded_exp(x[1]));
      p.l2_hit_fraction = logistic(x[2]);
      break;
  }
  return p;
}

// Fixed starting point: typical values read off Vidur's A100 tables (a large GEMM at ~70 %
// of peak, a GEMV at ~80 % of bandwidth, a few µs per launch; a block of a row-wise kernel
// moving ~5 bytes per cycle, two rows in flight per SM; an SM streaming ~2 bytes per cycle;
// a tenth of an L2-sized working set still cached).
Vec start(KernelClass c) {
  Vec x(parameter_count(c));
  switch (form_of(c)) {
    case Form::gemm:
      x << logit(0.7), logit(0.8), std::log(5e-6), blend_inverse(3.0), 0.0, logit(0.1);
      break;
    case Form::row_wise:
      x << logit(0.8), std::log(2e-6), std::log(5.0), std::log(2.0), blend_inverse(4.0), logit(0.1);
      break;
    case Form::gather:
      x << logit(0.8), std::log(2e-6), std::log(2.0), blend_inverse(4.0), logit(0.1);
      break;
    case Form::streaming:
      x << logit(0.8), std::log(2e-6), logit(0.1);
      break;
  }
  return x;
}

struct Prepared {
  CostFeatures features;
  std::size_t device = 0;  // index among the class's devices
  double log_measured = 0;
};

double log_prediction(const Prepared& s, const ClassParams& p) {
  return std::log(combine(roofline_parts(s.features, p), p, 1.0).value());
}

double soft_l1(double r, double scale) {
  const double z = r / scale;
  return 2.0 * scale * scale * (std::sqrt(1.0 + z * z) - 1.0);
}

class ClassFitter {
 public:
  ClassFitter(KernelClass c, std::vector<Prepared> samples, std::size_t devices,
              const FitOptions& options)
      : class_(c), samples_(std::move(samples)), devices_(devices), options_(options) {}

  // Returns θ and δ (one per class device); fills iterations and the final objective.
  void run(Vec& theta, std::vector<Vec>& delta, int& iterations, double& objective) const {
    theta = start(class_);
    const Eigen::Index k = theta.size();
    delta.assign(devices_, Vec::Zero(k));
    objective = evaluate(theta, delta);
    double mu = 1e-3;
    iterations = 0;
    const Eigen::Index n = k * static_cast<Eigen::Index>(1 + devices_);
    for (int it = 0; it < options_.max_iterations; ++it) {
      iterations = it + 1;
      Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
      Eigen::VectorXd g = Eigen::VectorXd::Zero(n);
      normal_equations(theta, delta, a, g);
      bool accepted = false;
      while (mu < 1e12) {
        Eigen::MatrixXd damped = a;
        for (Eigen::Index i = 0; i < n; ++i) damped(i, i) += mu * std::max(a(i, i), 1e-9);
        const Eigen::VectorXd step = damped.ldlt().solve(-g);
        Vec t2 = theta + step.segment(0, k);
        std::vector<Vec> d2 = delta;
        for (std::size_t d = 0; d < devices_; ++d) {
          d2[d] += step.segment(k * static_cast<Eigen::Index>(1 + d), k);
        }
        const double obj2 = evaluate(t2, d2);
        if (std::isfinite(obj2) && obj2 < objective) {
          const double gain = (objective - obj2) / std::max(objective, 1e-300);
          theta = t2;
          delta = std::move(d2);
          objective = obj2;
          mu = std::max(mu / 3.0, 1e-12);
          accepted = true;
          if (gain < 1e-10) return;
          break;
        }
        mu *= 4.0;
      }
      if (!accepted) return;
    }
  }

 private:
  std::vector<ClassParams> params_of(const Vec& theta, const std::vector<Vec>& delta) const {
    std::vector<ClassParams> p;
    p.reserve(devices_);
    for (std::size_t d = 0; d < devices_; ++d) p.push_back(decode(class_, theta + delta[d]));
    return p;
  }

  double evaluate(const Vec& theta, const std::vector<Vec>& delta) const {
    const std::vector<ClassParams> p = params_of(theta, delta);
    double sum = 0;
    for (const Prepared& s : samples_) {
      sum += soft_l1(log_prediction(s, p[s.device]) - s.log_measured, options_.robust_scale);
    }
    for (const Vec& d : delta) sum += options_.device_ridge * d.squaredNorm();
    return sum;
  }

  // Gauss–Newton normal equations of the IRLS-weighted problem at (θ, δ).
  void normal_equations(const Vec& theta, const std::vector<Vec>& delta, Eigen::MatrixXd& a,
                        Eigen::VectorXd& g) const {
    constexpr double h = 1e-6;  // forward-difference step in the transformed space
    const Eigen::Index k = theta.size();
    const std::size_t ku = static_cast<std::size_t>(k);
    std::vector<ClassParams> base = params_of(theta, delta);
    std::vector<std::vector<ClassParams>> bumped(devices_);
    for (std::size_t d = 0; d < devices_; ++d) {
      for (Eigen::Index j = 0; j < k; ++j) {
        Vec x = theta + delta[d];
        x[j] += h;
        bumped[d].push_back(decode(class_, x));
      }
    }
    std::vector<Mat> s(devices_, Mat::Zero(k, k));
    std::vector<Vec> b(devices_, Vec::Zero(k));
    Vec jac(k);
    for (const Prepared& smp : samples_) {
      const double f0 = log_prediction(smp, base[smp.device]);
      const double r = f0 - smp.log_measured;
      for (std::size_t j = 0; j < ku; ++j) {
        jac[static_cast<Eigen::Index>(j)] = (log_prediction(smp, bumped[smp.device][j]) - f0) / h;
      }
      const double z = r / options_.robust_scale;
      const double w = 1.0 / std::sqrt(1.0 + z * z);
      s[smp.device].noalias() += w * jac * jac.transpose();
      b[smp.device] += w * r * jac;
    }
    for (std::size_t d = 0; d < devices_; ++d) {
      const Eigen::Index o = k * static_cast<Eigen::Index>(1 + d);
      a.block(0, 0, k, k) += s[d];
      a.block(0, o, k, k) += s[d];
      a.block(o, 0, k, k) += s[d];
      a.block(o, o, k, k) += s[d] + options_.device_ridge * Mat::Identity(k, k);
      g.segment(0, k) += b[d];
      g.segment(o, k) += b[d] + options_.device_ridge * delta[d];
    }
  }

  KernelClass class_;
  std::vector<Prepared> samples_;
  std::size_t devices_;
  const FitOptions& options_;
};

}  // namespace

FitResult fit_calibration(const std::vector<FitSample>& samples, const std::vector<Device>& devices,
                          const FitOptions& options) {
  FitResult result;
  result.calibration.tile = options.tile;
  for (KernelClass c : kAllKernelClasses) {
    // The devices this class has samples on, in the order given.
    std::vector<int> local(devices.size(), -1);
    std::vector<std::size_t> used;
    std::vector<Prepared> prepared;
    for (const FitSample& s : samples) {
      if (kernel_class(s.call) != c) continue;
      if (c == KernelClass::attention_prefill || c == KernelClass::attention_decode) {
        throw std::invalid_argument("attention classes are not fitted from samples");
      }
      if (s.device >= devices.size())
        throw std::invalid_argument("sample device index out of range");
      if (!(s.measured.value() > 0)) continue;
      if (local[s.device] < 0) {
        local[s.device] = static_cast<int>(used.size());
        used.push_back(s.device);
      }
      prepared.push_back({cost_features(s.call, devices[s.device], options.tile),
                          static_cast<std::size_t>(local[s.device]), std::log(s.measured.value())});
    }
    if (prepared.empty()) continue;
    FitStats stats;
    stats.cls = c;
    stats.samples = prepared.size();
    ClassFitter fitter(c, std::move(prepared), used.size(), options);
    Vec theta;
    std::vector<Vec> delta;
    fitter.run(theta, delta, stats.iterations, stats.objective);
    result.calibration.defaults[c] = decode(c, theta);
    for (std::size_t d = 0; d < used.size(); ++d) {
      result.calibration.devices[devices[used[d]].name][c] = decode(c, theta + delta[d]);
    }
    result.stats.push_back(stats);
  }
  return result;
}

}  // namespace kernels::cost
