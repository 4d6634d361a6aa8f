// SpinTeam (src/kernels/spin_team.h), the thread shards' threads: every part runs once per run(), part
// 0 on the caller; barriers order the phases; a worker's exception reaches the caller and the team
// goes on; a team idle past its spinning still wakes; what runs on it has an OpenMP budget of one;
// start() and finish() run the workers' parts beside the caller's own work; run_tasks() runs each
// task once, on whoever takes it, and waits for no thread that took none.
#include "kernels/spin_team.h"

#include <omp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace gradnet {
namespace {

TEST(SpinTeam, EveryPartRunsOncePerRunAndPartZeroOnTheCaller) {
  SpinTeam team(3);
  std::array<std::atomic<int>, 3> runs{};
  std::atomic<bool> zero_elsewhere{false};
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 2000; ++i)
    team.run([&](int t) {
      runs[static_cast<std::size_t>(t)]++;
      if (t == 0 && std::this_thread::get_id() != caller) zero_elsewhere = true;
    });
  for (int t = 0; t < 3; ++t) EXPECT_EQ(runs[static_cast<std::size_t>(t)].load(), 2000) << "part " << t;
  EXPECT_FALSE(zero_elsewhere.load());
}

TEST(SpinTeam, BarrierSeparatesPhases) {
  SpinTeam team(2);
  std::array<int, 2> written{};
  std::atomic<int> wrong{0};
  for (int round = 1; round <= 5000; ++round)
    team.run([&](int t) {
      written[static_cast<std::size_t>(t)] = round;
      team.barrier();
      if (written[static_cast<std::size_t>(1 - t)] != round) wrong++;
      team.barrier();  // nobody writes the next round before both have read
    });
  EXPECT_EQ(wrong.load(), 0);
}

TEST(SpinTeam, AWorkersExceptionReachesTheCallerAndTheTeamGoesOn) {
  SpinTeam team(2);
  EXPECT_THROW(team.run([](int t) {
    if (t == 1) throw std::runtime_error("worker failed");
  }),
               std::runtime_error);
  std::atomic<int> ran{0};
  team.run([&](int) { ran++; });
  EXPECT_EQ(ran.load(), 2);
}

TEST(SpinTeam, WakesAfterSleepingAndRunsOnOneOpenMpThread) {
  omp_set_num_threads(2);
  SpinTeam team(2);
  std::array<int, 2> budget{};
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spinning: asleep on the futex
    team.run([&](int t) { budget[static_cast<std::size_t>(t)] = omp_get_max_threads(); });
    EXPECT_EQ(budget[0], 1);
    EXPECT_EQ(budget[1], 1);
  }
  EXPECT_EQ(omp_get_max_threads(), 2) << "the caller's OpenMP budget is restored after run()";
}

TEST(SpinTeam, StartRunsTheWorkersBesideTheCallerAndFinishWaitsForThem) {
  SpinTeam team(2, /*spin=*/false);  // a helper that sleeps between tasks
  for (int i = 0; i < 200; ++i) {
    std::atomic<int> done{0};
    const auto task = [&](int t) {
      EXPECT_EQ(t, 1);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      done = i + 1;
    };
    team.start(task);
    team.finish();
    EXPECT_EQ(done.load(), i + 1);
  }
  const auto failing = [](int) { throw std::runtime_error("gather failed"); };
  team.start(failing);
  EXPECT_THROW(team.finish(), std::runtime_error);
  std::atomic<int> ran{0};
  team.run([&](int) { ran++; });  // the team goes on after the failure
  EXPECT_EQ(ran.load(), 2);
}

TEST(SpinTeam, RunTasksRunsEveryTaskOnceAndTheCallerKeepsTaskZero) {
  SpinTeam team(3);
  std::array<std::atomic<int>, 16> runs{};
  std::atomic<int> zero_elsewhere{0};
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 3000; ++i) {
    const int tasks = 1 + i % 16;  // fewer, as many and more tasks than threads
    team.run_tasks(tasks, [&](int task) {
      runs[static_cast<std::size_t>(task)]++;
      if (task == 0 && tasks <= 3 && std::this_thread::get_id() != caller) zero_elsewhere++;
    });
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));  // workers asleep: still done
  }
  for (int task = 0; task < 16; ++task) {
    int expected = 0;
    for (int i = 0; i < 3000; ++i) expected += task < 1 + i % 16;
    EXPECT_EQ(runs[static_cast<std::size_t>(task)].load(), expected) << "task " << task;
  }
  EXPECT_EQ(zero_elsewhere.load(), 0) << "with no more tasks than threads, task 0 runs on the caller";
}

TEST(SpinTeam, RunTasksDoesNotWaitForAWorkerThatTookNoTask) {
  // The worker is held inside a task of start() (as a thread another process has descheduled):
  // run_tasks must still finish, the caller taking every task.
  SpinTeam team(2);
  std::atomic<bool> release{false}, held{false};
  const auto hold = [&](int) {
    held = true;
    while (!release) std::this_thread::sleep_for(std::chrono::microseconds(100));
  };
  team.start(hold);
  while (!held) std::this_thread::yield();
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) team.run_tasks(2, [&](int) { ran++; });
  EXPECT_EQ(ran.load(), 100);
  release = true;
  team.finish();
  std::array<std::atomic<int>, 2> after{};  // and the worker joins the next runs again
  for (int i = 0; i < 200; ++i) team.run_tasks(2, [&](int task) { after[static_cast<std::size_t>(task)]++; });
  EXPECT_EQ(after[0].load() + after[1].load(), 400);
}

TEST(SpinTeam, RunTasksRethrowsATasksExceptionAndGoesOn) {
  SpinTeam team(2);
  for (int failing = 0; failing < 4; ++failing)
    EXPECT_THROW(team.run_tasks(4, [&](int task) {
      if (task == failing) throw std::runtime_error("task failed");
    }),
                 std::runtime_error);
  std::atomic<int> ran{0};
  team.run_tasks(4, [&](int) { ran++; });
  EXPECT_EQ(ran.load(), 4);
  team.run([&](int) { ran++; });  // static runs still work between dynamic ones
  EXPECT_EQ(ran.load(), 6);
}

TEST(SpinTeam, ANonSpinningTeamsWorkerStillTakesTasks) {
  SpinTeam team(2, /*spin=*/false);
  std::atomic<int> on_worker{0};
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 100; ++i)
    team.run_tasks(2, [&](int) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // long enough for a woken worker, even on a loaded machine
      if (std::this_thread::get_id() != caller) on_worker++;
    });
  EXPECT_GT(on_worker.load(), 0);
}

}  // namespace
}  // namespace gradnet
