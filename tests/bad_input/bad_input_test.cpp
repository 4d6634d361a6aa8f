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

TEST(BadInput, AugmentationOnANonImageInputOrWithABadProbability) {
  FakeMnist data;
  auto r = train_fails(tiny_mnist_config(data.path(), "[augment]\nhflip = 0.5\n"), 2);
  expect_mentions(r, {"c.toml", "augment.hflip = 0.5", "model.input = [784]", "[C, H, W]"});
  r = train_fails(tiny_mnist_config(data.path(), "[augment]\nhflip = 2\n"), 2, {"--set", "model.input=[1, 28, 28]"});
  expect_mentions(r, {"c.toml", "augment.hflip = 2", "[0, 1]"});
  r = train_fails(tiny_mnist_config(data.path(), "[augment]\ncrop_pading = 4\n"), 2);
  expect_mentions(r, {"augment.crop_pading", "did you mean 'crop_padding'"});
}

namespace {

// A CIFAR-10 directory of synthetic batches: data_batch_1..5 of 20 records each, test_batch of
// 10, gzipped; labels cycle 0..9, pixels vary.
std::string cifar_records(int count, int seed) {
  std::string s;
  for (int i = 0; i < count; ++i) {
    s.push_back(static_cast<char>(i % 10));
    for (int p = 0; p < 3072; ++p) s.push_back(static_cast<char>((p * 7 + i * 13 + seed * 31 + (i % 10) * 40) & 0xff));
  }
  return s;
}

struct FakeCifar {
  TempDir dir;
  FakeCifar() {
    for (int f = 1; f <= 5; ++f) write_gzip(dir / ("data_batch_" + std::to_string(f) + ".bin.gz"), cifar_records(20, f));
    write_gzip(dir / "test_batch.bin.gz", cifar_records(10, 9));
  }
  std::string path() const { return dir.path().string(); }
};

std::string tiny_cifar_config(const std::string& dir, const std::string& extra_data = "") {
  return "name = \"tiny-cifar\"\n[data]\ndataset = \"cifar10\"\ndir = \"" + dir + "\"\nvalidation = 10\n" + extra_data +
         "[model]\ninput = [3072]\nlayers = [{ type = \"linear\", out = 10 }]\n"
         "[optimizer]\nlr = 0.01\n[train]\nepochs = 1\nbatch_size = 25\nthreads = 1\n";
}

}  // namespace

TEST(BadInput, SyntheticCifarTrainsFine) {  // the control for the CIFAR cases below
  FakeCifar data;
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_cifar_config(data.path()));
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(BadInput, CifarTruncatedRecord) {
  FakeCifar data;
  const std::string bytes = cifar_records(20, 3);
  write_gzip(data.dir / "data_batch_3.bin.gz", bytes.substr(0, bytes.size() - 1000));
  auto r = train_fails(tiny_cifar_config(data.path()), 2);
  expect_mentions(r, {"data_batch_3.bin.gz", "record 19 has only 2073 bytes"});
}

TEST(BadInput, CifarLabelOutOfRange) {
  FakeCifar data;
  std::string bytes = cifar_records(10, 9);
  bytes[7 * 3073] = 11;
  write_gzip(data.dir / "test_batch.bin.gz", bytes);
  auto r = train_fails(tiny_cifar_config(data.path()), 2);
  expect_mentions(r, {"test_batch.bin.gz", "record 7: label 11 is out of range 0..9"});
}

TEST(BadInput, CifarMissingBatchAndCorruptGzip) {
  FakeCifar data;
  fs::remove(data.dir / "data_batch_5.bin.gz");
  auto r = train_fails(tiny_cifar_config(data.path()), 2);
  expect_mentions(r, {"no data_batch_5.bin or data_batch_5.bin.gz"});
  write_file(data.dir / "data_batch_5.bin.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", 18));
  r = train_fails(tiny_cifar_config(data.path()), 2);
  expect_mentions(r, {"data_batch_5.bin.gz", "record 0"});
}

TEST(BadInput, PcaComponentsMustMatchModelInput) {
  FakeCifar data;
  auto r = train_fails(tiny_cifar_config(data.path(), "normalize = \"pca\"\npca_components = 20\n"), 2);
  expect_mentions(r, {"c.toml", "model.input = [3072]", "data.pca_components = 20", "[20]"});
  r = train_fails(tiny_cifar_config(data.path(), "normalize = \"zca\"\npca_components = 20\n"), 2,
                  {"--set", "model.input=[20]"});
  expect_mentions(r, {"data.pca_components = 20", "pca"});
}

