// A worker: claims trials from the queue and trains each in-process as an ordinary run directory,
// reporting the objective per epoch (the pruner's evidence) and keeping a heartbeat while it trains.
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"
#include "gradnet/train/trainer.h"
#include "pruner.h"
#include "queue.h"
#include "trial.h"

namespace gradnet::search {
namespace fs = std::filesystem;
namespace {

// Refreshes the running trial's heartbeat every `period` seconds on its own connection.
class Heartbeat {
 public:
  Heartbeat(const std::string& dir, std::string worker, double period)
      : worker_(std::move(worker)), period_(period), thread_([this, dir] { loop(dir); }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void set(std::int64_t number) {
    std::lock_guard<std::mutex> lock(mutex_);
    number_ = number;
  }

 private:
  void loop(const std::string& dir) {
    std::unique_ptr<Database> db;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::duration<double>(period_));
      if (stop_ || number_ < 0) continue;
      const std::int64_t number = number_;
      lock.unlock();
      try {
        if (!db) db = std::make_unique<Database>(open_store(dir));
        beat(*db, number, worker_);
      } catch (const Error&) {
        // A missed beat is not fatal: the timeout allows several.
      }
      lock.lock();
    }
  }

  std::string worker_;
  double period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::int64_t number_ = -1;
  std::thread thread_;
};

bool interrupted(const WorkerOptions& o) { return o.signal_flag && o.signal_flag->load() != 0; }

std::string describe(const std::vector<ParamValue>& params) {
  std::string text;
  for (const auto& p : params) text += (text.empty() ? "" : ", ") + p.key + "=" + p.literal;
  return text;
}

void note_outcome(const TrialRecord& t, const TrialOutcome& o, const std::string& objective, bool quiet) {
  if (quiet) return;
  const std::string value = o.value ? fmt::format(" {} {:.6g}", objective, *o.value) : std::string();
  fmt::print(stderr, "gradnet: note: trial {} {}{} ({}){}\n", t.number, to_string(o.state), value,
             describe(t.params), o.message.empty() ? "" : ": " + o.message);
}

}  // namespace

int run_trials(TrialSource& source, const SearchSpec& spec, const WorkerOptions& options,
               const std::function<void(std::int64_t)>& on_trial) {
  for (;;) {
    source.keep_alive(-1);
    if (interrupted(options)) return 128 + options.signal_flag->load();
    const Claim claim = source.next();
    if (claim.kind == Claim::finished) {
      if (!claim.why.empty() && !options.quiet) fmt::print(stderr, "gradnet: note: no new trials: {}\n", claim.why);
      return 0;
    }
    if (claim.kind == Claim::wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    on_trial(claim.record.number);
    const TrialOutcome outcome = run_trial(source, spec, claim.record, options);
    on_trial(-1);
    if (outcome.signal) {
      source.release(claim.record.number, fmt::format("interrupted by signal {}; continues from its checkpoint",
                                                      outcome.signal));
      return 128 + outcome.signal;
    }
    if (source.finish(claim.record.number, outcome.state, outcome.value, outcome.message))
      note_outcome(claim.record, outcome, spec.objective, options.quiet);
    else if (!options.quiet)
      fmt::print(stderr, "gradnet: warning: trial {} was re-queued while this worker ran it; its result is dropped\n",
                 claim.record.number);
  }
}

int run_worker(const std::string& dir, const WorkerOptions& options) {
  const SearchSpec spec = [&] {
    Database db = open_store(dir);
    const StudySettings s = read_settings(db);
    return parse_search_spec(s.spec_text, s.spec_path, s.base_config);
  }();
  TrialQueue queue(dir, spec);
  Heartbeat heartbeat(queue.dir(), queue.worker(), std::clamp(spec.heartbeat_timeout / 4, 0.2, 5.0));
  return run_trials(queue, spec, options, [&](std::int64_t number) { heartbeat.set(number); });
}

}  // namespace gradnet::search
