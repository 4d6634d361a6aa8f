// softmax and log_softmax as layers, over the channel dimension of each example like PyTorch's
// F.softmax(x, dim=1) on an (N, C, ...) batch: for a per-example shape [C, H, W] (or [C, L]) each
// spatial position gets its own distribution over the C channels; for [D] it is over all D.
// dim = "all" instead normalises over every feature of the example (softmax of the flattened input).
// Numerically stable: the max over the normalised axis is subtracted first. With S = values per
// channel (1 for [D] or dim = "all") and sums over the C values at one position:
//   softmax:      y = e^(x − m) / Σ e^(x − m)            dx = y ⊙ (dy − Σ dy·y)
//   log_softmax:  y = x − m − log Σ e^(x − m)            dx = dy − e^y · Σ dy
// No params; backward reads y. A per-position work vector (S) is sized in setup().
#pragma once

#include <vector>

#include "gradnet/layer.h"

namespace gradnet {

std::vector<KeySpec> softmax_keys();  // dim ("channel" | "all", default "channel")

template <typename T>
class SoftmaxLayer : public Layer<T> {
 public:
  explicit SoftmaxLayer(const LayerSpec& spec);
  std::string_view type() const override { return log_ ? "log_softmax" : "softmax"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  Attributes describe() const override;

 protected:
  SoftmaxLayer(const LayerSpec& spec, bool log);

 private:
  bool log_;
  bool all_;          // dim = "all"
  Index index_;
  Index channels_ = 1;  // C: the values normalised together
  Index inner_ = 1;     // S: positions, each with its own distribution
  std::vector<T> max_, sum_;  // (S) per example: the max, then Σ e^(x − m) (forward) or Σ dy·y (backward)
};

template <typename T>
class LogSoftmaxLayer final : public SoftmaxLayer<T> {
 public:
  explicit LogSoftmaxLayer(const LayerSpec& spec) : SoftmaxLayer<T>(spec, true) {}
};

}  // namespace gradnet
