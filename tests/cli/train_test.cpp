// End to end: the gradnet binary on real MNIST (a subset where speed matters).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST(CliTrain, WritesRunDirectoryAndJsonSummary) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", tmp / "tiny.toml", "--out", run, "--json", "--report"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = last_json_line(r.out);
  for (const char* key : {"test_accuracy", "val_accuracy", "train_loss", "epochs", "epoch_seconds", "run_dir"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["epochs"], 2);
  EXPECT_EQ(j["epoch_seconds"].size(), 2u);
  EXPECT_GT(j["test_accuracy"].get<double>(), 0.75);
  EXPECT_EQ(j["run_dir"], run);
  for (const char* f : {"config.toml", "metrics.jsonl", "model.safetensors", "normalization.safetensors", "summary.json",
                        "report.html"})
    EXPECT_TRUE(fs::exists(fs::path(run) / f)) << f;
  // Epoch 0 (before any update) + one line per epoch; the initial loss is about ln 10.
  auto lines = lines_of(run + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["epoch"], 0);
  EXPECT_NEAR(first["train_loss"].get<double>(), std::log(10.0), 0.5);
  auto summary = nlohmann::json::parse(read_file(run + "/summary.json"));
  EXPECT_EQ(summary["status"], "ok");
  EXPECT_DOUBLE_EQ(summary["test_accuracy"].get<double>(), j["test_accuracy"].get<double>());
  // Progress and the header go to stderr, not stdout.
  EXPECT_NE(r.err.find("epoch 2/2"), std::string::npos) << r.err;
  // "ran every epoch" is null, in summary.json and --json alike; the build and the clock are recorded.
  EXPECT_TRUE(summary["stopped_early"].is_null()) << summary;
  EXPECT_TRUE(j["stopped_early"].is_null()) << j;
  const std::string version = run_gradnet({"--version"}).out;
  EXPECT_EQ(version.substr(0, version.find('\n')), "gradnet " + summary["gradnet_version"].get<std::string>());
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  const std::string started = summary["started_at"], finished = summary["finished_at"];
  EXPECT_TRUE(std::regex_match(started, iso)) << started;
  EXPECT_TRUE(std::regex_match(finished, iso)) << finished;
  EXPECT_LE(started, finished);
}

