// Data-parallel training under `mpirun -np 2` (built only with GRADNET_MPI): the result of one
// process up to summation order, the same bytes on every run at the same N, rank 0 alone writing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/io/safetensors.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

// The shell command `mpirun -np N gradnet ARGS` (as root and with more ranks than cores where the
// machine needs it), its output into DIR/out and DIR/err.
std::string ranks_command(int n, const std::vector<std::string>& args, const TempDir& tmp) {
  std::string cmd = "mpirun --oversubscribe --allow-run-as-root -np " + std::to_string(n) + " " + quote(GRADNET_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  return cmd + " >" + quote(tmp / "out") + " 2>" + quote(tmp / "err") + " </dev/null";
}

// env: assignments put before mpirun ("TMPDIR=/x").
CliResult run_ranks(int n, const std::vector<std::string>& args, const std::string& env = "") {
  TempDir tmp;
  const int status = std::system((env + " " + ranks_command(n, args, tmp)).c_str());
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
  TempDir ranks_tmp;  // where rank 1's private directory goes (TMPDIR), and must be gone from
  CliResult two = run_ranks(2, ten_steps(tmp / "two"), "TMPDIR=" + quote(ranks_tmp.path().string()));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_LT(max_relative_difference(tmp / "one/model.safetensors", tmp / "two/model.safetensors"), 1e-5);
  const auto one = nlohmann::json::parse(read_file(tmp / "one/summary.json"));
  const auto two_summary = nlohmann::json::parse(read_file(tmp / "two/summary.json"));
  EXPECT_NEAR(one["train_loss"].get<double>(), two_summary["train_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(one["train_accuracy"].get<double>(), two_summary["train_accuracy"].get<double>(), 1.5 / 1280);  // an argmax may flip
  // Rank 1 wrote nothing beside rank 0's directory, and left no private directory behind.
  for (const auto& e : fs::directory_iterator(ranks_tmp.path()))
    EXPECT_EQ(e.path().filename().string().rfind("gradnet-rank", 0), std::string::npos) << e.path();
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

namespace {

// A small net with batch norm: 784-64, batch norm, relu, 10; 10 SGD steps of 128 as ten_steps.
std::vector<std::string> batch_norm_steps(const std::string& out, bool sync) {
  std::vector<std::string> a = ten_steps(out);
  for (const std::string& s : {std::string("model.layers=[{type=\"linear\", out=64}, {type=\"batch_norm\"}, "
                                           "{type=\"relu\"}, {type=\"linear\", out=10}]"),
                               std::string("train.sync_batch_norm=") + (sync ? "true" : "false")}) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

}  // namespace

// Synchronised batch norm normalises with the global batch's statistics on every rank: the
// single process's result up to summation order. Local statistics (each rank its 64 rows) differ.
TEST(DataParallel, SyncBatchNormMatchesOneProcessWhereLocalStatisticsDoNot) {
  TempDir tmp;
  ASSERT_EQ(run_gradnet(batch_norm_steps(tmp / "one", true)).exit_code, 0);
  CliResult sync = run_ranks(2, batch_norm_steps(tmp / "sync", true));
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  CliResult local = run_ranks(2, batch_norm_steps(tmp / "local", false));
  ASSERT_EQ(local.exit_code, 0) << local.err;
  // model.safetensors holds the running statistics too (their variance from the global count).
  EXPECT_LT(max_relative_difference(tmp / "one/model.safetensors", tmp / "sync/model.safetensors"), 1e-5);
  EXPECT_GT(max_relative_difference(tmp / "one/model.safetensors", tmp / "local/model.safetensors"), 1e-3);
}

// A checkpoint records how many ranks wrote it: --resume with another number is refused (exit 2,
// nothing written) unless --reshard says to go on.
TEST(DataParallel, ResumeWithAnotherNumberOfRanksNeedsReshard) {
  TempDir tmp;
  std::vector<std::string> args = ten_steps(tmp / "run");
  args.insert(args.end(), {"--set", "checkpoint.every_steps=5"});
  ASSERT_EQ(run_ranks(2, args).exit_code, 0);
  const std::string run = tmp / "run";
  const std::string summary_before = read_file(run + "/summary.json");
  CliResult one = run_gradnet({"train", "--resume", run, "--epochs", "2", "-q"});
  EXPECT_EQ(one.exit_code, 2) << one.err;
  EXPECT_NE(one.err.find("2 processes (mpirun -np 2)"), std::string::npos) << one.err;
  EXPECT_NE(one.err.find("--reshard"), std::string::npos) << one.err;
  EXPECT_EQ(read_file(run + "/summary.json"), summary_before);
  CliResult reshard = run_gradnet({"train", "--resume", run, "--epochs", "2", "--reshard", "-q"});
  EXPECT_EQ(reshard.exit_code, 0) << reshard.err;
  CliResult two = run_ranks(2, {"train", "--resume", run, "--epochs", "3", "-q"});
  EXPECT_EQ(two.exit_code, 2) << two.err;  // the newest checkpoint is now one process's
  EXPECT_NE(two.err.find("1 process (mpirun -np 1)"), std::string::npos) << two.err;
}

namespace {

// `mpirun -np 2 gradnet train` of a long run (40 epochs of batch 16), started in the background.
struct BackgroundRun {
  TempDir tmp, ranks_tmp, io;
  std::string run = tmp / "run";
  pid_t shell = -1;

  explicit BackgroundRun(const std::string& env = "") {
    std::vector<std::string> args = {"train", source_dir() + "/configs/mnist-mlp.toml", "--out", run, "-q",
                                     "--epochs", "40", "--set", "data.dir=" + mnist_dir(), "--set",
                                     "data.train_limit=6000", "--set", "data.validation=0", "--set",
                                     "data.test_limit=500", "--set", "train.batch_size=16", "--set",
                                     "train.threads=1", "--set", "checkpoint.every_steps=50"};
    // Rank 1's private directory is named after its pid: TMPDIR puts it where rank1() looks.
    const std::string cmd = env + " TMPDIR=" + quote(ranks_tmp.path().string()) + " " + ranks_command(2, args, io);
    shell = fork();
    if (shell == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  // Rank 1's pid once the run has written a checkpoint; 0 when that does not happen within 60 s.
  pid_t rank1() const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      std::error_code ec;
      const fs::path checkpoints = fs::path(run) / "checkpoints";
      const bool checkpointed = fs::exists(checkpoints, ec) && !fs::is_empty(checkpoints, ec);
      for (const auto& e : fs::directory_iterator(ranks_tmp.path(), ec)) {
        const std::string name = e.path().filename().string();
        if (checkpointed && name.rfind("gradnet-rank1-", 0) == 0) return std::atoi(name.c_str() + 14);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }
  // Waits for mpirun (at most 90 s, then kills it): its wait status and the seconds it took.
  std::pair<int, double> wait() {
    const auto from = std::chrono::steady_clock::now();
    int status = 0;
    while (waitpid(shell, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() - from < std::chrono::seconds(90))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
    if (seconds >= 90) {  // a hang: end the job
      kill(shell, SIGKILL);
      waitpid(shell, &status, 0);
    }
    return {status, seconds};
  }
  std::string err() const { return read_file(io / "err"); }
};

}  // namespace

// SIGKILL of rank 1 in the middle of training: the job ends within 60 s, not zero, naming the rank,
// and --resume (at the same N) continues from the last checkpoint.
TEST(DataParallel, KilledRankEndsTheJobAndResumeContinues) {
  BackgroundRun job;
  ASSERT_GT(job.shell, 0);
  const pid_t rank1 = job.rank1();
  ASSERT_GT(rank1, 0) << "rank 1 never started or no checkpoint was written: " << job.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(rank1, SIGKILL), 0);
  const auto [status, seconds] = job.wait();
  EXPECT_LT(seconds, 60.0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_NE(job.err().find("rank 1"), std::string::npos) << job.err();
  CliResult resumed = run_ranks(2, {"train", "--resume", job.run, "--epochs", "1", "-q"});
  // Killed in epoch 1 (the usual case) or later (a fast machine): resume to the next epoch's end.
  std::smatch done;
  if (resumed.exit_code == 2 && std::regex_search(resumed.err, done, std::regex("already trained (\\d+) epoch")))
    resumed = run_ranks(2, {"train", "--resume", job.run, "--epochs", std::to_string(std::stoi(done[1]) + 1), "-q"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(fs::exists(fs::path(job.run) / "model.safetensors"));
}

// A rank that hangs (SIGSTOP) rather than dies: the others' watchdog ends the job after
// GRADNET_MPI_TIMEOUT seconds in one MPI call, naming the call, instead of waiting for ever.
TEST(DataParallel, HungRankEndsTheJobAfterTheTimeout) {
  BackgroundRun job("GRADNET_MPI_TIMEOUT=3");
  ASSERT_GT(job.shell, 0);
  const pid_t rank1 = job.rank1();
  ASSERT_GT(rank1, 0) << "rank 1 never started or no checkpoint was written: " << job.err();
  ASSERT_EQ(kill(rank1, SIGSTOP), 0);
  const auto [status, seconds] = job.wait();
  kill(rank1, SIGKILL);  // in case the launcher left it stopped
  EXPECT_LT(seconds, 30.0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_NE(job.err().find("rank 0 waited 3 s in MPI_"), std::string::npos) << job.err();
}

// Only train and search spread over ranks; another command under mpirun -np 2 says so (exit 2)
// instead of running twice side by side.
TEST(DataParallel, OtherCommandsRefuseToRunAsSeveralRanks) {
  CliResult r = run_ranks(2, {"schedule-plot", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // --help is answered before any command runs
  r = run_ranks(2, {"gradcheck", source_dir() + "/configs/mnist-mlp.toml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("gradnet gradcheck runs as one process; under mpirun -np 2"), std::string::npos) << r.err;
}
