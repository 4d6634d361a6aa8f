// gradnet search-report through the binary: a study store written as `gradnet search` writes it
// (H1's store API), with three real tiny training runs as its trials; the page, the boundary
// warning on stderr, --json, --out, and bad directories (exit 2, a clear message).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../../src/search/store.h"
#include "configs.h"
#include "gradnet/search/report.h"
#include "report_fixtures.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;
using namespace gradnet::testing::search_report;

namespace {

// A study over optimizer.lr in [0.01, 0.45] (log), its three trials trained for real: lr 0.0105
// (the bottom), 0.1 (inside) and 0.45 (the top, and the best after 2 epochs of plain SGD).
std::string make_study(const TempDir& tmp) {
  const std::string dir = tmp / "study";
  fs::create_directories(dir);
  gradnet::search::StudySettings settings;
  settings.name = "lr-sweep";
  settings.spec_path = tmp / "SEARCH.toml";
  settings.base_config = tmp / "tiny.toml";
  settings.objective = "val_accuracy";
  settings.sampler = "grid";
  settings.trials_requested = 3;
  gradnet::search::create_store(dir, settings, {numeric_dim("optimizer.lr", "log_uniform", 0.01, 0.45)});
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  gradnet::search::Database db = gradnet::search::open_store(dir);
  const std::vector<std::string> lrs = {"0.0105", "0.1", "0.45"};
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    const std::string run = dir + "/trials/" + std::to_string(i);
    CliResult r = run_gradnet({"train", tmp / "tiny.toml", "--set", "optimizer.lr=" + lrs[i], "--out", run, "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream metrics(run + "/metrics.jsonl");
    std::vector<std::pair<std::int64_t, double>> per_epoch;
    for (std::string line; std::getline(metrics, line);) {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j["epoch"].get<int>() > 0) per_epoch.emplace_back(j["epoch"].get<int>(), j["val_acc"].get<double>());
    }
    db.write([&] {
      db.prepare("INSERT INTO trials(number, stage, state, params, value, run_dir, attempts) VALUES (?, 0, 'complete', ?, ?, ?, 1)")
          .bind(1, static_cast<std::int64_t>(i))
          .bind(2, "{\"optimizer.lr\": " + lrs[i] + "}")
          .bind(3, per_epoch.back().second)
          .bind(4, run)
          .run();
      for (const auto& [epoch, value] : per_epoch)
        db.prepare("INSERT INTO intermediate(trial, epoch, value) VALUES (?, ?, ?)")
            .bind(1, static_cast<std::int64_t>(i))
            .bind(2, epoch)
            .bind(3, value)
            .run();
    });
  }
  return dir;
}

}  // namespace

