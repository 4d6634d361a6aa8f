// RUNDIR/dataset.json: what a run knew about its data that its config does not say, for eval,
// predict and report — the class names (Fashion-MNIST's "T-shirt/top"..., CIFAR-10's
// batches.meta.txt, a CSV's text labels or sklearn header) and, for images, the raw example
// shape and background level (to warn when predict is handed an inverted image). Written by
// train next to normalization.safetensors; runs made before it have none and show numbers.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "gradnet/data/dataset.h"

namespace gradnet {

struct DatasetInfo {
  std::vector<std::string> class_names;  // one per class, or empty: classes show as numbers
  Shape shape;                           // the raw per-example shape ({1, 28, 28}), before normalization
  // Images ({C, H, W}) only, raw values 0..255 over the training split; NaN otherwise.
  double mean = std::numeric_limits<double>::quiet_NaN();         // every value
  double border_mean = std::numeric_limits<double>::quiet_NaN();  // the outermost pixels: the background

  // "Sneaker", or "7" without names.
  std::string class_name(Index c) const;
};

// From the raw (not yet normalized) training split. Names: the training split's, else the test
// split's (CIFAR-10, a CSV test file), kept only when there is one per class.
DatasetInfo describe_dataset(const Splits& raw, Index classes);

void save_dataset_info(const std::string& path, const DatasetInfo& info);
// A missing file gives an empty DatasetInfo (a run made before dataset.json existed);
// Error{checkpoint} naming the file when it is not what save_dataset_info writes.
DatasetInfo load_dataset_info(const std::string& path);

}  // namespace gradnet
