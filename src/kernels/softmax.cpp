// softmax / log_softmax over the channel axis, softmax cross-entropy and mse (softmax.h). In the
// layer kernels the loops run over c outside and p inside, so every pass is contiguous.
#include "softmax.h"

#include <algorithm>
#include <cmath>

namespace gradnet::kernels {

template <typename T>
void softmax_forward(SoftmaxKind kind, const T* x, T* y, Index n, Index c_n, Index s_n, T* work, T* work2) {
  const bool log = kind == SoftmaxKind::log_softmax;
  T* __restrict mx = work;
  T* __restrict sm = work2;
  for (Index i = 0; i < n; ++i) {
    const T* __restrict xi = x + i * c_n * s_n;
    T* __restrict yi = y + i * c_n * s_n;
    std::copy(xi, xi + s_n, mx);
    for (Index c = 1; c < c_n; ++c)
      for (Index p = 0; p < s_n; ++p) mx[p] = std::max(mx[p], xi[c * s_n + p]);
    std::fill(sm, sm + s_n, T(0));
    for (Index c = 0; c < c_n; ++c) {
      for (Index p = 0; p < s_n; ++p) {
        const T e = std::exp(xi[c * s_n + p] - mx[p]);
        yi[c * s_n + p] = e;
        sm[p] += e;  // >= 1: the max's own term is e^0
      }
    }
    if (log) {  // y = x − (m + log Σ)
      for (Index p = 0; p < s_n; ++p) sm[p] = mx[p] + std::log(sm[p]);
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) yi[c * s_n + p] = xi[c * s_n + p] - sm[p];
    } else {  // y = e / Σ
      for (Index p = 0; p < s_n; ++p) sm[p] = T(1) / sm[p];
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) yi[c * s_n + p] *= sm[p];
    }
  }
}

template <typename T>
void softmax_backward(SoftmaxKind kind, const T* y, const T* dy, T* dx, Index n, Index c_n, Index s_n, T* work) {
  T* __restrict sm = work;
  for (Index i = 0; i < n; ++i) {
    const T* __restrict yi = y + i * c_n * s_n;
    const T* __restrict gi = dy + i * c_n * s_n;
    T* __restrict di = dx + i * c_n * s_n;
    std::fill(sm, sm + s_n, T(0));
    if (kind == SoftmaxKind::log_softmax) {  // dx = dy − e^y · Σ dy
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) sm[p] += gi[c * s_n + p];
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) di[c * s_n + p] = gi[c * s_n + p] - std::exp(yi[c * s_n + p]) * sm[p];
    } else {  // dx = y ⊙ (dy − Σ dy·y)
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) sm[p] += gi[c * s_n + p] * yi[c * s_n + p];
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) di[c * s_n + p] = yi[c * s_n + p] * (gi[c * s_n + p] - sm[p]);
    }
  }
}

namespace {

// p = softmax(z) for one row, shifted by the row max so exp never overflows; returns
// log Σ exp(z - max) (the log-sum-exp without the max) and the max in *max_out.
template <typename T>
double softmax_row(const T* z, T* p, Index k, T* max_out = nullptr) {
  T zmax = z[0];
  for (Index j = 1; j < k; ++j) zmax = std::max(zmax, z[j]);
  T sum = T(0);
  for (Index j = 0; j < k; ++j) {
    p[j] = std::exp(z[j] - zmax);
    sum += p[j];
  }
  const T inv = T(1) / sum;  // sum >= 1 (the max term is e^0)
  for (Index j = 0; j < k; ++j) p[j] *= inv;
  if (max_out) *max_out = zmax;
  return std::log(static_cast<double>(sum));
}

}  // namespace

template <typename T>
double softmax_cross_entropy_forward(const T* z, const std::int32_t* labels, T* probs, Index rows, Index k) {
  double total = 0.0;
  for (Index n = 0; n < rows; ++n) {
    const T* zn = z + n * k;
    const std::int32_t c = labels[n];
    T zmax;
    const double lse = softmax_row(zn, probs + n * k, k, &zmax);
    // -log p_c = log Σ e^(z - max) - (z_c - max): exact even where p_c underflows to 0
    total += lse - static_cast<double>(zn[c] - zmax);
  }
  return rows > 0 ? total / static_cast<double>(rows) : 0.0;
}

template <typename T>
void softmax_cross_entropy_backward(const T* probs, const std::int32_t* labels, T* dz, Index rows, Index k) {
  const T inv_n = T(1) / static_cast<T>(rows);
  for (Index n = 0; n < rows; ++n) {
    const T* p = probs + n * k;
    T* d = dz + n * k;
    for (Index j = 0; j < k; ++j) d[j] = p[j] * inv_n;
    d[labels[n]] -= inv_n;
  }
}

template <typename T>
void softmax_rows(const T* z, T* p, Index rows, Index k) {
  for (Index n = 0; n < rows; ++n) softmax_row(z + n * k, p + n * k, k);
}

template <typename T>
double mse_forward(const T* z, const std::int32_t* labels, Index rows, Index k) {
  double total = 0.0;
  for (Index n = 0; n < rows; ++n) {
    const T* zn = z + n * k;
    for (Index j = 0; j < k; ++j) {
      const double e = static_cast<double>(zn[j]) - (j == labels[n] ? 1.0 : 0.0);
      total += e * e;
    }
  }
  return rows > 0 ? total / static_cast<double>(rows * k) : 0.0;
}

template <typename T>
void mse_backward(const T* z, const std::int32_t* labels, T* dz, Index rows, Index k) {
  const T scale = T(2) / static_cast<T>(rows * k);
  for (Index n = 0; n < rows; ++n) {
    const T* zn = z + n * k;
    T* d = dz + n * k;
    for (Index j = 0; j < k; ++j) d[j] = scale * zn[j];
    d[labels[n]] -= scale;
  }
}

#define GRADNET_INSTANTIATE_SOFTMAX(T)                                                                \
  template void softmax_forward<T>(SoftmaxKind, const T*, T*, Index, Index, Index, T*, T*);           \
  template void softmax_backward<T>(SoftmaxKind, const T*, const T*, T*, Index, Index, Index, T*);    \
  template double softmax_cross_entropy_forward<T>(const T*, const std::int32_t*, T*, Index, Index);  \
  template void softmax_cross_entropy_backward<T>(const T*, const std::int32_t*, T*, Index, Index);    \
  template void softmax_rows<T>(const T*, T*, Index, Index);                                          \
  template double mse_forward<T>(const T*, const std::int32_t*, Index, Index);                        \
  template void mse_backward<T>(const T*, const std::int32_t*, T*, Index, Index)
GRADNET_INSTANTIATE_SOFTMAX(float);
GRADNET_INSTANTIATE_SOFTMAX(double);

}  // namespace gradnet::kernels
