#include "kernels/cost/calibration_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "sim/config.hpp"
#include "sim/data_dir.hpp"
#include "sim/quantity.hpp"

namespace kernels::cost {

namespace {

using sim::config::Bounds;
using sim::config::Need;
using sim::config::Node;
using sim::config::Reader;

constexpr int kFormatVersion = 1;
// Enough digits that a written file predicts what the fit predicted (relative 1e-12).
constexpr int kDigits = 12;

std::string yaml_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string number(double v) {
  return fmt::format("{:.{}g}", v, kDigits);
}
// A fitted fraction or time the data did not need ends up at 1e-300 rather than 0 (the fit
// works on logits and logs); below these it is written as 0, which predicts the same.
constexpr double kNegligibleFraction = 1e-9;
constexpr double kNegligibleSeconds = 1e-12;
std::string percent(double fraction) {
  return sim::format_quantity(fraction, sim::dims::none, kDigits);
}

void write_params(std::ostream& out, const ClassParams& p, const std::string& indent) {
  out << indent << "compute_efficiency: " << percent(p.compute_efficiency) << "\n";
  out << indent << "memory_efficiency: " << percent(p.memory_efficiency) << "\n";
  const double overhead = p.overhead.value() < kNegligibleSeconds ? 0.0 : p.overhead.value();
  out << indent << "overhead: " << sim::format_quantity(overhead, sim::dims::time, kDigits) << "\n";
  if (p.blend_exponent) out << indent << "blend_exponent: " << number(*p.blend_exponent) << "\n";
  if (p.wave_weight > kNegligibleFraction) {
    out << indent << "wave_weight: " << percent(p.wave_weight) << "\n";
  }
  if (p.l2_hit_fraction > kNegligibleFraction) {
    out << indent << "l2_hit_fraction: " << percent(p.l2_hit_fraction) << "\n";
  }
  if (p.row_bytes_per_cycle) {
    out << indent << "row_bytes_per_cycle: " << number(*p.row_bytes_per_cycle) << "\n";
    out << indent << "rows_per_sm: " << number(p.rows_per_sm) << "\n";
  }
  if (p.sm_bytes_per_cycle) {
    out << indent << "sm_bytes_per_cycle: " << number(*p.sm_bytes_per_cycle) << "\n";
  }
  if (!p.source.empty()) out << indent << "source: " << yaml_quoted(p.source) << "\n";
}

void write_classes(std::ostream& out, const std::map<KernelClass, ClassParams>& classes,
                   const std::string& indent) {
  for (const auto& [c, p] : classes) {
    out << indent << to_string(c) << ":\n";
    write_params(out, p, indent + "  ");
  }
}

ClassParams read_params(Reader& r) {
  ClassParams p;
  const Bounds positive = Bounds::positive();
  p.compute_efficiency =
      r.quantity("compute_efficiency", sim::dims::none, Need::optional, positive).value_or(1.0);
  p.memory_efficiency =
      r.quantity("memory_efficiency", sim::dims::none, Need::required, positive).value_or(1.0);
  p.overhead = r.quantity<sim::dims::time>("overhead", Need::required, Bounds::non_negative())
                   .value_or(sim::Seconds(0));
  p.blend_exponent = r.number("blend_exponent", Need::optional, Bounds::at_least(1.0));
  p.wave_weight =
      r.quantity("wave_weight", sim::dims::none, Need::optional, Bounds::fraction()).value_or(0.0);
  p.l2_hit_fraction =
      r.quantity("l2_hit_fraction", sim::dims::none, Need::optional, Bounds::fraction())
          .value_or(0.0);
  p.row_bytes_per_cycle = r.number("row_bytes_per_cycle", Need::optional, positive);
  p.rows_per_sm = r.number("rows_per_sm", Need::optional, positive).value_or(1.0);
  p.sm_bytes_per_cycle = r.number("sm_bytes_per_cycle", Need::optional, positive);
  p.source = r.string("source", Need::optional).value_or("");
  r.finish();
  return p;
}

// Reads `{class: params, ...}` at `node` (a mapping), reporting unknown class names.
std::map<KernelClass, ClassParams> read_class_map(const Node* node, const std::string& path,
                                                  sim::config::Diagnostics& diags) {
  std::map<KernelClass, ClassParams> out;
  Reader all(node, path, diags);
  if (!node || !node->is_mapping()) {
    all.finish();
    return out;
  }
  std::vector<std::string> names;
  for (KernelClass c : kAllKernelClasses) names.emplace_back(to_string(c));
  for (const auto& [name, child] : node->entries()) {
    const auto c = parse_kernel_class(name);
    if (!c) {
      std::string msg = "unknown kernel class \"" + name + "\"";
      if (auto s = sim::config::did_you_mean(name, names)) msg += " (did you mean \"" + *s + "\"?)";
      diags.add(*node->key_location(name), all.path_of(name), msg);
      (void)all.node(name, Need::optional);
      continue;
    }
    Reader r = all.section(name, Need::required);
    out[*c] = read_params(r);
  }
  all.finish();
  return out;
}

}  // namespace

std::string to_yaml(const CalibrationFile& file) {
  const Provenance& pv = file.provenance;
  const Calibration& c = file.calibration;
  std::ostringstream out;
  out << "# Kernel cost calibration of firstwall's calibrated roofline (kernels/cost/README.md).\n";
  out << "# Generated; do not edit by hand. Regenerate it by running provenance.command from the\n";
  out << "# repository root (with ../shared/data beside the clone).\n";
  out << "format: " << kFormatVersion << "\n";
  out << "provenance:\n";
  out << "  command: " << yaml_quoted(pv.command) << "\n";
  out << "  firstwall_version: " << yaml_quoted(pv.firstwall_version) << "\n";
  if (!pv.method.empty()) out << "  method: " << yaml_quoted(pv.method) << "\n";
  out << "  sources:\n";
  for (const SourceRecord& s : pv.sources) {
    out << "    - file: " << yaml_quoted(s.file) << "\n";
    out << "      device: " << s.device << "\n";
    out << "      model: " << yaml_quoted(s.model) << "\n";
    out << "      rows: " << s.rows << "\n";
    out << "      samples: " << s.samples << "\n";
  }
  out << "  excluded_models: [";
  for (std::size_t i = 0; i < pv.excluded_models.size(); ++i) {
    out << (i ? ", " : "") << yaml_quoted(pv.excluded_models[i]);
  }
  out << "]\n";
  out << "  excluded_files:";
  if (pv.excluded_files.empty()) out << " []";
  out << "\n";
  for (const std::string& f : pv.excluded_files) out << "    - " << yaml_quoted(f) << "\n";
  out << "  residuals:\n";
  out << "    # In-sample |predicted / measured - 1| in percent, over (row, operator) samples.\n";
  out << "    samples: " << pv.samples << "\n";
  out << "    median_abs_pct_error: " << fmt::format("{:.2f}", pv.median_abs_pct_error) << "\n";
  out << "    by_device_and_operator:\n";
  for (const ResidualRecord& r : pv.residuals) {
    out << "      - {device: " << r.device << ", op: " << r.op << ", samples: " << r.samples
        << ", median_abs_pct_error: " << fmt::format("{:.2f}", r.median_abs_pct_error)
        << ", p90_abs_pct_error: " << fmt::format("{:.2f}", r.p90_abs_pct_error) << "}\n";
  }
  out << "gemm_tile:\n";
  out << "  m: " << c.tile.m << "\n";
  out << "  n: " << c.tile.n << "\n";
  out << "# Parameters for GPUs without their own entry below (fitted across all devices).\n";
  out << "defaults:\n";
  write_classes(out, c.defaults, "  ");
  out << "devices:\n";
  for (const auto& [name, classes] : c.devices) {
    out << "  " << name << ":\n";
    write_classes(out, classes, "    ");
  }
  return out.str();
}

void write_calibration(const std::string& path, const CalibrationFile& file) {
  const std::filesystem::path target(path);
  std::filesystem::path tmp = target;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    out << to_yaml(file);
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec)
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + path + ": " + ec.message());
}

