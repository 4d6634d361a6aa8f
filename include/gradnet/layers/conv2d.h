// Conv2dLayer<T>: 2-D cross-correlation over NCHW examples, PyTorch's nn.Conv2d.
//   weight (out, in/groups, k, k), bias (out); square kernel, stride, padding (zeros), dilation.
//   H_out = (H + 2·padding - dilation·(k - 1) - 1) / stride + 1, the same for W.
// Computed per example as im2col + GEMM (Caffe's way), examples spread over the OpenMP team; the
// weight gradient is summed per thread and reduced in thread order (deterministic per thread count).
#pragma once

#include <vector>

#include "gradnet/init.h"
#include "gradnet/layer.h"

namespace gradnet {

// out (required), kernel (required), stride, padding, dilation, groups, bias, init_*, lr_mult...
std::vector<KeySpec> conv2d_keys();

// The geometry every image layer shares: input [C, H, W] checked, output size computed, and an
// Error{shape} naming the layer when the (dilated) kernel does not fit the padded input.
struct ConvGeometry {
  Index c = 0, h = 0, w = 0;      // input
  Index k = 1, stride = 1, pad = 0, dilation = 1;
  Index ho = 0, wo = 0;           // output spatial size
};
ConvGeometry conv_geometry(const Shape& in, Index k, Index stride, Index pad, Index dilation, Index layer_index,
                           const char* type);

template <typename T>
class Conv2dLayer final : public Layer<T> {
 public:
  explicit Conv2dLayer(const LayerSpec& spec);
  std::string_view type() const override { return "conv2d"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void init(Rng& rng) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  std::span<Param<T>> params() override { return params_; }
  Attributes describe() const override;

 private:
  void im2col(const T* x, T* col) const;    // x [C, H, W] -> col [C·k·k, Ho·Wo]
  void col2im(const T* col, T* dx) const;   // the adjoint: col [C·k·k, Ho·Wo] += into dx [C, H, W]
  bool is_pointwise() const;                // 1x1, stride 1, no padding: col is x itself

  Index index_;
  Index out_, k_, stride_, pad_, dilation_, groups_;
  bool has_bias_;
  InitSpec init_;
  ConvGeometry g_;
  Index threads_ = 1;
  std::vector<Param<T>> params_;   // [weight (out, C/groups, k, k), bias (out)?]
  std::vector<T> col_;             // per thread: C·k·k × Ho·Wo
  std::vector<T> dw_, db_;         // per thread: the weight and bias gradient partial sums
};

}  // namespace gradnet
