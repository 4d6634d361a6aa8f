// Evaluation of a net on a (normalized) dataset: mean loss, accuracy, confusion matrix. A
// reconstruction net (Net::reconstructs) is scored against its own input: the loss only, accuracy
// NaN and no confusion matrix.
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

// Eval mode, forward passes of min(batch_size, net.max_batch()) rows (train.eval_batch_size:
// the pass size is part of the result, as a row's output may round differently in a pass of
// another size), byte rows converted a pass at a time. The loss is each pass's mean loss weighted
// by its rows. With probs: also what predict_probabilities (metrics.h) gives, from the same passes.
EvalResult evaluate(Net<float>& net, const Dataset& data, Index batch_size, Tensor<float>* probs = nullptr);

// Index of the largest entry of each row (the first one on ties).
void argmax_rows(ConstView<float> rows, std::int32_t* out);

}  // namespace gradnet