// Conv nets: the per-example image shape comes from model.input; a conv layer on a flat input, a
// kernel wider than its (padded) input, or an image shape that is not the data's are exit 2.
namespace {
std::string conv_config(const std::string& data_dir, const std::string& input, const std::string& conv) {
  std::string cfg = tiny_mnist_config(data_dir);
  cfg.replace(cfg.find("input = [784]"), 13, "input = " + input);
  const std::string first = "{ type = \"linear\", out = 32, init = \"xavier_uniform\" }";
  cfg.replace(cfg.find(first), first.size(), conv + ",\n  { type = \"relu\" },\n  { type = \"flatten\" }");
  return cfg;
}
}  // namespace

TEST(BadInput, ConvNetOnSyntheticMnistTrainsFine) {  // the control for the conv cases below
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", conv_config(data.path(), "[1, 28, 28]", "{ type = \"conv2d\", out = 2, kernel = 3 }"));
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--set", "data.validation=10"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(BadInput, ConvOnAFlatInput) {
  FakeMnist data;
  auto r = train_fails(conv_config(data.path(), "[784]", "{ type = \"conv2d\", out = 2, kernel = 3 }"), 2);
  expect_mentions(r, {"layers.0 (conv2d)", "[784]", "[C, H, W]"});
}

TEST(BadInput, KernelLargerThanItsInput) {
  FakeMnist data;
  auto r = train_fails(conv_config(data.path(), "[1, 28, 28]", "{ type = \"conv2d\", out = 2, kernel = 31 }"), 2);
  expect_mentions(r, {"layers.0 (conv2d)", "kernel 31", "larger than its input", "[1, 28, 28]"});
  auto pool = train_fails(conv_config(data.path(), "[1, 28, 28]",
                                      "{ type = \"conv2d\", out = 2, kernel = 3, stride = 2 },\n"
                                      "  { type = \"max_pool2d\", kernel = 16 }"),
                          2);
  expect_mentions(pool, {"layers.1 (max_pool2d)", "kernel 16", "[2, 13, 13]"});
}

TEST(BadInput, ConvAlgorithmThatDoesNotFit) {
  FakeMnist data;  // Winograd needs channels in and out that divide by 16: one input channel does not
  auto r = train_fails(
      conv_config(data.path(), "[1, 28, 28]", "{ type = \"conv2d\", out = 16, kernel = 3, algorithm = \"winograd\" }"),
      2);
  expect_mentions(r, {"layers.0 (conv2d)", "algorithm = \"winograd\"", "1 -> 16 channels", "\"auto\""});
  auto unknown = train_fails(
      conv_config(data.path(), "[1, 28, 28]", "{ type = \"conv2d\", out = 2, kernel = 3, algorithm = \"fft\" }"), 2);
  expect_mentions(unknown, {"algorithm", "fft", "winograd"});
}

TEST(BadInput, Bf16ConvolutionWhereTheCpuHasNone) {
  FakeMnist data;  // GRADNET_NO_BF16 makes gradnet see a CPU without AVX512-BF16
  ::setenv("GRADNET_NO_BF16", "1", 1);
  auto r = train_fails(
      conv_config(data.path(), "[1, 28, 28]", "{ type = \"conv2d\", out = 16, kernel = 3, algorithm = \"bf16\" }"), 2);
  ::unsetenv("GRADNET_NO_BF16");
  expect_mentions(r, {"layers.0 (conv2d)", "algorithm = \"bf16\"", "AVX512-BF16", "\"auto\""});
}

TEST(BadInput, ImageShapeThatIsNotTheDatas) {
  FakeMnist data;  // 28x28 images: 784 values each
  auto r = train_fails(conv_config(data.path(), "[3, 28, 28]", "{ type = \"conv2d\", out = 2, kernel = 3 }"), 2);
  expect_mentions(r, {"model.input", "[3, 28, 28]"});
}

TEST(BadInput, ImageShapeInAnotherOrder) {
  FakeMnist data;  // [1, 28, 28]; [28, 28, 1] has as many values but would be read scrambled
  auto r = train_fails(conv_config(data.path(), "[28, 28, 1]", "{ type = \"conv2d\", out = 2, kernel = 1 }"), 2);
  expect_mentions(r, {"model.input = [28, 28, 1]", "[1, 28, 28]", "channels first"});
}
