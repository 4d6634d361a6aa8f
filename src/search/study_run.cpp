// Creating a study, its time budget, and `--workers N`: N - 1 `gradnet worker DIR` processes
// beside this one, each claiming trials from the shared store.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/search/search.h"
#include "store.h"

extern char** environ;

namespace gradnet::search {
namespace fs = std::filesystem;

void create_study(const SearchSpec& spec, const std::string& dir) {
  StudySettings s;
  s.name = spec.name;
  s.spec_path = spec.path;
  s.spec_text = spec.text;
  s.base_config = spec.base;
  s.objective = spec.objective;
  s.maximize = spec.maximize;
  s.sampler = spec.sampler;
  s.seed = spec.seed;
  s.trials_requested = spec.trials;
  s.max_attempts = static_cast<int>(spec.max_attempts);
  s.heartbeat_timeout = spec.heartbeat_timeout;
  create_store(dir, s, spec.space);
  fs::create_directories(fs::path(dir) / "trials");
}

void start_budget(const std::string& dir) {
  Database db = open_store(dir);
  const StudySettings s = read_settings(db);
  const SearchSpec spec = parse_search_spec(s.spec_text, s.spec_path, s.base_config);
  db.write([&] {
    db.prepare("UPDATE study SET deadline = ? WHERE id = 1")
        .bind(1, spec.time_budget > 0 ? unix_now() + spec.time_budget : 0.0).run();
  });
}

namespace {

pid_t spawn_worker(const std::string& exe, const std::string& dir, int workers, bool quiet) {
  std::vector<std::string> args = {exe, "worker", dir, "--workers", std::to_string(workers)};
  if (quiet) args.push_back("--quiet");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), environ);
  GRADNET_CHECK(rc == 0, runtime, "cannot start a worker ({} worker {}): {}", exe, dir, std::strerror(rc));
  return pid;
}

}  // namespace

int run_study(const std::string& dir, const std::string& exe, int workers, const WorkerOptions& options) {
  std::vector<pid_t> children;
  for (int i = 1; i < workers; ++i) children.push_back(spawn_worker(exe, dir, workers, options.quiet));
  int rc = 0;
  try {
    rc = run_worker(dir, options);
  } catch (...) {
    for (pid_t pid : children) kill(pid, SIGTERM);
    for (pid_t pid : children) waitpid(pid, nullptr, 0);
    throw;
  }
  // Interrupted: the children had the terminal's signal too; a signal sent to this process alone
  // is passed on, so every trial checkpoints and goes back to waiting.
  if (rc != 0)
    for (pid_t pid : children) kill(pid, SIGTERM);
  for (pid_t pid : children) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGINT && WTERMSIG(status) != SIGTERM)
      fmt::print(stderr, "gradnet: warning: worker {} died (signal {}); its trial is re-queued or failed by the "
                 "others (gradnet search --resume {} continues the study)\n", pid, WTERMSIG(status), dir);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) < 128)
      fmt::print(stderr, "gradnet: warning: worker {} exited with status {}\n", pid, WEXITSTATUS(status));
  }
  return rc;
}

}  // namespace gradnet::search
