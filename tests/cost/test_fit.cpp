// The fit recovers parameters from times the model itself generated — exact, through 5 %
// lognormal noise, with gross outliers among the samples, and for a sparsely measured second
// device — and is deterministic.
#include "kernels/cost/fit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cost/calibration_file.hpp"
#include "sim/random.hpp"

#include "test_devices.hpp"

namespace kernels::cost {
namespace {

using test::a100;
using test::h100;

ClassParams truth(double compute_efficiency = 0.72, double memory_efficiency = 0.83) {
  ClassParams p;
  p.compute_efficiency = compute_efficiency;
  p.memory_efficiency = memory_efficiency;
  p.overhead = sim::Seconds(5e-6);
  p.blend_exponent = 2.5;
  p.wave_weight = 0.3;
  p.l2_hit_fraction = 0.1;
  return p;
}

sim::Seconds model_time(const Gemm& g, const Device& d, const ClassParams& p) {
  return combine(roofline_parts(cost_features(g, d, GemmTile{}), p), p, 1.0);
}

// The GEMM grid (15 m × 4 n × 3 k = 180 shapes, from GEMV to compute-bound) timed by the model
// with parameters p on device d.
std::vector<FitSample> synthetic(const ClassParams& p = truth(), const Device& d = a100(),
                                 std::size_t device = 0) {
  std::vector<FitSample> out;
  for (std::int64_t m = 1; m <= 16384; m *= 2) {
    for (std::int64_t n : {1536, 4096, 12288, 22016}) {
      for (std::int64_t k : {2560, 4096, 11008}) {
        const Gemm g{m, n, k, NumberFormat::fp16};
        out.push_back({g, device, model_time(g, d, p)});
      }
    }
  }
  return out;
}

// Each time multiplied by exp(N(0, σ)): a profiler's run-to-run scatter, relative.
std::vector<FitSample> with_noise(std::vector<FitSample> s, double sigma, sim::RngStream& rng) {
  for (FitSample& x : s) x.measured = sim::Seconds(x.measured.value() * rng.lognormal(0.0, sigma));
  return s;
}

// |predicted / true − 1| over the noise-free grid of device d: the median and the largest.
struct PredictionError {
  double median = 0;
  double max = 0;
};
PredictionError prediction_error(const ClassParams& fitted, const ClassParams& true_params,
                                 const Device& d) {
  std::vector<double> e;
  for (const FitSample& s : synthetic(true_params, d)) {
    const Gemm& g = std::get<Gemm>(s.call);
    e.push_back(std::abs(model_time(g, d, fitted).value() / s.measured.value() - 1.0));
  }
  std::sort(e.begin(), e.end());
  return {e[e.size() / 2], e.back()};
}

const ClassParams& gemm_of(const FitResult& r, const std::string& device) {
  return r.calibration.devices.at(device).at(KernelClass::gemm);
}

// Tolerances of one fit through 5 % lognormal noise on the 180-shape grid: about 4 standard
// deviations of each estimate over 12 seeds of another stream (sd: e_c 0.0032, e_m 0.011,
// t0 0.25 µs, p 0.14, ω 0.011, φ 0.025; the weakly constrained blend exponent and L2 share
// scatter most). ec_tol widens the compute efficiency's where a test says why.
void expect_near_truth(const ClassParams& got, const ClassParams& want, double ec_tol = 0.015) {
  EXPECT_NEAR(got.compute_efficiency, want.compute_efficiency, ec_tol);
  EXPECT_NEAR(got.memory_efficiency, want.memory_efficiency, 0.05);
  EXPECT_NEAR(got.overhead.value(), want.overhead.value(), 1.0e-6);
  EXPECT_NEAR(*got.blend_exponent, *want.blend_exponent, 0.6);
  EXPECT_NEAR(got.wave_weight, want.wave_weight, 0.05);
  EXPECT_NEAR(got.l2_hit_fraction, want.l2_hit_fraction, 0.1);
}

TEST(fit, recovers_the_parameters_that_made_the_data) {
  const FitResult r = fit_calibration(synthetic(), {a100()}, FitOptions{});
  ASSERT_EQ(r.stats.size(), 1u);
  const ClassParams& got = r.calibration.devices.at("a100-sxm-80gb").at(KernelClass::gemm);
  const ClassParams want = truth();
  EXPECT_NEAR(got.compute_efficiency, want.compute_efficiency, 1e-3);
  EXPECT_NEAR(got.memory_efficiency, want.memory_efficiency, 1e-3);
  EXPECT_NEAR(got.overhead.value(), want.overhead.value(), 1e-8);
  EXPECT_NEAR(*got.blend_exponent, *want.blend_exponent, 1e-2);
  EXPECT_NEAR(got.wave_weight, want.wave_weight, 1e-2);
  EXPECT_NEAR(got.l2_hit_fraction, want.l2_hit_fraction, 1e-2);
  // A device without measurements gets the shared defaults, here close to the same values.
  EXPECT_NEAR(r.calibration.defaults.at(KernelClass::gemm).compute_efficiency, 0.72, 0.05);
}

TEST(fit, same_samples_give_the_same_bits) {
  FitOptions o;
  const FitResult a = fit_calibration(synthetic(), {a100()}, o);
  const FitResult b = fit_calibration(synthetic(), {a100()}, o);
  CalibrationFile fa{a.calibration, {}};
  CalibrationFile fb{b.calibration, {}};
  EXPECT_EQ(to_yaml(fa), to_yaml(fb));
  EXPECT_EQ(a.stats[0].iterations, b.stats[0].iterations);
}

TEST(fit, recovers_the_parameters_through_5_percent_lognormal_noise) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    sim::RngStream rng(seed, "test_fit", "noise");
    const FitResult r = fit_calibration(with_noise(synthetic(), 0.05, rng), {a100()}, FitOptions{});
    const ClassParams& got = gemm_of(r, "a100-sxm-80gb");
    expect_near_truth(got, truth());
    // 180 samples average the 5 % scatter down: the fitted model reproduces the noise-free
    // times to a median of 0.2 … 1.0 % over these 8 seeds (worst shape 1.7 … 4.2 %; e_c
    // 0.713 … 0.722, e_m 0.807 … 0.844).
    const PredictionError e = prediction_error(got, truth(), a100());
    EXPECT_LE(e.median, 0.015);
    EXPECT_LE(e.max, 0.08);
  }
}