TEST(CliSearchReport, WritesThePageAndWarnsAboutTheEdge) {
  TempDir tmp;
  const std::string dir = make_study(tmp);
  CliResult r = run_gradnet({"search-report", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, dir + "/search-report.html\n");
  EXPECT_EQ(r.err,
            "gradnet: warning: optimizer.lr: the best value 0.45 lies at the top of the searched range [0.01, 0.45] "
            "(log scale); widen the range upward and search again\n");
  const std::string html = read_file(dir + "/search-report.html");
  for (const std::string& id : gradnet::search::search_report_sections()) EXPECT_FALSE(section(html, id).empty()) << id;
  EXPECT_NE(section(html, "summary").find("lr-sweep"), std::string::npos);
  EXPECT_NE(section(html, "boundary").find("lies at the top"), std::string::npos);
  EXPECT_EQ(count(svg_with_id(html, "chart-val-accuracy"), "<polyline class=\"series\""), 3) << "one line per run";
  EXPECT_EQ(count(svg_with_id(html, "chart-intermediate"), "<polyline class=\"series\""), 3);
  EXPECT_NE(svg_with_id(html, "param-optimizer.lr").find("data-x-scale=\"log\""), std::string::npos);
  EXPECT_NE(section(html, "trials").find("href=\"trials/2/\""), std::string::npos) << "a relative link to each run";

  // --json: the page, its sections, the warnings and the study's results; --out elsewhere (its
  // directory made).
  CliResult j = run_gradnet({"search-report", dir, "--json", "--out", tmp / "elsewhere/page.html"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const nlohmann::json out = last_json_line(j.out);
  EXPECT_EQ(out["report"], tmp / "elsewhere/page.html");
  EXPECT_EQ(out["sections"].size(), 8u);
  ASSERT_EQ(out["warnings"].size(), 1u);
  EXPECT_EQ(out["best"]["number"], 2);
  EXPECT_EQ(out["best"]["params"]["optimizer.lr"], 0.45);
  EXPECT_EQ(out["best"]["run_dir"], dir + "/trials/2");
  ASSERT_EQ(out["trials"].size(), 3u);
  EXPECT_EQ(out["trials"][0]["state"], "complete");
  EXPECT_TRUE(out["trials"][0]["value"].is_number());
  EXPECT_NE(read_file(tmp / "elsewhere/page.html").find("href=\"../study/trials/0/"), std::string::npos);
}

TEST(CliSearchReport, NotAStudyIsExitTwoWithAClearMessage) {
  TempDir tmp;
  CliResult r = run_gradnet({"search-report", tmp / "nothing"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("gradnet: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("study.db"), std::string::npos) << r.err;
  fs::create_directories(tmp / "junk");
  write_file(tmp / "junk/study.db", std::string(4096, 'x'));
  r = run_gradnet({"search-report", tmp / "junk"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("study.db"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// End to end: a real `gradnet search` (iris, a 3-point log grid of lr x 2 seeds, 3 epochs each),
// then its report. val_loss is minimized, and after 3 epochs the largest lr has the lowest: the
// best sits at the top of the range.
TEST(CliSearchReport, ReportsARealSearch) {
  TempDir tmp;
  write_file(tmp / "s.toml", "base = \"" + source_dir() + "/configs/iris-mlp.toml\"\n" + R"(name = "iris-lr"
[search]
objective = "val_loss"
sampler = "grid"
epochs = 3
[search.space]
"optimizer.lr" = { log_uniform = [1e-6, 0.2], steps = 3 }
"train.seed" = { grid = [1, 2] }
)");
  const CliResult search = run_gradnet({"search", tmp / "s.toml", "--out", tmp / "study", "--json", "-q"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  const nlohmann::json results = last_json_line(search.out);
  CliResult r = run_gradnet({"search-report", tmp / "study", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("gradnet: warning: optimizer.lr: the best value 0.2 lies at the top of the searched range "
                       "[1e-06, 0.2] (log scale); widen the range upward and search again\n"),
            std::string::npos)
      << r.err;
  const nlohmann::json j = last_json_line(r.out);
  EXPECT_EQ(j["best"], results["best"]) << "the same results as `gradnet search DIR --json`";
  EXPECT_EQ(j["trials"], results["trials"]);
  EXPECT_EQ(j["report"], tmp / "study/search-report.html");
  const std::string html = read_file(tmp / "study/search-report.html");
  for (const std::string& id : gradnet::search::search_report_sections()) EXPECT_FALSE(section(html, id).empty()) << id;
  EXPECT_NE(section(html, "summary").find("val_loss</code>, minimized"), std::string::npos);
  EXPECT_NE(section(html, "summary").find(">6 complete<"), std::string::npos) << section(html, "summary");
  EXPECT_EQ(count(svg_with_id(html, "chart-val-accuracy"), "<polyline class=\"series\""), 6) << "one line per run";
  EXPECT_EQ(count(svg_with_id(html, "chart-intermediate"), "<polyline class=\"series\""), 6);
  EXPECT_NE(svg_with_id(html, "param-optimizer.lr").find("data-x-scale=\"log\""), std::string::npos);
  EXPECT_NE(svg_with_id(html, "param-train.seed").find("data-x-scale=\"category\""), std::string::npos);
  EXPECT_EQ(count(section(html, "trials"), "<tr"), 7);
  EXPECT_NE(section(html, "trials").find("href=\"trials/0000/\""), std::string::npos) << section(html, "trials");
}
