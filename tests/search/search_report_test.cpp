// The search report from studies built in memory: the boundary warning (top, bottom, measured on
// a log scale for log dimensions, silent in the middle and for choices), the page's sections and
// charts, and missing data said in words.
#include <gtest/gtest.h>

#include "gradnet/search/report.h"
#include "report_fixtures.h"

using namespace gradnet::testing;
using namespace gradnet::testing::search_report;
using gradnet::search::boundary_warnings;
using gradnet::search::search_report_html;
using gradnet::search::search_report_sections;

TEST(SearchBoundary, FiresWhenTheBestLrIsAtTheTopOfItsRange) {
  const auto w = boundary_warnings(lr_study("/tmp/study", 0.93));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "optimizer.lr: the best value 0.93 lies at the top of the searched range [0.001, 1] (log scale); "
                  "widen the range upward and search again");
}

TEST(SearchBoundary, FiresAtTheBottom) {
  const auto w = boundary_warnings(lr_study("/tmp/study", 0.0012));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("optimizer.lr: the best value 0.0012 lies at the bottom"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("widen the range downward"), std::string::npos) << w[0];
}

TEST(SearchBoundary, IsMeasuredOnALogScaleForLogDimensions) {
  // 0.6 is 60% of the way up [0.001, 1] on a linear scale but 93% on a log one.
  EXPECT_EQ(boundary_warnings(lr_study("/tmp/study", 0.6)).size(), 1u);
  // 0.05 is 5% of the linear width from the bottom, but 57% of the log width: inside.
  EXPECT_TRUE(boundary_warnings(lr_study("/tmp/study", 0.05)).empty());
  // On a uniform (linear) lr the same 0.05 is at the bottom.
  StudyRecord linear = lr_study("/tmp/study", 0.05);
  linear.stages[0][0].distribution = "uniform";
  const auto w = boundary_warnings(linear);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("at the bottom of the searched range [0.001, 1];"), std::string::npos) << w[0];
}

TEST(SearchBoundary, SilentInTheMiddleAndForChoices) {
  // lr 0.03 (log position 0.49); momentum 0.45, out 128, and the best's activation relu is the
  // last choice: none of these warns.
  EXPECT_TRUE(boundary_warnings(lr_study("/tmp/study", 0.03)).empty());
}

TEST(SearchBoundary, IntegerDimensionsAndTheEdgeFraction) {
  StudyRecord s = lr_study("/tmp/study", 0.03);
  s.trials[1].params[2] = number_param("model.layers[0].out", 240);  // (240-16)/240 = 0.93
  auto w = boundary_warnings(s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("model.layers[0].out: the best value 240 lies at the top"), std::string::npos) << w[0];
  s.trials[1].params[2] = number_param("model.layers[0].out", 230);  // 0.89: inside
  EXPECT_TRUE(boundary_warnings(s).empty());
  s.stages[0][2] = numeric_dim("model.layers[0].out", "int_log", 16, 256);  // log: (log 230 - log 16)/log 16 = 0.96
  w = boundary_warnings(s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("[16, 256] (log scale)"), std::string::npos) << w[0];
}

TEST(SearchBoundary, FollowsTheDirectionAndIgnoresPrunedAndUnfinishedTrials) {
  StudyRecord s = lr_study("/tmp/study", 0.93);
  // Minimizing: trial 2 is pruned (never the best), so the best is trial 0 (0.91, lr 0.03: inside).
  s.maximize = false;
  s.objective = "val_loss";
  EXPECT_TRUE(boundary_warnings(s).empty());
  s.trials[0].state = gradnet::search::TrialState::failed;
  s.trials[0].value.reset();
  s.trials[4].value = 0.97;  // now trial 1 (0.95, lr 0.93) is the lowest complete value
  EXPECT_EQ(boundary_warnings(s).size(), 1u);
  // No complete trial: nothing to warn about.
  for (auto& t : s.trials)
    if (t.state == gradnet::search::TrialState::complete) t.state = gradnet::search::TrialState::running;
  EXPECT_TRUE(boundary_warnings(s).empty());
}

TEST(SearchBoundary, UsesTheSpaceOfTheBestTrialsStage) {
  StudyRecord s = lr_study("/tmp/study", 0.1);
  // Stage 1 narrowed lr to [0.02, 0.11] around stage 0's best; trial 1 (the best) was drawn there.
  s.stages.push_back(s.stages[0]);
  s.stages[1][0] = gradnet::testing::search_report::numeric_dim("optimizer.lr", "log_uniform", 0.02, 0.11);
  EXPECT_TRUE(boundary_warnings(s).empty());  // 0.1 is in the middle of stage 0's range
  s.trials[1].stage = 1;
  const auto w = boundary_warnings(s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("at the top of stage 1's searched range [0.02, 0.11]"), std::string::npos) << w[0];
}

