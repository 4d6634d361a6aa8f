#include "stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace gradnet::cli {
namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_armed{false};

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  return set;
}

// Ends the process as the signal's default action would (exit status 128 + sig in a shell).
[[noreturn]] void die_by(int sig) {
  signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(sig);  // delivered to this thread, the only one with the signal unblocked
  std::_Exit(128 + sig);
}

// Said when a stop is forced: a run stuck inside a kernel never reaches the step's end where the
// stop flag is read, and a third request should not need kill -9.
constexpr char kForced[] =
    "gradnet: stop requested 3 times; stopping now, without a checkpoint (the last one written stands)\n";

void wait_for_signals(sigset_t set) {
  int requests = 0;
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (!g_armed.load()) die_by(sig);
    if (sig != SIGHUP && ++requests >= 3) {
      [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, kForced, sizeof kForced - 1);
      die_by(sig);
    }
    // A second Ctrl-C while the first is being handled (a checkpoint being written) is the same
    // request; SIGINT/SIGTERM never downgrade to SIGHUP's "checkpoint and go on".
    int expected = 0;
    if (!g_stop_signal.compare_exchange_strong(expected, sig) && sig != SIGHUP) g_stop_signal.store(sig);
  }
}

}  // namespace

void start_stop_signal_thread() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(wait_for_signals, set).detach();
}

std::atomic<int>* stop_flag_for_signals() {
  g_armed.store(true);
  return &g_stop_signal;
}

}  // namespace gradnet::cli
