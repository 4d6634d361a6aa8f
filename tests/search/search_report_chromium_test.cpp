// search-report.html rendered by headless Chromium (the technique of tests/cli/report_test.cpp):
// the page's end-of-body script ran, no script errors, every section is in the DOM with a heading
// and content, the charts have their marks, and a screenshot is far from blank.
#include <filesystem>

#include <gtest/gtest.h>

#include "gradnet/data/image.h"
#include "gradnet/search/report.h"
#include "report_fixtures.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;
using namespace gradnet::testing::search_report;

namespace {

// A study whose best lr is at the top of its range, with run directories for its finished trials.
StudyRecord study_with_runs(const TempDir& tmp) {
  StudyRecord s = lr_study((tmp.path() / "study").string(), 0.93);
  const std::vector<std::vector<double>> curves = {{0.1, 0.85, 0.89, 0.91}, {0.1, 0.9, 0.94, 0.95}, {0.1, 0.4}};
  for (std::size_t i = 0; i < s.trials.size(); ++i) {
    s.trials[i].run_dir = (tmp.path() / "study/trials" / std::to_string(i)).string();
    if (i < curves.size()) write_run_dir(s.trials[i].run_dir, curves[i], curves[i].back() - 0.004);
  }
  write_run_dir(s.trials[4].run_dir, {0.1, 0.88, 0.91, 0.93}, 0.925);
  return s;
}

}  // namespace

TEST(SearchReportChromium, EverySectionRendersWithContent) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "chromium not found: run scripts/setup (it installs Debian's chromium)";
  TempDir tmp;
  const StudyRecord study = study_with_runs(tmp);
  const gradnet::search::SearchReportResult r = gradnet::search::write_search_report(study);
  EXPECT_EQ(r.path, study.dir + "/search-report.html");
  EXPECT_EQ(r.sections, gradnet::search::search_report_sections());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("optimizer.lr"), std::string::npos);

  const std::string url = "file://" + fs::absolute(r.path).string();
  CliResult dom = run_shell(chromium_command(browser, tmp) + " --enable-logging=stderr --v=0 --dump-dom " + quote(url), tmp);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("<body data-ok=\"1\">"), std::string::npos) << "the end-of-body script did not run";
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos) << dom.err;
  for (const std::string& id : r.sections) {
    const std::string s = section(dom.out, id);
    ASSERT_FALSE(s.empty()) << "no section " << id;
    const std::size_t h2 = s.find("</h2>");
    ASSERT_NE(h2, std::string::npos) << id;
    // Content after the heading: a chart, a table or a callout, not an empty card.
    const std::string body = s.substr(h2);
    EXPECT_TRUE(body.find("<svg") != std::string::npos || body.find("<table") != std::string::npos ||
                body.find("class=\"callout") != std::string::npos)
        << id << ": " << body.substr(0, 400);
  }
  EXPECT_NE(section(dom.out, "boundary").find("lies at the top of the searched range"), std::string::npos);
  EXPECT_EQ(count(section(dom.out, "params"), "<svg class=\"chart\""), 4);
  EXPECT_GE(count(section(dom.out, "params"), "<circle class=\"marker\""), 4 * 5) << "4 keys x (4 trials + the best)";
  EXPECT_EQ(count(section(dom.out, "parallel"), "<polyline class=\"series trial"), 3);
  EXPECT_GE(count(section(dom.out, "intermediate"), "<polyline class=\"series\""), 3);
  EXPECT_EQ(count(svg_with_id(dom.out, "chart-val-accuracy"), "<polyline class=\"series\""), 3);
  EXPECT_EQ(count(section(dom.out, "trials"), "<tr"), 7);

  // A screenshot: the right size, and far from blank.
  const std::string shot = tmp / "shot.png";
  CliResult s = run_shell(chromium_command(browser, tmp) + " --screenshot=" + quote(shot) +
                              " --window-size=1280,3000 " + quote(url), tmp);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  ASSERT_TRUE(fs::exists(shot)) << s.err;
  gradnet::Dataset img = gradnet::load_png_images({shot});
  ASSERT_EQ(img.shape.size(), 3u);
  EXPECT_EQ(img.shape[1], 3000);
  EXPECT_EQ(img.shape[2], 1280);
  const gradnet::Index plane = img.shape[1] * img.shape[2];
  gradnet::Index inked = 0;
  for (gradnet::Index i = 0; i < plane; ++i) {
    float lo = 255;
    for (gradnet::Index ch = 0; ch < img.shape[0]; ++ch) lo = std::min(lo, img.x[ch * plane + i]);
    inked += lo < 200 ? 1 : 0;
  }
  EXPECT_GT(static_cast<double>(inked) / static_cast<double>(plane), 0.03);
}
