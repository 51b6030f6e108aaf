#include "models/workload/serving_overhead.hpp"

#include "models/common/provenance.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"

namespace models {

namespace {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

// Format 2 adds launch_overhead and request_overhead.
constexpr int kFormatVersion = 2;

ServingOverhead read_root(const Node& root, sim::config::Diagnostics& diags) {
  ServingOverhead f;
  Reader top(&root, "", diags);
  const auto format =
      top.integer("format", Need::required, Bounds::between(1, kFormatVersion)).value_or(1);
  f.iteration_overhead =
      top.quantity<sim::dims::time>("iteration_overhead", Need::required, Bounds::non_negative())
          .value_or(sim::Seconds(0));
  f.launch_overhead = top.quantity<sim::dims::time>("launch_overhead",
                                                    format >= 2 ? Need::required : Need::optional,
                                                    Bounds::non_negative())
                          .value_or(sim::Seconds(0));
  f.request_overhead = top.quantity<sim::dims::time>("request_overhead",
                                                     format >= 2 ? Need::required : Need::optional,
                                                     Bounds::non_negative())
                           .value_or(sim::Seconds(0));
  // The rest of the provenance documents the fit for people; the value does not depend on it.
  const Provenance p =
      read_provenance(top, {"date", "firstwall_version", "kernel_calibration", "method", "rule",
                            "leave_one_model_out", "all_rows_median_abs_pct_error"});
  f.command = p.command;
  f.input_file = p.input_file;
  f.input_sha256 = p.input_sha256;
  top.finish();
  return f;
}

}  // namespace

ServingOverhead parse_serving_overhead(std::string_view text, const std::string& file_name) {
  return sim::config::read_string(text, file_name, read_root);
}

ServingOverhead read_serving_overhead(const std::string& path) {
  return sim::config::read_file(path, read_root);
}

std::string default_serving_overhead_path() {
  return sim::data_path("models/workload/calibration/serving_overhead.yaml").string();
}

namespace {
// The shipped file is a constant of the build: read once, not once per CostModelSpec (a
// `validate splitwise` run constructs hundreds). A bad file throws on every call.
const ServingOverhead& shipped() {
  static const ServingOverhead file = read_serving_overhead(default_serving_overhead_path());
  return file;
}
}  // namespace

sim::Seconds shipped_iteration_overhead() {
  return shipped().iteration_overhead;
}
sim::Seconds shipped_launch_overhead() {
  return shipped().launch_overhead;
}
sim::Seconds shipped_request_overhead() {
  return shipped().request_overhead;
}

}  // namespace models
