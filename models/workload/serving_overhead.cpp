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

constexpr int kFormatVersion = 1;

ServingOverhead read_root(const Node& root, sim::config::Diagnostics& diags) {
  ServingOverhead f;
  Reader top(&root, "", diags);
  (void)top.integer("format", Need::required, Bounds::between(kFormatVersion, kFormatVersion));
  f.iteration_overhead =
      top.quantity<sim::dims::time>("iteration_overhead", Need::required, Bounds::non_negative())
          .value_or(sim::Seconds(0));
  // The rest of the provenance documents the fit for people; the value does not depend on it.
  const Provenance p = read_provenance(
      top, {"date", "firstwall_version", "kernel_calibration", "method", "rule",
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

sim::Seconds shipped_iteration_overhead() {
  // The shipped file is a constant of the build: read once, not once per CostModelSpec (a
  // `validate splitwise` run constructs hundreds). A bad file throws on every call.
  static const sim::Seconds shipped =
      read_serving_overhead(default_serving_overhead_path()).iteration_overhead;
  return shipped;
}

}  // namespace models