// train starts with a short header instead of the resolved config (which is in RUNDIR/config.toml):
// the run, the data, the net layer by layer, the training settings, the keys set.
TEST(CliTrain, StartsWithAShortHeader) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", tmp / "tiny.toml", "--out", run, "--epochs", "1", "--set",
                             "optimizer.momentum=0.9"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> parts = {
      "gradnet: run " + run + "\n",
      "  data: 1800 train, 200 validation, 500 test; 10 classes\n",
      "  net: input [784]\n",
      "layers.0",
      "25120 params",
      "25450 parameters in all",
      "  training: sgd lr 0.1; schedule fixed; batch 64; 1 epoch of 29 steps; seed 7; 1 thread\n",
      "optimizer.momentum = 0.9",
      "train.epochs = 1",
      "full config: " + run + "/config.toml",
      "step 0: train loss"};
  for (const std::string& part : parts)
    EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
  EXPECT_EQ(r.err.find("[checkpoint]"), std::string::npos) << r.err;  // not the whole config
  EXPECT_EQ(r.err.find("tolerance_grad"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("after 1 epoch;"), std::string::npos) << r.out;  // not "1 epochs"
  // The seed config's header is short.
  CliResult seed = run_gradnet({"train", source_dir() + "/configs/mnist-mlp.toml", "--out", tmp / "seed", "--epochs",
                                "1", "--set", "data.dir=" + mnist_dir(), "--set", "data.train_limit=3000", "--set",
                                "data.validation=500", "--set", "data.test_limit=500"});
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  const std::string header = seed.err.substr(0, seed.err.find("epoch 1/1"));
  EXPECT_LT(std::count(header.begin(), header.end(), '\n'), 40) << header;
  EXPECT_NE(header.find("sigmoid"), std::string::npos) << header;
  EXPECT_NE(header.find("data.train_limit = 3000"), std::string::npos) << header;
  EXPECT_EQ(header.find("train.batch_size"), std::string::npos) << header;  // 128 is the default
  // -q still hides it.
  CliResult quiet = run_gradnet({"train", tmp / "tiny.toml", "--out", tmp / "quiet", "--epochs", "1", "-q"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("gradnet: run"), std::string::npos) << quiet.err;  // warnings are still shown
  EXPECT_EQ(quiet.err.find("net: input"), std::string::npos) << quiet.err;
}

// --set paths are relative to the current directory; paths in the file to the file's folder.
// The run directory's config.toml holds them absolute: eval and resume work from anywhere.
TEST(CliTrain, SetPathsAreRelativeToTheCurrentDirectory) {
  TempDir tmp;
  fs::create_directory(tmp / "cfg");
  fs::create_directory_symlink(mnist_dir(), tmp / "mnist-here");
  write_file(tmp / "cfg/c.toml", tiny_mnist_config(""));
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", "cfg/c.toml", "--out", run, "-q", "--epochs", "1", "--set", "data.dir=mnist-here"},
                            tmp.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(run + "/config.toml").find("dir = \"" + (tmp / "mnist-here") + "\""), std::string::npos);
  EXPECT_EQ(run_gradnet({"eval", run, "--json"}).exit_code, 0);  // from the tests' own directory
  EXPECT_EQ(run_gradnet({"train", "--resume", run, "-q", "--epochs", "2"}).exit_code, 0);
  // Not there: the path is named once, as resolved.
  CliResult missing = run_gradnet({"train", "cfg/c.toml", "--out", tmp / "x", "--set", "data.dir=nope"},
                                  tmp.path().string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("data.dir: " + (tmp / "nope") + " is not a directory"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.err.find("nope"), missing.err.rfind("nope")) << missing.err;
  // In the file, a relative dir is the file's folder's, and the message says so.
  write_file(tmp / "cfg/in-file.toml", tiny_mnist_config("nope"));
  CliResult in_file = run_gradnet({"train", "cfg/in-file.toml", "--out", tmp / "y"}, tmp.path().string());
  EXPECT_EQ(in_file.exit_code, 2);
  EXPECT_NE(in_file.err.find("data.dir: cfg/nope is not a directory (data.dir = 'nope' resolved against the config "
                             "file's folder, cfg)"), std::string::npos) << in_file.err;
}

TEST(CliTrain, SameSeedAndThreadsGiveIdenticalModelBytes) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  for (const char* threads : {"1", "2"}) {
    const std::string a = tmp / (std::string("a") + threads), b = tmp / (std::string("b") + threads);
    ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", a, "-q", "--set", std::string("train.threads=") + threads}).exit_code, 0);
    ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", b, "-q", "--set", std::string("train.threads=") + threads}).exit_code, 0);
    const std::string ma = read_file(a + "/model.safetensors"), mb = read_file(b + "/model.safetensors");
    EXPECT_GT(ma.size(), 1000u);
    EXPECT_EQ(ma, mb) << "threads=" << threads;
  }
  // A different seed gives a different model (the comparison above can fail).
  const std::string c = tmp / "c";
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", c, "-q", "--set", "train.seed=8", "--set", "train.threads=1"}).exit_code, 0);
  EXPECT_NE(read_file(c + "/model.safetensors"), read_file(tmp / "a1" + std::string("/model.safetensors")));
}

