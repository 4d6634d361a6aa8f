// LinearLayer<T>: fully connected, y = x·Wᵀ + b (PyTorch layout: weight (out, in), bias (out)).
// Any input shape is flattened: in = numel(input shape).
// weight_norm = true learns W = g · v/‖v‖ per output row instead (weight_norm.h): params
// weight_g (out, 1), weight_v (out, in), bias (out), as in PyTorch's state_dict.
#pragma once

#include <vector>

#include "gradnet/init.h"
#include "gradnet/layer.h"
#include "gradnet/layers/weight_norm.h"

namespace gradnet {

// out (required, >= 1), bias (default true), init_* (init.h), bias_init, bias_value,
// weight_norm (default false).
std::vector<KeySpec> linear_keys();

// bias_init: zeros, constant (bias_value) or fan_in_uniform (nn.Linear's U(-1/sqrt(in), 1/sqrt(in))).
enum class BiasInit { zeros, constant, fan_in_uniform };
template <>
struct EnumNames<BiasInit> {
  static constexpr std::array<std::string_view, 3> words = {"zeros", "constant", "fan_in_uniform"};
};

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

  Param<T>& weight() { return params_[0]; }  // weight_g with weight_norm
  Param<T>* bias() { return has_bias_ ? &params_[weight_norm_ ? 2 : 1] : nullptr; }

 private:
  Index index_;            // position in model.layers, for error messages
  Index in_ = 0;           // features per example (numel of the input shape)
  Index out_;
  bool has_bias_;
  InitSpec init_;
  BiasInit bias_init_;
  double bias_value_;
  bool weight_norm_;
  WeightNorm<T> wn_;              // with weight_norm: W and dW buffers (out, in)
  std::vector<Param<T>> params_;  // [weight (out, in) | weight_g (out, 1), weight_v (out, in)], bias (out)?
};

}  // namespace gradnet
