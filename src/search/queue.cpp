#include "queue.h"

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "sampler.h"

namespace gradnet::search {
namespace fs = std::filesystem;

namespace {

std::string hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

std::string utc_text(double unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

struct StageCounts {
  std::int64_t done = 0, active = 0, failed = 0, created = 0;
};

}  // namespace

std::string this_worker_id() { return fmt::format("{}:{}", hostname(), getpid()); }

bool worker_is_gone(const std::string& worker) {
  const auto colon = worker.rfind(':');
  if (colon == std::string::npos || worker.substr(0, colon) != hostname()) return false;
  const pid_t pid = static_cast<pid_t>(std::atol(worker.c_str() + colon + 1));
  if (pid <= 0 || pid == getpid()) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';  // a zombie
}

TrialQueue::TrialQueue(const std::string& dir, const SearchSpec& spec, const std::string& worker)
    : dir_(fs::absolute(dir).lexically_normal().string()), spec_(spec),
      worker_(worker.empty() ? this_worker_id() : worker), db_(open_store(dir)) {}

void TrialQueue::requeue_dead(double now) {
  struct Dead {
    std::int64_t number;
    int attempts;
    std::string why;
  };
  std::vector<Dead> dead;
  auto rows = db_.prepare("SELECT number, worker, heartbeat, attempts FROM trials WHERE state = 'running'");
  while (rows.step()) {
    const std::string worker = rows.text(1);
    const double age = now - rows.optional_real(2).value_or(0);
    if (worker_is_gone(worker))
      dead.push_back({rows.integer(0), static_cast<int>(rows.integer(3)), fmt::format("worker {} died", worker)});
    else if (age > spec_.heartbeat_timeout)
      dead.push_back({rows.integer(0), static_cast<int>(rows.integer(3)),
                      fmt::format("worker {} sent no heartbeat for {:.0f} s", worker, age)});
  }
  for (const Dead& d : dead) {
    const int attempts = d.attempts + 1;
    const bool give_up = attempts >= spec_.max_attempts;
    db_.prepare("UPDATE trials SET state = ?, attempts = ?, worker = '', heartbeat = NULL, message = ?, "
                "finished_at = ? WHERE number = ? AND state = 'running'")
        .bind(1, give_up ? "failed" : "waiting").bind(2, attempts)
        .bind(3, give_up ? fmt::format("{} (attempt {} of {}): failed", d.why, attempts, spec_.max_attempts)
                         : fmt::format("{}: re-queued (attempt {} of {})", d.why, attempts, spec_.max_attempts))
        .bind(4, give_up ? utc_text(now) : std::string()).bind(5, d.number).run();
  }
}

std::optional<Claim> TrialQueue::claim_waiting(double now) {
  auto row = db_.prepare("SELECT number, stage, params, run_dir, attempts FROM trials WHERE state = 'waiting' "
                         "ORDER BY number LIMIT 1");
  if (!row.step()) return std::nullopt;
  Claim c{Claim::trial, {}, ""};
  c.record.number = row.integer(0);
  c.record.stage = static_cast<int>(row.integer(1));
  c.record.params = params_from_json(row.text(2), fmt::format("{}: trial {}", db_.path(), c.record.number));
  c.record.run_dir = row.text(3);
  c.record.attempts = static_cast<int>(row.integer(4));
  c.record.state = TrialState::running;
  row.run();
  db_.prepare("UPDATE trials SET state = 'running', worker = ?, heartbeat = ?, started_at = ? "
              "WHERE number = ? AND state = 'waiting'")
      .bind(1, worker_).bind(2, now).bind(3, utc_text(now)).bind(4, c.record.number).run();
  return c;
}

std::vector<SpaceDim> TrialQueue::stage_space(int stage) {
  std::vector<std::vector<SpaceDim>> stages;
  auto rows = db_.prepare("SELECT stage, key, distribution, low, high, choices FROM space ORDER BY stage, position");
  while (rows.step()) {
    const auto s = static_cast<std::size_t>(rows.integer(0));
    if (stages.size() <= s) stages.resize(s + 1);
    SpaceDim d{rows.text(1), rows.text(2), rows.real(3), rows.real(4), choices_from_json(rows.text(5), db_.path())};
    stages[s].push_back(std::move(d));
  }
  if (static_cast<int>(stages.size()) > stage && !stages[static_cast<std::size_t>(stage)].empty())
    return stages[static_cast<std::size_t>(stage)];
  GRADNET_ASSERT(stage > 0 && static_cast<int>(stages.size()) >= stage);
  // The stage's first trial: its space from the previous stage's, narrowed around the best so far.
  std::vector<SpaceDim> space = stages[static_cast<std::size_t>(stage - 1)];
  const double narrow = spec_.stages[static_cast<std::size_t>(stage)].narrow;
  auto best = db_.prepare(fmt::format("SELECT params FROM trials WHERE state = 'complete' AND stage < ? AND value "
                                      "IS NOT NULL ORDER BY value {} LIMIT 1", spec_.maximize ? "DESC" : "ASC"));
  best.bind(1, stage);
  if (narrow > 0 && best.step()) {
    const auto params = params_from_json(best.text(0), db_.path());
    best.run();
    space = narrow_space(space, stages[0], params, narrow);
  }
  write_space(db_, stage, space);
  return space;
}

Claim TrialQueue::insert_trial(int stage, std::int64_t k, double now) {
  const std::vector<SpaceDim> space = stage_space(stage);
  Claim c{Claim::trial, {}, ""};
  c.record.params = spec_.sampler == "grid" ? grid_point(space, k) : sample_random(space, spec_.seed, stage, k);
  auto max = db_.prepare("SELECT coalesce(max(number) + 1, 0) FROM trials");
  max.step();
  c.record.number = max.integer(0);
  max.run();
  c.record.stage = stage;
  c.record.state = TrialState::running;
  c.record.run_dir = (fs::path(dir_) / "trials" / fmt::format("{:04d}", c.record.number)).string();
  db_.prepare("INSERT INTO trials(number, stage, state, params, run_dir, worker, attempts, heartbeat, started_at) "
              "VALUES (?, ?, 'running', ?, ?, ?, 0, ?, ?)")
      .bind(1, c.record.number).bind(2, stage).bind(3, params_to_json(c.record.params)).bind(4, c.record.run_dir)
      .bind(5, worker_).bind(6, now).bind(7, utc_text(now)).run();
  return c;
}

Claim TrialQueue::create_or_wait(double now, double deadline) {
  std::map<int, StageCounts> counts;
  auto rows = db_.prepare("SELECT stage, state, count(*) FROM trials GROUP BY stage, state");
  while (rows.step()) {
    StageCounts& c = counts[static_cast<int>(rows.integer(0))];
    const std::string state = rows.text(1);
    const std::int64_t n = rows.integer(2);
    c.created += n;
    if (state == "complete" || state == "pruned") c.done += n;
    else if (state == "failed") c.failed += n;
    else c.active += n;
  }
  for (int s = 0; s < static_cast<int>(spec_.stages.size()); ++s) {
    const StageCounts& c = counts[s];
    const std::int64_t target = spec_.stages[static_cast<std::size_t>(s)].trials;
    const bool grid_done = spec_.sampler == "grid" && c.created >= grid_size(stage_space(s));
    const bool too_many_failures = c.failed >= target * spec_.max_attempts;
    if (c.done >= target || ((grid_done || too_many_failures) && c.active == 0)) continue;
    if (c.done + c.active < target && !grid_done && !too_many_failures) {
      if (deadline > 0 && now >= deadline) return {Claim::finished, {}, "the time budget is spent"};
      return insert_trial(s, c.created, now);
    }
    return {Claim::wait, {}, ""};  // the stage's last trials are running: one may die and need a re-run
  }
  return {Claim::finished, {}, ""};
}

Claim TrialQueue::next() {
  Claim claim;
  db_.write([&] {
    const double now = unix_now();
    requeue_dead(now);
    auto row = db_.prepare("SELECT deadline FROM study WHERE id = 1");
    row.step();
    const double deadline = row.real(0);
    row.run();
    if (deadline > 0 && now >= deadline) {
      claim = {Claim::finished, {}, "the time budget is spent"};
      return;
    }
    if (auto waiting = claim_waiting(now)) {
      claim = *waiting;
      return;
    }
    claim = create_or_wait(now, deadline);
  });
  return claim;
}

void TrialQueue::report(std::int64_t number, std::int64_t epoch, double value) {
  db_.write([&] {
    db_.prepare("INSERT OR REPLACE INTO intermediate(trial, epoch, value) VALUES (?, ?, ?)")
        .bind(1, number).bind(2, epoch).bind(3, value).run();
  });
}

std::vector<double> TrialQueue::values_at(int stage, std::int64_t epoch, std::int64_t except) {
  std::vector<double> values;
  auto rows = db_.prepare("SELECT i.value FROM intermediate i JOIN trials t ON t.number = i.trial "
                          "WHERE t.stage = ? AND i.epoch = ? AND i.trial != ?");
  rows.bind(1, stage).bind(2, epoch).bind(3, except);
  while (rows.step()) values.push_back(rows.real(0));
  return values;
}

bool TrialQueue::finish(std::int64_t number, TrialState state, std::optional<double> value,
                        const std::string& message) {
  bool owned = false;
  db_.write([&] {
    db_.prepare("UPDATE trials SET state = ?, value = ?, message = ?, finished_at = ?, heartbeat = NULL "
                "WHERE number = ? AND worker = ? AND state = 'running'")
        .bind(1, to_string(state)).bind(2, value).bind(3, message).bind(4, utc_text(unix_now()))
        .bind(5, number).bind(6, worker_).run();
    owned = db_.changes() > 0;
  });
  return owned;
}

void TrialQueue::release(std::int64_t number, const std::string& message) {
  db_.write([&] {
    db_.prepare("UPDATE trials SET state = 'waiting', worker = '', heartbeat = NULL, message = ? "
                "WHERE number = ? AND worker = ? AND state = 'running'")
        .bind(1, message).bind(2, number).bind(3, worker_).run();
  });
}

void TrialQueue::beat(std::int64_t number) {
  db_.write([&] { search::beat(db_, number, worker_); });
}

void beat(Database& db, std::int64_t number, const std::string& worker) {
  db.prepare("UPDATE trials SET heartbeat = ? WHERE number = ? AND worker = ? AND state = 'running'")
      .bind(1, unix_now()).bind(2, number).bind(3, worker).run();
}

}  // namespace gradnet::search