TEST(SearchReportHtml, EverySectionWithAHeadingAndTheBoundaryWarning) {
  const std::string html = search_report_html(lr_study("/tmp/study", 0.93));
  for (const std::string& id : search_report_sections()) {
    const std::string s = section(html, id);
    ASSERT_FALSE(s.empty()) << "no section " << id;
    EXPECT_NE(s.find("<h2>"), std::string::npos) << id;
    EXPECT_NE(html.find("href=\"#" + id + "\""), std::string::npos) << "not in the navigation: " << id;
  }
  EXPECT_EQ(search_report_sections().size(), 8u);
  const std::string boundary = section(html, "boundary");
  EXPECT_NE(boundary.find("callout warn"), std::string::npos);
  EXPECT_NE(boundary.find("optimizer.lr: the best value 0.93 lies at the top"), std::string::npos) << boundary;
  const std::string summary = section(html, "summary");
  EXPECT_NE(summary.find("val_accuracy</code>, maximized"), std::string::npos);
  EXPECT_NE(summary.find("<b>1</b>"), std::string::npos) << "the best trial's number";
  EXPECT_NE(summary.find("<b>0.9500</b>"), std::string::npos);
  EXPECT_NE(summary.find("3 complete"), std::string::npos);
  EXPECT_NE(summary.find("1 pruned"), std::string::npos);
  EXPECT_NE(summary.find("1 failed"), std::string::npos);
  // Self-contained.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  // Inside the range: a good callout, no warning.
  const std::string quiet = section(search_report_html(lr_study("/tmp/study", 0.03)), "boundary");
  EXPECT_NE(quiet.find("callout good"), std::string::npos);
  EXPECT_EQ(quiet.find("callout warn"), std::string::npos);
}

