// Flat-vector operations for whole-vector optimizers (L-BFGS) (optim.h). Reductions run in double,
// in index order.
#include <algorithm>
#include <cmath>

#include "optim.h"

namespace gradnet::kernels {

template <typename T>
double dot(const T* a, const T* b, Index n) {
  double s = 0.0;
  for (Index i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

template <typename T>
double abs_max(const T* a, Index n) {
  double m = 0.0;
  for (Index i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(a[i])));
  return m;
}

template <typename T>
double abs_sum(const T* a, Index n) {
  double sum = 0.0;
  for (Index i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(a[i]));
  return sum;
}

template <typename T>
double abs_max_scaled(const T* a, double t, Index n) {
  double m = 0.0;
  for (Index i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) * t));
  return m;
}

template <typename T>
void axpy(T a, const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] += a * x[i];
}

template <typename T>
void scale(T a, T* x, Index n) {
  for (Index i = 0; i < n; ++i) x[i] *= a;
}

template <typename T>
void negate(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = -x[i];
}

template <typename T>
void difference(const T* a, const T* b, T* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = a[i] - b[i];
}

template <typename T>
void scaled_copy(const T* x, double t, T* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = static_cast<T>(x[i] * t);
}

template <typename T>
void copy(const T* x, T* y, Index n) {
  std::copy(x, x + n, y);
}

#define GRADNET_INSTANTIATE_VECTOR(T)                              \
  template double dot<T>(const T*, const T*, Index);               \
  template double abs_max<T>(const T*, Index);                     \
  template double abs_sum<T>(const T*, Index);                     \
  template double abs_max_scaled<T>(const T*, double, Index);      \
  template void axpy<T>(T, const T*, T*, Index);                   \
  template void scale<T>(T, T*, Index);                            \
  template void negate<T>(const T*, T*, Index);                    \
  template void difference<T>(const T*, const T*, T*, Index);      \
  template void scaled_copy<T>(const T*, double, T*, Index);       \
  template void copy<T>(const T*, T*, Index)
GRADNET_INSTANTIATE_VECTOR(float);
GRADNET_INSTANTIATE_VECTOR(double);

}  // namespace gradnet::kernels
