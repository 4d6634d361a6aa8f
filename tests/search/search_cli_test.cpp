// gradnet search end to end on iris: workers, the results JSON, the median pruner, bad specs.
#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <set>

#include "../../src/search/sqlite.h"
#include "gradnet/search/study.h"
#include "search_support.h"

namespace gradnet::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string integrity(const std::string& study_dir) {
  search::Database db(study_dir + "/study.db", search::Database::Mode::read_write);
  auto check = db.prepare("PRAGMA integrity_check");
  check.step();
  return check.text(0);
}

TEST(SearchCli, TwoWorkersRunEveryTrialOnceAndPrintTheResults) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
trials = 6
epochs = 3
seed = 3
[search.space]
"optimizer.lr" = { log_uniform = [1e-3, 0.5] }
"model.layers[0].out" = { int = [4, 32] }
[search.pruner]
type = "median"
min_trials = 2
)"));
  const CliResult r = run_gradnet({"search", dir / "s.toml", "--workers", "2", "--out", dir / "study", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = last_json_line(r.out);
  EXPECT_EQ(j["objective"], "val_accuracy");
  EXPECT_EQ(j["direction"], "maximize");
  ASSERT_EQ(j["trials"].size(), 6u);
  std::set<std::int64_t> numbers;
  for (const auto& t : j["trials"]) {
    numbers.insert(t["number"].get<std::int64_t>());
    const std::string state = t["state"];
    EXPECT_TRUE(state == "complete" || state == "pruned") << t.dump();
    EXPECT_TRUE(t["params"]["optimizer.lr"].is_number()) << t.dump();
    EXPECT_TRUE(t["params"]["model.layers[0].out"].is_number_integer()) << t.dump();
    EXPECT_TRUE(fs::exists(t["run_dir"].get<std::string>() + "/summary.json")) << t.dump();
  }
  EXPECT_EQ(numbers.size(), 6u);
  ASSERT_TRUE(j["best"].is_object());
  EXPECT_TRUE(j["best"]["value"].is_number());
  EXPECT_EQ(integrity(dir / "study"), "ok");

  // The directory again: the same results, no training.
  const CliResult again = run_gradnet({"search", dir / "study", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(last_json_line(again.out)["trials"], j["trials"]);
  const CliResult table = run_gradnet({"search", dir / "study"});
  EXPECT_NE(table.out.find("best: trial " + std::to_string(j["best"]["number"].get<int>())), std::string::npos)
      << table.out;
}

TEST(SearchCli, MedianPrunerStopsATrialThatCannotLearn) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
sampler = "grid"
epochs = 4
[search.space]
"optimizer.lr" = { grid = [0.05, 0.1, 0.03, 0.07, 1e-7] }
[search.pruner]
type = "median"
warmup_epochs = 2
min_trials = 4
)"));
  const CliResult r = run_gradnet({"search", dir / "s.toml", "--out", dir / "study", "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json trials = last_json_line(r.out)["trials"];
  ASSERT_EQ(trials.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(trials[i]["state"], "complete") << trials[i].dump();
  EXPECT_EQ(trials[4]["state"], "pruned") << trials[4].dump();
  EXPECT_NE(trials[4]["message"].get<std::string>().find("median"), std::string::npos);
  const json summary = json::parse(read_file(trials[4]["run_dir"].get<std::string>() + "/summary.json"));
  EXPECT_EQ(summary["status"], "ok");
  EXPECT_EQ(summary["epochs"], 2);  // stopped after the epoch it was judged at
  EXPECT_NE(summary["stopped_early"].get<std::string>().find("pruned"), std::string::npos);
}

TEST(SearchCli, SecondStageSearchesANarrowedSpaceAroundTheBest) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
seed = 5
[search.space]
"optimizer.lr" = { log_uniform = [1e-4, 1.0] }
[[search.stage]]
trials = 4
epochs = 2
[[search.stage]]
trials = 2
epochs = 3
narrow = 0.25
)"));
  const CliResult r = run_gradnet({"search", dir / "s.toml", "--out", dir / "study", "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const search::StudyRecord study = search::load_study(dir / "study");
  ASSERT_EQ(study.stages.size(), 2u);
  ASSERT_EQ(study.trials.size(), 6u);
  const search::TrialRecord* best0 = nullptr;
  for (const auto& t : study.trials)
    if (t.stage == 0 && t.state == search::TrialState::complete && (!best0 || *t.value > *best0->value)) best0 = &t;
  ASSERT_NE(best0, nullptr);
  const double v = *best0->params[0].number;
  const auto& dim = study.stages[1][0];
  // a quarter of 4 decades, centred on the best of stage 0 (clipped to the spec's range)
  EXPECT_NEAR(dim.low, std::max(1e-4, v / std::pow(10.0, 0.5)), 1e-12 + 1e-9 * v);
  EXPECT_NEAR(dim.high, std::min(1.0, v * std::pow(10.0, 0.5)), 1e-9);
  for (const auto& t : study.trials) {
    if (t.stage != 1) continue;
    EXPECT_GE(*t.params[0].number, dim.low);
    EXPECT_LE(*t.params[0].number, dim.high);
    EXPECT_NE(read_file(t.run_dir + "/config.toml").find("epochs = 3"), std::string::npos);  // the stage's epochs
  }
}

TEST(SearchCli, AStudyWhoseTrialsAlwaysFailEnds) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
trials = 2
max_attempts = 2
[search.space]
"optimizer.lr" = { uniform = [1e30, 1e31] }
)"));
  const CliResult r = run_gradnet({"search", dir / "s.toml", "--out", dir / "study", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("every trial failed"), std::string::npos) << r.err;
  const json j = last_json_line(r.out);
  EXPECT_EQ(j["trials"].size(), 4u);  // trials x max_attempts failures, then the stage gives up
  EXPECT_TRUE(j["best"].is_null());
}

struct BadSpec {
  std::string search;  // the [search...] part
  std::string expected;  // in the message
};

TEST(SearchCli, BadSpecsAreRefusedNamingTheKey) {
  const std::vector<BadSpec> cases = {
      {"[search]\ntrails = 3\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n", "did you mean 'trials'"},
      {"[search]\ntrials = \"3\"\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n", "search.trials"},
      {"[search]\n[search.space]\n\"optimizer.lr\" = { uniform = [0.2, 0.1] }\n", "low must be below high"},
      {"[search]\n[search.space]\n\"optimizer.lr\" = { log_uniform = [0, 0.1] }\n", "above 0"},
      {"[search]\n[search.space]\n\"optimizer.type\" = { choice = [] }\n", "optimizer.type"},
      {"[search]\n[search.space]\n\"optimizer.lrr\" = { uniform = [0.1, 0.2] }\n", "optimizer.lrr"},
      {"[search]\n[search.space]\n\"optimizer.lr\" = { uniformm = [0.1, 0.2] }\n", "did you mean 'uniform'"},
      {"[search]\nsampler = \"grid\"\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n", "steps"},
      {"[search]\nsampler = \"tpe\"\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n", "tpe"},
      {"[search]\nobjective = \"val_acc\"\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n",
       "search.objective"},
      {"[search]\n[search.space]\n", "search.space is empty"},
      {"[search]\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n[search.pruner]\ntype = \"mediun\"\n",
       "did you mean 'median'"},
      {"[search]\n[search.space]\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n[[search.stage]]\ntrials = 2\nnarrow = 0.5\n",
       "search.stage[0].narrow"},
      {"[search]\n[search.space]\n\"model.layers[9].out\" = { int = [1, 4] }\n", "model.layers[9]"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    write_file(dir / "bad.toml", iris_spec(c.search));
    const CliResult r = run_gradnet({"search", dir / "bad.toml", "--out", dir / "study"});
    EXPECT_EQ(r.exit_code, 2) << c.search << r.err;
    EXPECT_NE(r.err.find("bad.toml"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << r.err;
    EXPECT_FALSE(fs::exists(dir / "study")) << "nothing is written for a bad spec: " << c.search;
  }
}

TEST(SearchCli, BadCommandLinesAndDirectories) {
  TempDir dir;
  EXPECT_EQ(run_gradnet({"search"}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"search", dir / "missing.toml"}).exit_code, 2);
  const CliResult not_study = run_gradnet({"search", dir.path().string()});
  EXPECT_EQ(not_study.exit_code, 2);
  EXPECT_NE(not_study.err.find("study.db"), std::string::npos) << not_study.err;
  EXPECT_EQ(run_gradnet({"search", "--resume", dir.path().string()}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"worker", dir.path().string()}).exit_code, 2);
  write_file(dir / "study.db", "garbage, not a database, not at all................");
  const CliResult garbage = run_gradnet({"search", dir.path().string(), "--json"});
  EXPECT_EQ(garbage.exit_code, 2) << garbage.err;
}

}  // namespace
}  // namespace gradnet::testing

namespace gradnet::testing {
namespace {

// objective = "cv_accuracy": each trial is a k-fold cross-validation under its run directory; its
// value is cv.json's mean validation accuracy.
TEST(SearchCli, CrossValidationObjectiveIsTheMeanOverFolds) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
objective = "cv_accuracy"
sampler = "grid"
epochs = 2
[search.space]
"optimizer.lr" = { grid = [0.01, 0.1] }
)") + "");
  // data.folds set in `set`, after the base: the spec is read again with it.
  std::string text = read_file(dir / "s.toml");
  text.replace(text.find("set = [\""), 8, "set = [\"data.folds=3\", \"");
  write_file(dir / "s.toml", text);
  const CliResult r = run_gradnet({"search", dir / "s.toml", "--out", dir / "study", "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = last_json_line(r.out);
  EXPECT_EQ(j["direction"], "maximize");
  ASSERT_EQ(j["trials"].size(), 2u);
  for (const auto& t : j["trials"]) {
    ASSERT_EQ(t["state"], "complete") << t.dump();
    const std::string run = t["run_dir"];
    for (int f = 0; f < 3; ++f) EXPECT_TRUE(fs::exists(run + "/fold-" + std::to_string(f) + "/summary.json")) << run;
    const json cv = json::parse(read_file(run + "/cv.json"));
    EXPECT_EQ(cv["folds"], 3);
    EXPECT_DOUBLE_EQ(t["value"].get<double>(), cv["mean_val_accuracy"].get<double>());
  }

  // Without data.folds, or with a pruner, the spec is refused naming the key.
  write_file(dir / "nofolds.toml", iris_spec("[search]\nobjective = \"cv_loss\"\n[search.space]\n"
                                             "\"optimizer.lr\" = { log_uniform = [0.01, 0.1] }\n"));
  CliResult bad = run_gradnet({"search", dir / "nofolds.toml", "--out", dir / "s2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("data.folds"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir / "s2"));
  write_file(dir / "pruned.toml", text + "[search.pruner]\ntype = \"median\"\n");
  bad = run_gradnet({"search", dir / "pruned.toml", "--out", dir / "s3"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("search.pruner"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace gradnet::testing

namespace gradnet::testing {
namespace {

// gradnet ensemble DIR --top K: the K best complete trials, evaluated as one ensemble.
TEST(SearchCli, EnsembleOfTheTopTrials) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
sampler = "grid"
epochs = 3
[search.space]
"optimizer.lr" = { grid = [0.001, 0.05, 0.2] }
)"));
  const CliResult s = run_gradnet({"search", dir / "s.toml", "--out", dir / "study", "--json", "-q"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  std::vector<std::pair<double, std::string>> by_value;
  const json study = last_json_line(s.out);
  for (const auto& t : study["trials"]) by_value.emplace_back(t["value"], t["run_dir"]);
  std::stable_sort(by_value.begin(), by_value.end(), [](const auto& a, const auto& b) { return a.first > b.first; });

  const CliResult r = run_gradnet({"ensemble", dir / "study", "--top", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = last_json_line(r.out);
  ASSERT_EQ(j["members"].size(), 2u);
  ASSERT_EQ(j["trials"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(j["trials"][i]["run_dir"], by_value[static_cast<std::size_t>(i)].second);
    EXPECT_DOUBLE_EQ(j["trials"][i]["value"].get<double>(), by_value[static_cast<std::size_t>(i)].first);
  }
  EXPECT_TRUE(j["ensemble"]["accuracy"].is_number());
  EXPECT_EQ(j["objective"], "val_accuracy");

  // More than the study has: a warning and every complete trial.
  const CliResult all = run_gradnet({"ensemble", dir / "study", "--top", "9", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(last_json_line(all.out)["members"].size(), 3u);
  EXPECT_NE(all.err.find("only 3 complete trials"), std::string::npos) << all.err;

  EXPECT_EQ(run_gradnet({"ensemble", dir / "nothing", "--top", "2"}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"ensemble", dir / "study", "--top", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace gradnet::testing
