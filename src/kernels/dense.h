// The loops around a fully connected layer's GEMMs (gemm.h does the products):
//   bias_broadcast   y (N, D) = b broadcast into every row          (OVERWRITES y; gemm then adds x·Wᵀ, beta 1)
//   bias_grad        db (D) += Σ_n dy[n, :]                          (ACCUMULATES, row by row in order)
//   transpose        at (cols, rows) = aᵀ                             (OVERWRITES at; 8x8 blocks in AVX)
//   dense_forward    y (N, D) = x (N, K) · wt (K, D) + b               (OVERWRITES y; AVX-512, D = 16..64)
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

// A linear layer's forward product with few outputs, x (N, K) · wt (K, D) + b (b null: none), wt
// the weight transposed (K rows of D). Each output is b + Σ_k x[k]·wt[k] summed in k order in one
// register lane: 6 rows x D outputs in registers while wt's rows stream by (no packing, bias in
// the accumulators' start). Measured on W1's first layer (128 x 784 by 784 x 64, one thread, Zen 5):
// 60 µs against 65 for oneDNN's sgemm on the same transposed W plus a pass for the bias.
// dense_forward_fits(d): built with AVX-512 and d is 16, 32, 48 or 64.
bool dense_forward_fits(Index d);
void dense_forward(const float* x, Index n, Index k, const float* wt, Index d, const float* b, float* y);

}  // namespace gradnet::kernels
