#include "spin_team.h"

#include <omp.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

#include "gradnet/error.h"

namespace gradnet {

namespace {

using Clock = std::chrono::steady_clock;
// How long a thread spins before it sleeps on the futex, adapted to how waits have ended: a wait
// that ended while spinning lengthens it a little, one that had to sleep halves it. On a quiet
// machine the team meets within microseconds and keeps spinning (measured: W1's workers wait ~60 µs
// between two tasks, W2's up to ~250); where another process takes a core, a descheduled thread
// makes waits of milliseconds, the spin shrinks and a waiting thread leaves the core to the others
// (with 300 µs of spinning, W2 at two threads beside a busy loop took 1.8x its one-thread time).
constexpr int kSpinMaxUs = 300, kSpinMinUs = 4, kSpinGrowUs = 10;
constexpr int kPureSpinUs = 20;  // pause only; past it, sched_yield between checks

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// The workers sleep on the run counter with the futex itself (std::atomic::wait's notify skips
// the system call while its own count of waiters is zero, which would not see these) and, in a
// spinning team, in naps: a dynamic run does not always wake them (publish()), so a worker that
// slept through one comes back on its own, after 1 ms, then 2, 4 ... up to 32 ms while nothing
// needs it (an idle team costs ~30 wake-ups a second).
constexpr int kNapMinUs = 1000, kNapMaxUs = 32000;
static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free);

std::atomic<int> g_nappers{0};  // threads in nap_on, of every team: no wake-up call while none

// Sleeps while a holds old, for at most nap_us (0: until woken).
void nap_on(const std::atomic<int>& a, int old, int nap_us) {
  const timespec nap{nap_us / 1000000, static_cast<long>(nap_us % 1000000) * 1000};
  g_nappers.fetch_add(1, std::memory_order_seq_cst);
  if (a.load(std::memory_order_seq_cst) == old)
    syscall(SYS_futex, reinterpret_cast<const int*>(&a), FUTEX_WAIT_PRIVATE, old, nap_us > 0 ? &nap : nullptr,
            nullptr, 0);
  g_nappers.fetch_sub(1, std::memory_order_relaxed);
}
// Call after storing a's new value (seq_cst): a napper either sees the value before it sleeps or
// is counted here.
void wake_nappers(std::atomic<int>& a) {
  if (g_nappers.load(std::memory_order_seq_cst) == 0) return;
  syscall(SYS_futex, reinterpret_cast<int*>(&a), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

// Sleeps until a no longer holds old: on std::atomic::wait, or with nap_on where nap_us is given
// (*nap_us == 0: one nap until woken; else naps that double up to kNapMaxUs).
void sleep_until_change(const std::atomic<int>& a, int old, int* nap_us) {
  while (a.load(std::memory_order_acquire) == old) {
    if (nap_us == nullptr) {
      a.wait(old, std::memory_order_acquire);
    } else {
      nap_on(a, old, *nap_us);
      if (*nap_us > 0) *nap_us = std::min(kNapMaxUs, 2 * *nap_us);
    }
  }
}

// Returns once a no longer holds old (acquire). spin_us: the team's current spin, adapted here
// (0: a team that does not spin, which sleeps at once).
// nap_us: as sleep_until_change's.
void await_change(const std::atomic<int>& a, int old, std::atomic<int>& spin_us, int* nap_us = nullptr) {
  if (a.load(std::memory_order_acquire) != old) return;
  const int limit = spin_us.load(std::memory_order_relaxed);
  if (limit == 0) return sleep_until_change(a, old, nap_us);
  const auto spin = std::chrono::microseconds(limit), pure = std::chrono::microseconds(std::min(limit, kPureSpinUs));
  const Clock::time_point t0 = Clock::now();
  for (unsigned i = 1;; ++i) {
    if (a.load(std::memory_order_acquire) != old) {
      spin_us.store(std::min(kSpinMaxUs, limit + kSpinGrowUs), std::memory_order_relaxed);
      return;
    }
    cpu_relax();
    if (i % 64 != 0) continue;
    const auto spent = Clock::now() - t0;
    if (spent > spin) break;
    if (spent > pure) sched_yield();
  }
  spin_us.store(std::max(kSpinMinUs, limit / 2), std::memory_order_relaxed);
  sleep_until_change(a, old, nap_us);
}

// A run's state. Two slots, used by turns: a dynamic run returns once its tasks are done, while a
// worker that woke late may still look at its slot; the slot is reused only two runs later, and the
// claim word, which names its run, tells such a worker that it has nothing left to take.
struct Run {
  std::optional<FunctionRef<void(int)>> task;
  // run (32 bits) | static flag (1) | tasks (15) | one bit per task taken (16)
  std::atomic<std::uint64_t> claim{0};
  std::atomic<int> done{0};  // a dynamic run's tasks done
};

constexpr std::uint64_t kStatic = std::uint64_t{1} << 31;

std::uint64_t claim_word(int run, bool is_static, int tasks) {
  return (std::uint64_t{static_cast<std::uint32_t>(run)} << 32) | (is_static ? kStatic : 0) |
         (static_cast<std::uint64_t>(tasks) << 16);
}
std::uint32_t run_of(std::uint64_t c) { return static_cast<std::uint32_t>(c >> 32); }
int tasks_of(std::uint64_t c) { return static_cast<int>((c >> 16) & 0x7FFF); }
unsigned taken_of(std::uint64_t c) { return static_cast<unsigned>(c & 0xFFFF); }

}  // namespace

struct SpinTeam::Shared {
  std::atomic<int> generation{0};  // one more per run; the workers wait for it to move
  std::atomic<int> busy{0};        // workers not done with the current static run
  std::atomic<int> arrived{0};     // threads at the current barrier
  std::atomic<int> barrier_generation{0};
  std::atomic<bool> stop{false};
  std::atomic<int> spin_us{kSpinMaxUs};
  Run runs[2];
  std::mutex error_mutex;
  std::exception_ptr error;          // the first of a static run's (start() to finish())
  std::exception_ptr dynamic_error;  // the first of the current run_tasks()'

  void keep(std::exception_ptr e, bool dynamic = false) {
    std::lock_guard<std::mutex> lock(error_mutex);
    std::exception_ptr& first = dynamic ? dynamic_error : error;
    if (!first) first = std::move(e);
  }
  void finish_one() {
    if (busy.fetch_sub(1, std::memory_order_acq_rel) == 1) busy.notify_all();
  }
  int solo_runs = 0;  // dynamic runs in a row whose tasks the caller took all of (caller only)

  // Publishes run number generation + 1 in its slot and wakes the workers. A dynamic run wakes
  // sleeping workers only while they have been taking tasks: where another process holds the other
  // core, a woken worker gets a core only milliseconds later and finds the tasks taken, and the
  // wake-ups cost the caller: W2 beside a busy loop took 1.41x its one-thread time waking them for
  // every run, 1.24x without (bench/RESULTS.md). Sleeping workers come back on their own (naps).
  Run& publish(FunctionRef<void(int)> task, bool is_static, int tasks) {
    const int g = generation.load(std::memory_order_relaxed) + 1;
    Run& r = runs[g & 1];
    r.task.emplace(task);
    r.done.store(0, std::memory_order_relaxed);
    (is_static ? error : dynamic_error) = nullptr;
    r.claim.store(claim_word(g, is_static, tasks), std::memory_order_release);
    generation.store(g, std::memory_order_seq_cst);
    if (is_static || solo_runs < 2 || spin_us.load(std::memory_order_relaxed) == 0) wake_nappers(generation);
    return r;
  }
  // Takes and runs run g's tasks until none is left (or the slot has moved on to a later run), task
  // `own` (the thread's number) first when it is free: a thread keeps its own shard, whose data is
  // in its cache. Returns how many this thread took.
  int take_tasks(Run& r, int g, int own) {
    int taken = 0;
    std::uint64_t c = r.claim.load(std::memory_order_acquire);
    for (;;) {
      if (run_of(c) != static_cast<std::uint32_t>(g)) break;
      const int n = tasks_of(c);
      // Task 0 is the caller's alone (it is there for every run); a worker takes task `own`, or
      // else the highest one free, leaving the low ones to their threads.
      const unsigned free = ~taken_of(c) & ((1u << n) - 1) & (own == 0 ? ~0u : ~1u);
      if (free == 0) break;
      const int task = own < n && (free >> own & 1u) ? own : own == 0 ? std::countr_zero(free) : 31 - std::countl_zero(free);
      if (!r.claim.compare_exchange_weak(c, c | (std::uint64_t{1} << task), std::memory_order_acq_rel,
                                         std::memory_order_acquire))
        continue;
      // Claimed: run g cannot end before this task is done, so its slot stays as it is.
      ++taken;
      try {
        (*r.task)(task);
      } catch (...) {
        keep(std::current_exception(), true);
      }
      if (r.done.fetch_add(1, std::memory_order_acq_rel) + 1 == n) r.done.notify_all();
      c = r.claim.load(std::memory_order_acquire);
    }
    return taken;
  }
};

SpinTeam::SpinTeam(int threads, bool spin)
    : size_(threads < 1 ? 1 : threads), owner_(::getpid()), shared_(new Shared) {
  if (!spin) shared_->spin_us.store(0);
  for (int t = 1; t < size_; ++t) workers_.emplace_back([this, t] { work(t); });
}

SpinTeam::~SpinTeam() {
  if (!usable()) {  // a forked child: the workers are the parent's; leak what they would use
    for (std::thread& w : workers_) new std::thread(std::move(w));
    return;
  }
  shared_->stop.store(true, std::memory_order_release);
  shared_->generation.fetch_add(1, std::memory_order_seq_cst);
  wake_nappers(shared_->generation);
  for (std::thread& w : workers_) w.join();
  delete shared_;
}

bool SpinTeam::usable() const { return ::getpid() == owner_; }

bool SpinTeam::idle() const { return shared_->busy.load(std::memory_order_acquire) == 0; }

void SpinTeam::work(int t) {
  omp_set_num_threads(1);
  Shared& s = *shared_;
  int seen = 0;
  const bool spins = s.spin_us.load(std::memory_order_relaxed) > 0;
  for (;;) {
    int nap_us = spins ? kNapMinUs : 0;  // a team that does not spin is always woken
    await_change(s.generation, seen, s.spin_us, &nap_us);
    seen = s.generation.load(std::memory_order_acquire);
    if (s.stop.load(std::memory_order_acquire)) return;
    Run& r = s.runs[seen & 1];
    const std::uint64_t c = r.claim.load(std::memory_order_acquire);
    if (run_of(c) != static_cast<std::uint32_t>(seen)) continue;  // a dynamic run long gone: look again
    if ((c & kStatic) == 0) {
      s.take_tasks(r, seen, t);
      continue;
    }
    try {  // a static run waits for every worker, so its slot cannot change under this one
      (*r.task)(t);
    } catch (...) {
      s.keep(std::current_exception());
    }
    s.finish_one();
  }
}

void SpinTeam::run(FunctionRef<void(int)> task) {
  GRADNET_ASSERT(usable());
  Shared& s = *shared_;
  const int threads_before = omp_get_max_threads();
  omp_set_num_threads(1);
  start(task);
  try {
    task(0);
  } catch (...) {
    s.keep(std::current_exception());
  }
  omp_set_num_threads(threads_before);
  finish();
}

void SpinTeam::run_tasks(int tasks, FunctionRef<void(int)> task) {
  GRADNET_ASSERT(usable());
  GRADNET_ASSERT(0 <= tasks && tasks <= SpinTeam::kMaxTasks);
  if (tasks == 0) return;
  Shared& s = *shared_;
  const int threads_before = omp_get_max_threads();
  omp_set_num_threads(1);
  Run& r = s.publish(task, false, tasks);
  const int taken = s.take_tasks(r, s.generation.load(std::memory_order_relaxed), 0);
  s.solo_runs = taken == tasks ? s.solo_runs + 1 : 0;
  omp_set_num_threads(threads_before);
  for (int done = r.done.load(std::memory_order_acquire); done != tasks; done = r.done.load(std::memory_order_acquire))
    await_change(r.done, done, s.spin_us);
  if (s.dynamic_error) std::rethrow_exception(std::exchange(s.dynamic_error, nullptr));
}

void SpinTeam::start(FunctionRef<void(int)> task) {
  GRADNET_ASSERT(usable());
  Shared& s = *shared_;
  s.busy.store(size_ - 1, std::memory_order_relaxed);
  s.publish(task, true, 0);
}

void SpinTeam::finish() {
  Shared& s = *shared_;
  for (int left = s.busy.load(std::memory_order_acquire); left != 0; left = s.busy.load(std::memory_order_acquire))
    await_change(s.busy, left, s.spin_us);
  if (s.error) std::rethrow_exception(std::exchange(s.error, nullptr));
}

void SpinTeam::barrier() {
  Shared& s = *shared_;
  const int generation = s.barrier_generation.load(std::memory_order_acquire);
  if (s.arrived.fetch_add(1, std::memory_order_acq_rel) == size_ - 1) {  // the last one opens it
    s.arrived.store(0, std::memory_order_relaxed);
    s.barrier_generation.fetch_add(1, std::memory_order_release);
    s.barrier_generation.notify_all();
    return;
  }
  await_change(s.barrier_generation, generation, s.spin_us);
}

}  // namespace gradnet
