// Reference optimizer updates, clipping and flat-vector operations (reference.h): each update
// written out from its PyTorch formula, in double, one element at a time.
#include <algorithm>
#include <cmath>

#include "reference.h"

namespace gradnet::kernels::reference {

template <typename T>
void sgd_update(const SgdStep<T>& s, T* w, const T* g, T* buf, Index n) {
  for (Index i = 0; i < n; ++i) {
    const double grad = double(g[i]) + double(s.decay) * w[i];
    double direction = grad;
    if (buf) {
      const double b = s.first ? grad : double(s.momentum) * buf[i] + double(s.damp) * grad;
      buf[i] = static_cast<T>(b);
      direction = s.nesterov ? grad + double(s.momentum) * b : b;
    }
    w[i] = static_cast<T>(w[i] - double(s.rate) * direction);
  }
}

template <typename T>
void adagrad_update(const AdagradStep<T>& s, T* w, const T* g, T* sum, Index n) {
  for (Index i = 0; i < n; ++i) {
    const double grad = double(g[i]) + double(s.decay) * w[i];
    const double acc = sum[i] + grad * grad;
    sum[i] = static_cast<T>(acc);
    w[i] = static_cast<T>(w[i] - double(s.clr) * grad / (std::sqrt(acc) + s.eps));
  }
}

template <typename T>
void rmsprop_update(const RmspropStep<T>& s, T* w, const T* g, T* sq, T* ga, T* buf, Index n) {
  const double alpha = s.alpha;
  for (Index i = 0; i < n; ++i) {
    const double grad = double(g[i]) + double(s.decay) * w[i];
    const double square = alpha * sq[i] + (1.0 - alpha) * grad * grad;
    sq[i] = static_cast<T>(square);
    double avg = std::sqrt(square) + s.eps;
    if (ga) {
      const double mean = alpha * ga[i] + (1.0 - alpha) * grad;
      ga[i] = static_cast<T>(mean);
      avg = std::sqrt(square - mean * mean) + s.eps;
    }
    if (buf) {
      const double b = double(s.momentum) * buf[i] + grad / avg;
      buf[i] = static_cast<T>(b);
      w[i] = static_cast<T>(w[i] - double(s.rate) * b);
    } else {
      w[i] = static_cast<T>(w[i] - double(s.rate) * grad / avg);
    }
  }
}

template <typename T>
void adam_update(const AdamStep<T>& s, T* w, const T* g, T* m, T* v, T* vmax, Index n) {
  const double b1 = s.beta1, b2 = s.beta2;
  for (Index i = 0; i < n; ++i) {
    const double weight = s.decoupled ? double(w[i]) * s.shrink : double(w[i]);
    const double grad = double(g[i]) + double(s.decay) * weight;
    const double first = b1 * m[i] + (1.0 - b1) * grad;
    double second = b2 * v[i] + (1.0 - b2) * grad * grad;
    m[i] = static_cast<T>(first);
    v[i] = static_cast<T>(second);
    if (vmax) {
      second = std::max(double(vmax[i]), second);
      vmax[i] = static_cast<T>(second);
    }
    w[i] = static_cast<T>(weight - double(s.step_size) * first / (std::sqrt(second) / s.bc2 + s.eps));
  }
}

template <typename T>
void adadelta_update(const AdadeltaStep<T>& s, T* w, const T* g, T* sq, T* acc, Index n) {
  const double rho = s.rho;
  for (Index i = 0; i < n; ++i) {
    const double grad = double(g[i]) + double(s.decay) * w[i];
    const double square = rho * sq[i] + (1.0 - rho) * grad * grad;
    const double delta = std::sqrt(acc[i] + double(s.eps)) / std::sqrt(square + s.eps) * grad;
    sq[i] = static_cast<T>(square);
    acc[i] = static_cast<T>(rho * acc[i] + (1.0 - rho) * delta * delta);
    w[i] = static_cast<T>(w[i] - double(s.rate) * delta);
  }
}

template <typename T>
double sum_squares(const T* g, Index n, double acc) {
  long double s = 0;
  for (Index i = 0; i < n; ++i) s += static_cast<long double>(g[i]) * g[i];
  return static_cast<double>(acc + s);
}
template <typename T>
void scale_in_place(T* g, Index n, double coef) {
  for (Index i = 0; i < n; ++i) g[i] = static_cast<T>(coef * g[i]);
}
template <typename T>
void clamp_in_place(T* g, Index n, T limit) {
  for (Index i = 0; i < n; ++i) g[i] = g[i] > limit ? limit : g[i] < -limit ? -limit : g[i];
}

template <typename T>
double dot(const T* a, const T* b, Index n) {
  long double s = 0;
  for (Index i = 0; i < n; ++i) s += static_cast<long double>(a[i]) * b[i];
  return static_cast<double>(s);
}
template <typename T>
double abs_max(const T* a, Index n) {
  double m = 0.0;
  for (Index i = 0; i < n; ++i) m = std::max(m, std::abs(double(a[i])));
  return m;
}
template <typename T>
double abs_sum(const T* a, Index n) {
  long double s = 0;
  for (Index i = 0; i < n; ++i) s += std::abs(static_cast<long double>(a[i]));
  return static_cast<double>(s);
}
template <typename T>
double abs_max_scaled(const T* a, double t, Index n) {
  double m = 0.0;
  for (Index i = 0; i < n; ++i) m = std::max(m, std::abs(double(a[i]) * t));
  return m;
}
template <typename T>
void axpy(T a, const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = static_cast<T>(y[i] + double(a) * x[i]);
}
template <typename T>
void scale(T a, T* x, Index n) {
  for (Index i = 0; i < n; ++i) x[i] = a * x[i];
}
template <typename T>
void negate(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = T(0) - x[i];
}
template <typename T>
void difference(const T* a, const T* b, T* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = a[i] - b[i];
}
template <typename T>
void scaled_copy(const T* x, double t, T* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = static_cast<T>(t * x[i]);
}
template <typename T>
void copy(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = x[i];
}

#define GRADNET_INSTANTIATE_REFERENCE_OPTIM(T)                                                    \
  template void sgd_update<T>(const SgdStep<T>&, T*, const T*, T*, Index);                       \
  template void adagrad_update<T>(const AdagradStep<T>&, T*, const T*, T*, Index);               \
  template void rmsprop_update<T>(const RmspropStep<T>&, T*, const T*, T*, T*, T*, Index);       \
  template void adam_update<T>(const AdamStep<T>&, T*, const T*, T*, T*, T*, Index);             \
  template void adadelta_update<T>(const AdadeltaStep<T>&, T*, const T*, T*, T*, Index);         \
  template double sum_squares<T>(const T*, Index, double);                                       \
  template void scale_in_place<T>(T*, Index, double);                                            \
  template void clamp_in_place<T>(T*, Index, T);                                                 \
  template double dot<T>(const T*, const T*, Index);                                             \
  template double abs_max<T>(const T*, Index);                                                   \
  template double abs_sum<T>(const T*, Index);                                                   \
  template double abs_max_scaled<T>(const T*, double, Index);                                    \
  template void axpy<T>(T, const T*, T*, Index);                                                 \
  template void scale<T>(T, T*, Index);                                                          \
  template void negate<T>(const T*, T*, Index);                                                  \
  template void difference<T>(const T*, const T*, T*, Index);                                    \
  template void scaled_copy<T>(const T*, double, T*, Index);                                     \
  template void copy<T>(const T*, T*, Index)
GRADNET_INSTANTIATE_REFERENCE_OPTIM(float);
GRADNET_INSTANTIATE_REFERENCE_OPTIM(double);

}  // namespace gradnet::kernels::reference
