// A run directory belongs to one process; a removed one is noticed; records a checkpoint covers
// survive a kill; a run killed before its first checkpoint is no dead end.
#include <sys/file.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faults_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::vector<nlohmann::json> jsonl(const std::string& path) {  // every line must parse
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      ADD_FAILURE() << path << ": unparsable line: " << line.substr(0, 200);
    }
  }
  return out;
}

std::vector<std::int64_t> epochs_of(const std::string& metrics) {
  std::vector<std::int64_t> e;
  for (const auto& j : jsonl(metrics)) e.push_back(j["epoch"].get<std::int64_t>());
  return e;
}

// Holds an flock on dir/.lock as another gradnet process would.
struct HeldLock {
  int fd;
  explicit HeldLock(const std::string& dir) : fd(::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT, 0644)) {
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  }
  ~HeldLock() { ::close(fd); }
};

std::string newest_checkpoint(const std::string& run) {
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run + "/checkpoints", ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("step-", 0) == 0 && n.size() == 25 && n.substr(n.size() - 12) == ".safetensors" && n > best) best = n;
  }
  return best;
}

}  // namespace

TEST(RunDirOwnership, TwoTrainsIntoOneOutDirectory) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path()));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string run = tmp / ("run" + std::to_string(attempt));
    Child a({"train", tmp / "c.toml", "--out", run, "-q"}), b({"train", tmp / "c.toml", "--out", run, "-q"});
    const int ea = a.wait(), eb = b.wait();
    EXPECT_EQ(std::min(ea, eb), 0) << a.err() << b.err();
    EXPECT_EQ(std::max(ea, eb), 2) << a.err() << b.err();
    const std::string loser = ea == 2 ? a.err() : b.err();
    EXPECT_TRUE(loser.find("another gradnet process") != std::string::npos || loser.find("not empty") != std::string::npos)
        << loser;
    EXPECT_EQ(epochs_of(run + "/metrics.jsonl"), (std::vector<std::int64_t>{0, 1, 2}));
  }
}

