// Pooling over NCHW examples, PyTorch's semantics (floor mode). x: (N, C·H·W), y: (N, C·Ho·Wo);
// windows k×k with stride and padding (dilation is not used). OpenMP over examples where noted.
//   max_pool_forward    y = max of each window (padding = -inf, a NaN wins, the first max wins ties),
//                       argmax = its index h·W + w in the channel plane           OVERWRITES y, argmax; OpenMP
//                       relu_first: the max pool of relu(x), read from x (relu(x) never written):
//                       y and argmax to the bit (relu's NaN -> 0 included)
//   max_pool_backward   dx = 0, dx[argmax] += dy                                   OVERWRITES dx; OpenMP
//                       with gate (the pool's own output y, after a relu): dx[argmax] += y > 0 ? dy : 0,
//                       the gradient through the relu as well (relu'(x) at the argmax is [y > 0])
//   avg_pool_divisors   inv_count (Ho·Wo) = 1 / the divisor of each window: the window clipped to the
//                       padded input (count_include_pad) or to the input itself    OVERWRITES inv_count
//   avg_pool_forward    y = Σ_window x · inv_count                                  OVERWRITES y; OpenMP
//   avg_pool_backward   dx = 0, dx[window] += dy · inv_count                        OVERWRITES dx; OpenMP
//   global_avg_pool_forward   y (N, C) = Σ over H·W of each channel / (H·W)         OVERWRITES y
//   global_avg_pool_backward  dx (N, C·H·W) = dy / (H·W) broadcast over the plane   OVERWRITES dx
#pragma once

#include <cstdint>

#include "gradnet/tensor.h"
#include "window.h"

namespace gradnet::kernels {

// x: (n, C·H·W)  y, argmax: (n, C·Ho·Wo). relu_first: x is a relu's input, and relu(x) is never
// written (max and relu commute): Net::forward materialises the relu's output only when read.
template <typename T>
void max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::int32_t* argmax, Index n,
                      bool relu_first = false);
// dy, argmax, gate: (n, C·Ho·Wo)  dx: (n, C·H·W)
template <typename T>
void max_pool_backward(const WindowGeometry& g, const T* dy, const std::int32_t* argmax, T* dx, Index n,
                       const T* gate = nullptr);

// inv_count: (Ho·Wo)
template <typename T>
void avg_pool_divisors(const WindowGeometry& g, bool count_include_pad, T* inv_count);
// x: (n, C·H·W)  y: (n, C·Ho·Wo)  inv_count: (Ho·Wo) from avg_pool_divisors
template <typename T>
void avg_pool_forward(const WindowGeometry& g, const T* inv_count, const T* x, T* y, Index n);
// dy: (n, C·Ho·Wo)  dx: (n, C·H·W)
template <typename T>
void avg_pool_backward(const WindowGeometry& g, const T* inv_count, const T* dy, T* dx, Index n);

// x: (n, c·hw)  y: (n, c)
template <typename T>
void global_avg_pool_forward(const T* x, T* y, Index n, Index c, Index hw);
// dy: (n, c)  dx: (n, c·hw)
template <typename T>
void global_avg_pool_backward(const T* dy, T* dx, Index n, Index c, Index hw);

}  // namespace gradnet::kernels
