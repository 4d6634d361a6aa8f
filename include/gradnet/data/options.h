// [data] and [augment]: what to load, how to normalize it, how to augment training batches, as
// the config reads them (one field per key, words already turned into enums). docs/data.md and
// docs/augmentation.md explain each.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/enum_names.h"
#include "gradnet/tensor.h"

namespace gradnet {

enum class DatasetKind { mnist, fashion_mnist, cifar10, csv, idx };
enum class CsvHeader { automatic, none, skip };  // is the first row a header? detect / no / yes, drop it
// pca_whiten and whiten are one method under two names (config.toml keeps the one written).
enum class NormalizeMethod { none, scale01, standardize, pca, pca_whiten, whiten, zca };

template <>
struct EnumNames<DatasetKind> {
  static constexpr std::array<std::string_view, 5> words = {"mnist", "fashion-mnist", "cifar10", "csv", "idx"};
};
template <>
struct EnumNames<CsvHeader> {
  static constexpr std::array<std::string_view, 3> words = {"auto", "none", "skip"};
};
template <>
struct EnumNames<NormalizeMethod> {
  static constexpr std::array<std::string_view, 7> words = {"none", "scale01",    "standardize", "pca",
                                                            "pca_whiten", "whiten", "zca"};
};

// pca, pca_whiten (whiten), zca: a rotation fitted by an eigendecomposition (whiten.cpp).
inline bool is_rotation(NormalizeMethod m) {
  return m == NormalizeMethod::pca || m == NormalizeMethod::pca_whiten || m == NormalizeMethod::whiten ||
         m == NormalizeMethod::zca;
}
// pca, pca_whiten (whiten): the methods that can keep only k components.
inline bool keeps_components(NormalizeMethod m) {
  return m == NormalizeMethod::pca || m == NormalizeMethod::pca_whiten || m == NormalizeMethod::whiten;
}

struct DataConfig {
  DatasetKind dataset = DatasetKind::mnist;
  std::string dir;                   // empty: $GRADNET_DATA/<dataset>, ./data/<dataset>, /usr/share/datasets/<dataset>
  std::string path;                  // csv: the file (absolute, or relative to the config file)
  std::string test_path;             // csv: a separate test file; empty: hold out test_fraction
  double test_fraction = 0.2;        // csv without test_path: share of rows held out for test
  std::int64_t label_column = -1;    // csv: the label's column (-1: last)
  CsvHeader header = CsvHeader::automatic;
  std::string train_images, train_labels, test_images, test_labels;  // idx: file names in dir
  double validation = 5000;          // held out of training: a count (>= 1) or a fraction (< 1)
  // Cross-validation (folds.h): folds = k >= 2 cuts the training split into k seeded folds and
  // fold i (0..k-1) is the validation split, replacing `validation`; 0 or 1: off.
  std::int64_t folds = 0;
  std::int64_t fold = 0;
  NormalizeMethod normalize = NormalizeMethod::standardize;
  double whiten_epsilon = 0.01;      // pca_whiten, zca: added to each eigenvalue, times the mean eigenvalue
  std::int64_t pca_components = 0;   // pca, pca_whiten: keep the first k components (0: all)
  std::int64_t train_limit = 0;      // use only the first N training examples (0: all)
  std::int64_t test_limit = 0;       // use only the first N test examples (0: all)
  // A class subset (transfer learning): keep only these labels, relabelled 0..k-1 in this order,
  // in every split (empty: all); train_per_class: then only the first N training examples of each.
  std::vector<std::int64_t> classes;
  std::int64_t train_per_class = 0;
};

// On-the-fly augmentation of image training batches (docs/augmentation.md, data/augment.h). Every
// transform is off by default; each needs model.input = [C, H, W].
struct AugmentConfig {
  double hflip = 0.0;                // probability of a horizontal flip
  std::int64_t crop_padding = 0;     // pad P zero pixels per side, crop back to H x W at a random offset
  double translate = 0.0;            // max shift as a fraction of W (x) and H (y), whole pixels
  double rotation = 0.0;             // max degrees, either way (bilinear)
  std::vector<double> scale = {1.0, 1.0};  // zoom factor range [lo, hi] (bilinear, one warp with rotation)
  double brightness = 0.0;           // ColorJitter: factors in [max(0, 1 - v), 1 + v]
  double contrast = 0.0;
  double saturation = 0.0;           // 3 channels only
  double noise_std = 0.0;            // Gaussian noise, in normalized units
  std::int64_t cutout = 0;           // side of the zeroed square (DeVries & Taylor); 0: off
};

// Is any transform on?
bool augment_enabled(const AugmentConfig& c);
}  // namespace gradnet
