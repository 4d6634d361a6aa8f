// Where a worker gets its trials and sends what they measure: the study store itself (TrialQueue,
// queue.h: `gradnet search` and `gradnet worker` on one machine or a shared file system), or the
// master rank of `mpirun -np N gradnet search` that alone opens the store (mpi_worker.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradnet/search/search.h"

namespace gradnet::search {

struct Claim {
  enum Kind { trial, wait, finished } kind = finished;
  TrialRecord record;          // kind == trial: number, stage, params, run_dir, attempts
  std::string why;             // kind == finished: why no more trials start ("" when all are done)
};

class TrialSource {
 public:
  virtual ~TrialSource() = default;
  virtual Claim next() = 0;
  virtual void report(std::int64_t number, std::int64_t epoch, double value) = 0;
  // Other trials' values at an epoch, in the same stage (the pruners' evidence).
  virtual std::vector<double> values_at(int stage, std::int64_t epoch, std::int64_t except) = 0;
  // The trial's final state, written only while this worker still owns it; false when it does not.
  virtual bool finish(std::int64_t number, TrialState state, std::optional<double> value,
                      const std::string& message) = 0;
  // A signal stopped the trial: back to waiting, the attempt not counted.
  virtual void release(std::int64_t number, const std::string& message) = 0;
  // From the training loop (every step) and between trials (number -1), on the thread that trains:
  // a remote source sends its heartbeat and reads a stop from the master here. The store's own
  // queue has a heartbeat thread instead.
  virtual void keep_alive(std::int64_t /*number*/) {}
};

}  // namespace gradnet::search
