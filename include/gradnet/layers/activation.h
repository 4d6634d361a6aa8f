// Elementwise activations: output shape = input shape, no parameters.
//   sigmoid     y = 1 / (1 + e^-x)          dx = dy · y(1 - y)
//   tanh        y = tanh x                   dx = dy · (1 - y²)
//   relu        y = max(x, 0)                dx = dy · [x > 0]
//   leaky_relu  y = x > 0 ? x : slope·x      dx = dy · (x > 0 ? 1 : slope)
//   identity    y = x                        dx = dy
#pragma once

#include <vector>

#include "gradnet/layer.h"

namespace gradnet {

std::vector<KeySpec> leaky_relu_keys();  // slope (number, default 0.01, >= 0)

// Shared by every activation: remembers the shape, nothing else.
template <typename T>
class ActivationLayer : public Layer<T> {
 public:
  Shape setup(const Shape& in, Index /*max_batch*/) override { return in; }
};

template <typename T>
class SigmoidLayer final : public ActivationLayer<T> {
 public:
  std::string_view type() const override { return "sigmoid"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
};

template <typename T>
class TanhLayer final : public ActivationLayer<T> {
 public:
  std::string_view type() const override { return "tanh"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
};

template <typename T>
class ReluLayer final : public ActivationLayer<T> {
 public:
  std::string_view type() const override { return "relu"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  bool has_kink() const override { return true; }
};

template <typename T>
class LeakyReluLayer final : public ActivationLayer<T> {
 public:
  explicit LeakyReluLayer(const LayerSpec& spec);
  explicit LeakyReluLayer(double slope) : slope_(static_cast<T>(slope)) {}
  std::string_view type() const override { return "leaky_relu"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  bool has_kink() const override { return true; }
  Attributes describe() const override;

 private:
  T slope_;
};

template <typename T>
class IdentityLayer final : public ActivationLayer<T> {
 public:
  std::string_view type() const override { return "identity"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
};

}  // namespace gradnet