namespace {

CalibrationFile read_root(const Node& root, sim::config::Diagnostics& diags) {
  CalibrationFile f;
  Reader top(&root, "", diags);
  (void)top.integer("format", Need::required, Bounds::between(kFormatVersion, kFormatVersion));
  if (top.has("provenance")) {
    Reader pv = top.section("provenance", Need::optional);
    f.provenance.command = pv.string("command", Need::optional).value_or("");
    f.provenance.firstwall_version = pv.string("firstwall_version", Need::optional).value_or("");
    // The rest documents the fit for people; predictions do not depend on it.
    for (const char* key :
         {"method", "sources", "excluded_models", "excluded_files", "residuals"}) {
      (void)pv.node(key, Need::optional);
    }
    pv.finish();
  } else {
    (void)top.node("provenance", Need::optional);
  }
  {
    Reader tile = top.section("gemm_tile", Need::required);
    f.calibration.tile.m = tile.integer("m", Need::required, Bounds::at_least(1)).value_or(128);
    f.calibration.tile.n = tile.integer("n", Need::required, Bounds::at_least(1)).value_or(128);
    tile.finish();
  }
  f.calibration.defaults = read_class_map(top.node("defaults", Need::required), "defaults", diags);
  if (const Node* devices = top.node("devices", Need::optional)) {
    Reader all(devices, "devices", diags);
    if (devices->is_mapping()) {
      for (const auto& [name, child] : devices->entries()) {
        (void)all.node(name, Need::required);
        f.calibration.devices[name] = read_class_map(&child, all.path_of(name), diags);
      }
    }
    all.finish();
  }
  top.finish();
  return f;
}

}  // namespace

CalibrationFile parse_calibration(std::string_view text, const std::string& file_name) {
  return sim::config::read_string(text, file_name, read_root);
}

CalibrationFile read_calibration(const std::string& path) {
  return sim::config::read_file(path, read_root);
}

std::string default_calibration_path() {
  return sim::data_path("kernels/calibration/gpu_vidur.yaml").string();
}

}  // namespace kernels::cost
