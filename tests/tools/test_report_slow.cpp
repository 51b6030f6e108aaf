// `firstwall report`, the slow part (label "slow"): a run's and a sweep's pages opened in
// headless Chromium, and the package's loader tests on a run, a sweep and a wall search.
#include "tests/tools/test_report_common.hpp"

using Report = report_test::Report;

TEST_F(Report, RunPageLoadsInChromiumWithEveryFigure) {
  const fs::path page = dir / "run.html";
  const std::string html = report(make_run(), page);
  const std::vector<std::string> expected = {"timeseries", "walls", "power_flow"};
  EXPECT_EQ(listed_figures(html), expected);
  EXPECT_NE(html.find("<title>firstwall run: default</title>"), std::string::npos);
  expect_renders(page, expected);
}

TEST_F(Report, SweepPageLoadsInChromiumWithEveryFigure) {
  const fs::path page = dir / "sweep.html";
  const std::string html = report(make_sweep(), page);
  const std::vector<std::string> expected = {"wall_map", "heatmap_throughput_output_tokens",
                                             "heatmap_tpot_p99", "lines"};
  EXPECT_EQ(listed_figures(html), expected);
  EXPECT_NE(html.find("<h2>Pareto front</h2>"), std::string::npos);
  expect_renders(page, expected);
}

// The package's own unit tests on the three kinds of file: every DataFrame's columns, values
// and units equal the file's; the power flow's grid row conserves energy; the wall map's
// categories; the page lists exactly the figures it holds.
TEST_F(Report, PythonLoaderMatchesTheFiles) {
  expect_loader_tests_pass(make_run(), make_sweep(), make_walls());
}
