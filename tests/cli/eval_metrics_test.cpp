// gradnet eval: top-k, per-class precision/recall/F1, averages and AUCs, consistent with the
// confusion matrix and accuracy that evaluate() reports beside them.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "test_support.h"

using namespace gradnet::testing;

namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The tiny MNIST config on another IDX dataset of MNIST's shape ("fashion-mnist").
std::string tiny_config_for(const std::string& dataset, const std::string& dir) {
  std::string cfg = tiny_mnist_config(dir);
  cfg.replace(cfg.find("\"mnist\""), 7, "\"" + dataset + "\"");
  return cfg;
}

}  // namespace

TEST(CliEval, JsonHasEveryMetricAndTheyAgreeWithTheConfusionMatrix) {
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist));
  const std::string run = tmp / "run";
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", run, "-q"}).exit_code, 0);
  CliResult r = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  for (const char* key : {"split", "examples", "accuracy", "loss", "per_class_accuracy", "confusion", "run_dir", "top_k",
                          "per_class", "macro", "weighted"})
    EXPECT_TRUE(j.contains(key)) << key;
  const double acc = j["accuracy"];
  const double n = j["examples"];
  // top-1 is the accuracy (ties go to the lower class, as argmax does); top-k only grows.
  EXPECT_DOUBLE_EQ(j["top_k"]["1"].get<double>(), acc);
  EXPECT_GE(j["top_k"]["3"].get<double>(), acc);
  EXPECT_GE(j["top_k"]["5"].get<double>(), j["top_k"]["3"].get<double>());
  EXPECT_LT(j["top_k"]["5"].get<double>(), 1.0 + 1e-12);
  const auto confusion = j["confusion"].get<std::vector<std::vector<long>>>();
  ASSERT_EQ(j["per_class"].size(), 10u);
  double f1_sum = 0;
  for (std::size_t c = 0; c < 10; ++c) {
    const nlohmann::json& p = j["per_class"][c];
    long row = 0, col = 0;
    for (std::size_t k = 0; k < 10; ++k) row += confusion[c][k], col += confusion[k][c];
    EXPECT_EQ(p["class"], c);
    EXPECT_EQ(p["support"], row);
    EXPECT_NEAR(p["recall"].get<double>(), j["per_class_accuracy"][c].get<double>(), 1e-12);
    EXPECT_NEAR(p["precision"].get<double>(), col ? double(confusion[c][c]) / col : 0.0, 1e-12);
    const double pr = p["precision"], rc = p["recall"];
    EXPECT_NEAR(p["f1"].get<double>(), pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0.0, 1e-12);
    EXPECT_GT(p["roc_auc"].get<double>(), 0.9) << c;   // a trained model ranks far better than chance
    EXPECT_LE(p["roc_auc"].get<double>(), 1.0);
    EXPECT_GT(p["average_precision"].get<double>(), 0.5) << c;
    f1_sum += p["f1"].get<double>();
  }
  EXPECT_NEAR(j["macro"]["f1"].get<double>(), f1_sum / 10, 1e-12);
  // Support-weighted recall is the accuracy: sum_c (n_c / n) (tp_c / n_c) = sum_c tp_c / n.
  EXPECT_NEAR(j["weighted"]["recall"].get<double>(), acc, 1e-12);
  EXPECT_GT(j["macro"]["roc_auc"].get<double>(), 0.9);
  EXPECT_GT(n, 0);

  CliResult text = run_gradnet({"eval", run});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const char* s : {"top-k accuracy:  top-1", "precision", "roc_auc", "macro avg", "weighted avg", "confusion matrix"})
    EXPECT_NE(text.out.find(s), std::string::npos) << s << "\n" << text.out;
}

