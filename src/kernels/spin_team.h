// SpinTeam: threads that meet a few times per training step with little to wait for: the thread
// shards' threads (src/train/step_shards.cpp), and, not spinning, the Batcher's helper that gathers
// the next batch (src/data/batcher.cpp). Here, under the kernels, so any module may use it.
//
// Why not an OpenMP team: gradnet runs with OMP_WAIT_POLICY=passive (idle OpenMP threads sleep, so
// that a busy machine's late thread is not fought by a spinning one), and then every parallel region
// and every barrier wakes a sleeping thread: measured here 21 µs for an empty two-thread region
// (3 µs spinning), four such meetings a step, as long as the seed MLP's whole forward pass. A
// SpinTeam's threads spin (a pause loop, then sched_yield, so that another process on the core
// gets it) and only then sleep on a futex, for 4 to 300 µs as recent waits showed worth it
// (spin_team.cpp); a meeting costs ~2.5 µs when the team is busy and a wake-up
// (~40 µs here) when it has been idle. Two kinds of meeting: run() gives thread t part t and may
// use barrier(); run_tasks() hands out tasks to whoever comes, so a descheduled thread delays no one.
//
// What runs on a worker runs on it alone: the worker's OpenMP thread budget is 1 (oneDNN and the
// kernels' parallel loops stay on it), and run() and run_tasks() set the caller's to 1 for their
// tasks as well.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "gradnet/function_ref.h"

namespace gradnet {

class SpinTeam {
 public:
  // The caller and threads - 1 workers; spin = false: waiting threads sleep at once (a helper that
  // works beside the caller, whose waits are long, should not hold a core).
  explicit SpinTeam(int threads, bool spin = true);
  ~SpinTeam();
  SpinTeam(const SpinTeam&) = delete;
  SpinTeam& operator=(const SpinTeam&) = delete;

  static constexpr int kMaxTasks = 16;  // run_tasks()' limit

  int size() const { return size_; }
  // Runs task(t) for t = 0..size()-1, t = 0 on the calling thread, and returns when every thread is
  // done; rethrows the first exception a thread threw (every thread still reaches the barriers).
  void run(FunctionRef<void(int)> task);
  // Runs task(i) for i = 0..tasks-1 (at most kMaxTasks), each on whichever thread of the team takes it
  // first, the caller among them, and returns when all are done; rethrows the first exception. No
  // barrier() inside. The caller always runs task 0, and thread t takes task t first when it is
  // free, so a quiet team keeps each task's data on one core. Nobody waits for a thread that has not taken a task: where
  // another process has descheduled a worker, the caller takes its share. Only the task's own
  // work may decide the results (never which thread ran it) for them to stay deterministic.
  void run_tasks(int tasks, FunctionRef<void(int)> task);
  // The workers' half of run(), for work beside the caller's: start() runs task(t) for
  // t = 1..size()-1 and returns at once; finish() waits for them and rethrows their first
  // exception. The callable task refers to must outlive finish(); no run() in between, but
  // run_tasks() may be (the started workers take its tasks only once done with theirs).
  void start(FunctionRef<void(int)> task);
  void finish();
  // True when no worker is inside a task (finish() would return at once).
  bool idle() const;
  // Inside run(): waits until every thread of the team has arrived.
  void barrier();
  // False in a child process forked after the workers started (they do not exist there).
  bool usable() const;

 private:
  struct Shared;
  int size_;
  pid_t owner_;
  Shared* shared_;  // leaked, with the workers, in a forked child (see the destructor)
  std::vector<std::thread> workers_;

  void work(int t);
};

}  // namespace gradnet
