// The trial queue under concurrency: threads, each with its own connection as worker processes
// have, claim trials until none are left; every number is claimed once and the store stays sound.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "../../src/search/queue.h"
#include "gradnet/error.h"
#include "search_support.h"

namespace gradnet::search {
namespace {

using gradnet::testing::TempDir;

TEST(Queue, ConcurrentClaimsTakeEachTrialOnce) {
  TempDir dir;
  gradnet::testing::write_file(dir / "s.toml", gradnet::testing::iris_spec(R"([search]
trials = 40
[search.space]
"optimizer.lr" = { log_uniform = [1e-3, 1.0] }
)"));
  const SearchSpec spec = load_search_spec(dir / "s.toml");
  create_study(spec, dir / "study");
  std::mutex mutex;
  std::map<std::int64_t, int> claimed;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&] {
      TrialQueue queue(dir / "study", spec);
      for (;;) {
        const Claim c = queue.next();
        if (c.kind == Claim::finished) return;
        if (c.kind == Claim::wait) continue;
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++claimed[c.record.number];
        }
        queue.report(c.record.number, 1, 0.5);
        EXPECT_TRUE(queue.finish(c.record.number, TrialState::complete, 0.5, ""));
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(claimed.size(), 40u);
  for (const auto& [number, times] : claimed) EXPECT_EQ(times, 1) << "trial " << number;
  const StudyRecord study = load_study(dir / "study");
  ASSERT_EQ(study.trials.size(), 40u);
  for (const auto& t : study.trials) EXPECT_EQ(t.state, TrialState::complete);
  Database db(dir / "study/study.db", Database::Mode::read_write);
  auto check = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
}

TEST(Queue, ATrialWhoseWorkerStoppedBeatingIsRequeuedThenFailed) {
  TempDir dir;
  gradnet::testing::write_file(dir / "s.toml", gradnet::testing::iris_spec(R"([search]
trials = 1
max_attempts = 2
heartbeat_timeout = 1
[search.space]
"optimizer.lr" = { log_uniform = [1e-3, 1.0] }
)"));
  const SearchSpec spec = load_search_spec(dir / "s.toml");
  create_study(spec, dir / "study");
  TrialQueue queue(dir / "study", spec);
  const Claim first = queue.next();
  ASSERT_EQ(first.kind, Claim::trial);
  EXPECT_EQ(queue.next().kind, Claim::wait);  // the stage's only trial is running
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const Claim again = queue.next();  // no heartbeat for over 1 s: re-queued and claimed anew
  ASSERT_EQ(again.kind, Claim::trial);
  EXPECT_EQ(again.record.number, first.record.number);
  EXPECT_EQ(again.record.attempts, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  // the second death reaches max_attempts: failed; a new trial (number 1) replaces it
  const Claim replacement = queue.next();
  ASSERT_EQ(replacement.kind, Claim::trial);
  EXPECT_EQ(replacement.record.number, 1);
  const StudyRecord study = load_study(dir / "study");
  EXPECT_EQ(study.trials[0].state, TrialState::failed);
  EXPECT_NE(study.trials[0].message.find("heartbeat"), std::string::npos) << study.trials[0].message;
}

}  // namespace
}  // namespace gradnet::search
