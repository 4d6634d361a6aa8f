// Checkpoints, resume, signals, early stopping and the divergence guard, through the binary.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/io/safetensors.h"
#include "gradnet/threads.h"
#include "test_support.h"

extern char** environ;
namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

// 6 epochs on 20,000 images: long enough (a few tenths of a second per epoch) to be interrupted.
std::string long_config() {
  return tiny_mnist_config(mnist_dir(), "[checkpoint]\nevery_steps = 40\nkeep_last = 3\n") ;
}

std::vector<std::string> train_args(const std::string& cfg, const std::string& out) {
  return {"train", cfg, "--out", out, "-q", "--epochs", "6", "--set", "data.train_limit=20000"};
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<std::string> all = {GRADNET_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, all[0].c_str(), &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::size_t metric_lines(const std::string& run) {
  std::ifstream f(run + "/metrics.jsonl");
  std::size_t n = 0;
  for (std::string l; std::getline(f, l);) n += !l.empty();
  return n;
}

}  // namespace

TEST(Resume, SigintThenResumeEndsBitIdenticalToAnUninterruptedRun) {
  TempDir tmp;
  write_file(tmp / "c.toml", long_config());
  ASSERT_EQ(run_gradnet(train_args(tmp / "c.toml", tmp / "ref")).exit_code, 0);

  const std::string run = tmp / "interrupted";
  pid_t pid = spawn(train_args(tmp / "c.toml", run));
  // Interrupt once the first epoch is logged (mid-run, whatever the machine's speed).
  for (int i = 0; i < 20000 && metric_lines(run) < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kill(pid, SIGINT);
  const int code = wait_exit(pid);
  ASSERT_TRUE(code == 130 || code == 0) << code;
  if (code == 130) {
    auto summary = nlohmann::json::parse(read_file(run + "/summary.json"));
    EXPECT_EQ(summary["status"], "interrupted");
    EXPECT_FALSE(fs::exists(run + "/model.safetensors"));
    CliResult r = run_gradnet({"train", "--resume", run, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  } else {
    ADD_FAILURE() << "the run finished before SIGINT arrived; resume was not exercised";
  }
  EXPECT_EQ(read_file(run + "/model.safetensors"), read_file(tmp / "ref/model.safetensors"));
  EXPECT_EQ(metric_lines(run), 7u);  // epoch 0..6, none twice
}

TEST(Resume, SigkillAtRandomMomentsNeverLeavesACorruptCheckpoint) {
  TempDir tmp;
  write_file(tmp / "c.toml", long_config());
  ASSERT_EQ(run_gradnet(train_args(tmp / "c.toml", tmp / "ref")).exit_code, 0);
  const std::string reference = read_file(tmp / "ref/model.safetensors");
  std::mt19937 gen(12345);
  for (int round = 0; round < 4; ++round) {
    const std::string run = tmp / ("killed" + std::to_string(round));
    pid_t pid = spawn(train_args(tmp / "c.toml", run));
    for (int i = 0; i < 20000 && !fs::exists(run + "/checkpoints"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(gen)));
    kill(pid, SIGKILL);
    wait_exit(pid);
    // Every file under a checkpoint's name parses completely.
    for (const auto& e : fs::directory_iterator(run + "/checkpoints")) {
      const std::string name = e.path().filename().string();
      if (name[0] == '.') continue;  // a temp file of the killed writer: never read
      EXPECT_NO_THROW(gradnet::read_safetensors(e.path().string())) << name;
    }
    if (fs::exists(run + "/model.safetensors")) continue;  // it finished before the kill
    bool any_step = false;
    for (const auto& e : fs::directory_iterator(run + "/checkpoints"))
      any_step = any_step || e.path().filename().string().rfind("step-", 0) == 0;
    if (!any_step) {  // killed before the step-0 checkpoint landed: nothing to resume, said clearly
      CliResult none = run_gradnet({"train", "--resume", run, "-q"});
      EXPECT_EQ(none.exit_code, 2);
      EXPECT_NE(none.err.find("no checkpoints"), std::string::npos) << none.err;
      continue;
    }
    CliResult r = run_gradnet({"train", "--resume", run, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(run + "/model.safetensors"), reference) << "round " << round;
  }
}

// Ctrl-C lands at any moment of a step: inside a small GEMM of oneDNN's JIT code, between
// layers, while a checkpoint is written. Each time the run checkpoints and exits 130; before the
// signals went to one sigwait thread, 4 runs in 5 here died of heap corruption (exit 134/139).
TEST(Resume, SigintAtRandomMomentsOfSmallBatchStepsAlwaysStopsCleanly) {
  TempDir tmp;
  std::mt19937 gen(2026);
  int interrupted = 0;
  for (int round = 0; round < 12; ++round) {
    const std::string run = tmp / ("run" + std::to_string(round));
    pid_t pid = spawn({"train", source_dir() + "/configs/mnist-mlp.toml", "--out", run, "-q", "--epochs", "4",
                       "--set", "data.dir=" + mnist_dir(), "--set", "train.batch_size=16", "--set",
                       "train.threads=1"});
    for (int i = 0; i < 20000 && metric_lines(run) < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 800)(gen)));
    kill(pid, SIGINT);
    const int code = wait_exit(pid);
    ASSERT_TRUE(code == 130 || code == 0) << "round " << round << ": exit " << code;
    if (code != 130) continue;  // it finished first: nothing to check
    ++interrupted;
    auto summary = nlohmann::json::parse(read_file(run + "/summary.json"));
    EXPECT_EQ(summary["status"], "interrupted") << "round " << round;
  }
  EXPECT_GE(interrupted, 6) << "most rounds finished before SIGINT arrived; the interrupt was not exercised";
}

TEST(Resume, ExtendingAFinishedRunEqualsTrainingLongerFromTheStart) {
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(mnist_dir()));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "long", "-q", "--epochs", "4"}).exit_code, 0);
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "short", "-q", "--epochs", "2"}).exit_code, 0);
  const std::string short_run = tmp / "short";
  CliResult r = run_gradnet({"train", "--resume", short_run, "--epochs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(tmp / "short/model.safetensors"), read_file(tmp / "long/model.safetensors"));
  // It says what it continues, and logs no step 0 (that was the first run's).
  EXPECT_NE(r.err.find("gradnet: resuming " + short_run + " from checkpoint " + short_run +
                       "/checkpoints/step-00000058.safetensors at epoch 2, step 58; training to epoch 4\n"),
            std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("step 0"), std::string::npos) << r.err;
  EXPECT_EQ(run_gradnet({"train", "--resume", tmp / "nothing-here", "-q"}).exit_code, 2);
  EXPECT_EQ(run_gradnet({"train", "--resume", tmp / "short", "--set", "optimizer.lr=1"}).exit_code, 2);
}

// Thread shards (train.thread_shards, docs/training.md): a net large enough to split its rows over
// two threads, with dropout (one stream per shard), resumes to the bytes of an uninterrupted run.
TEST(Resume, ThreadShardsResumeByteIdentically) {
  TempDir tmp;
  std::string cfg = tiny_mnist_config(mnist_dir());
  const std::string hidden = "{ type = \"linear\", out = 32, init = \"xavier_uniform\" },\n  { type = \"tanh\" },";
  ASSERT_NE(cfg.find(hidden), std::string::npos);
  cfg.replace(cfg.find(hidden), hidden.size(),
              "{ type = \"linear\", out = 512, init = \"xavier_uniform\" },\n  { type = \"tanh\" },\n"
              "  { type = \"dropout\", rate = 0.2 },");
  cfg.replace(cfg.find("threads = 1"), 11, "threads = 2");
  write_file(tmp / "c.toml", cfg);
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "long", "-q", "--epochs", "3"}).exit_code, 0);
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "short", "-q", "--epochs", "1"}).exit_code, 0);
  const CliResult r = run_gradnet({"train", "--resume", tmp / "short", "--epochs", "3", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(tmp / "short/model.safetensors"), read_file(tmp / "long/model.safetensors"));
  // The split was taken: without it the last bits differ.
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "whole", "-q", "--epochs", "3", "--set",
                         "train.thread_shards=false"}).exit_code, 0);
  ASSERT_EQ(gradnet::thread_count(2), 2) << "needs two cores: the split is what is tested";
  EXPECT_NE(read_file(tmp / "whole/model.safetensors"), read_file(tmp / "long/model.safetensors"));
}