TEST(CliTrain, EvalReproducesTheTestAccuracyOfTraining) {
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist_dir()));
  const std::string run = tmp / "run";
  CliResult t = run_gradnet({"train", tmp / "tiny.toml", "--out", run, "--json", "-q"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  CliResult e = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto je = last_json_line(e.out);
  EXPECT_DOUBLE_EQ(je["accuracy"].get<double>(), last_json_line(t.out)["test_accuracy"].get<double>());
  EXPECT_EQ(je["examples"], 500);
  CliResult v = run_gradnet({"eval", run + "/model.safetensors", "--split", "val", "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(last_json_line(v.out)["examples"], 200);
}

TEST(CliTrain, SeedNetworkReachesTheBarOnFullMnist) {
  // The seed config as shipped: 10 epochs on all 55,000 training images (a few seconds).
  TempDir tmp;
  CliResult r = run_gradnet({"train", source_dir() + "/configs/mnist-mlp.toml", "--out", tmp / "run", "--json", "-q",
                             "--set", "data.dir=" + mnist_dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(last_json_line(r.out)["test_accuracy"].get<double>(), 0.96);
}

TEST(CliTrain, IrisCsvExampleTrains) {
  TempDir tmp;
  const std::string small = find_dataset_dir("small");
  ASSERT_FALSE(small.empty()) << "data/small not found: run scripts/setup";
  CliResult r = run_gradnet({"train", source_dir() + "/configs/iris-mlp.toml", "--out", tmp / "run", "--json", "-q",
                             "--set", "data.path=" + small + "/iris.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(last_json_line(r.out)["test_accuracy"].get<double>(), 0.85);
}

// A batch-size schedule changes the steps per epoch (1800 examples: 29 steps at batch 64, then 15
// at 128); a step-unit cosine with t_max = 0 must span all 44, so the last update's lr is
// lr·(1 + cos(π·43/44))/2 (it used 2 × 29 = 58 steps).
TEST(CliTrain, StepScheduleSpansTheBatchSizeSchedule) {
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(mnist_dir(), "batch_size_milestones = [1]\nbatch_sizes = [128]\n"
                                                            "[schedule]\npolicy = \"cosine\"\nunit = \"step\"\n"));
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", run, "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(run + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  auto last = nlohmann::json::parse(lines.back());
  EXPECT_EQ(last["step"], 44);
  const double pi = 3.14159265358979323846;
  EXPECT_NEAR(last["lr"].get<double>(), 0.1 * (1.0 + std::cos(pi * 43.0 / 44.0)) / 2.0, 1e-12);
}

// --profile: every layer's forward and backward, the optimizer, data, callbacks and evaluation,
// as a table on stderr, profile.json in the run directory and "profile" in --json; the parts add
// up to no more than the run.
TEST(CliTrain, ProfileTimesEveryPart) {
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(mnist_dir()));
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", run, "-q", "--json", "--profile"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json p = last_json_line(r.out)["profile"];
  ASSERT_TRUE(p.is_object()) << r.out;
  EXPECT_EQ(p, nlohmann::json::parse(read_file(run + "/profile.json")));
  EXPECT_EQ(p["steps"], 2 * 29);
  ASSERT_EQ(p["layers"].size(), 3u);  // linear, tanh, linear
  EXPECT_EQ(p["layers"][0]["layer"], "layers.0 (linear)");
  double parts = p["data"].get<double>() + p["optimizer_update"].get<double>() + p["evaluation"].get<double>() +
                 p["loss_forward"].get<double>() + p["loss_backward"].get<double>() + p["zero_grad"].get<double>();
  for (const auto& l : p["layers"]) {
    EXPECT_GT(l["forward"].get<double>(), 0.0) << l;
    EXPECT_GT(l["backward"].get<double>(), 0.0) << l;
    parts += l["forward"].get<double>() + l["backward"].get<double>();
  }
  for (const char* cb : {"monitor", "checkpoints", "divergence guard"}) EXPECT_TRUE(p["callbacks"].contains(cb)) << cb;
  for (const auto& [name, seconds] : p["callbacks"].items()) parts += seconds.get<double>();
  EXPECT_GT(p["optimizer_update"].get<double>(), 0.0);
  EXPECT_EQ(p["optimizer"], "sgd");
  EXPECT_LE(parts, p["total_seconds"].get<double>());
  EXPECT_NE(r.err.find("layers.0 (linear) backward"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("optimizer update (sgd)"), std::string::npos) << r.err;
  // Without --profile nothing is timed or written.
  const std::string plain = tmp / "plain";
  CliResult q = run_gradnet({"train", tmp / "c.toml", "--out", plain, "-q", "--json"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_FALSE(last_json_line(q.out).contains("profile"));  // the --json line is unchanged without --profile
  EXPECT_FALSE(fs::exists(plain + "/profile.json"));
  EXPECT_EQ(read_file(run + "/model.safetensors"), read_file(plain + "/model.safetensors"));  // timing changes nothing
}

TEST(CliHelp, EveryCommandHasHelp) {
  for (const char* cmd : {"train", "eval", "predict", "gradcheck"}) {
    CliResult r = run_gradnet({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << cmd << ": " << r.out;
  }
  CliResult r = run_gradnet({});
  EXPECT_EQ(r.exit_code, 2);
}
