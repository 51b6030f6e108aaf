// The fit recovers parameters from times the model itself generated, and is deterministic.
#include "kernels/cost/fit.hpp"

#include <gtest/gtest.h>

#include "kernels/cost/calibration_file.hpp"

#include "test_devices.hpp"

namespace kernels::cost {
namespace {

using test::a100;

ClassParams truth() {
  ClassParams p;
  p.compute_efficiency = 0.72;
  p.memory_efficiency = 0.83;
  p.overhead = sim::Seconds(5e-6);
  p.blend_exponent = 2.5;
  p.wave_weight = 0.3;
  p.l2_hit_fraction = 0.1;
  return p;
}

std::vector<FitSample> synthetic() {
  const ClassParams p = truth();
  std::vector<FitSample> out;
  for (std::int64_t m = 1; m <= 16384; m *= 2) {
    for (std::int64_t n : {1536, 4096, 12288, 22016}) {
      for (std::int64_t k : {2560, 4096, 11008}) {
        const Gemm g{m, n, k, NumberFormat::fp16};
        const sim::Seconds t =
            combine(roofline_parts(cost_features(g, a100(), GemmTile{}), p), p, 1.0);
        out.push_back({g, 0, t});
      }
    }
  }
  return out;
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

TEST(fit, attention_is_not_fitted_from_samples) {
  std::vector<FitSample> s{{AttentionDecode{{32, 8, 128, 128}, {100}}, 0, sim::Seconds(1e-5)}};
  EXPECT_THROW(fit_calibration(s, {a100()}, FitOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace kernels::cost
