#include "models/gpu/gpu_power_calibration.hpp"

#include "models/common/provenance.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"

namespace models {

namespace {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

constexpr int kFormatVersion = 1;

GpuPowerCalibration read_root(const Node& root, sim::config::Diagnostics& diags) {
  GpuPowerCalibration c;
  Reader top(&root, "", diags);
  (void)top.integer("format", Need::required, Bounds::between(kFormatVersion, kFormatVersion));
  {
    Reader k = top.section("coefficients", Need::required);
    const Bounds share = Bounds::between(0, 10);
    c.coefficients.busy = k.number("busy", Need::required, share).value_or(0);
    c.coefficients.flop = k.number("flop", Need::required, share).value_or(0);
    c.coefficients.byte = k.number("byte", Need::required, share).value_or(0);
    k.finish();
  }
  // The rest of the provenance documents the fit for people; the coefficients do not depend
  // on it.
  const Provenance p = read_provenance(top, {"date", "firstwall_version", "kernel_calibration",
                                             "method", "in_sample", "leave_one_model_out",
                                             "held_out_checks"});
  c.command = p.command;
  c.input_file = p.input_file;
  c.input_sha256 = p.input_sha256;
  top.finish();
  return c;
}

}  // namespace

GpuPowerCalibration read_gpu_power_calibration(const std::string& path) {
  return sim::config::read_file(path, read_root);
}

GpuPowerCalibration parse_gpu_power_calibration(std::string_view text, const std::string& name) {
  return sim::config::read_string(text, name, read_root);
}

std::string default_gpu_power_calibration_path() {
  return sim::data_path("models/gpu/calibration/gpu_power.yaml").string();
}

}  // namespace models
