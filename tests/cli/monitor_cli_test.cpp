// End to end: `gradnet train` writes the monitor's files (docs/monitoring.md), TensorBoard's event
// file parses (our reader and, independently, scripts/read_tfevents.py with python3-protobuf), and
// monitor.enabled = false writes none of them.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/train/tfevents.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::vector<nlohmann::json> jsonl(const std::string& path) {
  std::ifstream f(path);
  std::vector<nlohmann::json> out;
  for (std::string l; std::getline(f, l);) out.push_back(nlohmann::json::parse(l));
  return out;
}

std::string event_file(const std::string& run) {
  std::string found;
  for (const auto& e : fs::directory_iterator(run + "/tensorboard")) found = e.path().string();
  return found;
}

}  // namespace

TEST(CliMonitor, RunDirectoryHoldsTheMonitorsFiles) {
  TempDir tmp;
  const std::string dir = find_dataset_dir("mnist");
  ASSERT_FALSE(dir.empty()) << "MNIST not found: run scripts/setup";
  write_file(tmp / "tiny.toml", tiny_mnist_config(dir, "[monitor]\nevery_steps = 5\n"));
  const std::string run = tmp / "run";
  const CliResult r = run_gradnet({"train", tmp / "tiny.toml", "--out", run, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // metrics.jsonl: per-layer ratios and norms, activation statistics.
  const auto metrics = jsonl(run + "/metrics.jsonl");
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_GT(metrics[0]["layers"]["layers.0.weight"]["weight_norm"].get<double>(), 0);
  for (int e = 1; e <= 2; ++e) {
    const auto& m = metrics[static_cast<std::size_t>(e)];
    const double ratio = m["layers"]["layers.0.weight"]["update_ratio"].get<double>();
    EXPECT_GT(ratio, 1e-5) << m.dump();
    EXPECT_LT(ratio, 1e-1) << m.dump();
    EXPECT_GT(m["layers"]["layers.2.weight"]["grad_norm"].get<double>(), 0);
    EXPECT_EQ(m["activations"]["layers.1"]["type"], "tanh");
    EXPECT_GE(m["activations"]["layers.1"]["saturated"].get<double>(), 0.0);
    // "dead" means nothing for tanh: written as null, not dropped.
    ASSERT_TRUE(m["activations"]["layers.1"].contains("dead")) << m.dump();
    EXPECT_TRUE(m["activations"]["layers.1"]["dead"].is_null());
  }
  // steps.jsonl every 5 steps: (2000 - 200) / 64 -> 29 steps per epoch, 58 in all: 5, 10, ..., 55.
  const auto steps = jsonl(run + "/steps.jsonl");
  ASSERT_EQ(steps.size(), 11u);
  EXPECT_EQ(steps[0]["step"], 5);
  EXPECT_EQ(steps.back()["step"], 55);
  EXPECT_TRUE(steps[0]["update_ratio"].contains("layers.0.weight"));
  // histograms.jsonl: the first and the last epoch, weights + grads (4 params) and activations (3 layers).
  const auto hist = jsonl(run + "/histograms.jsonl");
  EXPECT_EQ(hist.size(), 2u * (4 + 4 + 3));
  EXPECT_TRUE(fs::exists(run + "/first_layer.png"));

  const auto events = gradnet::tfevents::read_events(event_file(run));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  std::set<std::string> tags;
  for (const auto& e : events)
    for (const auto& v : e.values) tags.insert(v.tag);
  for (const char* t : {"train/loss", "val/loss", "val/acc", "lr", "update_ratio/layers.0.weight", "grad_norm/layers.2.bias",
                        "weights/layers.0.weight", "first_layer/weights"})
    EXPECT_TRUE(tags.count(t)) << t;

  // The independent check: Google's protobuf runtime, CRCs computed in Python.
  const int rc = std::system(("/usr/bin/python3 " + source_dir() + "/scripts/read_tfevents.py " + run +
                              "/tensorboard > " + (tmp / "check.txt") + " 2>&1").c_str());
  EXPECT_EQ(rc, 0) << read_file(tmp / "check.txt");
}

TEST(CliMonitor, DisabledWritesNoneOfThem) {
  TempDir tmp;
  const std::string dir = find_dataset_dir("mnist");
  ASSERT_FALSE(dir.empty());
  write_file(tmp / "tiny.toml", tiny_mnist_config(dir));
  const std::string run = tmp / "run";
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", run, "-q", "--set", "monitor.enabled=false"}).exit_code, 0);
  for (const char* f : {"steps.jsonl", "histograms.jsonl", "first_layer.png", "tensorboard"})
    EXPECT_FALSE(fs::exists(run + "/" + f)) << f;
  EXPECT_FALSE(jsonl(run + "/metrics.jsonl")[1].contains("layers"));
}
