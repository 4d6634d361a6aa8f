// From a [data] config section to train / validation / test splits (docs/data.md):
//   1. read the dataset: mnist / fashion-mnist (standard IDX names, .gz or raw, in the resolved
//      directory), cifar10 (data_batch_1..5 and test_batch, .bin or .bin.gz, cifar.h), idx (file names from the config), csv (a file, plus a test file or a seeded
//      held-out test_fraction; rows shuffled with Rng::stream(seed, "split")), folder (image
//      folders, one subfolder per class: folder.h), npy (.npy / .npz arrays: npy.h);
//   2. train_limit / test_limit keep the first N examples;
//   3. validation: the LAST rows of the training set (MNIST's classic 55000/5000 split);
//      >= 1 is a count, (0, 1) a fraction, 0 none. With data.folds = k >= 2, fold data.fold of k
//      seeded folds instead (folds.h), and data.validation is ignored.
// Normalization is not applied here: fit a Normalizer on splits.train (normalize.h).
#pragma once

#include <cstdint>
#include <string>

#include "gradnet/data/options.h"
#include "gradnet/data/dataset.h"

namespace gradnet {

// c.dir if set (relative to config_dir), else the first existing one of $GRADNET_DATA/<dataset>,
// ./data/<dataset>, <config_dir>/../data/<dataset>, /usr/share/datasets/<dataset>.
// Error{data} listing every place looked when none exists.
std::string resolve_data_dir(const DataConfig& c, const std::string& config_dir);

Splits load_splits(const DataConfig& c, const std::string& config_dir, std::uint64_t seed);

// load_splits(...).test without keeping the training set: IDX and CIFAR-10 read only the test
// files (csv: the test rows are drawn from every row, so all are read and the rest dropped).
Dataset load_test_split(const DataConfig& c, const std::string& config_dir, std::uint64_t seed);

}  // namespace gradnet
