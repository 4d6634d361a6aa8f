// The data side of a run, shared by train, sanity, lr-find and report: load the splits the
// config names, make its data paths absolute, fit the normalization on the training split only
// and apply it to every split.
#pragma once

#include <string>

#include "gradnet/config.h"
#include "gradnet/data/dataset.h"
#include "gradnet/data/normalize.h"
#include "gradnet/train/dataset_info.h"

namespace gradnet {

struct PreparedData {
  Config config;           // the given config with absolute data paths (what a run directory stores)
  Splits splits;           // normalized
  Normalizer normalizer;   // fitted on splits.train before it was normalized
  Index classes = 0;
  DatasetInfo info;        // class names and raw image statistics, for RUNDIR/dataset.json
};

// config_dir: where relative data paths are resolved ("" = the config file's own directory).
// Error{data|config|shape} for bad data or an input shape that does not fit model.input.
PreparedData prepare_data(const Config& config, const std::string& config_dir = "");

}  // namespace gradnet
