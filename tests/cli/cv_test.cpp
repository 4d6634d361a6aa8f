// gradnet cv: k fold runs on the iris CSV (2 epochs each), the mean ± sample std in the human
// output, --json and DIR/cv.json; bad data.folds values exit 2 naming the key.
#include <cmath>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string iris() { return source_dir() + "/configs/iris-mlp.toml"; }

TEST(CliCv, RunsEveryFoldAndWritesMeanAndSampleStd) {
  TempDir tmp;
  const std::string out = tmp / "cv";
  CliResult r = run_gradnet({"cv", iris(), "--folds", "3", "--epochs", "2", "--out", out, "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  EXPECT_EQ(j["folds"], 3);
  ASSERT_EQ(j["runs"].size(), 3u);
  double sum = 0, sq = 0;
  std::set<std::int64_t> folds;
  for (const auto& run : j["runs"]) {
    folds.insert(run["fold"].get<std::int64_t>());
    const std::string dir = run["run_dir"];
    EXPECT_EQ(dir, out + "/fold-" + std::to_string(run["fold"].get<int>()));
    // An ordinary run directory, made by the trainer, validating on its own fold.
    const auto summary = nlohmann::json::parse(read_file(dir + "/summary.json"));
    EXPECT_EQ(summary["status"], "ok");
    EXPECT_DOUBLE_EQ(summary["val_accuracy"].get<double>(), run["val_accuracy"].get<double>());
    EXPECT_NE(read_file(dir + "/config.toml").find("fold = " + std::to_string(run["fold"].get<int>())),
              std::string::npos);
    EXPECT_EQ(run["val_examples"], 40);  // 150 rows, 30 test, 120 in 3 folds; data.validation ignored
    EXPECT_EQ(run["train_examples"], 80);
    EXPECT_EQ(run["epochs"], 2);
    sum += run["val_accuracy"].get<double>();
  }
  EXPECT_EQ(folds, (std::set<std::int64_t>{0, 1, 2}));
  const double mean = sum / 3;
  for (const auto& run : j["runs"]) sq += std::pow(run["val_accuracy"].get<double>() - mean, 2);
  EXPECT_NEAR(j["mean_val_accuracy"].get<double>(), mean, 1e-12);
  EXPECT_NEAR(j["std_val_accuracy"].get<double>(), std::sqrt(sq / 2), 1e-12);  // sample std: n - 1
  for (const char* key : {"mean_val_loss", "std_val_loss", "mean_test_accuracy", "std_test_accuracy"})
    EXPECT_TRUE(j[key].is_number()) << key;
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/cv.json")), j);

  // A second cross-validation into the same directory is refused, the first one kept.
  CliResult again = run_gradnet({"cv", iris(), "--folds", "3", "--epochs", "1", "--out", out, "-q"});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("cv.json"), std::string::npos) << again.err;
}

TEST(CliCv, HumanOutputPrintsEachFoldAndMeanPlusMinusStd) {
  TempDir tmp;
  CliResult r = run_gradnet({"cv", iris(), "--set", "data.folds=2", "--epochs", "1", "--out", tmp / "cv", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fold 0: val accuracy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fold 1: val accuracy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2-fold cross-validation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("val accuracy  0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ± "), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(tmp / "cv/cv.json"));
}

TEST(CliCv, BadFoldsExitTwoNamingDataFolds) {
  TempDir tmp;
  for (const std::string folds : {"1", "0", "-1", "121", "2.5", "many"}) {
    CliResult r = run_gradnet({"cv", iris(), "--folds", folds, "--epochs", "1", "--out", tmp / "bad", "-q"});
    EXPECT_EQ(r.exit_code, 2) << "--folds " << folds << ": " << r.err;
    EXPECT_NE(r.err.find("data.folds"), std::string::npos) << "--folds " << folds << ": " << r.err;
    EXPECT_FALSE(fs::exists(tmp / "bad")) << "--folds " << folds << " left a directory behind";
  }
  CliResult set = run_gradnet({"cv", iris(), "--set", "data.folds=-1", "--out", tmp / "bad", "-q"});
  EXPECT_EQ(set.exit_code, 2);
  EXPECT_NE(set.err.find("data.folds = -1"), std::string::npos) << set.err;
  // A config without folds, cross-validated: the same message.
  CliResult none = run_gradnet({"cv", iris(), "--epochs", "1", "--out", tmp / "none", "-q"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("data.folds = 0"), std::string::npos) << none.err;
  // data.fold outside 0..k-1, in train as in cv.
  CliResult fold = run_gradnet({"train", iris(), "--set", "data.folds=3", "--set", "data.fold=3", "--out", tmp / "f"});
  EXPECT_EQ(fold.exit_code, 2);
  EXPECT_NE(fold.err.find("data.fold = 3"), std::string::npos) << fold.err;
}

}  // namespace
