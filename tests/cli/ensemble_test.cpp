// Ensembles and parameter averaging through the binary: gradnet eval / predict of several runs,
// snapshot ensembles, train.ema_decay and train.swa_start (ema.safetensors, swa.safetensors, the
// summary's figures, a resumed run's averages bit-identical to an uninterrupted run's).
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/data/idx.h"
#include "gradnet/data/image.h"
#include "gradnet/io/safetensors.h"
#include "test_support.h"

using namespace gradnet::testing;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Three tiny MNIST runs of one epoch, seeds 7, 8, 9, and two test images as PNG files.
class Ensembles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    write_file(*tmp_ / "tiny.toml", tiny_mnist_config(mnist_dir()));
    for (int seed : {7, 8, 9}) {
      const CliResult r = run_gradnet({"train", *tmp_ / "tiny.toml", "--out", run(seed), "-q", "--epochs", "1", "--set",
                                       "train.seed=" + std::to_string(seed)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const gradnet::Dataset test = gradnet::load_idx_images(mnist_dir() + "/t10k-images-idx3-ubyte.gz");
    for (int i : {0, 1})
      gradnet::write_png_gray(image(i), test.bytes.data() + 784 * (8 + i), 28, 28);  // test images 8 and 9
  }
  static void TearDownTestSuite() { delete tmp_; }
  static std::string run(int seed) { return *tmp_ / ("run" + std::to_string(seed)); }
  static std::string image(int i) { return *tmp_ / ("image" + std::to_string(i) + ".png"); }
  static nlohmann::json json_of(const std::vector<std::string>& args) {
    const CliResult r = run_gradnet(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? last_json_line(r.out) : nlohmann::json::object();
  }
  static TempDir* tmp_;
};
TempDir* Ensembles::tmp_ = nullptr;

TEST_F(Ensembles, EvalReportsTheEnsembleAndEveryMember) {
  const nlohmann::json j = json_of({"eval", run(7), run(8), run(9), "--json"});
  ASSERT_EQ(j["members"].size(), 3u);
  double best = 0;
  for (int k = 0; k < 3; ++k) {
    const nlohmann::json alone = json_of({"eval", run(7 + k), "--json"});
    EXPECT_EQ(j["members"][k]["accuracy"], alone["accuracy"]) << k;  // as `gradnet eval` of it alone
    EXPECT_EQ(j["members"][k]["loss"], alone["loss"]) << k;
    best = std::max(best, alone["accuracy"].get<double>());
  }
  const nlohmann::json& e = j["ensemble"];
  EXPECT_EQ(e["examples"], 500);
  EXPECT_EQ(e["combine"], "average");
  for (const char* field : {"accuracy", "loss", "per_class_accuracy", "confusion", "top_k", "per_class", "macro"})
    EXPECT_TRUE(e.contains(field)) << field;
  EXPECT_DOUBLE_EQ(j["best_member_accuracy"].get<double>(), best);
  EXPECT_NEAR(j["gain_over_best_member"].get<double>(), e["accuracy"].get<double>() - best, 1e-12);
  const nlohmann::json vote = json_of({"eval", run(7), run(8), run(9), "--vote", "--json"});
  EXPECT_EQ(vote["ensemble"]["combine"], "vote");
  const CliResult human = run_gradnet({"eval", run(7), run(8)});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_TRUE(has(human.out, "ensemble of 2 models (average of probabilities)")) << human.out;
  EXPECT_TRUE(has(human.out, "gain over the best member")) << human.out;
  EXPECT_EQ(run_gradnet({"eval", run(7), "--vote"}).exit_code, 2);  // one model has nothing to vote with
}

TEST_F(Ensembles, PredictAveragesTheMembersProbabilities) {
  std::vector<nlohmann::json> alone;
  for (int seed : {7, 8, 9})
    alone.push_back(json_of({"predict", run(seed), image(0), image(1), "--top", "10", "--json"}));
  const nlohmann::json together =
      json_of({"predict", run(7), run(8), run(9), image(0), image(1), "--top", "10", "--json"});
  ASSERT_EQ(together["predictions"].size(), 2u);
  EXPECT_EQ(together["models"].size(), 3u);
  for (int i = 0; i < 2; ++i) {
    auto probability = [](const nlohmann::json& p, int cls) {
      for (const auto& t : p["top"])
        if (t["class"] == cls) return t["probability"].get<double>();
      return -1.0;
    };
    for (int cls = 0; cls < 10; ++cls) {
      double mean = 0;
      for (const nlohmann::json& a : alone) mean += probability(a["predictions"][i], cls) / 3;
      EXPECT_NEAR(probability(together["predictions"][i], cls), mean, 1e-6) << i << " " << cls;
    }
  }
  // The vote: the class most members give.
  const nlohmann::json vote = json_of({"predict", run(7), run(8), run(9), image(0), "--vote", "--json"});
  std::map<int, int> votes;
  for (const nlohmann::json& a : alone) ++votes[a["predictions"][0]["class"].get<int>()];
  const int voted = vote["predictions"][0]["class"];
  for (const auto& [cls, n] : votes) EXPECT_LE(n, votes[voted]) << cls;
  // Models first: a run directory after an input is refused.
  const CliResult mixed = run_gradnet({"predict", run(7), image(0), run(8)});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_TRUE(has(mixed.err, "a model among the inputs")) << mixed.err;
}

TEST_F(Ensembles, MismatchedRunsAreRefusedNamingBoth) {
  // Another dataset: a Fashion-MNIST-shaped run (the MNIST files under another dataset's name).
  TempDir other;
  fs::copy(run(7), other / "renamed", fs::copy_options::recursive);
  std::string names = read_file(other / "renamed/dataset.json");
  nlohmann::json info = nlohmann::json::parse(names);
  info["class_names"] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  write_file(other / "renamed/dataset.json", info.dump());
  CliResult r = run_gradnet({"eval", run(7), other / "renamed"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, run(7)) && has(r.err, other / "renamed")) << r.err;
  EXPECT_TRUE(has(r.err, "class 0 is")) << r.err;
  // Another class count: a 3-class CSV run.
  write_file(other / "rows.csv", "1,2,0\n2,1,1\n3,3,2\n1,1,0\n2,2,1\n3,1,2\n1,3,0\n2,3,1\n3,2,2\n1,2,0\n");
  write_file(other / "csv.toml",
             "name = \"csv\"\n[data]\ndataset = \"csv\"\npath = \"rows.csv\"\nvalidation = 0\ntest_fraction = 0.3\n"
             "[model]\ninput = [2]\nloss = \"softmax_cross_entropy\"\nlayers = [{ type = \"linear\", out = 3 }]\n"
             "[train]\nepochs = 1\nthreads = 1\n");
  ASSERT_EQ(run_gradnet({"train", other / "csv.toml", "--out", other / "csv", "-q"}).exit_code, 0);
  r = run_gradnet({"eval", run(7), other / "csv"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "cannot be combined") && has(r.err, run(7))) << r.err;
  r = run_gradnet({"predict", run(7), other / "csv", image(0)});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

std::string averaged_config(const std::string& train_extra, const std::string& layers = "") {
  std::string c = tiny_mnist_config(mnist_dir(), train_extra);
  if (!layers.empty()) {
    const auto begin = c.find("layers = [");
    const auto end = c.find("]\n", begin) + 2;
    c.replace(begin, end - begin, layers);
  }
  return c;
}

TEST(Averaging, EmaIsSavedEvaluatedAndLeavesTrainingAsItWas) {
  TempDir tmp;
  write_file(tmp / "ema.toml", averaged_config("ema_decay = 0.99\n"));
  write_file(tmp / "plain.toml", averaged_config("ema_decay = 0\n"));
  CliResult r = run_gradnet({"train", tmp / "ema.toml", "--out", tmp / "ema", "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  ASSERT_TRUE(j.contains("ema_test_accuracy")) << r.out;
  EXPECT_EQ(j["ema_updates"], 2 * 29);  // 1,800 training rows in batches of 64, 2 epochs
  EXPECT_TRUE(j["ema_val_accuracy"].is_number());
  const nlohmann::json summary = nlohmann::json::parse(read_file(tmp / "ema/summary.json"));
  EXPECT_EQ(summary["ema_test_accuracy"], j["ema_test_accuracy"]);
  // ema.safetensors is a model file: gradnet eval gives the summary's figure.
  const nlohmann::json eval = last_json_line(run_gradnet({"eval", tmp / "ema/ema.safetensors", "--json"}).out);
  EXPECT_EQ(eval["accuracy"], j["ema_test_accuracy"]);
  EXPECT_NE(read_file(tmp / "ema/ema.safetensors"), read_file(tmp / "ema/model.safetensors"));
  // Decay 0 is off: no file, no fields; the raw weights are the same either way.
  r = run_gradnet({"train", tmp / "plain.toml", "--out", tmp / "plain", "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(last_json_line(r.out).contains("ema_test_accuracy"));
  EXPECT_FALSE(fs::exists(tmp / "plain/ema.safetensors"));
  EXPECT_EQ(read_file(tmp / "plain/model.safetensors"), read_file(tmp / "ema/model.safetensors"));
  // The human summary prints both.
  r = run_gradnet({"train", tmp / "ema.toml", "--out", tmp / "again"});
  EXPECT_TRUE(has(r.out, "EMA weights: test accuracy")) << r.out;
  for (const char* bad : {"train.ema_decay=1", "train.ema_decay=-0.5", "train.swa_start=9", "train.swa_lr=0.1"})
    EXPECT_EQ(run_gradnet({"train", tmp / "plain.toml", "--out", tmp / "bad", "--set", bad}).exit_code, 2) << bad;
}

TEST(Averaging, ResumedRunsAverageBitIdentically) {
  TempDir tmp;
  write_file(tmp / "c.toml", averaged_config("ema_decay = 0.95\nswa_start = 2\n[checkpoint]\nevery_steps = 20\n"));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "whole", "-q", "--epochs", "3"}).exit_code, 0);
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "part", "-q", "--epochs", "2"}).exit_code, 0);
  const CliResult r = run_gradnet({"train", "--resume", tmp / "part", "-q", "--epochs", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* file : {"model.safetensors", "ema.safetensors", "swa.safetensors"})
    EXPECT_EQ(read_file(tmp / ("whole/" + std::string(file))), read_file(tmp / ("part/" + std::string(file)))) << file;
  const nlohmann::json summary = nlohmann::json::parse(read_file(tmp / "part/summary.json"));
  EXPECT_EQ(summary["swa_models"], 2);  // the ends of epochs 2 and 3
}

TEST(Averaging, SwaRecomputesBatchNormStatistics) {
  TempDir tmp;
  const std::string layers =
      "layers = [\n  { type = \"linear\", out = 16 },\n  { type = \"batch_norm\" },\n  { type = \"relu\" },\n"
      "  { type = \"linear\", out = 10 },\n]\n";
  write_file(tmp / "bn.toml", averaged_config("swa_start = 1\nswa_lr = 0.05\n", layers));
  const CliResult r = run_gradnet({"train", tmp / "bn.toml", "--out", tmp / "bn", "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_json_line(r.out)["swa_models"], 2);
  const gradnet::SafetensorsFile swa = gradnet::read_safetensors(tmp / "bn/swa.safetensors");
  const gradnet::SafetensorsFile raw = gradnet::read_safetensors(tmp / "bn/model.safetensors");
  ASSERT_NE(swa.find("layers.1.running_mean"), nullptr);
  // Recomputed for the averaged weights: not the raw net's running statistics.
  EXPECT_NE(swa.find("layers.1.running_mean")->data, raw.find("layers.1.running_mean")->data);
  const nlohmann::json eval = last_json_line(run_gradnet({"eval", tmp / "bn/swa.safetensors", "--json"}).out);
  EXPECT_EQ(eval["accuracy"], last_json_line(r.out)["swa_test_accuracy"]);
  // swa_lr: every update from epoch 1 on ran at 0.05.
  const std::string metrics = read_file(tmp / "bn/metrics.jsonl");
  EXPECT_TRUE(has(metrics, "\"epoch\":1,") && has(metrics, "\"lr\":0.05")) << metrics;
}

TEST(Snapshots, EvalCombinesTheCheckpointsOfOneRun) {
  TempDir tmp;
  write_file(tmp / "c.toml", averaged_config("[checkpoint]\nkeep_last = 0\n"));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--epochs", "3"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(tmp / "run/checkpoints/step-00000000.safetensors"));  // keep_last = 0 kept every one
  nlohmann::json j = last_json_line(run_gradnet({"eval", tmp / "run", "--snapshots", "--json"}).out);
  ASSERT_EQ(j["members"].size(), 3u);  // epochs 1..3; step 0 (the initial weights) left out
  EXPECT_TRUE(has(j["members"][0]["model"].get<std::string>(), "step-00000029"));
  j = last_json_line(run_gradnet({"eval", tmp / "run", "--snapshots", "--last", "2", "--json"}).out);
  EXPECT_EQ(j["members"].size(), 2u);
  EXPECT_EQ(run_gradnet({"eval", tmp / "run", tmp / "run", "--snapshots"}).exit_code, 2);
}

}  // namespace