TEST(fit, soft_l1_loss_keeps_gross_outliers_from_pulling_the_fit) {
  // 9 of the 180 samples (5 %) measured 3× too slow — a kernel-selection step or a profiler
  // hiccup — on top of 5 % noise. The soft-L1 loss (robust_scale s = 0.1: quadratic below
  // ~10 %, linear above) bounds each outlier's pull but does not remove it, and these all
  // pull the same way: e_c 0.706 … 0.720 over 6 seeds (~0.007 below the noise-only fits), so
  // its tolerance is 0.025 here; the other parameters stay within the noise tolerances. With
  // s = 10 the same loss is least squares for these residuals, and the outliers drag both
  // efficiencies down by ~7 % (e_c 0.665 … 0.676, e_m 0.757 … 0.776).
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    sim::RngStream rng(seed, "test_fit", "outliers");
    std::vector<FitSample> s = with_noise(synthetic(), 0.05, rng);
    for (std::size_t i = 19; i < s.size(); i += 20) s[i].measured = s[i].measured * 3.0;
    const FitResult robust = fit_calibration(s, {a100()}, FitOptions{});
    expect_near_truth(gemm_of(robust, "a100-sxm-80gb"), truth(), 0.025);
    FitOptions least_squares;
    least_squares.robust_scale = 10.0;
    const FitResult ls = fit_calibration(s, {a100()}, least_squares);
    EXPECT_LT(gemm_of(ls, "a100-sxm-80gb").compute_efficiency, truth().compute_efficiency - 0.03);
    EXPECT_LT(gemm_of(ls, "a100-sxm-80gb").memory_efficiency, truth().memory_efficiency - 0.03);
  }
}

TEST(fit, sparse_second_device_is_pulled_to_the_pooled_parameters_at_the_default_ridge) {
  // A well-measured A100 (180 shapes) and an H100 measured on 18 of them (every 10th), whose
  // kernels reach e_c 0.60 and e_m 0.90 instead of 0.72 and 0.83; 5 % noise on both.
  const ClassParams h100_truth = truth(0.60, 0.90);
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    sim::RngStream rng(seed, "test_fit", "sparse");
    std::vector<FitSample> s = with_noise(synthetic(), 0.05, rng);
    const std::vector<FitSample> h = with_noise(synthetic(h100_truth, h100(), 1), 0.05, rng);
    for (std::size_t i = 0; i < h.size(); i += 10) s.push_back(h[i]);

    // Default λ = 10: the ridge outweighs 18 rows. Known limitation, asserted as it is: the
    // two fitted e_c differ by less than 0.02 where the truths differ by 0.12 (measured
    // 0.0055 … 0.0072: the H100 keeps the pooled value), its grid is predicted with median
    // errors of 5.9 … 8.5 % and worst shapes off by 14 … 16 %, and through the shared θ the
    // H100 rows pull the A100 down a little (e_c 0.706 … 0.720, tolerance 0.025). The penalty
    // λ·|δ|² does not grow with a device's sample count while the data term does (with all
    // 180 shapes on the H100 its e_c is still ~0.643); the Vidur tables have thousands of rows
    // per GPU, but a small table of a new GPU barely moves it.
    const FitResult pooled = fit_calibration(s, {a100(), h100()}, FitOptions{});
    expect_near_truth(gemm_of(pooled, "a100-sxm-80gb"), truth(), 0.025);
    const double ec_a100 = gemm_of(pooled, "a100-sxm-80gb").compute_efficiency;
    const double ec_h100 = gemm_of(pooled, "h100-sxm").compute_efficiency;
    EXPECT_LT(ec_h100, ec_a100);  // shrunk towards the A100, not past it
    EXPECT_LT(ec_a100 - ec_h100, 0.02);

    // Weak pooling, λ = 0.3: the 18 rows speak. e_c within 0.06 (10 %) of 0.60 (measured
    // 0.607 … 0.644) and the whole H100 grid predicted to a median of ≤ 5 % (1.1 … 4.2 %),
    // worst shape ≤ 10 % (4.2 … 6.8 %): 18 noisy rows cannot pin six parameters as well as
    // 180 do.
    FitOptions weak;
    weak.device_ridge = 0.3;
    const FitResult own = fit_calibration(s, {a100(), h100()}, weak);
    const ClassParams& got = gemm_of(own, "h100-sxm");
    EXPECT_NEAR(got.compute_efficiency, h100_truth.compute_efficiency, 0.06);
    const PredictionError e = prediction_error(got, h100_truth, h100());
    EXPECT_LE(e.median, 0.05);
    EXPECT_LE(e.max, 0.10);
  }
}

TEST(fit, attention_is_not_fitted_from_samples) {
  std::vector<FitSample> s{{AttentionDecode{{32, 8, 128, 128}, {100}}, 0, sim::Seconds(1e-5)}};
  EXPECT_THROW(fit_calibration(s, {a100()}, FitOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace kernels::cost
