// Softmax as a layer and as a loss. Numerically stable: the max over the normalised axis is
// subtracted before exp.
//
// Layer: an example is (C, S), channel c at position p at c·S + p, and each of the S positions
// gets its own distribution over the C channels (S = 1: over the whole row).
//   softmax_forward   softmax:      y = e^(x − m) / Σ e^(x − m)                         OVERWRITES y
//                     log_softmax:  y = x − m − log Σ e^(x − m)
//   softmax_backward  softmax:      dx = y ⊙ (dy − Σ dy·y)                              OVERWRITES dx
//                     log_softmax:  dx = dy − e^y · Σ dy
//   work, work2: (S) scratch the caller plans (the max and the sums, per example).
//
// Losses over logits z (N, K) and integer labels in [0, K) (the caller checks them):
//   softmax_cross_entropy_forward   probs = softmax(z) per row; returns (1/N) Σ_n [logsumexp(z_n) − z_n,label]
//                                   (0 for N = 0); summed in double                     OVERWRITES probs
//   softmax_cross_entropy_backward  dz = (probs − onehot) / N                             OVERWRITES dz
//   softmax_rows                    p = softmax(z) per row (predict)                      OVERWRITES p
//   mse_forward                     returns Σ (z − onehot)² / (N·K) (0 for N = 0), in double
//   mse_backward                    dz = 2 (z − onehot) / (N·K)                           OVERWRITES dz
#pragma once

#include <cstdint>

#include "gradnet/tensor.h"

namespace gradnet::kernels {

enum class SoftmaxKind { softmax, log_softmax };

// x, y: (n, c·s)  work, work2: (s)
template <typename T>
void softmax_forward(SoftmaxKind kind, const T* x, T* y, Index n, Index c, Index s, T* work, T* work2);
// y, dy, dx: (n, c·s)  work: (s)
template <typename T>
void softmax_backward(SoftmaxKind kind, const T* y, const T* dy, T* dx, Index n, Index c, Index s, T* work);

// z, probs: (n, k)  labels: (n)
template <typename T>
double softmax_cross_entropy_forward(const T* z, const std::int32_t* labels, T* probs, Index n, Index k);
// probs, dz: (n, k)
template <typename T>
void softmax_cross_entropy_backward(const T* probs, const std::int32_t* labels, T* dz, Index n, Index k);
// z, p: (n, k)
template <typename T>
void softmax_rows(const T* z, T* p, Index n, Index k);

// z, dz: (n, k)
template <typename T>
double mse_forward(const T* z, const std::int32_t* labels, Index n, Index k);
template <typename T>
void mse_backward(const T* z, const std::int32_t* labels, T* dz, Index n, Index k);

}  // namespace gradnet::kernels
