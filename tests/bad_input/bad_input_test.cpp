// Bad input through the binary: each gives "gradnet: error: ..." naming the file, key or index,
// exit 2 (1 for a failure while running), and leaves no run directory passed off as complete.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

// A directory of MNIST-named IDX files: 100 train, 20 test images of rows x cols.
struct FakeMnist {
  TempDir dir;
  FakeMnist(std::uint32_t rows = 28, std::uint32_t cols = 28) {
    std::vector<std::uint8_t> train_labels(100), test_labels(20);
    for (std::size_t i = 0; i < train_labels.size(); ++i) train_labels[i] = i % 10;
    for (std::size_t i = 0; i < test_labels.size(); ++i) test_labels[i] = i % 10;
    write_gzip(dir / "train-images-idx3-ubyte.gz", idx_images(100, rows, cols));
    write_gzip(dir / "train-labels-idx1-ubyte.gz", idx_labels(train_labels));
    write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_images(20, rows, cols));
    write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(test_labels));
  }
  std::string path() const { return dir.path().string(); }
};

// Runs `gradnet train` on config text; checks the exit code, "gradnet: error:" and that no run
// directory was left behind.
CliResult train_fails(const std::string& config, int expected_exit, const std::vector<std::string>& extra = {}) {
  TempDir tmp;
  write_file(tmp / "c.toml", config);
  // The fakes hold 100 training images: hold out 10, not the tiny config's 200.
  std::vector<std::string> args = {"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--set", "data.validation=10"};
  args.insert(args.end(), extra.begin(), extra.end());
  CliResult r = run_gradnet(args);
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  EXPECT_NE(r.err.find("gradnet: error: "), std::string::npos) << r.err;
  if (expected_exit == 2) EXPECT_FALSE(fs::exists(tmp / "run")) << "a run directory was left behind";
  return r;
}

void expect_mentions(const CliResult& r, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "missing '" << p << "' in: " << r.err;
}

}  // namespace

TEST(BadInput, SyntheticMnistTrainsFine) {  // the control: the fakes below differ in one thing
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(data.path(), ""));
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--set", "data.validation=10",
                             "--set", "data.train_limit=0", "--set", "data.test_limit=0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(BadInput, TruncatedIdx) {
  FakeMnist data;
  std::string bytes = idx_images(100, 28, 28);
  write_gzip(data.dir / "train-images-idx3-ubyte.gz", bytes.substr(0, bytes.size() - 100));
  auto r = train_fails(tiny_mnist_config(data.path()), 2, {"--set", "data.train_limit=0"});
  expect_mentions(r, {"train-images-idx3-ubyte.gz", "100"});
}

TEST(BadInput, WrongMagic) {
  FakeMnist data;
  std::string bytes = idx_images(100, 28, 28);
  bytes[3] = 0x01;  // 0x00000801 is the labels' magic
  write_gzip(data.dir / "train-images-idx3-ubyte.gz", bytes);
  auto r = train_fails(tiny_mnist_config(data.path()), 2);
  expect_mentions(r, {"train-images-idx3-ubyte.gz", "magic"});
}

TEST(BadInput, ImageLabelCountMismatch) {
  FakeMnist data;
  write_gzip(data.dir / "train-labels-idx1-ubyte.gz", idx_labels(std::vector<std::uint8_t>(99, 1)));
  auto r = train_fails(tiny_mnist_config(data.path()), 2);
  expect_mentions(r, {"99", "100"});
}

TEST(BadInput, LabelOutOfRange) {
  FakeMnist data;
  std::vector<std::uint8_t> labels(100, 3);
  labels[42] = 12;
  write_gzip(data.dir / "train-labels-idx1-ubyte.gz", idx_labels(labels));
  auto r = train_fails(tiny_mnist_config(data.path()), 2);
  expect_mentions(r, {"train-labels-idx1-ubyte.gz", "12", "42"});
}

TEST(BadInput, MissingDatasetDirectory) {
  auto r = train_fails(tiny_mnist_config("/nonexistent/gradnet-data"), 2);
  expect_mentions(r, {"/nonexistent/gradnet-data"});
}

TEST(BadInput, MalformedToml) {
  auto r = train_fails("name = \"x\"\n[data\ndataset = \"mnist\"\n", 2);
  expect_mentions(r, {"c.toml", "line 2"});
}

