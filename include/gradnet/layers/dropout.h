// DropoutLayer<T>: inverted dropout (CS231n). Training: each element is kept with probability
// 1 - rate and scaled by 1 / (1 - rate), so eval (and predict) is the identity with no rescaling.
// The mask comes from the step's stream (StepContext::rng): seeded, resumable, and the same
// on every re-evaluation of one step (gradient checks, L-BFGS closures).
//   flatten: [C, H, W] -> [C·H·W] (the data is already flat per example: y = x).
#pragma once

#include <vector>

#include "gradnet/layer.h"

namespace gradnet {

std::vector<KeySpec> dropout_keys();  // rate (default 0.5, in [0, 1))

template <typename T>
class DropoutLayer final : public Layer<T> {
 public:
  explicit DropoutLayer(const LayerSpec& spec);
  std::string_view type() const override { return "dropout"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  Attributes describe() const override;

 private:
  Index index_;
  double rate_;
  std::vector<T> mask_;  // (max_batch, D): 0 or 1 / (1 - rate); empty scale = identity (eval)
  bool identity_ = true;  // the last forward was in eval mode (or rate 0)
};

template <typename T>
class FlattenLayer final : public Layer<T> {
 public:
  std::string_view type() const override { return "flatten"; }
  Shape setup(const Shape& in, Index /*max_batch*/) override { return {numel(in)}; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
};

}  // namespace gradnet
