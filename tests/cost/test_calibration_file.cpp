// Calibration files: round trip and messages for bad ones.
#include "kernels/cost/calibration_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sim/config.hpp"

namespace kernels::cost {
namespace {

CalibrationFile example() {
  CalibrationFile f;
  f.provenance.command = "firstwall kernels fit --vidur x --out y.yaml";
  f.provenance.firstwall_version = "0.1.0";
  f.provenance.sources.push_back({"x/a100/org/m/mlp.csv", "a100-sxm-80gb", "org/m", 3, 30});
  f.provenance.residuals.push_back({"a100-sxm-80gb", "emb", 3, 1.5, 2.5});
  ClassParams g;
  g.compute_efficiency = 0.7346153846153846;
  g.memory_efficiency = 0.8123456789012345;
  g.overhead = sim::Seconds(4.681280303e-6);
  g.blend_exponent = 1.5526014577812;
  g.wave_weight = 0.11242793268812;
  g.l2_hit_fraction = 0.0596433209372;
  f.calibration.defaults[KernelClass::gemm] = g;
  ClassParams n;
  n.memory_efficiency = 0.6;
  n.overhead = sim::Seconds(7.1e-7);
  n.row_bytes_per_cycle = 2.82585125874321;
  n.rows_per_sm = 1.31645091121;
  n.blend_exponent = 1.28;
  f.calibration.defaults[KernelClass::rms_norm] = n;
  ClassParams e;
  e.memory_efficiency = 0.99;
  e.overhead = sim::Seconds(2.7e-6);
  e.sm_bytes_per_cycle = 1.9;
  e.blend_exponent = 64;
  f.calibration.defaults[KernelClass::embedding] = e;
  ClassParams a;
  a.compute_efficiency = 0.75;
  a.memory_efficiency = 3000.0 / 3350.0;
  a.overhead = sim::Seconds(4e-6);
  a.source = "FlashAttention-3 \"75 %\"";
  f.calibration.defaults[KernelClass::attention_prefill] = a;
  g.compute_efficiency = 0.61;
  f.calibration.devices["a100-sxm-80gb"][KernelClass::gemm] = g;
  return f;
}

TEST(calibration_file, round_trip_predicts_the_same) {
  const CalibrationFile f = example();
  const auto path = std::filesystem::temp_directory_path() / "firstwall_test_calibration.yaml";
  write_calibration(path.string(), f);
  const CalibrationFile back = read_calibration(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(back.provenance.command, f.provenance.command);
  EXPECT_EQ(back.calibration.tile.m, 128);
  EXPECT_EQ(back.calibration.devices.size(), 1u);
  EXPECT_EQ(back.calibration.defaults.at(KernelClass::attention_prefill).source,
            "FlashAttention-3 \"75 %\"");

  const CalibratedRoofline before(f.calibration);
  const CalibratedRoofline after(back.calibration);
  const std::vector<KernelCall> calls = {
      Gemm{1, 12288, 4096, NumberFormat::fp16}, Gemm{3000, 12288, 4096, NumberFormat::fp16},
      rms_norm(17, 8192, NumberFormat::fp16),   rms_norm(9000, 8192, NumberFormat::fp16),
      embedding(300, 8192, NumberFormat::fp16), AttentionPrefill{{32, 8, 128, 128}, {{2048, 2048}}},
  };
  for (const char* name : {"a100-sxm-80gb", "h100-sxm"}) {
    const Device d{name, sim::FlopsPerSecond(312e12), sim::BytesPerSecond(2.039e12),
                   108,  sim::Hertz(1.41e9),          sim::Bytes(40e6)};
    for (const KernelCall& c : calls) {
      const double x = before.duration(c, d, 0.8).value();
      const double y = after.duration(c, d, 0.8).value();
      EXPECT_NEAR(y / x, 1.0, 1e-10) << name << " " << to_string(kernel_class(c));
    }
  }
}

std::string messages(const std::string& text) {
  try {
    (void)parse_calibration(text, "cal.yaml");
  } catch (const sim::config::InputError& e) {
    std::string out;
    for (const auto& d : e.diagnostics()) out += d.str() + "\n";
    return out;
  }
  return "no error";
}

TEST(calibration_file, reports_every_problem_with_its_place) {
  EXPECT_EQ(messages("format: 1\n"
                     "gemm_tile: {m: 128, n: 128}\n"
                     "defaults:\n"
                     "  gemn:\n"
                     "    memory_efficiency: 80 %\n"
                     "    overhead: 4 us\n"
                     "  rms_norm:\n"
                     "    memory_efficiency: -3 %\n"
                     "    overhead: 4 W\n"),
            "cal.yaml:4:3: defaults.gemn: unknown kernel class \"gemn\" (did you mean \"gemm\"?)\n"
            "cal.yaml:8:24: defaults.rms_norm.memory_efficiency: must be > 0 (got \"-3 %\")\n"
            "cal.yaml:9:15: defaults.rms_norm.overhead: expected a duration (e.g. \"1.5 s\"), got "
            "a power \"4 W\"\n");
  EXPECT_EQ(messages("format: 2\ngemm_tile: {m: 128, n: 128}\ndefaults: {}\n"),
            "cal.yaml:1:9: format: must be between 1 and 1 (got \"2\")\n");
}

}  // namespace
}  // namespace kernels::cost
