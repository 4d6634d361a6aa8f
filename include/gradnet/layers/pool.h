// Pooling over NCHW examples, PyTorch's semantics (floor mode):
//   max_pool2d       y = max over each k×k window (padding counts as -inf)   dx: dy routed to the argmax
//   avg_pool2d       y = mean over each window (count_include_pad as PyTorch, default true)
//   global_avg_pool  [C, H, W] -> [C], the mean of each channel (network-in-network, ResNet heads)
#pragma once

#include <cstdint>
#include <vector>

#include "gradnet/layer.h"
#include "gradnet/layers/conv2d.h"

namespace gradnet {

std::vector<KeySpec> max_pool_keys();  // kernel (required), stride (0 = kernel), padding
std::vector<KeySpec> avg_pool_keys();  // the same plus count_include_pad

template <typename T>
class MaxPool2dLayer final : public Layer<T> {
 public:
  explicit MaxPool2dLayer(const LayerSpec& spec);
  std::string_view type() const override { return "max_pool2d"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  // After a relu: y = this layer's output, from the relu's input relu_x (max and relu commute); the
  // relu's own output is not written (Net::activation makes it when read). Net::forward uses it.
  // first_row: the rows are the batch's from first_row on (where their windows' argmax goes).
  void forward_after_relu(ConstView<T> relu_x, View<T> y, Index first_row = 0);
  // After a relu: dx = the gradient at the relu's input, relu and pool backward in one pass (y:
  // this layer's output of the last forward). Net::backward uses it.
  void backward_through_relu(ConstView<T> y, ConstView<T> dy, View<T> dx, Index first_row = 0);
  // The same over a convolution's output in oneDNN's blocked layout nChw16c (Net's blocked
  // handoff; kernels/pool_c16.h): relu_xb in, y plain out; dy plain in, dxb blocked out.
  bool blocked_fits() const;
  void forward_blocked_after_relu(const T* relu_xb, View<T> y);
  void backward_blocked_through_relu(ConstView<T> dy, T* dxb);
  bool has_kink() const override { return true; }
  std::vector<std::int32_t> kink_state(ConstView<T> x) const override;  // every window's argmax
  Attributes describe() const override;

 private:
  Index index_, k_, stride_, pad_;
  ConvGeometry g_;
  std::vector<std::int32_t> argmax_;  // (max_batch, C·Ho·Wo) from the last forward
};

template <typename T>
class AvgPool2dLayer final : public Layer<T> {
 public:
  explicit AvgPool2dLayer(const LayerSpec& spec);
  std::string_view type() const override { return "avg_pool2d"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  Attributes describe() const override;

 private:
  Index index_, k_, stride_, pad_;
  bool count_include_pad_;
  ConvGeometry g_;
  std::vector<T> inv_count_;  // (Ho·Wo) 1 / divisor of each window
};

template <typename T>
class GlobalAvgPoolLayer final : public Layer<T> {
 public:
  explicit GlobalAvgPoolLayer(const LayerSpec& spec) : index_(spec.index) {}
  std::string_view type() const override { return "global_avg_pool"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;

 private:
  Index index_;
  Index c_ = 0, hw_ = 0;
};

}  // namespace gradnet
