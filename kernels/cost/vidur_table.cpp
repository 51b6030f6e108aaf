#include "kernels/cost/vidur_table.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/config.hpp"

namespace kernels::cost {

namespace {

using sim::config::Diagnostics;
using sim::config::InputError;
using sim::config::Location;

constexpr std::array<std::string_view, kVidurOpCount> kOpNames = {
    "emb",         "input_layernorm", "attn_pre_proj",
    "attn_rope",   "attn_post_proj",  "post_attention_layernorm",
    "mlp_up_proj", "mlp_act",         "mlp_down_proj",
    "add"};

// Vidur profiles in fp16 (mlp_wrapper.py: model.to(dtype=torch.float16)).
constexpr NumberFormat kVidurFormat = NumberFormat::fp16;

struct Field {
  std::string_view text;
  int column = 1;  // 1-based
};

std::vector<Field> split(std::string_view line) {
  std::vector<Field> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    out.push_back({line.substr(start, end - start), static_cast<int>(start) + 1});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string shown(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::optional<std::int64_t> positive_integer(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1) return std::nullopt;
  return v;
}

std::optional<double> number(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

constexpr std::array<std::string_view, 8> kShapeColumns = {
    "n_head",     "n_kv_head",     "n_embd",     "n_expanded_embd",
    "vocab_size", "use_gated_mlp", "num_tokens", "num_tensor_parallel_workers"};

}  // namespace

std::string_view to_string(VidurOp op) {
  return kOpNames[static_cast<std::size_t>(op)];
}

VidurTable parse_vidur_mlp(std::string_view text, const std::string& file_name) {
  Diagnostics diags;
  VidurTable table;
  table.file = file_name;

  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) {
    throw InputError({file_name, 1, 1}, "",
                     "empty file: expected a header line of Vidur's mlp.csv columns");
  }

  // Header: where each column is.
  const std::vector<Field> header = split(lines[0]);
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!index.emplace(std::string(header[i].text), i).second) {
      diags.add({file_name, 1, header[i].column}, std::string(header[i].text), "duplicate column");
    }
  }
  std::array<std::size_t, kShapeColumns.size()> shape_at{};
  for (std::size_t s = 0; s < kShapeColumns.size(); ++s) {
    auto it = index.find(kShapeColumns[s]);
    if (it == index.end()) {
      diags.add({file_name, 1, 1}, "", "missing column " + shown(kShapeColumns[s]));
    } else {
      shape_at[s] = it->second;
    }
  }
  std::array<std::optional<std::size_t>, kVidurOpCount> op_at{};
  for (VidurOp op : kAllVidurOps) {
    auto it = index.find("time_stats." + std::string(to_string(op)) + ".median");
    if (it != index.end()) {
      op_at[static_cast<std::size_t>(op)] = it->second;
      table.ops.push_back(op);
    }
  }
  if (table.ops.empty()) {
    diags.add({file_name, 1, 1}, "",
              "no operator time column (expected e.g. \"time_stats.attn_pre_proj.median\")");
  }
  if (!diags.empty()) throw InputError(diags);
  if (lines.size() < 2) throw InputError({file_name, 1, 1}, "", "no data rows after the header");

