// `firstwall report`, the quick part: a wall search's page opened in headless Chromium, the
// browser check shown to catch a broken page, bad input (exit 2, nothing written), and the
// package's loader tests on the wall search. The run and sweep pages: test_report_slow.cpp.
#include "tests/tools/test_report_common.hpp"

using report_test::kMinimal;
using report_test::q;
using Report = report_test::Report;

TEST_F(Report, WallSearchPageLoadsInChromiumWithEveryFigure) {
  const fs::path walls = make_walls();
  expect_loader_tests_pass({}, {}, walls);
  // Without -o the page goes beside the file, and replaces an old page whole.
  std::ofstream(dir / "walls.html") << "old page\n";
  const auto r = test::run_cli("report " + q(walls));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "report: " + (dir / "walls.html").string() + "\n");
  const std::string html = report(walls, dir / "walls.html");
  EXPECT_EQ(html.find("old page"), std::string::npos);
  const std::vector<std::string> expected = {"wall_search"};
  EXPECT_EQ(listed_figures(html), expected);
  EXPECT_NE(html.find("First wall along workload.arrivals.rate"), std::string::npos);
  expect_renders(dir / "walls.html", expected);
}

// The check is not blind: a page that lists a figure it lacks, fetches an image that is not
// there and logs a console error fails each part of it.
TEST_F(Report, BrowserCheckCatchesABrokenPage) {
  const fs::path page = dir / "broken.html";
  std::ofstream(page)
      << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
         "<meta name=\"firstwall-figures\" content=\"drawn,absent\"></head><body>"
         "<figure class=\"fw-figure\" data-figure=\"drawn\"><svg width=\"300\" height=\"200\">"
         "<rect width=\"300\" height=\"200\"/></svg></figure>"
         "<img src=\"no-such-image.png\"><script>console.error('boom')</script></body></html>\n";
  PageCheck c;
  open_in_chromium(page, c);
  if (IsSkipped()) return;
  ASSERT_TRUE(c.ran);
  EXPECT_EQ(c.listed, 2);
  EXPECT_EQ(c.graphics, 2);  // the SVG and the img
  EXPECT_EQ(c.figures.at("drawn"), (std::vector<int>{1, 300, 200, 300, 200}));
  EXPECT_EQ(c.figures.at("absent"), (std::vector<int>{0, 0, 0, 0, 0}));
  ASSERT_EQ(c.problems.size(), 2u) << ::testing::PrintToString(c.problems);
  EXPECT_EQ(c.problems[0], "problem error: boom");  // while parsing; the image fails later
  EXPECT_EQ(c.problems[1], "problem error: file://" + (dir / "no-such-image.png").string());
  EXPECT_TRUE(c.console_in_log) << c.log;
}

TEST_F(Report, AFileThatIsNotAResultIsExit2AndWritesNothing) {
  // HDF5, but none of the three layouts: a run's attribute without its /summary table.
  const fs::path other = dir / "other.h5";
  {
    sim::h5::ResultFile f(other.string());
    f.set_attribute("scenario_yaml", std::string("name: x\n"));
    sim::h5::Table t;
    t.add("x", "", std::vector<double>{1.0});
    f.write_table("/table", t);
    f.commit();
  }
  const fs::path page = dir / "page.html";
  auto r = test::run_cli("report " + q(other) + " -o " + q(page));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, other.string() +
                       ": not a firstwall result (a run has the root attribute scenario_yaml and "
                       "/summary, a sweep study_yaml and /points, a wall search axis, steps, "
                       "/walls and /evaluations)\n");
  EXPECT_EQ(r.out, "");

  const fs::path text = dir / "text.h5";
  std::ofstream(text) << "not HDF5\n";
  r = test::run_cli("report " + q(text) + " -o " + q(page));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind(text.string() + ": not an HDF5 file (", 0), 0u) << r.err;

  r = test::run_cli("report " + q(dir / "missing.h5") + " -o " + q(page));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, (dir / "missing.h5").string() + ": no such file\n");

  r = test::run_cli("report " + q(other) + " -o " + q(dir));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "-o:1:1: \"" + dir.string() + "\" is a folder, not a file\n");

  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.insert(e.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{"other.h5", "text.h5"}));
}
