// Data-parallel training under `mpirun -np 2` (built only with GRADNET_MPI): the result of one
// process up to summation order, the same bytes on every run at the same N, rank 0 alone writing.
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/io/safetensors.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

// `mpirun -np N gradnet ARGS` (as root and with more ranks than cores where the machine needs it).
CliResult run_ranks(int n, const std::vector<std::string>& args) {
  TempDir tmp;
  std::string cmd = "mpirun --oversubscribe --allow-run-as-root -np " + std::to_string(n) + " " + quote(GRADNET_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(tmp / "out") + " 2>" + quote(tmp / "err") + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(tmp / "out");
  r.err = read_file(tmp / "err");
  return r;
}

// The seed MLP, 10 SGD steps of 128 (1,280 training images, one epoch), no shuffle noise between
// runs: the same config for one process and for two.
std::vector<std::string> ten_steps(const std::string& out) {
  return {"train", source_dir() + "/configs/mnist-mlp.toml", "--out", out, "-q", "--epochs", "1",
          "--set", "data.dir=" + mnist_dir(), "--set", "data.train_limit=1280", "--set", "data.validation=0",
          "--set", "data.test_limit=1000", "--set", "train.batch_size=128", "--set", "train.threads=1"};
}

double max_relative_difference(const std::string& a_path, const std::string& b_path) {
  const auto a = gradnet::read_safetensors(a_path), b = gradnet::read_safetensors(b_path);
  double worst = 0;
  for (const auto& t : a.tensors) {
    const auto* u = b.find(t.name);
    EXPECT_NE(u, nullptr) << t.name;
    if (!u) continue;
    const std::vector<float>& x = t.data;
    const std::vector<float>& y = u->data;
    EXPECT_EQ(x.size(), y.size()) << t.name;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
      worst = std::max(worst, std::abs(double(x[i]) - y[i]) / std::max(1e-3, std::abs(double(x[i]))));
  }
  return worst;
}

}  // namespace

TEST(DataParallel, TwoRanksMatchOneProcessAfterTenSgdSteps) {
  TempDir tmp;
  ASSERT_EQ(run_gradnet(ten_steps(tmp / "one")).exit_code, 0);
  CliResult two = run_ranks(2, ten_steps(tmp / "two"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_LT(max_relative_difference(tmp / "one/model.safetensors", tmp / "two/model.safetensors"), 1e-5);
  const auto one = nlohmann::json::parse(read_file(tmp / "one/summary.json"));
  const auto two_summary = nlohmann::json::parse(read_file(tmp / "two/summary.json"));
  EXPECT_NEAR(one["train_loss"].get<double>(), two_summary["train_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(one["train_accuracy"].get<double>(), two_summary["train_accuracy"].get<double>(), 1.5 / 1280);  // an argmax may flip
  // Rank 1 wrote nothing beside rank 0's directory, and left no private directory behind.
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path()))
    EXPECT_EQ(e.path().filename().string().rfind("gradnet-rank1-", 0), std::string::npos) << e.path();
}

TEST(DataParallel, TwoRanksRepeatByteIdentically) {
  TempDir tmp;
  ASSERT_EQ(run_ranks(2, ten_steps(tmp / "a")).exit_code, 0);
  ASSERT_EQ(run_ranks(2, ten_steps(tmp / "b")).exit_code, 0);
  EXPECT_EQ(read_file(tmp / "a/model.safetensors"), read_file(tmp / "b/model.safetensors"));
  // The epoch's training loss and accuracy are the global batch's, summed over the ranks.
  const auto a = nlohmann::json::parse(read_file(tmp / "a/summary.json"));
  const auto b = nlohmann::json::parse(read_file(tmp / "b/summary.json"));
  EXPECT_EQ(a["train_loss"], b["train_loss"]);
  EXPECT_EQ(a["test_accuracy"], b["test_accuracy"]);
}
