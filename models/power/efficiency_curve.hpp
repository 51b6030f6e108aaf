// The efficiency of a power conversion stage as a function of its load: a piecewise-linear
// curve through sourced points (80 PLUS tables, UPS and rectifier datasheets), load given as
// a fraction of the stage's installed rating.
//
//   P_in = P_out / eta(P_out / P_installed),   loss = P_in - P_out
//
// Between points eta is interpolated linearly; the curve must be defined from 0 % to 100 %
// load (a stage above 100 % of its installed rating is overloaded: eta is held at its 100 %
// value there, and the overload itself is a wall). The 0 % point is the light-load limit
// the table's author chose (80 PLUS tables start at 10 %): a stage at zero output draws
// nothing, since P_in = 0 / eta = 0, unless it has a constant no-load loss (StageSpec,
// stage_input: P_in = (P_out + C) / eta).
#pragma once

#include <string>
#include <vector>

namespace models::power {

struct EfficiencyPoint {
  double load = 0;        // P_out / P_installed, 0..1
  double efficiency = 1;  // (0, 1]
};

class EfficiencyCurve {
 public:
  EfficiencyCurve() = default;  // lossless: eta = 1 everywhere
  // Throws std::invalid_argument unless points are sorted by load, start at 0, end at 1 and
  // every efficiency is in (0, 1] (the scenario reader reports these with locations first).
  explicit EfficiencyCurve(std::vector<EfficiencyPoint> points);

  double at(double load_fraction) const;
  const std::vector<EfficiencyPoint>& points() const { return points_; }

 private:
  std::vector<EfficiencyPoint> points_{{0.0, 1.0}, {1.0, 1.0}};
};

}  // namespace models::power
