// The study store: created, written as workers write it, read back by load_study.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../src/search/store.h"
#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet::search {
namespace {

using gradnet::testing::TempDir;

StudySettings settings(bool maximize) {
  StudySettings s;
  s.name = "unit";
  s.spec_path = "/x/SEARCH.toml";
  s.spec_text = "base = 'a.toml'";
  s.base_config = "/x/a.toml";
  s.objective = maximize ? "val_accuracy" : "val_loss";
  s.maximize = maximize;
  s.sampler = "random";
  s.trials_requested = 3;
  return s;
}

void add_trial(Database& db, std::int64_t number, const char* state, std::optional<double> value,
               const std::string& params) {
  db.write([&] {
    db.prepare("INSERT INTO trials(number, stage, state, params, value, run_dir) VALUES (?, 0, ?, ?, ?, ?)")
        .bind(1, number).bind(2, state).bind(3, params).bind(4, value).bind(5, "/runs/" + std::to_string(number))
        .run();
  });
}

TEST(Store, LoadStudyReadsWhatWasWritten) {
  TempDir dir;
  std::vector<SpaceDim> space = {{"optimizer.lr", "log_uniform", 1e-3, 1.0, {}},
                                 {"optimizer.type", "choice", 0, 0, {"sgd", "adam"}}};
  create_store(dir.path().string(), settings(true), space);
  {
    Database db = open_store(dir.path().string());
    add_trial(db, 0, "complete", 0.9, R"({"optimizer.lr": 0.01, "optimizer.type": "sgd", "model.layers[0].out": 64})");
    add_trial(db, 1, "complete", 0.95, R"({"optimizer.lr": 0.1, "optimizer.type": "adam"})");
    add_trial(db, 2, "pruned", 0.99, R"({"optimizer.lr": 1e-3, "optimizer.type": "adam"})");  // pruned: never best
    add_trial(db, 3, "running", std::nullopt, "{}");
    db.write([&] {
      db.prepare("INSERT INTO intermediate(trial, epoch, value) VALUES (1, 1, 0.5), (1, 2, 0.95)").run();
    });
  }
  const StudyRecord study = load_study(dir.path().string());
  EXPECT_EQ(study.name, "unit");
  EXPECT_EQ(study.objective, "val_accuracy");
  EXPECT_TRUE(study.maximize);
  EXPECT_EQ(study.trials_requested, 3);
  ASSERT_EQ(study.stages.size(), 1u);
  ASSERT_EQ(study.stages[0].size(), 2u);
  EXPECT_EQ(study.stages[0][0].key, "optimizer.lr");
  EXPECT_TRUE(study.stages[0][0].log_scale());
  EXPECT_DOUBLE_EQ(study.stages[0][0].low, 1e-3);
  EXPECT_EQ(study.stages[0][1].choices, (std::vector<std::string>{"sgd", "adam"}));
  ASSERT_EQ(study.trials.size(), 4u);
  EXPECT_EQ(study.trials[3].state, TrialState::running);
  EXPECT_FALSE(study.trials[3].value);
  ASSERT_EQ(study.trials[0].params.size(), 3u);
  for (const auto& p : study.trials[0].params) {
    if (p.key == "optimizer.type") {
      EXPECT_EQ(p.literal, "sgd");
      EXPECT_FALSE(p.number);
    } else if (p.key == "model.layers[0].out") {
      EXPECT_EQ(p.literal, "64");
      EXPECT_EQ(p.number, 64.0);
    } else {
      EXPECT_EQ(p.number, 0.01);
    }
  }
  EXPECT_EQ(study.trials[1].intermediate, (std::vector<std::pair<std::int64_t, double>>{{1, 0.5}, {2, 0.95}}));
  ASSERT_NE(study.best(), nullptr);
  EXPECT_EQ(study.best()->number, 1);
  EXPECT_STREQ(to_string(study.trials[2].state), "pruned");
}

TEST(Store, BestMinimizesLossAndIsNoneWithoutACompleteTrial) {
  TempDir dir;
  create_store(dir.path().string(), settings(false), {});
  {
    Database db = open_store(dir.path().string());
    add_trial(db, 0, "failed", std::nullopt, "{}");
    EXPECT_EQ(load_study(dir.path().string()).best(), nullptr);
    add_trial(db, 1, "complete", 0.5, "{}");
    add_trial(db, 2, "complete", 0.2, "{}");
    add_trial(db, 3, "complete", 0.7, "{}");
  }
  const StudyRecord study = load_study(dir.path().string());
  ASSERT_NE(study.best(), nullptr);
  EXPECT_EQ(study.best()->number, 2);
}

TEST(Store, ParamsRoundTripKeepsIntegersAndStrings) {
  std::vector<ParamValue> params = {{"a", "64", 64.0}, {"b", "0.001", 0.001}, {"c", "adam", std::nullopt}};
  const std::string text = params_to_json(params);
  EXPECT_EQ(text, R"({"a":64,"b":0.001,"c":"adam"})");
  const auto back = params_from_json(text, "here");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].literal, "64");
  EXPECT_EQ(back[2].literal, "adam");
}

TEST(Store, LoadStudyRejectsAMissingOrForeignStore) {
  TempDir dir;
  try {
    load_study(dir.path().string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::checkpoint);
    EXPECT_NE(std::string(e.what()).find("study.db"), std::string::npos) << e.what();
  }
  gradnet::testing::write_file(dir / "study.db", "this is not a database at all, just some bytes........");
  try {
    load_study(dir.path().string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::checkpoint);
    EXPECT_NE(std::string(e.what()).find("study.db"), std::string::npos) << e.what();
  }
}

TEST(Store, CreatingTwiceIsRefused) {
  TempDir dir;
  create_store(dir.path().string(), settings(true), {});
  EXPECT_THROW(create_store(dir.path().string(), settings(true), {}), Error);
}

}  // namespace
}  // namespace gradnet::search