// A finished run asked for as many epochs as it has, or fewer, has nothing to do: exit 2 with a
// message, and the run directory is left as it was (config.toml keeps its epochs).
TEST(Resume, AFinishedRunSaysThereIsNothingToDo) {
  TempDir tmp;
  write_file(tmp / "c.toml", tiny_mnist_config(mnist_dir()));
  const std::string run = tmp / "run";
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", run, "-q", "--epochs", "2"}).exit_code, 0);
  const std::string config = read_file(run + "/config.toml"), summary = read_file(run + "/summary.json");
  CliResult same = run_gradnet({"train", "--resume", run, "-q"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("already trained 2 epochs; nothing to do: pass --epochs 4 to train longer"),
            std::string::npos) << same.err;
  CliResult fewer = run_gradnet({"train", "--resume", run, "--epochs", "1"});
  EXPECT_EQ(fewer.exit_code, 2);
  EXPECT_NE(fewer.err.find("already trained 2 epochs, more than the 1 asked for; nothing to do: pass --epochs 3"),
            std::string::npos) << fewer.err;
  EXPECT_EQ(read_file(run + "/config.toml"), config);
  EXPECT_EQ(read_file(run + "/summary.json"), summary);
  // A CONFIG with --resume is refused, not ignored (the run's own config.toml is the one used) ...
  CliResult other = run_gradnet({"train", tmp / "c.toml", "--resume", run, "--epochs", "3"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("continues the run with its own config (" + run + "/config.toml); CONFIG " + (tmp / "c.toml") +
                           " does not apply"), std::string::npos) << other.err;
  EXPECT_EQ(read_file(run + "/summary.json"), summary);
  // ... unless it is that file.
  CliResult own = run_gradnet({"train", run + "/config.toml", "--resume", run, "-q", "--epochs", "3"});
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(metric_lines(run), 4u);  // epochs 0..3
}

TEST(EarlyStopping, StopsAfterPatienceAndRestoresTheBestWeights) {
  TempDir tmp;
  // min_delta = 1 on an accuracy: no epoch can improve on the first, so it stops after `patience`.
  write_file(tmp / "c.toml", tiny_mnist_config(mnist_dir(), "[early_stopping]\nenabled = true\nmonitor = \"val_acc\"\n"
                                                            "min_delta = 1.0\npatience = 2\nrestore_best_weights = true\n"));
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "--epochs", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("early stopping at epoch 3"), std::string::npos) << r.err;
  EXPECT_EQ(metric_lines(tmp / "run"), 4u);  // epochs 0..3
  auto model = gradnet::read_safetensors(tmp / "run/model.safetensors");
  auto best = gradnet::read_safetensors(tmp / "run/checkpoints/early_stopping_best.safetensors");
  EXPECT_EQ(best.metadata["epoch"], "1");
  for (const auto& t : model.tensors) EXPECT_EQ(t.data, best.find(t.name)->data) << t.name;
}

TEST(Divergence, MseAtLr10WithMomentumStopsNamingStepAndLayer) {
  TempDir tmp;
  CliResult r = run_gradnet({"train", source_dir() + "/configs/mnist-mlp.toml", "--out", tmp / "run", "-q", "--set",
                             "data.dir=" + mnist_dir(), "--set", "model.loss=mse", "--set", "optimizer.lr=10", "--set",
                             "optimizer.momentum=0.9"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string::size_type at = r.err.find("gradnet: error: step ");
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_NE(r.err.find("layers."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("optimizer.lr"), std::string::npos) << r.err;
  EXPECT_GE(metric_lines(tmp / "run"), 1u);
  EXPECT_NO_THROW(gradnet::read_safetensors(tmp / "run/checkpoints/step-00000000.safetensors"));
  const auto summary = nlohmann::json::parse(read_file(tmp / "run/summary.json"));
  EXPECT_EQ(summary["status"], "failed");
  // summary.json's step is the one the message names (the update under way), not the one before.
  const long named = std::stol(r.err.substr(at + std::string("gradnet: error: step ").size()));
  EXPECT_EQ(summary["step"], named) << r.err;
  EXPECT_TRUE(summary.contains("gradnet_version") && summary.contains("finished_at")) << summary;
}

TEST(Divergence, ExplodingFiniteLossIsReportedOrWarned) {
  TempDir tmp;
  const std::vector<std::string> base = {"train", source_dir() + "/configs/mnist-mlp.toml", "-q", "--epochs", "1",
                                         "--set", "data.dir=" + mnist_dir(), "--set", "optimizer.lr=10"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_gradnet(a);
  };
  CliResult stop = with({"--out", tmp / "stop"});
  EXPECT_EQ(stop.exit_code, 1) << stop.err;
  EXPECT_NE(stop.err.find("exploding"), std::string::npos) << stop.err;
  CliResult warn = with({"--out", tmp / "warn", "--set", "divergence.action=warn"});
  EXPECT_EQ(warn.exit_code, 0) << warn.err;
  EXPECT_NE(warn.err.find("gradnet: warning: "), std::string::npos) << warn.err;
  // The seed network at its own lr never trips the guard.
  CliResult fine = run_gradnet({"train", source_dir() + "/configs/mnist-mlp.toml", "--epochs", "1", "--out", tmp / "fine",
                                "--set", "data.dir=" + mnist_dir()});
  EXPECT_EQ(fine.err.find("warning"), std::string::npos) << fine.err;
}
