#include "gradnet/train/evaluate.h"

#include <algorithm>
#include <limits>

namespace gradnet {

void argmax_rows(ConstView<float> rows, std::int32_t* out) {
  for (Index i = 0; i < rows.rows; ++i) {
    const float* r = rows.row(i);
    out[i] = static_cast<std::int32_t>(std::max_element(r, r + rows.cols) - r);
  }
}

EvalResult evaluate(Net<float>& net, const Dataset& data, Index batch_size, Tensor<float>* probs) {
  EvalResult result;
  result.examples = data.size();
  const Index classes = net.reconstructs() ? 0 : std::max<Index>(data.classes, numel(net.output_shape()));
  result.confusion.assign(static_cast<std::size_t>(classes), std::vector<Index>(static_cast<std::size_t>(classes), 0));
  const Index outputs = numel(net.output_shape());
  if (probs) probs->resize({data.size(), outputs});
  if (data.size() == 0) return result;
  const Index batch = std::min(batch_size, net.max_batch());
  std::vector<std::int32_t> predicted(static_cast<std::size_t>(batch));
  std::vector<float> scratch;  // one batch of converted byte rows
  StepContext ctx{Mode::eval, nullptr};
  double loss_sum = 0;
  Index correct = 0;
  for (Index begin = 0; begin < data.size(); begin += batch) {
    const Index n = std::min(batch, data.size() - begin);
    const std::int32_t* labels = data.y.data() + begin;
    const ConstView<float> x = data.rows(begin, n, scratch);
    ConstView<float> out = net.forward(x, ctx);
    loss_sum += net.loss(net.reconstructs() ? net.reconstruction_targets(x.data) : Targets<float>(labels)) *
                static_cast<double>(n);
    if (probs) net.loss_fn().predict(out, View<float>{probs->data() + begin * outputs, n, outputs});
    if (net.reconstructs()) continue;  // no classes: the loss is the result
    argmax_rows(out, predicted.data());
    for (Index i = 0; i < n; ++i) {
      correct += predicted[i] == labels[i] ? 1 : 0;
      ++result.confusion[labels[i]][predicted[i]];
    }
  }
  result.loss = loss_sum / static_cast<double>(data.size());
  result.accuracy = net.reconstructs() ? std::numeric_limits<double>::quiet_NaN()
                                       : static_cast<double>(correct) / static_cast<double>(data.size());
  return result;
}

}  // namespace gradnet
