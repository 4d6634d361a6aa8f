// Dataset: N examples of one per-example shape, with integer labels. Readers validate their files
// against what the header promises and throw Error{data} naming the file and the offending
// count/index.
//
// How the examples are held (docs/data.md, "How the data is held"):
//   float rows  x (N, features): CSV, PNG, and anything a rotation (pca, zca) has transformed;
//   byte rows   bytes (N * features): 8-bit images (IDX, CIFAR-10), pixels 0..255, a quarter of
//               the floats' size. They are converted to float a batch at a time (rows(),
//               gather()), and a per-feature normalization fitted on train (normalize.h) is applied
//               during that conversion: (float(b) - mean[j]) / std[j], the same float expression a
//               whole-split conversion computes, so a batch holds the same bits either way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

struct Dataset {
  Shape shape;                      // per-example shape: {1, 28, 28} for MNIST, {4} for iris
  Tensor<float> x;                  // (N, numel(shape)) float rows (raw values); empty with byte rows
  std::vector<std::uint8_t> bytes;  // N * numel(shape) bytes, when byte_rows
  bool byte_rows = false;
  // With byte rows: the per-feature normalization applied as rows are read (empty: none).
  std::vector<float> row_mean, row_std;
  std::vector<std::int32_t> y;      // N labels in [0, classes)
  Index classes = 0;
  std::vector<std::string> class_names;  // may be empty
  std::string source;               // where it came from, for messages

  Index size() const { return static_cast<Index>(y.size()); }
  Index features() const { return numel(shape); }

  // Rows [begin, begin + n) as (normalized) floats: a view into x for float rows, else converted
  // into scratch (grown to n * features floats when smaller). The view lives as long as both.
  ConstView<float> rows(Index begin, Index n, std::vector<float>& scratch) const;
  // Rows order[0..n) as (normalized) floats into out (n x features).
  void gather(const Index* order, Index n, float* out) const;
  // One value as rows() would give it (tests, messages).
  float at(Index row, Index feature) const;
};

// Rows [begin, end) of d, copied (bytes stay bytes, with their pending normalization).
Dataset slice(const Dataset& d, Index begin, Index end);
// Rows rows[0..] of d in that order, copied (bytes stay bytes): a shuffled copy, a fold's part.
Dataset take_rows(const Dataset& d, const std::vector<Index>& rows);
// Keeps rows [0, end) of d in place (no second copy of a large training set).
void truncate(Dataset& d, Index end);
// Byte rows become float rows in place, normalized as rows() gives them; float rows stay. For
// small sets read whole (sanity's examples) and for the rotations, which transform whole splits.
void to_float_rows(Dataset& d);

struct Splits {
  Dataset train, val, test;
};

}  // namespace gradnet
