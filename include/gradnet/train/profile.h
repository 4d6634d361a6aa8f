// RunProfile: where a training run's time goes (`gradnet train --profile`, caffe time's table for
// a real run). The trainer fills it while it runs: per layer forward and backward, the loss, zero
// grad, the optimizer's update, batch gathering (shuffle and gather), augmentation, each callback
// (monitors, checkpoints, metrics, ...) and evaluation (step 0, validation, test), all as wall-clock
// seconds summed over the run. Timing costs two clock reads per layer and phase; without
// --profile nothing is timed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gradnet/net.h"

namespace gradnet {

struct RunProfile {
  std::vector<std::string> layers;  // "layers.0 (linear)", one per entry of net.forward / net.backward
  NetTimes net;                     // training steps only (evaluation is timed apart)
  std::string optimizer;            // its type, for the table
  double optimizer_update = 0;      // optimizer.step (for L-BFGS: its step, forward/backward included)
  double data = 0;                  // the batcher: shuffling at an epoch's start and gathering each batch
  double augment = 0;
  double evaluation = 0;            // step-0 losses, per-epoch validation, the final validation and test
  std::vector<std::pair<std::string, double>> callbacks;  // each callback's time over every event, in order
  Index steps = 0;
  double epochs_seconds = 0;        // the epochs' training time (their epoch_seconds, evaluation excluded)
  double total_seconds = 0;         // the whole run, from data loading to summary.json
};

// The profile as a table: each part's seconds, per-step milliseconds and share of the run.
std::string profile_table(const RunProfile& profile);
// The same as one JSON object (profile.json in the run directory, "profile" in train --json).
std::string profile_json(const RunProfile& profile);

}  // namespace gradnet
