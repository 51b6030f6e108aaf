// Shared by test_report.cpp (quick) and test_report_slow.cpp: the fixture that makes a run, a
// sweep and a wall search with the CLI, writes their `firstwall report` pages, and opens them
// in headless Chromium (Debian's `chromium`).
//
// The browser check injects two scripts into a copy of the page: one at the top of <head>
// that records every error event (scripts, failed resource loads, captured) and every
// console.error / console.warn, one at the end of <body> that measures every figure the page
// lists in <meta name="firstwall-figures"> (its inline SVG's box on the page and the box of
// what the SVG draws, getBBox) once the page has loaded, and writes the results into a <pre>
// that --dump-dom prints.
// Chromium's own log of console messages (--enable-logging=stderr) must hold no CONSOLE line.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/h5_writer.hpp"
#include "tests/tools/cli_runner.hpp"

namespace fs = std::filesystem;

namespace report_test {

inline const std::string kSource = FIRSTWALL_SOURCE_DIR;
inline const std::string kMinimal = std::string(FIRSTWALL_FIXTURES_DIR) + "/scenarios/minimal.yaml";
inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string chromium() {
  const char* env = std::getenv("FIRSTWALL_CHROMIUM");
  return env && *env ? env : "/usr/bin/chromium";
}

inline std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::run_command(std::string(kPython) + " -c 'import h5py, pandas, matplotlib'", kSource)
            .exit_code != 0)
      GTEST_SKIP() << kPython << " lacks h5py, pandas or matplotlib (tools/install-deps.sh)";
    dir = fs::temp_directory_path() /
          ("firstwall_report_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir.empty() && !HasFailure()) fs::remove_all(dir, ec);
  }

  // A 20 s run of the shipped default scenario: plant coupled, so every run figure applies.
  fs::path make_run() {
    const fs::path out = dir / "run.h5";
    const auto r = test::run_cli(
        "run scenarios/default.yaml --set 'simulation.duration=20 s' "
        "--set 'simulation.drain=10 s' -o " +
        q(out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  // Six points of minimal.yaml over two axes, each run kept, with a Pareto front.
  fs::path make_sweep() {
    const fs::path out = dir / "sweep.h5";
    const auto r = test::run_cli(
        "sweep " + q(kMinimal) +
        " --axis 'workload.arrivals.rate=2 /s,16 /s,128 /s' --axis "
        "'workload.max_batch_requests=4,64' --axis 'simulation.duration=4 s' --keep-runs "
        "--pareto throughput_output_tokens:max,tpot_p99:min -j2 -o " +
        q(out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  fs::path make_walls() {
    const fs::path out = dir / "walls.h5";
    const auto r = test::run_cli("walls " + q(kMinimal) +
                                 " --axis workload.arrivals.rate --from '1 /s' --to '200 /s' "
                                 "--log --tolerance 5% -j2 -o " +
                                 q(out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  // `firstwall report FILE -o PAGE`, checked: exit 0, the page written whole, no temporary
  // left, self-contained (no script, no style sheet or image fetched: every href and src is
  // a fragment or data: URL). Returns the page's text.
  std::string report(const fs::path& file, const fs::path& page) {
    const auto r = test::run_cli("report " + q(file) + " -o " + q(page));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "report: " + page.string() + "\n");
    for (const auto& e : fs::directory_iterator(page.parent_path()))
      EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
    const std::string html = test::slurp(page);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("</html>"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);  // figures are inline SVG
    EXPECT_EQ(html.find("url(http"), std::string::npos);
    static const std::regex ref(R"re(\b(?:href|src)="([^"]*)")re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), ref);
         it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1];
      EXPECT_TRUE(target.rfind("#", 0) == 0 || target.rfind("data:", 0) == 0) << target;
    }
    return html;
  }

  // The figure names the page lists in its <meta name="firstwall-figures">.
  static std::vector<std::string> listed_figures(const std::string& html) {
    static const std::regex meta(R"re(<meta name="firstwall-figures" content="([^"]*)">)re");
    std::smatch m;
    EXPECT_TRUE(std::regex_search(html, m, meta));
    return m.empty() ? std::vector<std::string>{} : split(m[1], ',');
  }

  // What the browser saw of a page (see the top of this file).
  struct PageCheck {
    bool ran = false;                // Chromium ran and the probe reported
    int listed = -1, graphics = -1;  // figures listed; SVG + img on the page (not nested)
    std::map<std::string, std::vector<int>> figures;  // name -> count, box w h, drawn w h
    std::vector<std::string> problems;                // error events, console errors and warnings
    bool console_in_log = false;                      // a CONSOLE line in Chromium's log
    std::string log;
  };

  // Opens a probed copy of `page` in headless Chromium and fills `c`; skips the test
  // (GTEST_SKIP, with a message) if there is no Chromium.
  void open_in_chromium(const fs::path& page, PageCheck& c) {
    std::string html = test::slurp(page);
    const std::string head =
        "<script>window.__fw=[];addEventListener('error',function(e){window.__fw.push('error: '+"
        "(e.message||(e.target&&(e.target.src||e.target.href))||'?'))},true);['error','warn']."
        "forEach(function(k){var f=console[k];console[k]=function(){window.__fw.push(k+': '+"
        "Array.prototype.join.call(arguments,' '));f.apply(console,arguments)}});</script>";
    // The probe runs at the window's load event, after every resource has loaded or failed.
    const std::string probe = R"js(<script>addEventListener('load',function(){
var out=[];var names=(document.querySelector('meta[name=firstwall-figures]')||{content:''}).content.split(',').filter(Boolean);
out.push('listed '+names.length);
var all=Array.prototype.filter.call(document.querySelectorAll('svg,img'),function(e){return !e.parentElement.closest('svg')});
out.push('graphics '+all.length);
names.forEach(function(n){var f=document.querySelectorAll('figure.fw-figure[data-figure="'+n+'"]');
var s=f.length==1?f[0].querySelector(':scope > svg, :scope > img'):null;
var r=s?s.getBoundingClientRect():{width:0,height:0};var b=(s&&s.getBBox)?s.getBBox():{width:0,height:0};
out.push('figure '+n+' '+f.length+' '+Math.round(r.width)+' '+Math.round(r.height)+' '+Math.round(b.width)+' '+Math.round(b.height));});
window.__fw.forEach(function(m){out.push('problem '+m.replace(/\n/g,' '))});
var pre=document.createElement('pre');pre.id='fw-probe';pre.textContent=out.join('\n');document.body.appendChild(pre);});</script>)js";
    const auto h = html.find("<head>");
    const auto b = html.rfind("</body>");
    EXPECT_NE(h, std::string::npos);
    EXPECT_NE(b, std::string::npos);
    if (h == std::string::npos || b == std::string::npos) return;
    html.insert(b, probe);
    html.insert(h + 6, head);
    const fs::path probed = page.parent_path() / ("probed_" + page.filename().string());
    std::ofstream(probed) << html;

    if (::access(chromium().c_str(), X_OK) != 0) {
      GTEST_SKIP() << chromium() << " is not installed (tools/install-deps.sh installs Debian's "
                   << "chromium): the report was written and checked, but not opened in a "
                      "browser";
    }
    // A profile of its own, so that tests running at once do not share one.
    const auto r = test::run_command(
        q(chromium()) +
            " --headless=new --no-sandbox --disable-gpu --no-first-run "
            "--disable-extensions --enable-logging=stderr --v=0 --user-data-dir=" +
            q(dir / "chromium-profile") + " --window-size=1200,900 --dump-dom " +
            q("file://" + probed.string()),
        dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    c.log = r.err;
    c.console_in_log = r.err.find("CONSOLE") != std::string::npos;
    const auto start = r.out.find("<pre id=\"fw-probe\">");
    EXPECT_NE(start, std::string::npos) << "the probe did not run:\n" << r.out.substr(0, 2000);
    if (start == std::string::npos) return;
    c.ran = true;
    const auto end = r.out.find("</pre>", start);
    for (const std::string& line : split(r.out.substr(start + 19, end - start - 19), '\n')) {
      std::istringstream in(line);
      std::string what;
      in >> what;
      if (what == "listed") in >> c.listed;
      if (what == "graphics") in >> c.graphics;
      if (what == "problem") c.problems.push_back(line);
      if (what == "figure") {
        std::string name;
        std::vector<int> v(5);
        in >> name >> v[0] >> v[1] >> v[2] >> v[3] >> v[4];
        c.figures[name] = v;
      }
    }
  }

  // The page loads with no error event, no console error or warning and no CONSOLE line in
  // Chromium's log; it has as many figures (SVG or img, nested SVGs not counted) as listed,
  // the listed ones being `expected`; each is present once, laid out larger than 100 x 100
  // px, and draws something that large (its SVG's getBBox).
  void expect_renders(const fs::path& page, const std::vector<std::string>& expected) {
    PageCheck c;
    open_in_chromium(page, c);
    if (::testing::Test::IsSkipped() || !c.ran) return;
    EXPECT_TRUE(c.problems.empty()) << ::testing::PrintToString(c.problems);
    EXPECT_FALSE(c.console_in_log) << c.log;
    EXPECT_EQ(c.listed, static_cast<int>(expected.size()));
    EXPECT_EQ(c.graphics, static_cast<int>(expected.size()));
    for (const std::string& name : expected) {
      ASSERT_EQ(c.figures.count(name), 1u) << name;
      const std::vector<int>& v = c.figures.at(name);
      EXPECT_EQ(v[0], 1) << name << ": figure elements";
      EXPECT_GT(v[1], 100) << name << ": width on the page";
      EXPECT_GT(v[2], 100) << name << ": height on the page";
      EXPECT_GT(v[3], 100) << name << ": width of what the SVG draws";
      EXPECT_GT(v[4], 100) << name << ": height of what the SVG draws";
    }
  }

  // The package's unit tests (tests/tools/test_report_loader.py) on the files given.
  void expect_loader_tests_pass(const fs::path& run, const fs::path& sweep, const fs::path& walls) {
    std::string env;
    if (!run.empty()) env += "FW_RUN=" + q(run) + " ";
    if (!sweep.empty()) env += "FW_SWEEP=" + q(sweep) + " ";
    if (!walls.empty()) env += "FW_WALLS=" + q(walls) + " ";
    const auto r =
        test::run_command(env + "PYTHONPATH=" + q(kSource + "/tools/analysis") + " " + kPython +
                              " -B " + q(kSource + "/tests/tools/test_report_loader.py"),
                          dir);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("\nOK"), std::string::npos) << r.err;
  }

  fs::path dir;
};

}  // namespace report_test
