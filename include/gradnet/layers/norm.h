// Normalisation layers over each example on its own (no batch statistics, so train = eval):
//   layer_norm     over all of the example's features; weight, bias shaped like the input
//                  (nn.LayerNorm(normalized_shape = input shape))
//   group_norm     over groups of C/groups channels × spatial; weight, bias per channel (nn.GroupNorm)
//   instance_norm  over each channel's spatial values; weight, bias per channel when affine
//                  (nn.InstanceNorm1d/2d, track_running_stats = false)
// Each normalises contiguous groups of M values of an example: with μ, σ² the group's mean and
// biased variance and rstd = 1/√(σ² + eps),
//   forward:  x̂ = (x − μ)·rstd,  y = x̂·w + b                 (w, b indexed by feature or channel)
//   backward: g = dy·w,  dx = rstd·(g − mean(g) − x̂·mean(g·x̂))    (means over the group)
//             dw += Σ dy·x̂,  db += Σ dy                         (over the batch and the group's elements)
// forward keeps μ and rstd per (example, group) for backward, in vectors sized by setup().
#pragma once

#include <vector>

#include "gradnet/layer.h"

namespace gradnet {

std::vector<KeySpec> layer_norm_keys();     // eps (1e-5), affine (true)
std::vector<KeySpec> group_norm_keys();     // groups (required), channels (0: from input), eps, affine (true)
std::vector<KeySpec> instance_norm_keys();  // channels (0: from input), eps, affine (false)

// What the three share: the statistics buffers, the affine params, forward and backward.
// Subclasses say how an example splits into groups (setup) and name themselves.
template <typename T>
class NormLayer : public Layer<T> {
 public:
  void init(Rng& rng) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  std::span<Param<T>> params() override { return params_; }
  Attributes describe() const override;

 protected:
  NormLayer(const LayerSpec& spec, bool default_affine);
  // Sizes the statistics for max_batch · groups and, when affine, weight and bias of param_shape.
  // inner: consecutive features that share one weight (1 for layer_norm, H·W for per channel).
  void plan(Index max_batch, Index groups, Index group_size, Index inner, const Shape& param_shape);

  Index index_;      // position in model.layers, for error messages
  double eps_;
  bool affine_;
  Index groups_ = 1;      // G: groups per example
  Index group_size_ = 1;  // M: values per group (consecutive)
  Index inner_ = 1;       // features per affine weight
  std::vector<T> mean_, rstd_;   // (max_batch, G), written by forward
  std::vector<Param<T>> params_; // [weight, bias] when affine
};

template <typename T>
class LayerNormLayer final : public NormLayer<T> {
 public:
  explicit LayerNormLayer(const LayerSpec& spec);
  std::string_view type() const override { return "layer_norm"; }
  Shape setup(const Shape& in, Index max_batch) override;
};

template <typename T>
class GroupNormLayer final : public NormLayer<T> {
 public:
  explicit GroupNormLayer(const LayerSpec& spec);
  std::string_view type() const override { return "group_norm"; }
  Shape setup(const Shape& in, Index max_batch) override;
  Attributes describe() const override;

 private:
  Index requested_groups_;
  Index channels_;  // 0: whatever the input has
};

template <typename T>
class InstanceNormLayer final : public NormLayer<T> {
 public:
  explicit InstanceNormLayer(const LayerSpec& spec);
  std::string_view type() const override { return "instance_norm"; }
  Shape setup(const Shape& in, Index max_batch) override;

 private:
  Index channels_;  // 0: whatever the input has
};

}  // namespace gradnet