TEST(CliEval, CheckpointFilesAndARunWithoutAFinalModel) {
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist));
  const std::string run = tmp / "run";
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", run, "-q"}).exit_code, 0);
  const CliResult final_eval = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(final_eval.exit_code, 0) << final_eval.err;
  const nlohmann::json final_model = last_json_line(final_eval.out);
  EXPECT_EQ(final_model["model"], run + "/model.safetensors");

  std::vector<std::string> steps;
  for (const auto& e : fs::directory_iterator(run + "/checkpoints"))
    if (e.path().filename().string().rfind("step-", 0) == 0) steps.push_back(e.path().string());
  ASSERT_GE(steps.size(), 2u);
  std::sort(steps.begin(), steps.end());
  // A training checkpoint (weights "model.*" beside the optimizer state) and best.safetensors:
  // the config is the run directory's, above checkpoints/.
  for (const std::string& file : {steps.back(), steps.front(), run + "/checkpoints/best.safetensors"}) {
    const CliResult r = run_gradnet({"eval", file, "--json"});
    ASSERT_EQ(r.exit_code, 0) << file << ": " << r.err;
    const nlohmann::json j = last_json_line(r.out);
    EXPECT_EQ(j["model"], file);
    EXPECT_EQ(j["run_dir"], run);
    if (file == steps.back()) {  // the last epoch's checkpoint holds the final weights
      EXPECT_EQ(j["accuracy"], final_model["accuracy"]);
      EXPECT_EQ(j["loss"], final_model["loss"]);
    }
  }
  // The run as an interruption leaves it: checkpoints, no model.safetensors. eval takes the
  // newest checkpoint and says which.
  fs::remove(run + "/model.safetensors");
  const CliResult interrupted = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(interrupted.exit_code, 0) << interrupted.err;
  const std::string newest = "checkpoints/" + fs::path(steps.back()).filename().string();
  EXPECT_TRUE(has(interrupted.err, "gradnet: note: " + run + " has no model.safetensors")) << interrupted.err;
  EXPECT_TRUE(has(interrupted.err, "using " + newest)) << interrupted.err;
  EXPECT_EQ(last_json_line(interrupted.out)["accuracy"], final_model["accuracy"]);
  // Nothing to evaluate: exit 2 naming what was looked for.
  fs::copy_file(steps.front(), tmp / "loose.safetensors");
  fs::remove_all(run + "/checkpoints");
  const CliResult none = run_gradnet({"eval", run});
  EXPECT_EQ(none.exit_code, 2);
  for (const char* part : {"no model.safetensors", "checkpoints/step-*.safetensors", "checkpoints/best.safetensors"})
    EXPECT_TRUE(has(none.err, part)) << "missing '" << part << "' in: " << none.err;
  // A file outside any run directory: where the config was looked for.
  const CliResult loose = run_gradnet({"eval", tmp / "loose.safetensors"});
  EXPECT_EQ(loose.exit_code, 2);
  EXPECT_TRUE(has(loose.err, "no config.toml beside the model (looked for " + tmp / "config.toml")) << loose.err;
}

TEST(CliEval, FashionMnistClassNamesInEvalAndPredict) {
  const std::string fashion = find_dataset_dir("fashion-mnist");
  ASSERT_FALSE(fashion.empty()) << "Fashion-MNIST not found: run scripts/setup";
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_config_for("fashion-mnist", fashion));
  const std::string run = tmp / "run";
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", run, "-q"}).exit_code, 0);
  const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  // Stored in the run directory, not in config.toml.
  const nlohmann::json stored = nlohmann::json::parse(read_file(run + "/dataset.json"));
  EXPECT_EQ(stored["class_names"].get<std::vector<std::string>>(), names);
  EXPECT_FALSE(has(read_file(run + "/config.toml"), "Ankle boot"));

  const CliResult e = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json j = last_json_line(e.out);
  EXPECT_EQ(j["class_names"].get<std::vector<std::string>>(), names);
  EXPECT_EQ(j["per_class"][9]["name"], "Ankle boot");
  const CliResult text = run_gradnet({"eval", run});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  // The per-class table and the confusion matrix's rows are labelled by name.
  const std::string table = text.out.substr(0, text.out.find("confusion matrix"));
  const std::string confusion = text.out.substr(text.out.find("confusion matrix"));
  for (const std::string& name : names) {
    EXPECT_TRUE(has(table, " " + name + " ")) << name << "\n" << text.out;
    EXPECT_TRUE(has(confusion, name)) << name << "\n" << text.out;
  }

  // predict: "Ankle boot (class 9) 0.93" for the first test image's IDX file.
  const CliResult p = run_gradnet({"predict", run, fashion + "/t10k-images-idx3-ubyte.gz", "--json", "--top", "2"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  for (const auto& pred : last_json_line(p.out)["predictions"]) {
    const int c = pred["class"];
    EXPECT_EQ(pred["name"], names[static_cast<std::size_t>(c)]);
    EXPECT_EQ(pred["top"][1]["name"], names[pred["top"][1]["class"].get<std::size_t>()]);
  }
  const CliResult pt = run_gradnet({"predict", run, fashion + "/t10k-images-idx3-ubyte.gz"});
  ASSERT_EQ(pt.exit_code, 0) << pt.err;
  const std::string first = pt.out.substr(0, pt.out.find('\n'));
  const int c = last_json_line(p.out)["predictions"][0]["class"];
  EXPECT_TRUE(has(first, "[0]: " + names[static_cast<std::size_t>(c)] + " (class " + std::to_string(c) + ") "))
      << first;
}
