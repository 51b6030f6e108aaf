// The timeline study's wall map (scenarios/studies/timeline_map.yaml): every one of its 180
// points is read and checked by the scenario loader (slow: about 5 s).
#include <gtest/gtest.h>

#include "models/study/study.hpp"

namespace {

TEST(TimelineMap, ZipOverPoliciesGrowthRatesAndYears) {
  models::study::StudyArgs a;
  a.file = std::string(FIRSTWALL_SOURCE_DIR) + "/scenarios/studies/timeline_map.yaml";
  const auto m = models::study::read_study(a);
  EXPECT_EQ(m.mode, models::study::Mode::zip);
  EXPECT_EQ(m.points.size(), 2u * 10u * 9u);  // policies x growth rates x years
}

}  // namespace
