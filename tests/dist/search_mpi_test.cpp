// The distributed search under mpirun (built only with GRADNET_MPI): rank 0 serves the study store,
// the other ranks train its trials; every trial runs once, the store reads as a local study's, a
// worker rank killed mid-trial loses only that trial (re-queued), and --resume continues a job that
// mpirun ended.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../../src/search/sqlite.h"
#include "gradnet/error.h"
#include "gradnet/search/study.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet;
using namespace gradnet::testing;

namespace {

std::vector<std::string> mpirun(int ranks, const std::vector<std::string>& mpi_args,
                                const std::vector<std::string>& args) {
  std::vector<std::string> all = {"mpirun", "--oversubscribe", "--allow-run-as-root"};
  all.insert(all.end(), mpi_args.begin(), mpi_args.end());
  all.insert(all.end(), {"-np", std::to_string(ranks), GRADNET_BINARY});
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

// argv in a process group of its own, stdout and stderr into files.
pid_t start(const std::vector<std::string>& argv_text, const std::string& out, const std::string& err) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    dup2(o, 1);
    dup2(e, 2);
    dup2(in, 0);
    std::vector<std::string> copy = argv_text;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

// The exit code, or -1 when it ran past timeout_s (then the whole group is killed).
int wait_for(pid_t pid, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

CliResult run_ranks(int ranks, const std::vector<std::string>& args, double timeout_s = 120) {
  TempDir tmp;
  const pid_t pid = start(mpirun(ranks, {}, args), tmp / "out", tmp / "err");
  CliResult r;
  r.exit_code = wait_for(pid, timeout_s);
  r.out = read_file(tmp / "out");
  r.err = read_file(tmp / "err");
  return r;
}

std::string iris_spec(const std::string& search) {
  return "base = \"" + source_dir() + "/configs/iris-mlp.toml\"\nset = [\"monitor.enabled=false\"]\n" + search;
}

// Every trial once, each finished, no run directory set aside (unless set_aside_allowed: a job
// killed as a whole may cut a trial short before its config); the distinct workers that ran them.
std::set<std::string> expect_each_trial_once(const std::string& study_dir, std::size_t trials,
                                             bool set_aside_allowed = false) {
  const search::StudyRecord study = search::load_study(study_dir);
  EXPECT_EQ(study.trials.size(), trials);
  std::set<std::int64_t> numbers;
  for (const auto& t : study.trials) {
    EXPECT_TRUE(numbers.insert(t.number).second) << "trial " << t.number << " twice";
    EXPECT_TRUE(t.state == search::TrialState::complete || t.state == search::TrialState::pruned)
        << "trial " << t.number << ": " << search::to_string(t.state) << " " << t.message;
    EXPECT_TRUE(fs::exists(t.run_dir + "/summary.json")) << t.run_dir;
  }
  std::size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(study_dir) / "trials")) {
    const bool aside = e.path().filename().string().find(".attempt") != std::string::npos;
    EXPECT_TRUE(set_aside_allowed || !aside) << e.path();
    dirs += aside ? 0 : 1;
  }
  EXPECT_EQ(dirs, trials);
  std::set<std::string> workers;
  search::Database db(study_dir + "/study.db", search::Database::Mode::read_write);
  auto rows = db.prepare("SELECT DISTINCT worker FROM trials");
  while (rows.step()) workers.insert(rows.text(0));
  auto check = db.prepare("PRAGMA integrity_check");
  check.step();
  EXPECT_EQ(check.text(0), "ok");
  return workers;
}

// The "host:pid" of a worker rank training a trial that has written its config and a checkpoint
// (so a re-run continues it rather than setting its directory aside), or "".
std::string worker_mid_trial(const std::string& study_dir) {
  if (!fs::exists(study_dir + "/study.db")) return "";
  try {
    search::Database db(study_dir + "/study.db", search::Database::Mode::read_write);
    auto rows = db.prepare("SELECT worker, run_dir FROM trials WHERE state = 'running'");
    while (rows.step()) {
      const fs::path run_dir = rows.text(1);
      std::error_code ec;
      if (fs::exists(run_dir / "config.toml", ec) && fs::exists(run_dir / "checkpoints", ec) &&
          !fs::is_empty(run_dir / "checkpoints", ec))
        return rows.text(0);
    }
  } catch (const Error&) {  // the store is still being created
  }
  return "";
}

// worker_mid_trial, polled every 50 ms for up to 60 s ("" if no worker gets that far).
std::string wait_for_worker_mid_trial(const std::string& study) {
  std::string worker;
  for (int i = 0; i < 1200 && worker.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    worker = worker_mid_trial(study);
  }
  return worker;
}

pid_t pid_of(const std::string& worker) { return static_cast<pid_t>(std::atol(worker.c_str() + worker.rfind(':') + 1)); }

std::string long_trials_spec() {
  return iris_spec(R"([search]
trials = 6
epochs = 150
max_attempts = 3
heartbeat_timeout = 10
[search.space]
"optimizer.lr" = { log_uniform = [1e-2, 0.1] }
)");
}

}  // namespace

