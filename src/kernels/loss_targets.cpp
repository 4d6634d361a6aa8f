// Losses against dense or one-hot targets (loss_targets.h).
#include "loss_targets.h"

#include <algorithm>
#include <cmath>

namespace gradnet::kernels {

template <typename T>
double mse_targets_forward(const T* z, LossTargets<T> t, Index n, Index k) {
  double total = 0.0;
  for (Index r = 0; r < n; ++r)
    for (Index j = 0; j < k; ++j) {
      const double e = static_cast<double>(z[r * k + j]) - static_cast<double>(t.at(r, j, k));
      total += e * e;
    }
  return n > 0 ? total / static_cast<double>(n * k) : 0.0;
}

template <typename T>
void mse_targets_backward(const T* z, LossTargets<T> t, T* dz, Index n, Index k) {
  const T scale = T(2) / static_cast<T>(n * k);
  for (Index r = 0; r < n; ++r)
    for (Index j = 0; j < k; ++j) dz[r * k + j] = scale * (z[r * k + j] - t.at(r, j, k));
}

template <typename T>
double bce_logits_forward(const T* z, LossTargets<T> t, Index n, Index k) {
  double total = 0.0;
  for (Index r = 0; r < n; ++r)
    for (Index j = 0; j < k; ++j) {
      const double x = static_cast<double>(z[r * k + j]);
      total += std::max(x, 0.0) - x * static_cast<double>(t.at(r, j, k)) + std::log1p(std::exp(-std::fabs(x)));
    }
  return n > 0 ? total / static_cast<double>(n * k) : 0.0;
}

// σ(x) without overflow: e^x / (1 + e^x) for x < 0.
template <typename T>
T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T>
void bce_logits_backward(const T* z, LossTargets<T> t, T* dz, Index n, Index k) {
  const T scale = T(1) / static_cast<T>(n * k);
  for (Index r = 0; r < n; ++r)
    for (Index j = 0; j < k; ++j) dz[r * k + j] = scale * (sigmoid(z[r * k + j]) - t.at(r, j, k));
}

template <typename T>
void sigmoid_rows(const T* z, T* p, Index n, Index k) {
  for (Index i = 0; i < n * k; ++i) p[i] = sigmoid(z[i]);
}

#define GRADNET_INSTANTIATE_LOSS_TARGETS(T)                                              \
  template double mse_targets_forward<T>(const T*, LossTargets<T>, Index, Index);        \
  template void mse_targets_backward<T>(const T*, LossTargets<T>, T*, Index, Index);     \
  template double bce_logits_forward<T>(const T*, LossTargets<T>, Index, Index);         \
  template void bce_logits_backward<T>(const T*, LossTargets<T>, T*, Index, Index);      \
  template void sigmoid_rows<T>(const T*, T*, Index, Index)
GRADNET_INSTANTIATE_LOSS_TARGETS(float);
GRADNET_INSTANTIATE_LOSS_TARGETS(double);

}  // namespace gradnet::kernels
