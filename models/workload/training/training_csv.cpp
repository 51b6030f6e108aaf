#include "models/workload/training/training_csv.hpp"

#include <fmt/format.h>

#include "sim/config.hpp"
#include "sim/csv.hpp"

namespace models::training {

int default_vp(int layers, int pp) {
  if (pp <= 1 || layers % pp != 0) return 1;
  const int per_stage = layers / pp;
  for (int v = 2; v <= per_stage; ++v)
    if (per_stage % v == 0) return v;
  return 1;
}

bool is_ampere(const std::string& gpu) {
  return gpu == "a100-sxm-80gb" || gpu == "a40";
}

namespace {

// "file:line: column: message": the location carries "file:line" so that Diagnostic::str()
// (which prints line:col only for a line > 0) gives exactly this form.
void add(sim::config::Diagnostics& d, const std::string& file, int line, const std::string& column,
         const std::string& message) {
  d.add({fmt::format("{}:{}", file, line), 0, 0}, column, message);
}

}  // namespace

std::vector<TrainingRow> read_training_csv(const std::string& path,
                                           const std::map<std::string, GpuSpec>& gpus) {
  std::string error;
  const auto table = sim::csv::read(path, error);
  if (!table) throw sim::config::InputError({path, 1, 1}, "", error.substr(error.find(": ") + 2));
  sim::config::Diagnostics diags;
  const char* required[] = {"gpu",
                            "gpus",
                            "layers",
                            "hidden",
                            "heads",
                            "vocab",
                            "seq_len",
                            "tp",
                            "pp",
                            "global_batch",
                            "measured_step_time_s"};
  for (const char* c : required)
    if (!table->column(c)) add(diags, path, 1, c, "missing column");
  if (!diags.empty()) throw sim::config::InputError(diags);

  std::vector<TrainingRow> rows;
  for (const sim::csv::Row& row : table->rows) {
    TrainingRow out;
    out.line = row.line;
    const std::size_t before = diags.size();
    auto cell = [&](const char* name) -> std::string {
      const auto c = table->column(name);
      if (!c || *c >= row.cells.size()) return {};
      return row.cells[*c];
    };
    auto integer = [&](const char* name, std::optional<long long> fallback) -> long long {
      const std::string v = cell(name);
      if (v.empty()) {
        if (!fallback) {
          add(diags, path, row.line, name, "missing value");
          return 0;
        }
        return *fallback;
      }
      long long x = 0;
      if (!sim::csv::parse_int(v, x)) {
        add(diags, path, row.line, name, fmt::format("must be an integer (got \"{}\")", v));
        return 0;
      }
      if (x < 1) add(diags, path, row.line, name, fmt::format("must be >= 1 (got {})", x));
      return x;
    };
    auto defaulted = [&](const char* name, long long value) {
      if (cell(name).empty()) out.defaulted.push_back(fmt::format("{}={}", name, value));
      return value;
    };
    out.source = cell("source");
    out.label = cell("model");
    out.gpu = cell("gpu");
    if (out.gpu.empty())
      add(diags, path, row.line, "gpu", "missing value");
    else if (!gpus.count(out.gpu))
      add(diags, path, row.line, "gpu",
          fmt::format("unknown GPU \"{}\" (not in the catalog)", out.gpu));

    TrainingSpec& s = out.spec;
    LlmSpec& m = s.model;
    m.name = out.label;
    m.source = out.source;
    m.layers = static_cast<int>(integer("layers", std::nullopt));
    m.hidden = static_cast<int>(integer("hidden", std::nullopt));
    m.heads = static_cast<int>(integer("heads", std::nullopt));
    m.kv_heads = static_cast<int>(defaulted("kv_heads", integer("kv_heads", m.heads)));
    m.ffn_hidden = static_cast<int>(defaulted("ffn_hidden", integer("ffn_hidden", 4LL * m.hidden)));
    m.vocab = static_cast<int>(integer("vocab", std::nullopt));
    m.head_dim = m.heads > 0 ? m.hidden / m.heads : 0;
    if (m.heads > 0 && m.hidden % m.heads != 0)
      add(diags, path, row.line, "heads",
          fmt::format("hidden ({}) must be divisible by heads ({})", m.hidden, m.heads));
    m.tied_embeddings = true;
    m.position = PositionKind::learned;
    const std::string ffn = cell("ffn");
    if (ffn.empty() || ffn == "gelu") {
      m.ffn = FfnKind::gelu;
      if (ffn.empty()) out.defaulted.push_back("ffn=gelu");
    } else if (ffn == "swiglu") {
      m.ffn = FfnKind::swiglu;
      m.position = PositionKind::rope;
    } else {
      add(diags, path, row.line, "ffn", fmt::format("must be gelu or swiglu (got \"{}\")", ffn));
    }
    s.gpus = static_cast<int>(integer("gpus", std::nullopt));
    s.seq_len = static_cast<int>(integer("seq_len", std::nullopt));
    m.max_context = s.seq_len;
    s.global_batch = static_cast<int>(integer("global_batch", std::nullopt));
    Parallelism& p = s.parallel;
    p.tp = static_cast<int>(defaulted("tp", integer("tp", 1)));
    p.pp = static_cast<int>(defaulted("pp", integer("pp", 1)));
    p.cp = static_cast<int>(defaulted("cp", integer("cp", 1)));
    const long long split = static_cast<long long>(p.tp) * p.pp * p.cp;
    const long long dp_default = split > 0 && s.gpus % split == 0 ? s.gpus / split : 0;
    p.dp = static_cast<int>(defaulted(
        "dp", integer("dp", dp_default > 0 ? std::optional<long long>(dp_default) : std::nullopt)));
    p.vp = static_cast<int>(defaulted("vp", integer("vp", default_vp(m.layers, p.pp))));
    s.micro_batch = static_cast<int>(defaulted("micro_batch", integer("micro_batch", 1)));
    const std::string dtype = cell("dtype");
    if (!dtype.empty()) {
      const auto t = parse_dtype(dtype);
      if (!t || (*t != DType::bf16 && *t != DType::fp16))
        add(diags, path, row.line, "dtype",
            fmt::format("must be bf16 or fp16 (got \"{}\")", dtype));
      else
        s.dtype = *t;
    }
    const std::string recompute = cell("recompute");
    if (recompute.empty()) {
      out.defaulted.push_back("recompute=none");
    } else if (const auto r = parse_recompute(recompute)) {
      s.recompute = *r;
    } else {
      add(diags, path, row.line, "recompute",
          fmt::format("must be none, selective or full (got \"{}\")", recompute));
    }
    // The software stack, where the row does not state it (see the header).
    const bool ampere = is_ampere(out.gpu);
    const std::string attention = cell("attention");
    if (attention.empty()) {
      s.attention = ampere ? AttentionImpl::unfused : AttentionImpl::flash;
      out.defaulted.push_back(fmt::format("attention={}", to_string(s.attention)));
    } else if (const auto a = parse_attention_impl(attention)) {
      s.attention = *a;
    } else {
      add(diags, path, row.line, "attention",
          fmt::format("must be flash or unfused (got \"{}\")", attention));
    }
    const std::string sp = cell("sequence_parallel");
    if (sp.empty()) {
      s.parallel.sequence_parallel = !(ampere && s.recompute != Recompute::selective);
      if (p.tp > 1)
        out.defaulted.push_back(
            fmt::format("sequence_parallel={}", s.parallel.sequence_parallel ? 1 : 0));
    } else if (sp == "0" || sp == "1") {
      s.parallel.sequence_parallel = sp == "1";
    } else {
      add(diags, path, row.line, "sequence_parallel",
          fmt::format("must be 0 or 1 (got \"{}\")", sp));
    }
    const std::string measured = cell("measured_step_time_s");
    if (!sim::csv::parse_double(measured, out.measured_step_time_s) ||
        !(out.measured_step_time_s > 0))
      add(diags, path, row.line, "measured_step_time_s",
          fmt::format("must be a time in seconds > 0 (got \"{}\")", measured));
    double tflops = 0;
    if (sim::csv::parse_double(cell("measured_tflops_per_gpu"), tflops))
      out.measured_tflops_per_gpu = tflops;

    if (diags.size() == before) {
      for (const SpecProblem& problem : check_training_spec(s))
        add(diags, path, row.line, problem.field, problem.message);
    }
    rows.push_back(std::move(out));
  }
  if (!diags.empty()) throw sim::config::InputError(diags);
  if (rows.empty()) throw sim::config::InputError({path, 1, 1}, "", "no rows");
  return rows;
}

}  // namespace models::training
