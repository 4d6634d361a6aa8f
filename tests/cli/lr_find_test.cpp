// `gradnet lr-find`: the range test on an MNIST subset writes lr_find.png and lr_find.json, suggests
// an lr inside the sweep and below where the loss exploded, and gives the same bytes twice.
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

bool is_png(const std::string& path) {
  const std::string bytes = read_file(path);
  return bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

}  // namespace

TEST(CliLrFind, WritesPlotAndJsonAndSuggestsBelowTheExplosion) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  const std::string out = tmp / "lr";
  // Up to lr 1000: plain SGD on this net blows up well before the end.
  CliResult r = run_gradnet({"lr-find", tmp / "tiny.toml", "--end", "1000", "--out", out, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_TRUE(is_png(out + "/lr_find.png"));
  const auto file = nlohmann::json::parse(read_file(out + "/lr_find.json"));
  for (const char* key : {"lrs", "losses", "smoothed", "suggestions", "stop_reason", "suggested_lr", "suggested_rule"})
    EXPECT_EQ(file[key], j[key]) << key;
  EXPECT_EQ(j["png"], out + "/lr_find.png");

  EXPECT_EQ(j["stop_reason"], "diverged") << j["stop_detail"];
  const auto steps_run = j["steps_run"].get<std::size_t>();
  EXPECT_LT(steps_run, 100u);
  EXPECT_EQ(j["lrs"].size(), steps_run);
  EXPECT_EQ(j["smoothed"].size(), steps_run);
  EXPECT_DOUBLE_EQ(j["lrs"][0].get<double>(), 1e-7);
  for (std::size_t i = 1; i < steps_run; ++i) EXPECT_GT(j["lrs"][i].get<double>(), j["lrs"][i - 1].get<double>());
  // Diverged: the last smoothed loss is above 4x the best one.
  EXPECT_GT(j["smoothed"].back().get<double>(), 4 * j["best_loss"].get<double>());

  const double lr = j["suggested_lr"].get<double>(), stop = j["stop_lr"].get<double>();
  EXPECT_EQ(j["suggested_rule"], "valley");
  EXPECT_GE(lr, 1e-7);
  EXPECT_LE(lr, 1000);
  EXPECT_LT(lr, stop);
  ASSERT_EQ(j["suggestions"].size(), 3u);
  for (const auto& s : j["suggestions"]) EXPECT_LT(s["lr"].get<double>(), stop) << s.dump();
  EXPECT_EQ(j["suggestions"][1]["rule"], "steepest");
  EXPECT_EQ(j["suggestions"][2]["rule"], "min/10");
  // This net learns best around lr 0.01-1: the suggestion is a usable lr, not an end of the sweep.
  EXPECT_GT(lr, 1e-4);
  EXPECT_LT(lr, 1.0);
}

TEST(CliLrFind, SameSeedGivesTheSameBytes) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  for (const char* d : {"a", "b"})
    ASSERT_EQ(run_gradnet({"lr-find", tmp / "tiny.toml", "--steps", "60", "--out", tmp / d}).exit_code, 0);
  EXPECT_EQ(read_file(tmp / "a/lr_find.json"), read_file(tmp / "b/lr_find.json"));
  EXPECT_EQ(read_file(tmp / "a/lr_find.png"), read_file(tmp / "b/lr_find.png"));
  // A different seed gives a different curve (the comparison above can fail).
  ASSERT_EQ(run_gradnet({"lr-find", tmp / "tiny.toml", "--steps", "60", "--out", tmp / "c", "--set", "train.seed=8"})
                .exit_code,
            0);
  EXPECT_NE(read_file(tmp / "a/lr_find.json"), read_file(tmp / "c/lr_find.json"));
}

TEST(CliLrFind, TextOutputNamesTheRuleAndDefaultDirectoryIsUnderRuns) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  CliResult r = run_gradnet({"lr-find", tmp / "tiny.toml", "--steps", "40"}, tmp.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("suggested lr: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(rule: valley"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("also steepest:"), std::string::npos) << r.out;
  // How the sweep ended, in words: never "stopped: completed: ...".
  EXPECT_EQ(r.out.find("stopped: "), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("all 40 steps ran") != std::string::npos || r.out.find("stopped early (") != std::string::npos)
      << r.out;
  int found = 0;
  for (const auto& e : fs::directory_iterator(tmp.path() / "runs")) {
    EXPECT_EQ(e.path().filename().string().rfind("tiny-lrfind-", 0), 0u) << e.path();
    EXPECT_TRUE(is_png((e.path() / "lr_find.png").string()));
    EXPECT_TRUE(fs::exists(e.path() / "lr_find.json"));
    ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST(CliLrFind, NaNLossStopsTheSweepWithoutACrash) {
  // mse with momentum 0.9 and lrs from 1 to 1e6: the loss overflows to inf/NaN within a few steps.
  // A stop factor too large to trigger leaves the non-finite stop to fire.
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  CliResult r = run_gradnet({"lr-find", tmp / "tiny.toml", "--set", "model.loss=mse", "--set", "optimizer.momentum=0.9",
                             "--start", "1", "--end", "1e6", "--steps", "30", "--stop-factor", "1e300", "--out",
                             tmp / "nan", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["stop_reason"], "non_finite") << j["stop_detail"];
  EXPECT_TRUE(j["losses"].back().is_null() || j["smoothed"].back().is_null()) << j["losses"].dump();
  EXPECT_TRUE(is_png(tmp / "nan/lr_find.png"));
}

TEST(CliLrFind, LinearModeSpacesTheLrEvenly) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  CliResult r = run_gradnet({"lr-find", tmp / "tiny.toml", "--mode", "linear", "--start", "0.001", "--end", "0.5",
                             "--steps", "30", "--out", tmp / "lin", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["mode"], "linear");
  const auto& lrs = j["lrs"];
  ASSERT_GE(lrs.size(), 3u);
  const double step = lrs[1].get<double>() - lrs[0].get<double>();
  EXPECT_NEAR(step, 0.499 / 29, 1e-12);
  for (std::size_t i = 2; i < lrs.size(); ++i)
    EXPECT_NEAR(lrs[i].get<double>() - lrs[i - 1].get<double>(), step, 1e-12) << i;
  EXPECT_TRUE(is_png(tmp / "lin/lr_find.png"));
}

TEST(CliLrFind, BadInputExitsWith2AndNothingIsOverwritten) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {"--start", "0"}, {"--start", "1", "--end", "0.1"}, {"--steps", "1"}, {"--mode", "cosine"},
           {"--set", "optimizer.type=lbfgs"}, {"--set", "optimizer.lr=-1"}}) {
    std::vector<std::string> args = {"lr-find", tmp / "tiny.toml", "--out", tmp / "bad"};
    args.insert(args.end(), bad.begin(), bad.end());
    CliResult r = run_gradnet(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << " " << bad[1] << "\n" << r.err;
    EXPECT_FALSE(fs::exists(tmp / "bad/lr_find.json")) << bad[0];
  }
  ASSERT_EQ(run_gradnet({"lr-find", tmp / "tiny.toml", "--steps", "20", "--out", tmp / "once"}).exit_code, 0);
  const std::string before = read_file(tmp / "once/lr_find.json");
  CliResult again = run_gradnet({"lr-find", tmp / "tiny.toml", "--steps", "30", "--out", tmp / "once"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("refusing to overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(tmp / "once/lr_find.json"), before);
}
