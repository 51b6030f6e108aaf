// Held-out validation without peeking: the pooling strength λ (FitOptions::device_ridge) is
// chosen with the held-out tables out of sight, by an inner leave-one-model-out among the
// tables the fit may see (nested cross-validation; Varma & Simon 2006, "Bias in error
// estimation when using cross-validation for model selection", BMC Bioinformatics 7:91).
//
//   for each λ in the grid:  score(λ) = mean over models m of the training tables of
//                            median |pred/meas − 1| on m's training tables, fitted on the
//                            training tables without m's
//   λ* = the λ of lowest score (ties: the first in grid order; the slow tests accept any λ
//        within 0.001 points of it, the reproducibility of the fit across builds)
//
// then fit every training table at λ* and validate the held-out tables. The slow tests run
// the selection; the quick ones fit once at the λ* it found (the constants below, checked by
// the slow tests, so a change of data or model that moves λ* fails there).
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cost/calibrated_roofline.hpp"
#include "kernels/cost/error_stats.hpp"
#include "kernels/cost/vidur_calibration.hpp"
#include "tests/cost/vidur_test_util.hpp"

namespace kernels::cost::test {

// The grid the shipped λ = 10 was picked from (kernels/cost/README.md, "Honesty notes").
inline const std::vector<double> kLambdaGrid = {0.3, 1.0, 3.0, 10.0, 30.0};

// λ* found by the nested selection (test_vidur_nested_slow.cpp) for each held-out set.
inline constexpr double kNestedLambdaLlama27b = 1.0;    // held out: Llama-2-7B, every GPU
inline constexpr double kNestedLambdaPhi2 = 3.0;        // held out: phi-2, every GPU
inline constexpr double kNestedLambdaNoH100 = 0.3;      // held out: every H100 table
inline constexpr double kNestedLambdaSmallA100 = 30.0;  // held out: A100 tables of large models

struct TableRef {
  std::string path;
  std::string device_dir;  // a100, a40, h100
  std::string device;      // catalog name
  std::string model;       // org/model
};

// Every table of ../shared/data/vidur, sorted by path.
inline std::vector<TableRef> all_tables() {
  std::vector<TableRef> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(compute_dir())) {
    if (e.path().filename() != "mlp.csv") continue;
    const VidurPathInfo i = vidur_path_info(e.path().string());
    out.push_back({e.path().string(), i.device_dir, i.device.value_or(""), i.model});
  }
  std::sort(out.begin(), out.end(),
            [](const TableRef& a, const TableRef& b) { return a.path < b.path; });
  return out;
}

// The A100 is "measured on small models only" in the generalization check: these two.
inline bool is_small_model(const std::string& model) {
  return model == "meta-llama/Llama-2-7b-hf" || model == "microsoft/phi-2";
}

inline std::vector<TableRef> without_model(const std::vector<TableRef>& tables,
                                           const std::string& model) {
  std::vector<TableRef> out;
  for (const TableRef& t : tables) {
    if (t.model != model) out.push_back(t);
  }
  return out;
}

inline std::vector<TableRef> of_model(const std::vector<TableRef>& tables,
                                      const std::string& model) {
  std::vector<TableRef> out;
  for (const TableRef& t : tables) {
    if (t.model == model) out.push_back(t);
  }
  return out;
}

inline Calibration fit_at(const std::vector<TableRef>& tables, double lambda) {
  VidurFitInput in;
  for (const TableRef& t : tables) in.paths.push_back(t.path);
  in.devices = catalog_devices();
  in.command = "test";
  in.options.device_ridge = lambda;
  return fit_vidur(in).calibration;
}

// |pred/meas − 1| of every (row, operator) of the tables, pooled.
inline ErrorStats pooled_errors(const Calibration& cal, const std::vector<TableRef>& tables) {
  const CalibratedRoofline model(cal);
  const auto devices = catalog_devices();
  std::vector<double> errors;
  for (const TableRef& t : tables) {
    const ValidationReport r = validate_vidur(read_vidur_mlp(t.path), devices.at(t.device), model);
    for (const Prediction& p : r.predictions) {
      errors.push_back(abs_pct_error(p.predicted.value(), p.measured.value()));
    }
  }
  return error_stats(std::move(errors));
}

// Runs jobs[i]() for every i on up to hardware_concurrency threads. Each fit is
// single-threaded and deterministic, so the results do not depend on the schedule.
inline void run_parallel(const std::vector<std::function<void()>>& jobs) {
  const std::size_t n_threads =
      std::max<std::size_t>(1, std::min<std::size_t>(std::thread::hardware_concurrency(), 8));
  std::vector<std::thread> pool;
  std::size_t next = 0;
  std::mutex m;
  for (std::size_t w = 0; w < n_threads; ++w) {
    pool.emplace_back([&] {
      for (;;) {
        std::size_t i = 0;
        {
          std::lock_guard<std::mutex> lock(m);
          if (next == jobs.size()) return;
          i = next++;
        }
        jobs[i]();
      }
    });
  }
  for (std::thread& t : pool) t.join();
}

struct LambdaChoice {
  double lambda = 0;
  std::vector<double> scores;  // per grid entry: mean inner held-out median, %
};

// The inner leave-one-model-out over `training` (see the top of the file).
inline LambdaChoice choose_lambda(const std::vector<TableRef>& training) {
  std::set<std::string> models;
  for (const TableRef& t : training) models.insert(t.model);
  const std::vector<std::string> inner(models.begin(), models.end());
  std::vector<std::vector<double>> medians(kLambdaGrid.size(),
                                           std::vector<double>(inner.size(), 0.0));
  std::vector<std::function<void()>> jobs;
  for (std::size_t l = 0; l < kLambdaGrid.size(); ++l) {
    for (std::size_t m = 0; m < inner.size(); ++m) {
      jobs.emplace_back([&, l, m] {
        const Calibration cal = fit_at(without_model(training, inner[m]), kLambdaGrid[l]);
        medians[l][m] = pooled_errors(cal, of_model(training, inner[m])).median;
      });
    }
  }
  run_parallel(jobs);
  LambdaChoice c;
  for (std::size_t l = 0; l < kLambdaGrid.size(); ++l) {
    double sum = 0;
    for (double v : medians[l]) sum += v;
    c.scores.push_back(sum / static_cast<double>(inner.size()));
  }
  const auto best = std::min_element(c.scores.begin(), c.scores.end());
  c.lambda = kLambdaGrid[static_cast<std::size_t>(best - c.scores.begin())];
  return c;
}

}  // namespace kernels::cost::test