  for (std::size_t li = 1; li < lines.size(); ++li) {
    const int line_no = static_cast<int>(li) + 1;
    const std::vector<Field> fields = split(lines[li]);
    if (fields.size() != header.size()) {
      diags.add({file_name, line_no, 1}, "",
                "expected " + std::to_string(header.size()) + " fields like the header, got " +
                    std::to_string(fields.size()));
      continue;
    }
    VidurRow row;
    row.line = line_no;
    bool ok = true;
    auto integer_at = [&](std::size_t s) -> std::int64_t {
      const Field& f = fields[shape_at[s]];
      if (auto v = positive_integer(f.text)) return *v;
      diags.add({file_name, line_no, f.column}, std::string(kShapeColumns[s]),
                "expected a positive integer (got " + shown(f.text) + ")");
      ok = false;
      return 1;
    };
    row.shape.n_head = integer_at(0);
    row.shape.n_kv_head = integer_at(1);
    row.shape.n_embd = integer_at(2);
    row.shape.n_expanded_embd = integer_at(3);
    row.shape.vocab_size = integer_at(4);
    {
      const Field& f = fields[shape_at[5]];
      if (f.text == "True" || f.text == "true" || f.text == "1") {
        row.shape.gated = true;
      } else if (f.text == "False" || f.text == "false" || f.text == "0") {
        row.shape.gated = false;
      } else {
        diags.add({file_name, line_no, f.column}, "use_gated_mlp",
                  "expected True or False (got " + shown(f.text) + ")");
        ok = false;
      }
    }
    row.shape.num_tokens = integer_at(6);
    row.shape.tensor_parallel = integer_at(7);
    if (ok) {
      // The shard sizes must be whole, as Vidur's profiler asserts (mlp_impl.py).
      const VidurShape& s = row.shape;
      auto must_divide = [&](std::size_t col, std::int64_t value, std::int64_t by,
                             std::string_view by_name) {
        if (value % by != 0) {
          diags.add({file_name, line_no, fields[shape_at[col]].column},
                    std::string(kShapeColumns[col]),
                    "must be divisible by " + std::string(by_name) + " (" + std::to_string(by) +
                        "), got " + std::to_string(value));
          ok = false;
        }
      };
      must_divide(2, s.n_embd, s.n_head, "n_head");
      must_divide(0, s.n_head, s.n_kv_head, "n_kv_head");
      must_divide(0, s.n_head, s.tensor_parallel, "num_tensor_parallel_workers");
      must_divide(1, s.n_kv_head, s.tensor_parallel, "num_tensor_parallel_workers");
      must_divide(3, s.n_expanded_embd, s.tensor_parallel, "num_tensor_parallel_workers");
    }
    for (VidurOp op : table.ops) {
      const std::size_t o = static_cast<std::size_t>(op);
      const Field& f = fields[*op_at[o]];
      if (f.text.empty() || f.text == "nan" || f.text == "NaN") continue;  // not measured
      const auto v = number(f.text);
      if (!v || *v < 0) {
        diags.add({file_name, line_no, f.column},
                  "time_stats." + std::string(to_string(op)) + ".median",
                  "expected a time in ms >= 0 (got " + shown(f.text) + ")");
        ok = false;
        continue;
      }
      row.median[o] = sim::Seconds(*v * 1e-3);
    }
    if (ok) table.rows.push_back(row);
  }
  if (!diags.empty()) throw InputError(diags);
  return table;
}

VidurTable read_vidur_mlp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    const std::string reason =
        std::filesystem::exists(path, ec)
            ? (std::filesystem::is_directory(path, ec) ? "is a directory" : std::strerror(errno))
            : "no such file";
    throw InputError({path, 1, 1}, "", "cannot read file: " + reason);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return parse_vidur_mlp(s.str(), path);
}

KernelCall vidur_call(VidurOp op, const VidurShape& s) {
  const std::int64_t n = s.num_tokens;
  const std::int64_t t = s.tensor_parallel;
  const std::int64_t head_dim = s.n_embd / s.n_head;
  switch (op) {
    case VidurOp::emb:
      return embedding(n, s.n_embd, kVidurFormat);
    case VidurOp::input_layernorm:
    case VidurOp::post_attention_layernorm:
      return s.gated ? rms_norm(n, s.n_embd, kVidurFormat) : layer_norm(n, s.n_embd, kVidurFormat);
    case VidurOp::attn_pre_proj:
      return Gemm{n, (s.n_head + 2 * s.n_kv_head) * head_dim / t, s.n_embd, kVidurFormat};
    case VidurOp::attn_rope:
      return rope(n, s.n_head / t, s.n_kv_head / t, head_dim, kVidurFormat);
    case VidurOp::attn_post_proj:
      return Gemm{n, s.n_embd, s.n_head * head_dim / t, kVidurFormat};
    case VidurOp::mlp_up_proj:
      return Gemm{n, (s.gated ? 2 : 1) * s.n_expanded_embd / t, s.n_embd, kVidurFormat};
    case VidurOp::mlp_act:
      return s.gated ? silu_mul(n, s.n_expanded_embd / t, kVidurFormat)
                     : gelu(n, s.n_expanded_embd / t, kVidurFormat);
    case VidurOp::mlp_down_proj:
      return Gemm{n, s.n_embd, s.n_expanded_embd / t, kVidurFormat};
    case VidurOp::add:
      return residual_add(n, s.n_embd, s.gated ? 2 : 3, kVidurFormat);
  }
  return Gemm{};
}

VidurPathInfo vidur_path_info(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& p : std::filesystem::path(path).lexically_normal()) parts.push_back(p.string());
  VidurPathInfo info;
  if (parts.size() >= 4) {
    info.device_dir = parts[parts.size() - 4];
    info.model = parts[parts.size() - 3] + "/" + parts[parts.size() - 2];
  }
  info.device = vidur_device_name(info.device_dir);
  return info;
}

std::optional<std::string> vidur_device_name(std::string_view device_dir) {
  if (device_dir == "a100") return "a100-sxm-80gb";
  if (device_dir == "h100") return "h100-sxm";
  if (device_dir == "a40") return "a40";
  return std::nullopt;
}

}  // namespace kernels::cost
