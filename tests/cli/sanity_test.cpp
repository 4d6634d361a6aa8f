// `gradnet sanity`: the seed network passes every check on an MNIST subset; a huge init fails the
// initial-loss check and a zero init the L2 and overfitting checks (exit 1); bad input exits 2.
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace gradnet::testing;

namespace {

// The seed config (configs/mnist-mlp.toml) on the first 1000 MNIST training images, one thread.
std::vector<std::string> seed_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"sanity",        source_dir() + "/configs/mnist-mlp.toml",
                                   "--set",         "data.dir=" + mnist_dir(),
                                   "--set",         "data.train_limit=1000",
                                   "--set",         "data.validation=100",
                                   "--set",         "train.threads=1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

const nlohmann::json& check(const nlohmann::json& report, const std::string& id) {
  for (const auto& c : report["checks"])
    if (c["id"] == id) return c;
  static const nlohmann::json none;
  ADD_FAILURE() << "no check " << id << " in " << report.dump();
  return none;
}

}  // namespace

TEST(CliSanity, SeedConfigPassesEveryCheck) {
  CliResult r = run_gradnet(seed_args({"--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_TRUE(j["passed"].get<bool>());
  EXPECT_EQ(j["classes"], 10);
  EXPECT_EQ(j["train_examples"], 900);
  ASSERT_EQ(j["checks"].size(), 4u);
  for (const auto& c : j["checks"]) EXPECT_EQ(c["status"], "pass") << c.dump(2);

  const auto& init = check(j, "initial_loss")["numbers"];
  EXPECT_NEAR(init["expected"].get<double>(), std::log(10.0), 1e-12);
  EXPECT_NEAR(init["loss"].get<double>(), std::log(10.0), 0.1 * std::log(10.0));

  const auto& l2 = check(j, "l2_raises_loss")["numbers"];
  EXPECT_GT(l2["total_loss"].get<double>(), l2["data_loss"].get<double>());
  EXPECT_NEAR(l2["l2_term"].get<double>(), 0.5 * l2["lambda"].get<double>() * l2["sum_w2"].get<double>(), 1e-9);
  EXPECT_EQ(l2["weights"], 784 * 64 + 64 * 16 + 16 * 10);

  const auto& fit = check(j, "overfit_tiny")["numbers"];
  EXPECT_EQ(fit["examples"], 20);
  EXPECT_EQ(fit["accuracy"], 1.0);
  EXPECT_LT(fit["loss"].get<double>(), 0.1);
  EXPECT_EQ(fit["lr"], 0.1);  // the configured lr fitted: no fallback

  const auto& grad = check(j, "gradient_check")["numbers"];
  EXPECT_LT(grad["max_rel_error_params"].get<double>(), 1e-7);
  EXPECT_LT(grad["max_rel_error_loss"].get<double>(), 1e-7);
  EXPECT_GT(grad["elements_checked"].get<double>(), 400);  // 100 per tensor (fewer in the small ones)
  EXPECT_EQ(grad["tensors_not_verified"].get<double>(), 0);
  EXPECT_LE(grad["max_abs_error"].get<double>(), grad["noise_floor"].get<double>());
}

TEST(CliSanity, TextReportPrintsEachCheckWithItsNumbers) {
  CliResult r = run_gradnet(seed_args());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* want : {"PASS  initial loss ≈ ln(classes)", "ln(10) = 2.3026", "PASS  adding L2 raises the loss",
                           "PASS  overfits 20 training examples", "100% after",
                           "PASS  analytic gradients match finite differences", "max relative error",
                           "PASSED: 4 passed, 0 failed"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
}

TEST(CliSanity, HugeInitFailsTheInitialLossCheck) {
  // Logits from N(0, 10²) weights: the untrained net is confidently wrong, loss >> ln 10.
  CliResult r = run_gradnet(seed_args({"--set", "model.layers.4.init=normal", "--set", "model.layers.4.init_std=10"}));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  initial loss ≈ ln(classes)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("confidently wrong"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED:"), std::string::npos) << r.out;

  r = run_gradnet(seed_args({"--set", "model.layers.4.init=normal", "--set", "model.layers.4.init_std=10", "--json"}));
  EXPECT_EQ(r.exit_code, 1);
  const auto j = last_json_line(r.out);
  EXPECT_FALSE(j["passed"].get<bool>());
  const auto& init = check(j, "initial_loss");
  EXPECT_EQ(init["status"], "fail");
  EXPECT_GT(init["numbers"]["loss"].get<double>(), 2 * std::log(10.0));
}

TEST(CliSanity, ZeroInitFailsTheL2AndOverfittingChecks) {
  // All-zero weights: the loss is exactly ln 10, but Σw² = 0 and nothing breaks the symmetry.
  CliResult r = run_gradnet(seed_args({"--set", "model.layers.0.init=zeros", "--set", "model.layers.2.init=zeros",
                                       "--set", "model.layers.4.init=zeros",
                                       "--overfit-steps", "100", "--json"}));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(check(j, "initial_loss")["status"], "pass");
  EXPECT_NEAR(check(j, "initial_loss")["numbers"]["loss"].get<double>(), std::log(10.0), 1e-6);
  EXPECT_EQ(check(j, "l2_raises_loss")["status"], "fail");
  EXPECT_EQ(check(j, "l2_raises_loss")["numbers"]["sum_w2"], 0.0);
  EXPECT_EQ(check(j, "overfit_tiny")["status"], "fail");
  EXPECT_LT(check(j, "overfit_tiny")["numbers"]["accuracy"].get<double>(), 1.0);
}

TEST(CliSanity, MseInitialLossIsReportedNotJudged) {
  CliResult r = run_gradnet(seed_args({"--set", "model.loss=mse", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = last_json_line(r.out);
  const auto& init = check(j, "initial_loss");
  EXPECT_EQ(init["status"], "n/a");
  EXPECT_DOUBLE_EQ(init["numbers"]["expected_small_outputs"].get<double>(), 0.1);
  // mse = 1/K + mean(y²) − (2/K)·mean(y at the label): about 1/K + mean(y²) at init.
  EXPECT_NEAR(init["numbers"]["loss"].get<double>(), 0.1 + init["numbers"]["mean_output_square"].get<double>(), 0.05);
  EXPECT_TRUE(j["passed"].get<bool>());
}

TEST(CliSanity, BadConfigOrDataExitsWith2) {
  CliResult r = run_gradnet(seed_args({"--set", "optimizer.lr=-1"}));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("optimizer.lr"), std::string::npos) << r.err;
  r = run_gradnet(seed_args({"--set", "data.dir=/nonexistent/mnist"}));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  r = run_gradnet({"sanity", "/nonexistent.toml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}
