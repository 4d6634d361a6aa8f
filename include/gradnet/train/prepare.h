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
  std::string normalization_note;  // with train.init_from: whose statistics these are, and why
};

// config_dir: where relative data paths (and train.init_from) are resolved ("" = the config file's
// own directory). Error{data|config|shape} for bad data or an input shape that does not fit
// model.input. The normalization is fitted on the training split, except: with train.init_from
// and init_normalization = "source", the source run's statistics (init_from.h); with
// normalization_file (a resumed run's own), that file's.
PreparedData prepare_data(const Config& config, const std::string& config_dir = "",
                          const std::string& normalization_file = "");

}  // namespace gradnet
