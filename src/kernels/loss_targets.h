// Losses against dense targets (an autoencoder's input) or one-hot labels, over outputs z (N, K).
// A target row is t_n = values + n·K when values is set, else onehot(labels[n]) (labels in [0, K),
// checked by the caller). Every loss is the mean over the N·K elements (PyTorch's reduction="mean").
//   mse_targets_forward      returns Σ (z − t)² / (N·K), in double (0 for N = 0)
//   mse_targets_backward     dz = 2 (z − t) / (N·K)                                      OVERWRITES dz
//   bce_logits_forward       returns Σ [max(z, 0) − z·t + log1p(e^−|z|)] / (N·K)
//                            (BCEWithLogitsLoss's stable form: no exp of a large positive number)
//   bce_logits_backward      dz = (σ(z) − t) / (N·K)                                     OVERWRITES dz
//   sigmoid_rows             p = σ(z) (predict)                                           OVERWRITES p
#pragma once

#include <cstdint>

#include "gradnet/tensor.h"

namespace gradnet::kernels {

template <typename T>
struct LossTargets {
  const T* values = nullptr;             // (N, K) dense targets, or nullptr
  const std::int32_t* labels = nullptr;  // (N) class labels, used when values is nullptr
  T at(Index n, Index j, Index k) const {
    return values ? values[n * k + j] : (labels[n] == j ? T(1) : T(0));
  }
};

template <typename T>
double mse_targets_forward(const T* z, LossTargets<T> t, Index n, Index k);
template <typename T>
void mse_targets_backward(const T* z, LossTargets<T> t, T* dz, Index n, Index k);
template <typename T>
double bce_logits_forward(const T* z, LossTargets<T> t, Index n, Index k);
template <typename T>
void bce_logits_backward(const T* z, LossTargets<T> t, T* dz, Index n, Index k);
template <typename T>
void sigmoid_rows(const T* z, T* p, Index n, Index k);

}  // namespace gradnet::kernels
