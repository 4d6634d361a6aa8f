// Normalizer: per-feature preprocessing fitted on the training split only, then applied
// unchanged to train, validation, test and `gradnet predict` inputs (CS231n: statistics of the
// training data, never of the data evaluated). Every method is x' = (x - mean[j]) / std[j]:
//   none         mean = 0, std = 1 (no vectors stored: apply() is a no-op)
//   scale01      images (3-d shape): x / 255, i.e. mean = 0, std = 255;
//                other data: per-feature min-max to [0, 1] on train: mean = min, std = max - min
//   standardize  images (3-d shape C, H, W): per-channel mean and population std over all the
//                channel's pixels on train; other data: per-feature (double accumulation)
// A feature constant on train (an MNIST corner pixel) gets std = 1, as sklearn's StandardScaler
// does: it maps to 0 on train, and a test value there stays finite instead of being divided by
// a tiny epsilon. mean/std are plain vectors so a run directory can save them (safetensors).
#pragma once

#include <string>
#include <vector>

#include "gradnet/data/dataset.h"

namespace gradnet {

struct Normalizer {
  std::string method = "none";  // none | scale01 | standardize
  std::vector<float> mean, std; // one entry per feature (empty for "none")

  // Error{config} for an unknown method, Error{data} for an empty training set.
  void fit(const Dataset& train);
  // Error{shape} when d's feature count differs from the fitted one.
  void apply(Dataset& d) const;
  // rows: (n, features), in place.
  void apply(float* rows, Index n, Index features) const;
};

// Fits `method` on train and returns it (the usual one-liner).
Normalizer fit_normalizer(const std::string& method, const Dataset& train);

}  // namespace gradnet
