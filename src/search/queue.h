// The trial queue on top of the store: what a worker claims next (re-queueing dead workers'
// trials, creating the next trial of the current stage), progress reports and the final state.
// Every call is one short transaction; nothing is held while a trial trains.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradnet/search/search.h"
#include "store.h"

namespace gradnet::search {

struct Claim {
  enum Kind { trial, wait, finished } kind = finished;
  TrialRecord record;          // kind == trial: number, stage, params, run_dir, attempts
  std::string why;             // kind == finished: why no more trials start ("" when all are done)
};

// "host:pid", what trials.worker holds.
std::string this_worker_id();
// Whether a worker id names a process of this host that has gone (dead or a zombie).
bool worker_is_gone(const std::string& worker);

class TrialQueue {
 public:
  TrialQueue(const std::string& dir, const SearchSpec& spec);
  Claim next();
  void report(std::int64_t number, std::int64_t epoch, double value);
  // Other trials' values at an epoch, in the same stage (the pruners' evidence).
  std::vector<double> values_at(int stage, std::int64_t epoch, std::int64_t except);
  // The trial's final state, written only while this worker still owns it; false when it does not.
  bool finish(std::int64_t number, TrialState state, std::optional<double> value, const std::string& message);
  // A signal stopped the trial: back to waiting, the attempt not counted.
  void release(std::int64_t number, const std::string& message);
  const std::string& dir() const { return dir_; }
  const std::string& worker() const { return worker_; }

 private:
  void requeue_dead(double now);
  std::optional<Claim> claim_waiting(double now);
  Claim create_or_wait(double now, double deadline);
  std::vector<SpaceDim> stage_space(int stage);
  Claim insert_trial(int stage, std::int64_t k, double now);

  std::string dir_;
  SearchSpec spec_;
  std::string worker_;
  Database db_;
};

// The heartbeat a worker's thread writes for its running trial (its own connection).
void beat(Database& db, std::int64_t number, const std::string& worker);

}  // namespace gradnet::search
