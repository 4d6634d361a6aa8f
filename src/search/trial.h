// One trial: its config (base + spec `set` + the stage's epochs + the sampled params), its run
// directory (fresh, resumed from its newest checkpoint after a dead worker, or read back when it
// had finished), training with the pruning callback, and the outcome.
#pragma once

#include <optional>
#include <string>

#include <cstdint>
#include <functional>

#include "gradnet/search/search.h"

namespace gradnet::search {

class TrialSource;

struct TrialOutcome {
  TrialState state = TrialState::failed;
  std::optional<double> value;
  std::string message;
  int signal = 0;  // > 0: a signal stopped it (checkpointed; the trial goes back to waiting)
};

TrialOutcome run_trial(TrialSource& source, const SearchSpec& spec, const TrialRecord& trial,
                       const WorkerOptions& options);

// Claims and runs trials from source until none are left: 0, or 128 + signal when interrupted.
// on_trial(number) before each trial and on_trial(-1) after it (the local worker's heartbeat).
int run_trials(TrialSource& source, const SearchSpec& spec, const WorkerOptions& options,
               const std::function<void(std::int64_t)>& on_trial);

// The objective's value in a summary.json-like object (val_accuracy, test_loss, ...); none when null.
std::optional<double> objective_of(const std::string& objective, double val_accuracy, double val_loss,
                                   double test_accuracy, double test_loss, double train_accuracy, double train_loss);

}  // namespace gradnet::search
