// Elementwise activations, their derivatives, and dropout's mask. One flat pass over n values
// (any (N, D) batch, flattened); every function OVERWRITES its output and accumulates nothing.
//   sigmoid     y = 1 / (1 + e^-x)          dx = dy · y(1 - y)                      (from y)
//   tanh        y = tanh x                   dx = dy · (1 - y²)                      (from y)
//   relu        y = max(x, 0)                dx = dy · [x > 0]
//   leaky_relu  y = x > 0 ? x : slope·x      dx = dy · (x > 0 ? 1 : slope)
//   elu         y = x > 0 ? x : α(e^x - 1)   dx = dy · (x > 0 ? 1 : α·e^x)
//   gelu        y = x·Φ(x)                   dx = dy · (Φ(x) + x·φ(x))               (exact, erf)
//               y = x/2·(1 + tanh u), u = √(2/π)(x + 0.044715x³)                   (approximate tanh)
//   silu        y = x·σ(x)                   dx = dy · σ(x)(1 + x(1 - σ(x)))
//   apply_mask  y = x ⊙ mask                 (dropout forward with its mask, and backward: dx = dy ⊙ mask)
// float sigmoid, silu and tanh use branch-free polynomial exp/tanh (max rel. error ~2e-7, values
// below ~1e-38 flushed up to ~1e-38); double uses libm. x and y may not alias.
#pragma once

#include "gradnet/tensor.h"

namespace gradnet::kernels {

enum class GeluApproximation { none, tanh };

template <typename T>
void sigmoid_forward(const T* x, T* y, Index n);
template <typename T>
void sigmoid_backward(const T* y, const T* dy, T* dx, Index n);

template <typename T>
void tanh_forward(const T* x, T* y, Index n);
template <typename T>
void tanh_backward(const T* y, const T* dy, T* dx, Index n);

template <typename T>
void relu_forward(const T* x, T* y, Index n);
template <typename T>
void relu_backward(const T* x, const T* dy, T* dx, Index n);

template <typename T>
void leaky_relu_forward(const T* x, T* y, Index n, T slope);
template <typename T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, Index n, T slope);

template <typename T>
void elu_forward(const T* x, T* y, Index n, T alpha);
template <typename T>
void elu_backward(const T* x, const T* dy, T* dx, Index n, T alpha);

template <typename T>
void gelu_forward(const T* x, T* y, Index n, GeluApproximation approximate);
template <typename T>
void gelu_backward(const T* x, const T* dy, T* dx, Index n, GeluApproximation approximate);

template <typename T>
void silu_forward(const T* x, T* y, Index n);
template <typename T>
void silu_backward(const T* x, const T* dy, T* dx, Index n);

template <typename T>
void apply_mask(const T* x, const T* mask, T* y, Index n);

}  // namespace gradnet::kernels
