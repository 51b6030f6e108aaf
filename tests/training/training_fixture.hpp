// Shared set-up of the training tests: the catalog GPUs, the shipped kernel calibration, a
// GPT configuration, the step model on a DGX fabric, and the small job's scenario.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/scenario/catalog.hpp"
#include "models/scenario/scenario.hpp"
#include "models/workload/cost_model_choice.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "models/workload/training/step_model.hpp"
#include "models/workload/training/training_spec.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"

namespace test {

inline const models::Catalog& gpu_catalog() {
  static const models::Catalog c =
      models::load_catalog_files({sim::data_path("scenarios/catalog/gpus.yaml").string()});
  return c;
}

inline std::shared_ptr<const kernels::cost::KernelCostModel> shipped_kernels() {
  static const auto k = models::load_kernel_cost_model("");
  return k;
}

// GPT-3 175B as Narayanan et al. SC'21 Table 2 runs it (TP 8, PP 12, microbatch 1).
inline models::training::TrainingSpec gpt3_175b(int dp) {
  models::training::TrainingSpec s;
  models::LlmSpec& m = s.model;
  m.name = "gpt-3-175b";
  m.layers = 96;
  m.hidden = 12288;
  m.heads = 96;
  m.kv_heads = 96;
  m.head_dim = 128;
  m.ffn_hidden = 4 * 12288;
  m.ffn = models::FfnKind::gelu;
  m.vocab = 51200;
  m.tied_embeddings = true;
  m.position = models::PositionKind::learned;
  m.max_context = 2048;
  s.seq_len = 2048;
  s.parallel.tp = 8;
  s.parallel.pp = 12;
  s.parallel.vp = 1;
  s.parallel.dp = dp;
  s.gpus = 8 * 12 * dp;
  s.global_batch = 1536;
  s.micro_batch = 1;
  s.recompute = models::training::Recompute::full;
  return s;
}

inline models::training::TrainingStepModel step_model(const models::training::TrainingSpec& s,
                                                      const std::string& gpu = "a100-sxm-80gb") {
  const models::GpuSpec& g = gpu_catalog().gpus.at(gpu);
  auto fabric = models::training::dgx_fabric(g);
  return models::training::TrainingStepModel(
      s, g, shipped_kernels(), std::make_shared<models::training::AlphaBetaCollectives>(*fabric),
      fabric->gpus_per_node);
}

// tests/fixtures/training/small_job.yaml (16 GPUs on two DGX H100, TP 2 PP 2 DP 4) loaded
// with `overrides` (`--set` items).
inline const std::string kSmallJob =
    std::string(FIRSTWALL_FIXTURES_DIR) + "/training/small_job.yaml";
inline models::ScenarioSpec load_small_job(std::vector<std::string> overrides = {}) {
  models::LoadOptions o;
  o.overrides = std::move(overrides);
  return models::load_scenario(kSmallJob, o);
}
// The diagnostics of a small job that must not load, one per line ("(loaded)" if it loads).
inline std::string small_job_errors(std::vector<std::string> overrides) {
  try {
    load_small_job(std::move(overrides));
  } catch (const sim::config::InputError& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace test
