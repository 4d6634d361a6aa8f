// gradnet eval: top-k, per-class precision/recall/F1, averages and AUCs, consistent with the
// confusion matrix and accuracy that evaluate() reports beside them.
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "test_support.h"

using namespace gradnet::testing;

namespace {
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
