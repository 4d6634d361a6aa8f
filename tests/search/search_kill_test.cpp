// Crash recovery: a study whose processes are killed (SIGKILL) at random moments, then resumed,
// ends with the requested trials complete, each number once, each run directory finished and the
// store sound; Ctrl-C puts the running trials back to waiting without counting an attempt.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>

#include "../../src/search/sqlite.h"
#include "gradnet/error.h"
#include "gradnet/search/study.h"
#include "search_support.h"

namespace gradnet::testing {
namespace {
namespace fs = std::filesystem;

// `gradnet ARGS` in a process group of its own (so the whole search can be killed at once).
pid_t start_gradnet(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<std::string> all = {GRADNET_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(GRADNET_BINARY, argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

// A worker process the search started (a child of pid), or 0.
pid_t child_of(pid_t parent) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') return static_cast<pid_t>(std::atoi(e.path().filename().c_str()));
  }
  return 0;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string kill_spec(int epochs = 40) {
  return iris_spec(R"([search]
trials = 6
epochs = )" + std::to_string(epochs) + R"(
max_attempts = 6
heartbeat_timeout = 3
[search.space]
"optimizer.lr" = { log_uniform = [1e-2, 0.2] }
"train.seed" = { int = [1, 1000] }
)");
}

void expect_finished_study(const std::string& study_dir, std::size_t complete_wanted, int epochs = 40) {
  const search::StudyRecord study = search::load_study(study_dir);
  std::set<std::int64_t> numbers;
  std::size_t complete = 0;
  for (const auto& t : study.trials) {
    EXPECT_TRUE(numbers.insert(t.number).second) << "trial " << t.number << " twice";
    if (t.state != search::TrialState::complete) continue;
    ++complete;
    const auto summary = nlohmann::json::parse(read_file(t.run_dir + "/summary.json"));
    EXPECT_EQ(summary["status"], "ok") << t.run_dir;
    EXPECT_EQ(summary["epochs"], epochs) << t.run_dir;
  }
  EXPECT_EQ(complete, complete_wanted);
  search::Database db(study_dir + "/study.db", search::Database::Mode::read_write);
  auto check = db.prepare("PRAGMA integrity_check");
  check.step();
  EXPECT_EQ(check.text(0), "ok");
}

TEST(SearchKill, KilledThreeTimesThenResumedTheStudyFinishes) {
  TempDir dir;
  write_file(dir / "s.toml", kill_spec());
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(150, 900);
  for (int round = 0; round < 3; ++round) {
    const std::vector<std::string> args =
        round == 0 ? std::vector<std::string>{"search", dir / "s.toml", "--workers", "2", "--out", dir / "study", "-q"}
                   : std::vector<std::string>{"search", "--resume", dir / "study", "--workers", "2", "-q"};
    const pid_t pid = start_gradnet(args, dir / "log");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    const pid_t worker = child_of(pid);
    if (round == 1 && worker > 0) {
      kill(worker, SIGKILL);  // one worker dies; the search goes on, then all of it dies
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    }
    kill(-pid, SIGKILL);
    wait_exit(pid);
  }
  const CliResult r = run_gradnet({"search", "--resume", dir / "study", "--workers", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << read_file(dir / "log");
  expect_finished_study(dir / "study", 6);
  EXPECT_EQ(last_json_line(r.out)["trials"].size(), search::load_study(dir / "study").trials.size());
}

// Whether the study in dir has a trial running (the store may not exist yet).
bool has_running_trial(const std::string& study_dir) {
  if (!fs::exists(study_dir + "/study.db")) return false;
  try {
    for (const auto& t : search::load_study(study_dir).trials)
      if (t.state == search::TrialState::running) return true;
  } catch (const Error&) {  // still being created
  }
  return false;
}

TEST(SearchKill, InterruptPutsTrialsBackToWaitingAndResumeFinishes) {
  TempDir dir;
  // Trials long enough (a few hundred ms each) that the interrupt lands inside one, on any machine.
  constexpr int epochs = 300;
  write_file(dir / "s.toml", kill_spec(epochs));
  const pid_t pid = start_gradnet({"search", dir / "s.toml", "--workers", "2", "--out", dir / "study", "-q"},
                                  dir / "log");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!has_running_trial(dir / "study") && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(-pid, SIGINT);  // as Ctrl-C: the whole process group
  EXPECT_EQ(wait_exit(pid), 130) << read_file(dir / "log");
  const search::StudyRecord stopped = search::load_study(dir / "study");
  for (const auto& t : stopped.trials) {
    EXPECT_NE(t.state, search::TrialState::running) << "trial " << t.number;
    EXPECT_EQ(t.attempts, 0) << "trial " << t.number << ": an interrupt is not a failed attempt";
  }
  const CliResult r = run_gradnet({"search", "--resume", dir / "study", "--workers", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_finished_study(dir / "study", 6, epochs);
}

}  // namespace
}  // namespace gradnet::testing
