// Generalization to models the calibration has never seen: leave one model out (all its
// GPUs), fit on the rest of ../shared/data/vidur, predict the held-out model's tables.
//
// Held out means held out from everything, the choice of the pooling strength λ included:
// each fit here uses the λ that an inner leave-one-model-out among the remaining models
// picked (vidur_nested.hpp; test_vidur_nested_slow.cpp runs that selection and checks these
// constants). Bounds: the median at the project's 10 % target; the p90 a little above what
// is measured, because a tenth of the rows sit on steps a smooth model cannot place (cuBLAS
// switching GEMM tiles: 20–40 %, launch-bound rows at the profiler's 1 µs resolution;
// kernels/cost/README.md "Where it is weakest") — a regression guard on the tail.
// Tests named in_sample_* check tables the calibration was fitted on: they show the shipped
// file is sound, not that it generalizes.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "kernels/cost/composite.hpp"
#include "tests/cost/vidur_nested.hpp"
#include "tests/cost/vidur_test_util.hpp"

namespace kernels::cost {
namespace {

using test::median_error;
using test::of_model;
using test::table;
using test::TableRef;

// The held-out model's table on one GPU.
TableRef table_on(const std::vector<TableRef>& tables, const std::string& device_dir) {
  for (const TableRef& t : tables) {
    if (t.device_dir == device_dir) return t;
  }
  ADD_FAILURE() << "no " << device_dir << " table";
  return {};
}

void record(const std::string& name, const ErrorStats& s) {
  ::testing::Test::RecordProperty(name + "_median_abs_pct_error", std::to_string(s.median));
  ::testing::Test::RecordProperty(name + "_p90_abs_pct_error", std::to_string(s.p90));
}

TEST(vidur_validation, llama_2_7b_held_out_is_predicted_within_10_percent_on_h100) {
  const std::string m = "meta-llama/Llama-2-7b-hf";
  const auto all = test::all_tables();
  const auto held = of_model(all, m);
  ASSERT_EQ(held.size(), 3u);  // its A100, A40 and H100 tables
  const Calibration cal = test::fit_at(test::without_model(all, m), test::kNestedLambdaLlama27b);
  // Measured (median / p90, %): H100 7.64 / 23.74, A100 6.05 / 16.83, A40 5.36 / 16.46.
  const ErrorStats h100 = test::pooled_errors(cal, {table_on(held, "h100")});
  const ErrorStats a100 = test::pooled_errors(cal, {table_on(held, "a100")});
  const ErrorStats a40 = test::pooled_errors(cal, {table_on(held, "a40")});
  record("h100", h100);
  EXPECT_LE(h100.median, 10.0);
  EXPECT_LE(h100.p90, 25.0);
  EXPECT_LE(a100.median, 10.0);
  EXPECT_LE(a100.p90, 20.0);
  EXPECT_LE(a40.median, 10.0);
  EXPECT_LE(a40.p90, 20.0);
}

TEST(vidur_validation, phi_2_held_out_is_predicted_within_10_percent_on_h100) {
  // phi-2 is the only model with LayerNorm and GELU: held out, their kernels are predicted
  // with the RMSNorm and SiLU·mul parameters (stand-ins, README: 43 % and 35 % median), the
  // hardest case here and the widest tail.
  const std::string m = "microsoft/phi-2";
  const auto all = test::all_tables();
  const Calibration cal = test::fit_at(test::without_model(all, m), test::kNestedLambdaPhi2);
  // Measured: H100 9.57 / 36.28 (A100 8.48 / 33.97, A40 8.81 / 27.70).
  const ErrorStats h100 = test::pooled_errors(cal, {table_on(of_model(all, m), "h100")});
  record("h100", h100);
  EXPECT_LE(h100.median, 10.0);
  EXPECT_LE(h100.p90, 40.0);
}

TEST(vidur_validation, in_sample_the_shipped_calibration_fits_the_h100_tables) {
  // In-sample: the shipped file was fitted on these very tables (README: 6.09 and 5.81).
  const CalibrationFile f = read_calibration(default_calibration_path());
  EXPECT_EQ(f.provenance.command,
            "firstwall kernels fit --vidur ../shared/data/vidur/data/profiling/compute --out "
            "kernels/calibration/gpu_vidur.yaml");
  for (const char* m : {"meta-llama/Llama-2-7b-hf", "microsoft/phi-2"}) {
    EXPECT_LE(median_error(f.calibration, table("h100", m), "h100-sxm"), 10.0) << m;
  }
}

TEST(vidur_validation, in_sample_a_composite_with_the_table_itself_reproduces_it) {
  const VidurTable t = read_vidur_mlp(table("h100", "microsoft/phi-2"));
  const Device h100 = test::catalog_devices().at("h100-sxm");
  auto roofline = std::make_shared<CalibratedRoofline>(
      read_calibration(default_calibration_path()).calibration);
  const Composite c(MeasuredTable(vidur_points(t, "h100-sxm")), roofline);
  const ValidationReport r = validate_vidur(t, h100, c);
  // Exact except where Vidur measured a token count twice (the model returns their median).
  EXPECT_EQ(r.overall.median, 0.0);
  // Outside the table's token range the roofline answers.
  const KernelCall beyond =
      vidur_call(VidurOp::attn_pre_proj, {32, 32, 2560, 10240, 51200, false, 8192, 1});
  EXPECT_FALSE(c.uses_measured(beyond, h100));
  EXPECT_EQ(c.duration(beyond, h100, 1.0), roofline->duration(beyond, h100, 1.0));
}

}  // namespace
}  // namespace kernels::cost
