// WindowGeometry: square windows sliding over one [C, H, W] example, the geometry that im2col,
// col2im and the pooling kernels share (conv2d's and the pooling layers' shapes, as a plain struct).
//   Ho = (H + 2·pad - dilation·(k - 1) - 1) / stride + 1, the same for Wo (computed by the layer).
#pragma once

#include "gradnet/tensor.h"

namespace gradnet::kernels {

struct WindowGeometry {
  Index c = 0, h = 0, w = 0;                       // input channels, height, width
  Index k = 1, stride = 1, pad = 0, dilation = 1;  // window side, step, zero padding, tap spacing
  Index ho = 0, wo = 0;                            // output height, width
};

}  // namespace gradnet::kernels
