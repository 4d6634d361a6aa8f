// The loops of im2col convolution (conv2d: x (N, C·H·W) -> y (N, O·Ho·Wo), P = Ho·Wo, examples
// in chunks of B side by side so that each GEMM is B·P columns wide; gemm.h does the products).
//   im2col        col (C·k·k, P), rows ld apart          = the windows of one example x [C, H, W]
//                 (row (c, ki, kj), column (oh, ow); zeros where a tap falls in the padding)   OVERWRITES col
//   col2im        dx [C, H, W] = the adjoint of im2col: every tap's value added back        OVERWRITES dx
//   im2col_chunk  col (C·k·k, B·P): example j's columns at j·P (ld = B·P); OpenMP over examples
//   col2im_chunk  dx (B, C·H·W) from col (C·k·k, B·P); OpenMP over examples                  OVERWRITES dx
//   conv_bias_scatter  y_j[o, p] = t[o, j·P + p] + b[o]   (t: (O, B·P), y: (B, O·P))          OVERWRITES y
//   conv_gather        t[o, j·P + p] = dy_j[o, p]         (dy: (B, O·P), t: (O, B·P))         OVERWRITES t
//   conv_bias_grad     db[o] += Σ_q t[o, q] over the B·P columns (summed in T, in order)      ACCUMULATES
// Examples are independent, so the OpenMP split changes no value.
#pragma once

#include "gradnet/tensor.h"
#include "window.h"

namespace gradnet::kernels {

template <typename T>
void im2col(const WindowGeometry& g, const T* x, T* col, Index ld);
template <typename T>
void col2im(const WindowGeometry& g, const T* col, Index ld, T* dx);

// x: (count, C·H·W)  col: (C·k·k, count·P)
template <typename T>
void im2col_chunk(const WindowGeometry& g, const T* x, Index count, T* col);
// col: (C·k·k, count·P)  dx: (count, C·H·W)
template <typename T>
void col2im_chunk(const WindowGeometry& g, const T* col, Index count, T* dx);

// t: (out, count·P)  b: (out) or null (no bias)  y: (count, out·P)
template <typename T>
void conv_bias_scatter(const T* t, const T* b, T* y, Index count, Index out, Index p_count);
// dy: (count, out·P)  t: (out, count·P)
template <typename T>
void conv_gather(const T* dy, T* t, Index count, Index out, Index p_count);
// t: (out, cols)  db: (out) +=
template <typename T>
void conv_bias_grad(const T* t, T* db, Index out, Index cols);

}  // namespace gradnet::kernels
