// schedule-plot and optim-demo: exit 0, valid PNGs (signature, size), JSON; bad options exit 2.
#include <filesystem>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

// The PNG signature and the IHDR width and height (big-endian at bytes 16..23).
void expect_png(const std::string& path, int min_w, int min_h) {
  const std::string bytes = read_file(path);
  ASSERT_GT(bytes.size(), 1000u) << path;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << path;
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) | (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
  };
  EXPECT_GE(static_cast<int>(be32(16)), min_w) << path;
  EXPECT_GE(static_cast<int>(be32(20)), min_h) << path;
}

const char* kConfig = R"([model]
input = [4]
layers = [{ type = "linear", out = 3 }]
[optimizer]
lr = 0.1
[schedule]
policy = "cosine"
unit = "step"
warmup_epochs = 1
[train]
epochs = 5
batch_size = 32
batch_size_milestones = [3]
batch_sizes = [64]
[data]
dataset = "csv"
path = "none.csv"
)";

}  // namespace

TEST(CliSchedulePlot, WritesPngAndJson) {
  TempDir tmp;
  write_file(tmp / "c.toml", kConfig);
  CliResult r = run_gradnet({"schedule-plot", tmp / "c.toml", "--out", tmp / "lr.png", "--steps-per-epoch", "20",
                             "--json", "--set", "optimizer.lr_scaling=linear"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_png(tmp / "lr.png", 400, 300);
  const nlohmann::json j = last_json_line(r.out);
  EXPECT_EQ(j["steps"], 100);
  ASSERT_EQ(j["lr"].size(), 100u);
  EXPECT_NEAR(j["lr"][0].get<double>(), 0.01, 1e-12);  // warm-up starts at lr · 0.1
  EXPECT_NEAR(j["lr"][20].get<double>(), 0.1, 1e-12);  // the cosine starts after one epoch
  EXPECT_NEAR(j["lr"][60].get<double>() / j["lr"][59].get<double>(), 2.0, 0.1);  // batch 32 -> 64, linear (x the cosine step)
}

TEST(CliSchedulePlot, LogScaleAndDefaultStepsPerEpoch) {
  TempDir tmp;
  write_file(tmp / "c.toml", kConfig);
  CliResult r = run_gradnet({"schedule-plot", tmp / "c.toml", "--out", tmp / "lr.png", "--log-y", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_png(tmp / "lr.png", 400, 300);
  EXPECT_EQ(last_json_line(r.out)["steps_per_epoch"], 100);
}

TEST(CliSchedulePlot, BadInputExits2) {
  TempDir tmp;
  write_file(tmp / "c.toml", kConfig);
  EXPECT_EQ(run_gradnet({"schedule-plot", tmp / "c.toml", "--steps-per-epoch", "0"}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"schedule-plot", tmp / "missing.toml"}).exit_code, 2);
  CliResult r = run_gradnet({"schedule-plot", tmp / "c.toml", "--set", "schedule.policy=cosin"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'cosine'"), std::string::npos) << r.err;
  r = run_gradnet({"schedule-plot", tmp / "c.toml", "--set", "schedule.policy=cyclic", "--set", "schedule.max_lr=0.01",
                   "--set", "schedule.min_lr=0.05"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cyclic needs max_lr > min_lr"), std::string::npos) << r.err;
}

TEST(CliOptimDemo, WritesOnePngPerFunctionAndPaths) {
  TempDir tmp;
  CliResult r = run_gradnet({"optim-demo", "--out", tmp / "demo", "--steps", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"bowl", "rosenbrock", "beale", "saddle"}) expect_png(tmp / (std::string("demo/") + f + ".png"), 400, 400);
  const nlohmann::json j = nlohmann::json::parse(read_file(tmp / "demo/paths.json"));
  ASSERT_EQ(j["functions"].size(), 4u);
  std::set<std::string> names;
  for (const auto& o : j["functions"][0]["optimizers"]) {
    names.insert(o["name"].get<std::string>());
    EXPECT_GE(o["path"].size(), 2u);
    EXPECT_EQ(o["path"][0][0], j["functions"][0]["start"][0]);  // same start for all
  }
  for (const char* o : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta"})
    EXPECT_TRUE(names.count(o)) << o;
  for (const auto& o : j["functions"][0]["optimizers"]) EXPECT_TRUE(std::isfinite(o["final_f"].get<double>()));
  // The point every path heads for is marked (and named in paths.json); the legend has its own column.
  EXPECT_EQ(j["functions"][1]["target"]["kind"], "minimum");
  EXPECT_EQ(j["functions"][1]["target"]["at"], nlohmann::json::array({1.0, 1.0}));
  EXPECT_EQ(j["functions"][3]["target"]["kind"], "saddle point");
  expect_png(tmp / "demo/rosenbrock.png", 760 + 250, 680);
}

TEST(CliOptimDemo, BadOptionsExit2) {
  EXPECT_EQ(run_gradnet({"optim-demo", "--steps", "0"}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"optim-demo", "--bogus"}).exit_code, 2);
}
