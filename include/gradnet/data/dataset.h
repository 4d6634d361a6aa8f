// Dataset: N examples of one per-example shape, stored as float rows, with integer labels.
// Readers validate their files against what the header promises and throw Error{data}
// naming the file and the offending count/index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

struct Dataset {
  Shape shape;                      // per-example shape: {1, 28, 28} for MNIST, {4} for iris
  Tensor<float> x;                  // (N, numel(shape)), raw values (pixels 0..255, features)
  std::vector<std::int32_t> y;      // N labels in [0, classes)
  Index classes = 0;
  std::vector<std::string> class_names;  // may be empty
  std::string source;               // where it came from, for messages

  Index size() const { return static_cast<Index>(y.size()); }
  Index features() const { return numel(shape); }
};

// Rows [begin, end) of d, copied.
Dataset slice(const Dataset& d, Index begin, Index end);
// Keeps rows [0, end) of d in place (no second copy of a large training set).
void truncate(Dataset& d, Index end);

struct Splits {
  Dataset train, val, test;
};

}  // namespace gradnet
