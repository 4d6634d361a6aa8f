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
#include "trial_source.h"

namespace gradnet::search {

// "host:pid", what trials.worker holds.
std::string this_worker_id();
// Whether a worker id names a process of this host that has gone (dead or a zombie).
bool worker_is_gone(const std::string& worker);

class TrialQueue final : public TrialSource {
 public:
  // worker: the id the claimed trials record (default: this process's, this_worker_id()); the MPI
  // master keeps one queue per worker rank, each with that rank's process id.
  TrialQueue(const std::string& dir, const SearchSpec& spec, const std::string& worker = "");
  Claim next() override;
  void report(std::int64_t number, std::int64_t epoch, double value) override;
  std::vector<double> values_at(int stage, std::int64_t epoch, std::int64_t except) override;
  bool finish(std::int64_t number, TrialState state, std::optional<double> value,
              const std::string& message) override;
  void release(std::int64_t number, const std::string& message) override;
  // Refreshes the trial's heartbeat (while this worker still owns it).
  void beat(std::int64_t number);
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
