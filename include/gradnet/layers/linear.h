// LinearLayer<T>: fully connected, y = x·Wᵀ + b (PyTorch layout: weight (out, in), bias (out)).
// Any input shape is flattened: in = numel(input shape).
// weight_norm = true learns W = g · v/‖v‖ per output row instead (weight_norm.h): params
// weight_g (out, 1), weight_v (out, in), bias (out), as in PyTorch's state_dict.
// tied_to = "layers.j" (an autoencoder's decoder) uses the transpose of linear layer j's weight
// instead of a weight of its own: Net::Net ties it (tie()); its only param is its bias, the grad
// of W_jᵀ is accumulated into layer j's weight grad, so the weight is trained and saved once.
#pragma once

#include <cstdint>
#include <vector>

#include "gradnet/init.h"
#include "gradnet/layer.h"
#include "gradnet/layers/weight_norm.h"

namespace gradnet {

// out (required, >= 1), bias (default true), init_* (init.h), bias_init, bias_value,
// weight_norm (default false), tied_to (default "": a weight of its own).
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

  Param<T>* bias() { return has_bias_ ? &params_.back() : nullptr; }
  Index in_features() const { return in_; }
  Index out_features() const { return out_; }
  bool weight_normed() const { return weight_norm_; }
  // tied_to: the layer index it borrows the weight of (-1: none), and the tie Net makes.
  Index tied_to() const { return tied_to_; }
  void tie(Param<T>& source_weight) { tied_ = &source_weight; }
  Param<T>* deferrable_weight() override;
  void defer_weight_grad(bool on, T share) override;
  void take_deferred_weight_grad(std::span<Layer<T>* const> shards, int part, int parts) override;

 private:
  Index index_;            // position in model.layers, for error messages
  Index in_ = 0;           // features per example (numel of the input shape)
  Index out_;
  bool has_bias_;
  InitSpec init_;
  BiasInit bias_init_;
  double bias_value_;
  bool weight_norm_;
  Index tied_to_ = -1;
  bool bf16_;                     // precision = "bf16" (float layers): products on bf16 copies
  std::vector<std::uint16_t> x16_, w16_, dy16_;  // those copies (x and W of the last forward)
  std::vector<T> wt_;             // W transposed (in, out) for forward's product, where it pays (setup)
  Param<T>* tied_ = nullptr;      // tied_to: layer tied_to_'s weight (in, out), owned by that layer
  WeightNorm<T> wn_;              // with weight_norm: W and dW buffers (out, in)
  std::vector<Param<T>> params_;  // [weight (out, in) | weight_g, weight_v | none when tied], bias (out)?
  // defer_weight_grad: backward keeps share·dy (rows_kept_, out) and the x it was given instead
  // of adding dyᵀ·x to the weight's grad
  bool defer_ = false;
  T share_ = T(1);
  std::vector<T> dy_kept_;
  const T* x_kept_ = nullptr;
  Index rows_kept_ = 0;
};

}  // namespace gradnet