TEST(MpiSearch, TwelveTrialsUnderThreeRanksRunEachOnce) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec(R"([search]
trials = 12
epochs = 3
seed = 5
[search.space]
"optimizer.lr" = { log_uniform = [1e-3, 0.5] }
"model.layers[0].out" = { int = [4, 32] }
[search.pruner]
type = "median"
warmup_epochs = 1
min_trials = 2
)"));
  const CliResult r = run_ranks(3, {"search", dir / "s.toml", "--out", dir / "study", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("rank 0 serves the study to 2 worker ranks"), std::string::npos) << r.err;
  const nlohmann::json j = last_json_line(r.out);  // rank 0 alone prints the results
  ASSERT_EQ(j["trials"].size(), 12u) << r.out;
  EXPECT_TRUE(j["best"].is_object());
  const std::set<std::string> workers = expect_each_trial_once(dir / "study", 12);
  EXPECT_EQ(workers.size(), 2u) << "both worker ranks ran trials";  // never the master
  // The per-epoch values reached the store through the master (the pruners' evidence).
  for (const auto& t : search::load_study(dir / "study").trials) EXPECT_FALSE(t.intermediate.empty()) << t.number;

  // The store is a local study's: read back without mpirun, and the report page.
  const CliResult again = run_gradnet({"search", dir / "study", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(last_json_line(again.out)["trials"], j["trials"]);
  const CliResult page = run_gradnet({"search-report", dir / "study", "--out", dir / "report.html"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_NE(read_file(dir / "report.html").find("<html"), std::string::npos);
}

TEST(MpiSearch, WorkersOptionUnderMpirunIsRefused) {
  TempDir dir;
  write_file(dir / "s.toml", iris_spec("[search]\ntrials = 2\n[search.space]\n\"optimizer.lr\" = { uniform = [0.01, 0.1] }\n"));
  const CliResult r = run_ranks(2, {"search", dir / "s.toml", "--out", dir / "study", "--workers", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("drop --workers"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "study"));
}

// A spec rank 0 cannot read: rank 0 says so once, every rank exits 2 (the workers hear it from rank
// 0 instead of waiting for trials).
TEST(MpiSearch, MissingSpecUnderMpirunIsOneErrorAndExit2) {
  TempDir dir;
  const CliResult r = run_ranks(3, {"search", dir / "nothere.toml", "--out", dir / "study"}, 60);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const std::string message = "no such search spec";
  const auto first = r.err.find(message);
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(message, first + 1), std::string::npos) << "one message, from rank 0: " << r.err;
}

// mpirun --enable-recovery: the job outlives a dead rank; the master gives the rank up and its trial
// is re-queued and finished by the other worker.
TEST(MpiSearch, KilledWorkerRankLosesOnlyItsTrialUnderEnableRecovery) {
  TempDir dir;
  write_file(dir / "s.toml", long_trials_spec());
  const pid_t job = start(mpirun(3, {"--enable-recovery"}, {"search", dir / "s.toml", "--out", dir / "study", "--json"}),
                          dir / "out", dir / "err");
  const std::string victim = wait_for_worker_mid_trial(dir / "study");
  ASSERT_FALSE(victim.empty()) << read_file(dir / "err");
  ASSERT_EQ(kill(pid_of(victim), SIGKILL), 0) << victim;
  const int rc = wait_for(job, 120);
  const std::string err = read_file(dir / "err");
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("is gone (its process " + victim + " has died)"), std::string::npos) << err;
  expect_each_trial_once(dir / "study", 6);
  int requeued = 0;
  for (const auto& t : search::load_study(dir / "study").trials) requeued += t.attempts;
  EXPECT_EQ(requeued, 1) << "the killed rank's trial, re-queued once";
  EXPECT_EQ(last_json_line(read_file(dir / "out"))["trials"].size(), 6u);
}

// Plain mpirun ends the whole job when a rank dies; `gradnet search --resume` continues the study
// (the dead ranks' trials re-queued) with local workers.
TEST(MpiSearch, KilledWorkerRankEndsPlainMpirunAndResumeFinishesTheStudy) {
  TempDir dir;
  write_file(dir / "s.toml", long_trials_spec());
  const pid_t job = start(mpirun(3, {}, {"search", dir / "s.toml", "--out", dir / "study", "-q"}), dir / "out",
                          dir / "err");
  const std::string victim = wait_for_worker_mid_trial(dir / "study");
  ASSERT_FALSE(victim.empty()) << read_file(dir / "err");
  ASSERT_EQ(kill(pid_of(victim), SIGKILL), 0) << victim;
  const int rc = wait_for(job, 60);
  EXPECT_NE(rc, 0) << read_file(dir / "err");
  EXPECT_NE(rc, -1) << "mpirun did not end the job within 60 s";
  const CliResult r = run_gradnet({"search", "--resume", dir / "study", "--workers", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_each_trial_once(dir / "study", 6, true);
  EXPECT_EQ(last_json_line(r.out)["trials"].size(), 6u);
}

// SIGTERM to mpirun (what Ctrl-C and a batch system's stop do): the job ends without hanging, no
// trial is counted failed, and --resume finishes the study. Whether a trial was given back in
// time or is re-queued from its dead process depends on mpirun's SIGKILL a second later.
TEST(MpiSearch, SigtermToMpirunStopsTheJobAndResumeFinishesTheStudy) {
  TempDir dir;
  write_file(dir / "s.toml", long_trials_spec());
  const pid_t job = start(mpirun(3, {}, {"search", dir / "s.toml", "--out", dir / "study", "-q"}), dir / "out",
                          dir / "err");
  const std::string running = wait_for_worker_mid_trial(dir / "study");
  ASSERT_FALSE(running.empty()) << read_file(dir / "err");
  ASSERT_EQ(kill(job, SIGTERM), 0);
  const int rc = wait_for(job, 60);
  EXPECT_NE(rc, -1) << "the job did not end within 60 s of SIGTERM";
  EXPECT_NE(rc, 0) << read_file(dir / "err");
  for (const auto& t : search::load_study(dir / "study").trials)
    EXPECT_NE(t.state, search::TrialState::failed) << t.number << ": " << t.message;
  const CliResult r = run_gradnet({"search", "--resume", dir / "study", "--workers", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_each_trial_once(dir / "study", 6, true);
}

// --enable-recovery with one worker rank, killed: the master has no one left, says so and exits 1
// (mpirun --enable-recovery itself exits 0 whatever its ranks' codes); --resume finishes the study.
TEST(MpiSearch, LastWorkerRankKilledEndsTheSearchWithAResumeHint) {
  TempDir dir;
  write_file(dir / "s.toml", long_trials_spec());
  const pid_t job = start(mpirun(2, {"--enable-recovery"}, {"search", dir / "s.toml", "--out", dir / "study", "-q"}),
                          dir / "out", dir / "err");
  const std::string victim = wait_for_worker_mid_trial(dir / "study");
  ASSERT_FALSE(victim.empty()) << read_file(dir / "err");
  ASSERT_EQ(kill(pid_of(victim), SIGKILL), 0) << victim;
  const int rc = wait_for(job, 60);
  const std::string err = read_file(dir / "err");
  EXPECT_NE(rc, -1) << "the master did not end within 60 s";
  EXPECT_NE(err.find("every worker rank is gone; gradnet search --resume"), std::string::npos) << err;
  const CliResult r = run_gradnet({"search", "--resume", dir / "study", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_each_trial_once(dir / "study", 6);
}
