// Convolution through oneDNN's own primitives (float only): what PyTorch runs on a CPU. oneDNN
// picks a direct, vectorised implementation for the CPU it runs on (jit:avx512_core here) that
// works on channel-blocked copies of the tensors; we keep gradnet's NCHW layout and reorder in
// and out on each call. Measured on conv2 of W3 (32->64 channels, 14x14, batch 128, one thread):
// forward 7.3 ms against 19.8 ms for the same products done as im2col + GEMM.
//   forward   y (N, O·Ho·Wo)  = conv(x (N, C·H·W), W (O, C/G, k, k)) + b            OVERWRITES y
//   backward  dW += ∂/∂W,  db += Σ dy,  dx = ∂/∂x (skipped when dx is null)     dW, db ACCUMULATE
//             x must be the x of the last forward, unchanged (layer.h): its blocked copy is reused
// Primitives are created once per batch size and kept (creating one JIT-compiles code); batches
// run in chunks of at most 128 examples, so only a few sizes exist. Results
// are bit-identical from run to run for a given thread count and CPU (tested).
#pragma once

#include <memory>

#include "gradnet/tensor.h"
#include "window.h"

namespace gradnet::kernels {

// automatic: Winograd where winograd_fits() and the CPU has it (measured faster on W3's second
// layer: forward 3.6 against 5.4 ms, backward 9.1 against 11.1 ms at batch 128 on one thread; a
// first layer of one channel is 5x slower in Winograd, hence the channel condition), else direct.
// Winograd F(4x4, 3x3) rounds differently from the direct sums: within 2e-6 of Σ|terms| (tested).
// bf16: oneDNN's direct convolution on bfloat16 copies of x, W and dy (rounded to nearest even),
// products summed in float and y, dx, dW written in float; the weights themselves stay float (the
// optimizer's master copy). Needs a CPU with AVX512-BF16 (an error elsewhere: bf16_available()).
// W3's second layer, batch 64, one thread: forward 1.1 against Winograd's 1.9 ms, backward 2.8
// against 5.4 ms.
enum class ConvAlgorithm { automatic, direct, winograd, bf16 };

class OnednnConv {
 public:
  OnednnConv(const WindowGeometry& g, Index out, Index groups, bool bias,
             ConvAlgorithm algorithm = ConvAlgorithm::automatic);
  ~OnednnConv();
  OnednnConv(const OnednnConv&) = delete;
  OnednnConv& operator=(const OnednnConv&) = delete;

  // Whether gradnet was built with oneDNN (GRADNET_ONEDNN); without it conv2d uses im2col.
  static bool available();
  // Shapes oneDNN's Winograd takes: 3x3, stride 1, no dilation, one group, in and out channels
  // multiples of 16.
  static bool winograd_fits(const WindowGeometry& g, Index out, Index groups);
  // Whether this CPU has the bfloat16 dot products ConvAlgorithm::bf16 runs on (AVX512-BF16);
  // false where the environment sets GRADNET_NO_BF16 (to see the error a CPU without it gives).
  static bool bf16_available();

  void forward(const float* x, const float* w, const float* b, float* y, Index n);
  void backward(const float* x, const float* dy, const float* w, float* dw, float* db, float* dx, Index n);

  // The blocked handoff (Net: conv2d -> relu -> 2x2 max pool): y and dy stay in oneDNN's
  // channel-blocked layout nChw16c, (n, out/16, Ho, Wo, 16), in buffers of this object.
  // blocked_fits(n): n <= one chunk and the primitives for n take nChw16c y and dy.
  bool blocked_fits(Index n);
  // forward leaving y blocked; the pointer stays valid until the next forward of this object.
  const float* forward_blocked(const float* x, const float* w, const float* b, Index n);
  void blocked_output_to_plain(float* y);  // the last forward_blocked's y, plain (n, out·Ho·Wo)
  float* blocked_dy(Index n);              // where backward_blocked takes dy from: fill it first
  void backward_blocked(const float* x, const float* w, float* dw, float* db, float* dx, Index n);

 private:
  void forward_chunk(const float* x, const float* w, const float* b, float* y, Index n);
  void backward_chunk(const float* x, const float* dy, const float* w, float* dw, float* db, float* dx, Index n);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradnet::kernels
