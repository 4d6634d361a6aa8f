// Elementwise activations: output shape = input shape, no parameters.
//   sigmoid     y = 1 / (1 + e^-x)          dx = dy · y(1 - y)
//   tanh        y = tanh x                   dx = dy · (1 - y²)
//   relu        y = max(x, 0)                dx = dy · [x > 0]
//   leaky_relu  y = x > 0 ? x : slope·x      dx = dy · (x > 0 ? 1 : slope)
//   identity    y = x                        dx = dy
//   elu         y = x > 0 ? x : α(e^x - 1)   dx = dy · (x > 0 ? 1 : α·e^x)
//   gelu        y = x·Φ(x)                   dx = dy · (Φ(x) + x·φ(x))          (exact, erf)
//               y = x/2·(1 + tanh u), u = √(2/π)(x + 0.044715x³)            (approximate = "tanh")
//   silu        y = x·σ(x)                   dx = dy · σ(x)(1 + x(1 - σ(x)))
#pragma once

#include <vector>

#include "gradnet/layer.h"

namespace gradnet {

std::vector<KeySpec> leaky_relu_keys();  // slope (number, default 0.01, >= 0)
std::vector<KeySpec> elu_keys();         // alpha (number, default 1, >= 0)
std::vector<KeySpec> gelu_keys();        // approximate ("none" | "tanh", default "none")

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

template <typename T>
class EluLayer final : public ActivationLayer<T> {
 public:
  explicit EluLayer(const LayerSpec& spec);
  std::string_view type() const override { return "elu"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  bool has_kink() const override { return true; }  // dx jumps at 0 unless α = 1 (then only d²y does)
  Attributes describe() const override;

 private:
  T alpha_;
};

template <typename T>
class GeluLayer final : public ActivationLayer<T> {
 public:
  explicit GeluLayer(const LayerSpec& spec);
  std::string_view type() const override { return "gelu"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  Attributes describe() const override;

 private:
  bool tanh_;  // approximate = "tanh"
};

template <typename T>
class SiluLayer final : public ActivationLayer<T> {
 public:
  std::string_view type() const override { return "silu"; }
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
};

}  // namespace gradnet
