// Per-param optimizer updates and gradient clipping (optim.h).
#include <algorithm>
#include <cmath>

#include "optim.h"

namespace gradnet::kernels {

// The updates are elementwise, so splitting a parameter over the OpenMP team changes no value;
// below this many elements waking the team costs more than it saves (W1's 50k-element weight:
// SGD took 0.09 ms a step split over two threads, 0.02 ms on one).
constexpr Index kParallelElements = Index{1} << 18;

template <typename T>
void sgd_update(const SgdStep<T>& s, T* w, const T* g, T* buf, Index n) {
  const T rate = s.rate, decay = s.decay;
  if (!buf) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
    for (Index i = 0; i < n; ++i) w[i] -= rate * (g[i] + decay * w[i]);
    return;
  }
  const T momentum = s.momentum, damp = s.damp;
  const bool nesterov = s.nesterov, first = s.first;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (Index i = 0; i < n; ++i) {
    const T gi = g[i] + decay * w[i];
    buf[i] = first ? gi : momentum * buf[i] + damp * gi;
    w[i] -= rate * (nesterov ? gi + momentum * buf[i] : buf[i]);
  }
}

template <typename T>
void adagrad_update(const AdagradStep<T>& s, T* w, const T* g, T* sum, Index n) {
  const T clr = s.clr, decay = s.decay, eps = s.eps;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (Index i = 0; i < n; ++i) {
    const T gi = g[i] + decay * w[i];
    sum[i] += gi * gi;
    w[i] -= clr * gi / (std::sqrt(sum[i]) + eps);
  }
}

template <typename T>
void rmsprop_update(const RmspropStep<T>& s, T* w, const T* g, T* sq, T* ga, T* buf, Index n) {
  const T rate = s.rate, decay = s.decay, alpha = s.alpha, eps = s.eps, momentum = s.momentum;
  const bool centered = ga != nullptr, use_momentum = buf != nullptr;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (Index i = 0; i < n; ++i) {
    const T gi = g[i] + decay * w[i];
    sq[i] = alpha * sq[i] + (T(1) - alpha) * gi * gi;
    T avg;
    if (centered) {
      ga[i] = alpha * ga[i] + (T(1) - alpha) * gi;
      avg = std::sqrt(sq[i] - ga[i] * ga[i]) + eps;
    } else {
      avg = std::sqrt(sq[i]) + eps;
    }
    if (use_momentum) {
      buf[i] = momentum * buf[i] + gi / avg;
      w[i] -= rate * buf[i];
    } else {
      w[i] -= rate * gi / avg;
    }
  }
}

template <typename T>
void adam_update(const AdamStep<T>& s, T* w, const T* g, T* m, T* v, T* vmax, Index n) {
  const T b1 = s.beta1, b2 = s.beta2, eps = s.eps, ss = s.step_size, bc2 = s.bc2, decay = s.decay, shrink = s.shrink;
  const bool decoupled = s.decoupled, amsgrad = vmax != nullptr;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (Index i = 0; i < n; ++i) {
    if (decoupled) w[i] *= shrink;
    const T gi = g[i] + decay * w[i];
    m[i] = b1 * m[i] + (T(1) - b1) * gi;
    v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
    T second = v[i];
    if (amsgrad) second = vmax[i] = std::max(vmax[i], v[i]);
    w[i] -= ss * m[i] / (std::sqrt(second) / bc2 + eps);
  }
}

template <typename T>
void adadelta_update(const AdadeltaStep<T>& s, T* w, const T* g, T* sq, T* acc, Index n) {
  const T rate = s.rate, decay = s.decay, rho = s.rho, eps = s.eps;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (Index i = 0; i < n; ++i) {
    const T gi = g[i] + decay * w[i];
    sq[i] = rho * sq[i] + (T(1) - rho) * gi * gi;
    const T delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * gi;
    acc[i] = rho * acc[i] + (T(1) - rho) * delta * delta;
    w[i] -= rate * delta;
  }
}

template <typename T>
double sum_squares(const T* g, Index n, double sq) {
  for (Index i = 0; i < n; ++i) sq += static_cast<double>(g[i]) * g[i];
  return sq;
}

template <typename T>
void scale_in_place(T* g, Index n, double coef) {
  for (Index i = 0; i < n; ++i) g[i] = static_cast<T>(g[i] * coef);
}

template <typename T>
void clamp_in_place(T* g, Index n, T v) {
  for (Index i = 0; i < n; ++i) g[i] = std::clamp(g[i], -v, v);
}

#define GRADNET_INSTANTIATE_OPTIM(T)                                                              \
  template void sgd_update<T>(const SgdStep<T>&, T*, const T*, T*, Index);                       \
  template void adagrad_update<T>(const AdagradStep<T>&, T*, const T*, T*, Index);               \
  template void rmsprop_update<T>(const RmspropStep<T>&, T*, const T*, T*, T*, T*, Index);       \
  template void adam_update<T>(const AdamStep<T>&, T*, const T*, T*, T*, T*, Index);             \
  template void adadelta_update<T>(const AdadeltaStep<T>&, T*, const T*, T*, T*, Index);         \
  template double sum_squares<T>(const T*, Index, double);                                       \
  template void scale_in_place<T>(T*, Index, double);                                            \
  template void clamp_in_place<T>(T*, Index, T)
GRADNET_INSTANTIATE_OPTIM(float);
GRADNET_INSTANTIATE_OPTIM(double);

}  // namespace gradnet::kernels
