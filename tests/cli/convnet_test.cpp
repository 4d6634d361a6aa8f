// A conv net with batch norm and dropout through the binary: a saved model reloads to identical
// predictions (the running statistics travel with the weights), runs are bit-identical per seed and
// thread count, and a resumed run equals an uninterrupted one.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string tiny_convnet_config() {
  std::string cfg = tiny_mnist_config(mnist_dir());
  cfg.replace(cfg.find("input = [784]"), 13, "input = [1, 28, 28]");
  const std::string first = "{ type = \"linear\", out = 32, init = \"xavier_uniform\" }";
  cfg.replace(cfg.find(first), first.size(),
              "{ type = \"conv2d\", out = 4, kernel = 3, padding = 1, bias = false },\n"
              "  { type = \"batch_norm\" },\n"
              "  { type = \"relu\" },\n"
              "  { type = \"max_pool2d\", kernel = 2 },\n"
              "  { type = \"conv2d\", out = 8, kernel = 3, stride = 2 },\n"
              "  { type = \"relu\" },\n"
              "  { type = \"flatten\" },\n"
              "  { type = \"dropout\", rate = 0.25 },\n"
              "  { type = \"linear\", out = 32 },\n"
              "  { type = \"batch_norm\" }");
  cfg.replace(cfg.find("train_limit = 2000"), 18, "train_limit = 1200");
  return cfg;
}

}  // namespace

TEST(CliConvNet, ReloadedModelGivesTheTrainingRunsPredictions) {
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_convnet_config());
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json trained = last_json_line(r.out);
  EXPECT_GT(trained["test_accuracy"].get<double>(), 0.6);

  // The running statistics are in the model file under PyTorch's names.
  const std::string model = read_file(tmp / "run/model.safetensors");
  for (const char* name : {"layers.1.running_mean", "layers.1.running_var", "layers.9.running_var", "layers.0.weight"})
    EXPECT_NE(model.find(name), std::string::npos) << name;

  // eval reloads model.safetensors into a fresh net: the same test loss and accuracy, to the bit.
  CliResult e = run_gradnet({"eval", tmp / "run", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json ev = last_json_line(e.out);
  EXPECT_EQ(ev["accuracy"].get<double>(), trained["test_accuracy"].get<double>());
  EXPECT_EQ(ev["loss"].get<double>(), trained["test_loss"].get<double>());

  // predict twice: identical probabilities (eval mode: no dropout, running statistics).
  const std::string images = mnist_dir() + "/t10k-images-idx3-ubyte.gz";
  CliResult p1 = run_gradnet({"predict", tmp / "run", images, "--json"});
  CliResult p2 = run_gradnet({"predict", tmp / "run", images, "--json"});
  ASSERT_EQ(p1.exit_code, 0) << p1.err;
  EXPECT_EQ(last_json_line(p1.out), last_json_line(p2.out));
}

TEST(CliConvNet, SameSeedAndThreadsGiveIdenticalModelsAndResumeIsExact) {
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_convnet_config());
  for (const char* run : {"a", "b"})
    ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / run, "-q", "--set", "train.threads=2"}).exit_code, 0);
  EXPECT_EQ(read_file(tmp / "a/model.safetensors"), read_file(tmp / "b/model.safetensors"));

  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "short", "-q", "--epochs", "1", "--set",
                         "train.threads=2"})
                .exit_code,
            0);
  CliResult r = run_gradnet({"train", "--resume", tmp / "short", "-q", "--epochs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(tmp / "short/model.safetensors"), read_file(tmp / "a/model.safetensors"));
}