TEST(BadInput, UnknownKeyWithDidYouMean) {
  FakeMnist data;
  auto r = train_fails(tiny_mnist_config(data.path(), "[schedule]\npolicy = \"fixed\"\ngama = 0.5\n"), 2);
  expect_mentions(r, {"c.toml", "gama", "did you mean 'gamma'"});
}

TEST(BadInput, WrongValueType) {
  FakeMnist data;
  std::string cfg = tiny_mnist_config(data.path());
  cfg.replace(cfg.find("lr = 0.1"), 8, "lr = \"fast\"");
  auto r = train_fails(cfg, 2);
  expect_mentions(r, {"c.toml", "optimizer.lr", "number"});
}

TEST(BadInput, UnknownLayerType) {
  FakeMnist data;
  std::string cfg = tiny_mnist_config(data.path());
  cfg.replace(cfg.find("\"tanh\""), 6, "\"tahn\"");
  auto r = train_fails(cfg, 2);
  expect_mentions(r, {"c.toml", "tahn", "did you mean 'tanh'"});
}

TEST(BadInput, ShapeMismatch) {
  FakeMnist data(64, 48);  // 3072 features per example, the model takes 784
  auto r = train_fails(tiny_mnist_config(data.path()), 2);
  expect_mentions(r, {"784", "3072"});
}

TEST(BadInput, SetOfAKeyThatDoesNotExist) {
  FakeMnist data;
  auto r = train_fails(tiny_mnist_config(data.path()), 2, {"--set", "optimizer.lrr=0.5"});
  expect_mentions(r, {"optimizer.lrr", "did you mean"});
}

TEST(BadInput, OutputDirectoryOfAnEarlierRunIsNotOverwritten) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(data.path()));
  fs::create_directories(tmp / "run");
  write_file(tmp / "run/model.safetensors", "earlier results");
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--set", "data.validation=10"});
  EXPECT_EQ(r.exit_code, 2);
  expect_mentions(r, {"not empty"});
  EXPECT_EQ(read_file(tmp / "run/model.safetensors"), "earlier results");
}

TEST(BadInput, DivergingLearningRateStopsWithExit1AndKeepsMetrics) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(data.path()));
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--set", "optimizer.lr=1e30",
                             "--set", "data.validation=10", "--set", "model.loss=\"mse\""});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_mentions(r, {"gradnet: error: ", "step", "optimizer.lr"});
  EXPECT_TRUE(fs::exists(tmp / "run/metrics.jsonl"));
  EXPECT_FALSE(fs::exists(tmp / "run/model.safetensors"));
  auto summary = nlohmann::json::parse(read_file(tmp / "run/summary.json"));
  EXPECT_EQ(summary["status"], "failed");
}

TEST(BadInput, EvalOfSomethingThatIsNotARun) {
  TempDir tmp;
  CliResult r = run_gradnet({"eval", tmp.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  expect_mentions(r, {"gradnet: error: ", "config.toml"});
  write_file(tmp / "config.toml", "name = \"x\"\n");
  write_file(tmp / "model.safetensors", "garbage");
  r = run_gradnet({"eval", tmp / "model.safetensors"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(BadInput, UnknownCommandAndMissingArgument) {
  EXPECT_EQ(run_gradnet({"trian"}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"train"}).exit_code, 2);
}

TEST(BadInput, WrongOptimizerAndScheduleOptions) {
  FakeMnist data;
  const std::string cfg = tiny_mnist_config(data.path());
  struct Case {
    std::vector<std::string> sets;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {{"optimizer.lr=-0.1"}, {"optimizer.lr", "-0.1", "> 0"}},
      {{"optimizer.type=adam", "optimizer.betas=[0.9, 1.0]"}, {"optimizer.betas"}},
      {{"schedule.policy=cosine_restart"}, {"schedule.policy", "did you mean 'cosine_restarts'"}},
      {{"schedule.policy=multistep", "schedule.milestones=[5, 3]"}, {"schedule.milestones"}},
      {{"optimizer.type=adamm"}, {"optimizer.type", "did you mean 'adam'"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> extra;
    for (const auto& s : c.sets) {
      extra.push_back("--set");
      extra.push_back(s);
    }
    auto r = train_fails(cfg, 2, extra);
    expect_mentions(r, c.mentions);
  }
}
