// IDX files (LeCun's MNIST format, also Fashion-MNIST): a big-endian header (magic 0x00000803
// for uint8 images N x rows x cols, 0x00000801 for uint8 labels N), then the bytes. Files may be
// gzipped or raw: detected by content, not by name. Every mismatch between what the header
// promises and what the file holds is Error{data} naming the file and the count or index:
//   train-images-idx3-ubyte.gz: header says 60000 images of 28x28, file holds 59999
//   t10k-labels-idx1-ubyte.gz: label 12 at index 731 is out of range 0..9
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/data/dataset.h"

namespace gradnet {

// Images only: shape {1, rows, cols}, byte rows = raw pixels 0..255, y = N zeros, classes = 0
// (unlabelled input, e.g. for `gradnet predict`).
Dataset load_idx_images(const std::string& path);

// Labels only. classes > 0: each label must lie in 0..classes-1; classes = 0: no range check.
std::vector<std::int32_t> load_idx_labels(const std::string& path, Index classes = 10);

// Images and their labels; counts must agree; labels in 0..classes-1.
Dataset load_idx(const std::string& images_path, const std::string& labels_path, Index classes = 10);

}  // namespace gradnet
