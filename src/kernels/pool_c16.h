// 2x2, stride-2 max pool after a relu over a convolution's output left in oneDNN's channel-blocked
// layout nChw16c: x (n, C/16, H, W, 16), C a multiple of 16, float, AVX-512 (pool_c16_fits). Each
// window's four inputs are four whole vectors (16 channels), so the pool needs no shuffles; its
// output goes to the plain layout the layers after it read, its gradient to the blocked one the
// convolution's backward takes (no reorder of the convolution's y or dy: Net's blocked handoff).
//   max_pool_c16_relu_forward   y (n, C·Ho·Wo) plain = the max pool of relu(x), as max_pool_forward
//                               with relu_first, to the bit; arg (n, C/16, Ho, Wo, 16) = each
//                               window's argmax (h·W + w), or -1 where y = 0   OVERWRITES y, arg; OpenMP
//   max_pool_c16_backward       dx (n, C/16, H, W, 16) = dy at each open window's argmax, else 0:
//                               the gradient at the relu's input (as max_pool_backward with the gate)
//                                                                          OVERWRITES dx; OpenMP
#pragma once

#include <cstdint>

#include "gradnet/tensor.h"
#include "window.h"

namespace gradnet::kernels {

bool pool_c16_fits(const WindowGeometry& g);
void max_pool_c16_relu_forward(const WindowGeometry& g, const float* x, float* y, std::int32_t* arg, Index n);
void max_pool_c16_backward(const WindowGeometry& g, const float* dy, const std::int32_t* arg, float* dx, Index n);

}  // namespace gradnet::kernels
