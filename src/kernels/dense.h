// The loops around a fully connected layer's GEMMs (gemm.h does the products):
//   bias_broadcast   y (N, D) = b broadcast into every row          (OVERWRITES y; gemm then adds x·Wᵀ, beta 1)
//   bias_grad        db (D) += Σ_n dy[n, :]                          (ACCUMULATES, row by row in order)
//   transpose        at (cols, rows) = aᵀ                             (OVERWRITES at; 8x8 blocks in AVX)
#pragma once

#include "gradnet/tensor.h"

namespace gradnet::kernels {

// b: (D)  y: (N, D) rows of D contiguous values
template <typename T>
void bias_broadcast(const T* b, T* y, Index rows, Index d);

// dy: (N, D)  db: (D) +=
template <typename T>
void bias_grad(const T* dy, T* db, Index rows, Index d);

// a: (rows, cols)  at: (cols, rows)
template <typename T>
void transpose(const T* a, Index rows, Index cols, T* at);

}  // namespace gradnet::kernels
