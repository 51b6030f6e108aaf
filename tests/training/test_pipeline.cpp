// The pipeline schedule: 1F1B bubble (p-1)/(m+p-1) and the interleaved (p-1)/(vp·m) scaling
// (Narayanan et al. SC'21 §2.2).
#include <gtest/gtest.h>

#include <vector>

#include "models/workload/training/step_model.hpp"
#include "models/workload/training/training_csv.hpp"

namespace tr = models::training;

TEST(Pipeline, OneFOneBBubbleFractionUniformStages) {
  for (int p : {2, 4, 8, 12}) {
    for (int m : {1, 4, 16, 96}) {
      const sim::Seconds t(0.125);  // per microbatch and stage, forward + backward
      const std::vector<sim::Seconds> stages(static_cast<std::size_t>(p), t);
      const sim::Seconds total = tr::pipeline_time(stages, m, 1);
      const double bubble = ((total - m * t) / total).value();
      EXPECT_DOUBLE_EQ(bubble, (p - 1.0) / (m + p - 1.0)) << "p=" << p << " m=" << m;
    }
  }
}

TEST(Pipeline, InterleavedBubbleShrinksByVirtualStages) {
  const int p = 8, m = 32;
  const sim::Seconds t(0.5);
  const std::vector<sim::Seconds> stages(static_cast<std::size_t>(p), t);
  for (int vp : {1, 2, 4}) {
    const sim::Seconds total = tr::pipeline_time(stages, m, vp);
    // Bubble time over ideal time: (p - 1) / (vp · m).
    EXPECT_DOUBLE_EQ(((total - m * t) / (m * t)).value(), (p - 1.0) / (vp * m));
  }
}

TEST(Pipeline, SlowestStageSetsTheSteadyState) {
  const std::vector<sim::Seconds> stages{sim::Seconds(1), sim::Seconds(1), sim::Seconds(3)};
  // m · max + (p - 1) · mean = 10 · 3 + 2 · 5/3.
  EXPECT_DOUBLE_EQ(tr::pipeline_time(stages, 10, 1).value(), 30.0 + 2.0 * 5.0 / 3.0);
}

TEST(Pipeline, DefaultVirtualStagesAreTheSmallestDivisorAboveOne) {
  EXPECT_EQ(tr::default_vp(96, 12), 2);   // 8 layers per stage
  EXPECT_EQ(tr::default_vp(105, 35), 3);  // 3 layers per stage
  EXPECT_EQ(tr::default_vp(60, 4), 3);    // 15 layers per stage
  EXPECT_EQ(tr::default_vp(24, 1), 1);    // no pipeline
  EXPECT_EQ(tr::default_vp(64, 64), 1);   // one layer per stage
}