TEST(RunDirOwnership, AHeldRunDirectoryIsRefused) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path()));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q"}).exit_code, 0);
  const std::string metrics = read_file(tmp / "run/metrics.jsonl");
  {
    HeldLock lock(tmp / "run");
    CliResult r = run_gradnet({"train", "--resume", tmp / "run", "--epochs", "3", "-q"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_mentions(r, {tmp / "run", "another gradnet process"});
    fs::create_directories(tmp / "empty");
    HeldLock lock2(tmp / "empty");
    r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "empty", "-q"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_mentions(r, {tmp / "empty", "another gradnet process"});
  }
  EXPECT_EQ(read_file(tmp / "run/metrics.jsonl"), metrics);  // the refused resume changed nothing
}

TEST(RunDirOwnership, TwoResumesAtOnce) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path()));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q"}).exit_code, 0);
  Child a({"train", "--resume", tmp / "run", "--epochs", "4", "-q"});
  Child b({"train", "--resume", tmp / "run", "--epochs", "4", "-q"});
  const int ea = a.wait(), eb = b.wait();
  // Never both at once: one trains to epoch 4; the other is refused while it runs (the lock) or,
  // started after it finished (a loaded machine), finds nothing left to do. Both refusals exit 2.
  EXPECT_EQ(std::min(ea, eb), 0) << a.err() << b.err();
  if (std::max(ea, eb) != 0) {
    EXPECT_EQ(std::max(ea, eb), 2);
    const std::string err = ea == 2 ? a.err() : b.err();
    EXPECT_TRUE(err.find("another gradnet process") != std::string::npos ||
                err.find("already trained 4 epochs; nothing to do") != std::string::npos)
        << err;
  }
  EXPECT_EQ(epochs_of(tmp / "run/metrics.jsonl"), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

// Two stop requests stop at the step's end with a checkpoint; a third one stops at once (a run
// stuck in a kernel never reaches the step's end). Steps of ~0.5 s here: the three SIGINTs, 10 ms
// apart, all arrive inside one step.
TEST(StopSignals, AThirdRequestStopsAtOnceLeavingTheLastCheckpoint) {
  FakeMnist data(1000);
  TempDir tmp;
  std::string config = fake_config(data.path());
  const std::string small = "layers = [ { type = \"linear\", out = 8 }, { type = \"tanh\" }, "
                            "{ type = \"linear\", out = 10 } ]";
  config.replace(config.find(small), small.size(),
                 "layers = [ { type = \"linear\", out = 4096 }, { type = \"relu\" }, { type = \"linear\", out = 4096 "
                 "}, { type = \"relu\" }, { type = \"linear\", out = 10 } ]");
  write_file(tmp / "c.toml", config);
  const std::string run = tmp / "run";
  Child c({"train", tmp / "c.toml", "--out", run, "--set", "train.batch_size=500", "--epochs", "1000"});
  const fs::path first = fs::path(run) / "checkpoints/step-00000000.safetensors";
  for (int i = 0; i < 30000 && !fs::exists(first); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(fs::exists(first)) << c.err();
  const auto size = fs::file_size(first);
  for (int i = 0; i < 3; ++i) {
    c.signal(SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(c.wait(), 130);
  EXPECT_NE(c.err().find("stop requested 3 times; stopping now, without a checkpoint"), std::string::npos) << c.err();
  EXPECT_EQ(fs::file_size(first), size);  // the checkpoint on disk stands
  EXPECT_FALSE(fs::exists(fs::path(run) / "model.safetensors"));
}

TEST(RunDirRemoved, MidRunIsExit1NamingIt) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path(), "", "[monitor]\ntensorboard = false\n"));
  const std::string run = tmp / "run";
  Child c({"train", tmp / "c.toml", "--out", run, "-q", "--epochs", "100000"});
  ASSERT_TRUE(eventually([&] { return epochs_of(run + "/metrics.jsonl").size() >= 2; }));
  c.stop();
  fs::remove_all(run);
  c.signal(SIGCONT);
  EXPECT_EQ(c.wait(), 1) << c.err();
  EXPECT_NE(c.err().find(run + ": the run directory was removed"), std::string::npos) << c.err();
  EXPECT_FALSE(fs::exists(run)) << "the run directory was recreated";
}

TEST(RunDirKilledEarly, ARunWithoutACheckpointIsStartedOver) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path()));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "done", "-q"}).exit_code, 0);
  for (const std::string how : {"resume", "out"}) {  // what a kill before the step-0 checkpoint leaves
    const std::string run = tmp / ("early-" + how);
    fs::create_directories(run + "/checkpoints");
    fs::copy_file(tmp / "done/config.toml", run + "/config.toml");
    write_file(run + "/metrics.jsonl", "");
    write_file(run + "/.lock", "");
    write_file(run + "/checkpoints/.step-00000000.safetensors.tmp-abc123", "partial");
    const CliResult r = how == "resume" ? run_gradnet({"train", "--resume", run, "-q"})
                                        : run_gradnet({"train", tmp / "c.toml", "--out", run, "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(epochs_of(run + "/metrics.jsonl"), (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_EQ(read_file(run + "/model.safetensors"), read_file(tmp / "done/model.safetensors"));
  }
}

TEST(RunDirKilled, StepRecordsACheckpointCoversSurviveAndTimesAddUp) {
  FakeMnist data(1000);  // batch 1: 990 steps an epoch, kills land inside epochs
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path(), "",
                                         "[checkpoint]\nevery_steps = 7\n[monitor]\nevery_steps = 1\ntensorboard = false\n"));
  const std::string run = tmp / "run";
  {
    Child c({"train", tmp / "c.toml", "--out", run, "-q", "--epochs", "3", "--set", "train.batch_size=1"});
    ASSERT_TRUE(eventually([&] { return newest_checkpoint(run) >= "step-00000140.safetensors"; }));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  const std::string newest = newest_checkpoint(run);
  const std::int64_t covered = std::stoll(newest.substr(5, 8));
  std::set<std::int64_t> steps;
  for (const auto& j : jsonl(run + "/steps.jsonl")) steps.insert(j["step"].get<std::int64_t>());
  for (std::int64_t s = 1; s <= covered; ++s) ASSERT_TRUE(steps.count(s)) << "step " << s << " of " << covered << " lost";
  write_file(run + "/.model.safetensors.tmp-zzzzzz", "a kill during the final write");
  const CliResult r = run_gradnet({"train", "--resume", run, "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  steps.clear();
  std::size_t lines = 0;
  for (const auto& j : jsonl(run + "/steps.jsonl")) steps.insert(j["step"].get<std::int64_t>()), ++lines;
  EXPECT_EQ(lines, 3u * 990);
  EXPECT_EQ(steps.size(), 3u * 990);
  EXPECT_FALSE(fs::exists(run + "/.model.safetensors.tmp-zzzzzz"));
  const nlohmann::json s = last_json_line(r.out);
  ASSERT_EQ(s["epoch_seconds"].size(), 3u);
  double sum = 0;
  for (const auto& e : s["epoch_seconds"]) sum += e.get<double>();
  EXPECT_GE(s["total_seconds"].get<double>(), sum);  // every segment counted
}

TEST(RunDirDiskFull, AFailedWriteKeepsItsOwnMessage) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path(), "", "[monitor]\nenabled = false\n"));
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q"}).exit_code, 0);
  // ulimit -f: a checkpoint (about 30 kB) no longer fits, small files still do; as on a full disk.
  const std::string cmd = "ulimit -f 16 && '" + std::string(GRADNET_BINARY) + "' train --resume '" + (tmp / "run") +
                          "' --epochs 3 -q 2>'" + (tmp / "err") + "'";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 1) << read_file(tmp / "err");
  const std::string err = read_file(tmp / "err");
  EXPECT_NE(err.find("checkpoints/step-00000027.safetensors"), std::string::npos) << err;
  EXPECT_EQ(err.find("summary.json"), std::string::npos) << err;
  EXPECT_EQ(nlohmann::json::parse(read_file(tmp / "run/summary.json"))["status"], "failed");
  EXPECT_EQ(epochs_of(tmp / "run/metrics.jsonl"), (std::vector<std::int64_t>{0, 1, 2, 3}));
}
