// A convolution of one input channel (a first layer on greyscale images), stride 1, no dilation,
// kernel 1, 3 or 5, in float with AVX-512: each output row is 16 columns at a time, the k·k taps
// of the (zero-padded) input held in registers and every output channel one FMA per tap.
// oneDNN has no direct kernel for one input channel: it ran W3's first layer as im2col + GEMM
// (0.75 ms for 64 examples, one thread) or, blocked, with a reorder of the 32-channel output.
//   one_channel_conv_forward  y (n, O·Ho·Wo) = b + Σ_taps W · x, taps in (kh, kw) order   OVERWRITES y
// OpenMP over examples (each writes its own rows: the split changes no value).
#pragma once

#include "gradnet/tensor.h"
#include "window.h"

namespace gradnet::kernels {

// Whether one_channel_conv_forward takes this geometry (and this build has AVX-512).
bool one_channel_conv_fits(const WindowGeometry& g);
// x: (n, H·W)  w: (out, k·k)  b: (out) or null  y: (n, out·Ho·Wo)
void one_channel_conv_forward(const WindowGeometry& g, Index out, const float* x, const float* w, const float* b,
                              float* y, Index n);

}  // namespace gradnet::kernels
