// Generalization to a GPU never measured, and to large models at up to 32,768 tokens from a
// GPU measured on small models only. As in test_vidur_validation.cpp, each fit uses the λ
// an inner leave-one-model-out over its own training tables picked (vidur_nested.hpp; checked
// by test_vidur_nested_slow.cpp), median ≤ 10 % (the project's target) and p90 a little
// above what is measured (the tail is kernel-selection steps and launch-bound rows,
// kernels/cost/README.md "Where it is weakest").
#include <gtest/gtest.h>

#include <filesystem>

#include "kernels/cost/calibration_file.hpp"
#include "tests/cost/vidur_nested.hpp"
#include "tests/cost/vidur_test_util.hpp"

namespace kernels::cost {
namespace {

using test::compute_dir;
using test::fit;
using test::TableRef;

TEST(vidur_generalization, h100_from_a100_and_a40_only) {
  std::vector<TableRef> training, h100;
  for (const TableRef& t : test::all_tables())
    (t.device_dir == "h100" ? h100 : training).push_back(t);
  ASSERT_EQ(h100.size(), 2u);  // Llama-2-7B, phi-2
  const Calibration cal = test::fit_at(training, test::kNestedLambdaNoH100);
  EXPECT_FALSE(cal.devices.contains("h100-sxm"));  // the shared defaults are used
  // Measured (median / p90, %): Llama-2-7B 8.50 / 19.33, phi-2 7.36 / 30.82.
  for (const TableRef& t : h100) {
    const ErrorStats e = test::pooled_errors(cal, {t});
    EXPECT_LE(e.median, 10.0) << t.model;
    EXPECT_LE(e.p90, t.model == "microsoft/phi-2" ? 35.0 : 25.0) << t.model;
  }
}

TEST(vidur_generalization, a100_large_models_from_small_ones) {
  // The situation of an H100 user here: the GPU has tables of Llama-2-7B and phi-2 only
  // (up to 4,096 tokens); predict the larger models on it, Llama-3 up to 32,768 tokens.
  std::vector<TableRef> training, held;
  for (const TableRef& t : test::all_tables()) {
    (t.device_dir != "a100" || test::is_small_model(t.model) ? training : held).push_back(t);
  }
  ASSERT_EQ(held.size(), 6u);
  const Calibration cal = test::fit_at(training, test::kNestedLambdaSmallA100);
  // Measured: medians 5.21 (Llama-3-70B) … 6.24 (internlm-20B); p90 14.58 … 17.09.
  for (const TableRef& t : held) {
    const ErrorStats e = test::pooled_errors(cal, {t});
    EXPECT_LE(e.median, 10.0) << t.model;
    EXPECT_LE(e.p90, 20.0) << t.model;
  }
}

TEST(vidur_generalization, the_shipped_calibration_is_what_its_command_makes) {
  // Regenerated here, the calibration predicts what the committed file predicts. The fit is
  // iterative, so other compiler flags (the sanitizer build: -O1 and no FMA contraction of
  // the same expressions) move its result in the 6th digit; a stale file moves it by percent.
  const CalibrationFile committed = read_calibration(default_calibration_path());
  const CalibrationFile fresh = fit({compute_dir()});
  const CalibratedRoofline a(committed.calibration);
  const CalibratedRoofline b(fresh.calibration);
  const auto devices = test::catalog_devices();
  const VidurTable t = read_vidur_mlp(test::table("h100", "meta-llama/Llama-2-7b-hf"));
  for (const char* gpu : {"a100-sxm-80gb", "a40", "h100-sxm", "b200"}) {
    for (std::size_t r = 0; r < t.rows.size(); r += 37) {
      for (VidurOp op : t.ops) {
        const KernelCall c = vidur_call(op, t.rows[r].shape);
        const double x = a.duration(c, devices.at(gpu), 1.0).value();
        const double y = b.duration(c, devices.at(gpu), 1.0).value();
        EXPECT_NEAR(y / x, 1.0, 1e-4) << gpu << " " << to_string(op) << " line " << t.rows[r].line;
      }
    }
  }
}

}  // namespace
}  // namespace kernels::cost
