// Evaluation of a net on a (normalized) dataset: mean loss, accuracy, confusion matrix.
#pragma once

#include <vector>

#include "gradnet/data/dataset.h"
#include "gradnet/net.h"

namespace gradnet {

struct EvalResult {
  Index examples = 0;
  double loss = 0;
  double accuracy = 0;
  std::vector<std::vector<Index>> confusion;  // confusion[true][predicted]
};

// Eval mode, batches of at most net.max_batch() rows.
EvalResult evaluate(Net<float>& net, const Dataset& data, Index batch_size);

// Index of the largest entry of each row (the first one on ties).
void argmax_rows(ConstView<float> rows, std::int32_t* out);

}  // namespace gradnet
