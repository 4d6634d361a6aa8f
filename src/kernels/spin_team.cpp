#include "spin_team.h"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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

// Returns once a no longer holds old (acquire). spin_us: the team's current spin, adapted here
// (0: a team that does not spin, which sleeps at once).
void await_change(const std::atomic<int>& a, int old, std::atomic<int>& spin_us) {
  if (a.load(std::memory_order_acquire) != old) return;
  const int limit = spin_us.load(std::memory_order_relaxed);
  if (limit == 0) {
    while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
    return;
  }
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
  while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
}

}  // namespace

struct SpinTeam::Shared {
  std::atomic<int> generation{0};  // one more per task; the workers wait for it to move
  std::atomic<int> busy{0};        // workers not done with the current task
  std::atomic<int> arrived{0};     // threads at the current barrier
  std::atomic<int> barrier_generation{0};
  std::atomic<bool> stop{false};
  std::atomic<int> spin_us{kSpinMaxUs};
  std::optional<FunctionRef<void(int)>> task;
  std::mutex error_mutex;
  std::exception_ptr error;

  void keep(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (!error) error = std::move(e);
  }
  void finish_one() {
    if (busy.fetch_sub(1, std::memory_order_acq_rel) == 1) busy.notify_all();
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
  shared_->generation.fetch_add(1, std::memory_order_release);
  shared_->generation.notify_all();
  for (std::thread& w : workers_) w.join();
  delete shared_;
}

bool SpinTeam::usable() const { return ::getpid() == owner_; }

bool SpinTeam::idle() const { return shared_->busy.load(std::memory_order_acquire) == 0; }

void SpinTeam::work(int t) {
  omp_set_num_threads(1);
  Shared& s = *shared_;
  int seen = 0;
  for (;;) {
    await_change(s.generation, seen, s.spin_us);
    seen = s.generation.load(std::memory_order_acquire);
    if (s.stop.load(std::memory_order_acquire)) return;
    try {
      (*s.task)(t);
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

void SpinTeam::start(FunctionRef<void(int)> task) {
  GRADNET_ASSERT(usable());
  Shared& s = *shared_;
  s.task.emplace(task);
  s.error = nullptr;
  s.busy.store(size_ - 1, std::memory_order_relaxed);
  s.generation.fetch_add(1, std::memory_order_release);
  s.generation.notify_all();
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