TEST(SearchReportHtml, ParameterChartsUseALogAxisWhereTheSpaceIsLog) {
  const std::string html = search_report_html(lr_study("/tmp/study", 0.93));
  const std::string lr = svg_with_id(html, "param-optimizer.lr");
  ASSERT_FALSE(lr.empty());
  EXPECT_NE(lr.find("data-x-scale=\"log\""), std::string::npos);
  EXPECT_EQ(x_tick_labels(lr), (std::vector<std::string>{"0.001", "0.01", "0.1", "1"}));
  const std::string momentum = svg_with_id(html, "param-optimizer.momentum");
  ASSERT_FALSE(momentum.empty());
  EXPECT_EQ(momentum.find("data-x-scale"), std::string::npos) << "linear";
  EXPECT_EQ(x_tick_labels(momentum), (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1"}));
  // The choice key is a strip per value.
  const std::string act = svg_with_id(html, "param-model.layers-1-.type");
  ASSERT_FALSE(act.empty());
  EXPECT_NE(act.find("data-x-scale=\"category\""), std::string::npos);
  EXPECT_EQ(x_tick_labels(act), (std::vector<std::string>{"tanh", "relu"}));
  // Points: 3 complete + 1 pruned (the failed and running trials have no value), the best again in red.
  EXPECT_EQ(count(lr, "data-label=\"complete\""), 3);
  EXPECT_EQ(count(lr, "data-label=\"pruned (last value)\""), 1);
  EXPECT_EQ(count(lr, "data-label=\"best (trial 1)\""), 1);
  EXPECT_EQ(count(section(html, "params"), "<svg class=\"chart\""), 4);
}

TEST(SearchReportHtml, HistoryParallelIntermediateAndTable) {
  const std::string html = search_report_html(lr_study("/tmp/study", 0.93));
  const std::string history = svg_with_id(html, "chart-best-so-far");
  ASSERT_FALSE(history.empty());
  // Best so far over trials 0, 1, 4: 0.91 at 0, then a step up to 0.95 at 1, flat to 4.
  EXPECT_EQ(count(history, "<polyline class=\"series\" data-label=\"best so far (highest)\""), 1);
  const std::string parallel = section(html, "parallel");
  EXPECT_EQ(count(parallel, "<polyline class=\"series trial"), 3) << "one line per complete trial";
  EXPECT_EQ(count(parallel, "<polyline class=\"series trial best\""), 1);
  EXPECT_EQ(count(parallel, "<g class=\"axis\""), 5) << "4 keys + the objective";
  EXPECT_NE(parallel.find("data-key=\"optimizer.lr\" data-scale=\"log\""), std::string::npos);
  EXPECT_NE(parallel.find("data-key=\"model.layers[1].type\" data-scale=\"category\""), std::string::npos);
  const std::string inter = section(html, "intermediate");
  EXPECT_NE(inter.find("data-label=\"trial 2 (pruned)\""), std::string::npos);
  EXPECT_NE(inter.find("stroke-dasharray"), std::string::npos) << "pruned trials dashed";
  EXPECT_EQ(count(inter, "data-label=\"pruned here\""), 1);
  const std::string table = section(html, "trials");
  EXPECT_EQ(count(table, "<tr"), 7) << "a header and 6 trials";
  EXPECT_EQ(count(table, "<tr class=\"best\""), 1);
  EXPECT_NE(table.find("diverged: the loss is NaN"), std::string::npos);
  EXPECT_NE(table.find("class=\"state-failed\">failed"), std::string::npos);
}

TEST(SearchReportHtml, AccuracyOfEveryRunFromItsRunDirectory) {
  TempDir tmp;
  StudyRecord s = lr_study(tmp.path().string(), 0.93);
  write_run_dir(tmp / "trials/0000", {0.1, 0.85, 0.89, 0.91}, 0.905);
  write_run_dir(tmp / "trials/0001", {0.1, 0.9, 0.94, 0.95}, 0.948);
  write_run_dir(tmp / "trials/0002", {0.1, 0.4}, 0.0);
  s.trials[0].run_dir = tmp / "trials/0000";
  s.trials[1].run_dir = tmp / "trials/0001";
  s.trials[2].run_dir = tmp / "trials/0002";
  s.trials[4].run_dir = tmp / "trials/0004";  // never written
  write_file(tmp / "trials/0001/report.html", "<html></html>");
  const std::string html = search_report_html(s);
  const std::string acc = section(html, "accuracy");
  const std::string val = svg_with_id(acc, "chart-val-accuracy");
  ASSERT_FALSE(val.empty()) << acc;
  // Two finished runs drawn as lines over epochs 1-3, the pruned one (a single epoch) as a dot.
  EXPECT_EQ(count(val, "<polyline class=\"series\""), 2);
  EXPECT_NE(val.find("optimizer.lr=0.93, optimizer.momentum=0.45"), std::string::npos) << "labelled by parameters";
  EXPECT_TRUE(svg_with_id(acc, "chart-test-accuracy").empty()) << "no per-epoch test accuracy in these runs";
  EXPECT_NE(acc.find("0.9480"), std::string::npos) << "trial 1's test accuracy in the table";
  EXPECT_NE(acc.find("trial 4 (no run directory)"), std::string::npos);
  // Links relative to the page: the report of a run that has one, else the directory.
  const std::string table = section(html, "trials");
  EXPECT_NE(table.find("href=\"trials/0001/report.html\""), std::string::npos) << table;
  EXPECT_NE(table.find("href=\"trials/0000/\""), std::string::npos);
}

TEST(SearchReportHtml, MissingDataIsSaidInWords) {
  StudyRecord empty;
  empty.dir = "/tmp/nothing";
  empty.objective = "val_loss";
  empty.maximize = false;
  const std::string html = search_report_html(empty);
  for (const std::string& id : search_report_sections()) EXPECT_FALSE(section(html, id).empty()) << id;
  EXPECT_NE(section(html, "summary").find("No trial has completed yet"), std::string::npos);
  EXPECT_NE(section(html, "params").find("no dimensions"), std::string::npos);
  EXPECT_NE(section(html, "trials").find("no trials yet"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);

  // Trials, but none complete: sections say so instead of drawing an empty chart.
  StudyRecord running = lr_study("/tmp/study", 0.5);
  for (auto& t : running.trials) {
    t.state = gradnet::search::TrialState::running;
    t.value.reset();
    t.intermediate.clear();
  }
  const std::string r = search_report_html(running);
  EXPECT_NE(section(r, "boundary").find("No trial has completed yet"), std::string::npos);
  EXPECT_NE(section(r, "parallel").find("No trial has completed yet"), std::string::npos);
  EXPECT_NE(section(r, "intermediate").find("No trial has reported"), std::string::npos);
  EXPECT_NE(section(r, "accuracy").find("No run directory"), std::string::npos);

  // Choices only: the boundary section says there is no range.
  StudyRecord choices = lr_study("/tmp/study", 0.5);
  choices.stages[0] = {choice_dim("model.layers[1].type", {"tanh", "relu"})};
  EXPECT_NE(section(search_report_html(choices), "boundary").find("no numeric dimension"), std::string::npos);
}

TEST(SearchReportHtml, ChoicesMatchByNumberWhenTheLiteralIsSpelledOtherwise) {
  StudyRecord s = lr_study("/tmp/study", 0.03);
  s.stages[0] = {choice_dim("optimizer.lr", {"1e-3", "3e-2"})};
  for (auto& t : s.trials) t.params = {number_param("optimizer.lr", t.number == 1 ? 0.03 : 0.001)};
  const std::string html = search_report_html(s);
  const std::string chart = svg_with_id(html, "param-optimizer.lr");
  EXPECT_EQ(x_tick_labels(chart), (std::vector<std::string>{"1e-3", "3e-2"}));
  EXPECT_EQ(count(chart, "data-label=\"complete\""), 3) << "0.001 is the choice 1e-3, 0.03 is 3e-2";
  EXPECT_EQ(count(section(html, "parallel"), "<polyline class=\"series trial"), 3);
  EXPECT_EQ(count(section(html, "parallel"), ",nan"), 0);
}
