// Conv2dLayer<T>: 2-D cross-correlation over NCHW examples, PyTorch's nn.Conv2d.
//   weight (out, in/groups, k, k), bias (out); square kernel, stride, padding (zeros), dilation.
//   H_out = (H + 2·padding - dilation·(k - 1) - 1) / stride + 1, the same for W.
// float: oneDNN's convolution primitives (kernels/conv_onednn.h) where gradnet was built with
// oneDNN; double (gradient checks) and builds without it: im2col + GEMM (Caffe's way) over chunks
// of examples laid side by side (wide GEMMs).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gradnet/init.h"
#include "gradnet/layer.h"
#include "gradnet/layers/weight_norm.h"

namespace gradnet {

namespace kernels {
class OnednnConv;
}

// out (required), kernel (required), stride, padding, dilation, groups, bias, init_*, weight_norm, lr_mult...
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
  ~Conv2dLayer() override;
  std::string_view type() const override { return "conv2d"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void init(Rng& rng) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  std::span<Param<T>> params() override { return params_; }
  Attributes describe() const override;

  // float, one input channel, stride 1, no dilation, kernel 1/3/5, no groups or weight_norm: the
  // forward is kernels/conv_one_channel.h on any rows, and the weights' gradient can be taken
  // example by example, Net's fused first block does (begin; add per rows; end: += the grads).
  bool one_channel_plain() const;
  void one_channel_grad_begin();
  void one_channel_grad_add(const T* x, const T* dy, Index n);
  void one_channel_grad_end();

  // float on oneDNN, no weight_norm: y and dy left in oneDNN's channel-blocked layout for a 2x2 max
  // pool after a relu (Net's blocked handoff; kernels/conv_onednn.h). blocked_fits(n) for n rows.
  bool blocked_fits(Index n);
  const T* forward_blocked(ConstView<T> x);     // y blocked, valid until the next forward
  void blocked_output_to_plain(View<T> y);      // the last forward_blocked's y
  T* blocked_dy(Index n);                       // fill with dy (blocked), then backward_blocked
  void backward_blocked(ConstView<T> x, View<T>* dx);

 private:
  void one_channel_weight_grad(const T* x, const T* dy, T* gw, T* gb, Index n);
  void one_channel_grad_end(T* gw, T* gb);

  Index index_;
  Index out_, k_, stride_, pad_, dilation_, groups_;
  bool has_bias_;
  bool weight_norm_;               // params weight_g, weight_v instead of weight (weight_norm.h)
  std::string algorithm_;          // float: "auto", "direct", "winograd", "im2col" or "bf16" (conv2d_keys)
  bool bf16_ = false;              // algorithm_ == "bf16": oneDNN even for one input channel
  WeightNorm<T> wn_;
  InitSpec init_;
  ConvGeometry g_;
  Index chunk_ = 1;                // examples per GEMM
  std::vector<Param<T>> params_;   // [weight (out, C/groups, k, k), bias (out)?]
  std::vector<T> col_;             // C·k·k × chunk·Ho·Wo
  std::vector<T> t_;               // out × chunk·Ho·Wo: the GEMM's output, or dy gathered
  // float, where gradnet has oneDNN: its convolution primitives instead of im2col (col_, t_ empty)
  std::unique_ptr<kernels::OnednnConv> direct_;
  // float, one input channel, no dx wanted (a first layer): the weight gradient from plain dy
  // (one_channel_weight_grad): [im2col(x_n); 1] (k·k + 1, Ho·Wo) and [dW | db]'s 16 lanes
  // (out, k·k + 1, 16)
  std::vector<T> one_col_, one_dwb_;
};

}  // namespace gradnet
