// LinearLayer<T>: fully connected, y = x·Wᵀ + b (PyTorch layout: weight (out, in), bias (out)).
// Any input shape is flattened: in = numel(input shape).
#pragma once

#include <vector>

#include "gradnet/init.h"
#include "gradnet/layer.h"

namespace gradnet {

// out (required, >= 1), bias (default true), init_* (init.h), bias_init, bias_value.
std::vector<KeySpec> linear_keys();

template <typename T>
class LinearLayer final : public Layer<T> {
 public:
  explicit LinearLayer(const LayerSpec& spec);
  std::string_view type() const override { return "linear"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void init(Rng& rng) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  std::span<Param<T>> params() override { return params_; }
  Attributes describe() const override;

  Param<T>& weight() { return params_[0]; }
  Param<T>* bias() { return has_bias_ ? &params_[1] : nullptr; }

 private:
  Index index_;            // position in model.layers, for error messages
  Index in_ = 0;           // features per example (numel of the input shape)
  Index out_;
  bool has_bias_;
  InitSpec init_;
  std::string bias_init_;  // zeros | constant | fan_in_uniform
  double bias_value_;
  std::vector<Param<T>> params_;  // [weight (out, in), bias (out)?]
};

}  // namespace gradnet
