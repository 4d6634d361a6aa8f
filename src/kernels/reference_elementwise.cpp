// Reference GEMM, activations and dense loops (reference.h): textbook formulas in double.
#include <cmath>
#include <numbers>

#include "reference.h"

namespace gradnet::kernels::reference {

template <typename T>
void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b,
          Index ldb, T beta, T* c, Index ldc) {
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < n; ++j) {
      long double s = 0;
      for (Index p = 0; p < k; ++p) {
        const T aip = trans_a ? a[p * lda + i] : a[i * lda + p];
        const T bpj = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        s += static_cast<long double>(aip) * bpj;
      }
      // beta = 0 overwrites C whatever it held (NaN included), as BLAS does
      const long double old = beta == T(0) ? 0.0L : static_cast<long double>(beta) * c[i * ldc + j];
      c[i * ldc + j] = static_cast<T>(static_cast<long double>(alpha) * s + old);
    }
}

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double normal_cdf(double x) { return 0.5 * (1.0 + std::erf(x / std::numbers::sqrt2)); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }
constexpr double kKappa = 0.044715;
double gelu_u(double x) { return std::sqrt(2.0 / std::numbers::pi) * (x + kKappa * x * x * x); }
}  // namespace

template <typename T>
void sigmoid_forward(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = static_cast<T>(sigmoid(x[i]));
}
template <typename T>
void sigmoid_backward(const T* y, const T* dy, T* dx, Index n) {
  for (Index i = 0; i < n; ++i) dx[i] = static_cast<T>(double(dy[i]) * y[i] * (1.0 - y[i]));
}
template <typename T>
void tanh_forward(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = static_cast<T>(std::tanh(double(x[i])));
}
template <typename T>
void tanh_backward(const T* y, const T* dy, T* dx, Index n) {
  for (Index i = 0; i < n; ++i) dx[i] = static_cast<T>(double(dy[i]) * (1.0 - double(y[i]) * y[i]));
}
template <typename T>
void relu_forward(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <typename T>
void relu_backward(const T* x, const T* dy, T* dx, Index n) {
  for (Index i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}
template <typename T>
void leaky_relu_forward(const T* x, T* y, Index n, T slope) {
  for (Index i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : static_cast<T>(double(slope) * x[i]);
}
template <typename T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, Index n, T slope) {
  for (Index i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : static_cast<T>(double(slope) * dy[i]);
}
template <typename T>
void elu_forward(const T* x, T* y, Index n, T alpha) {
  for (Index i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : static_cast<T>(alpha * std::expm1(double(x[i])));
}
template <typename T>
void elu_backward(const T* x, const T* dy, T* dx, Index n, T alpha) {
  for (Index i = 0; i < n; ++i)
    dx[i] = x[i] > T(0) ? dy[i] : static_cast<T>(double(dy[i]) * alpha * std::exp(double(x[i])));
}
template <typename T>
void gelu_forward(const T* x, T* y, Index n, GeluApproximation approximate) {
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = static_cast<T>(approximate == GeluApproximation::tanh ? 0.5 * v * (1.0 + std::tanh(gelu_u(v)))
                                                                 : v * normal_cdf(v));
  }
}
template <typename T>
void gelu_backward(const T* x, const T* dy, T* dx, Index n, GeluApproximation approximate) {
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    double d;
    if (approximate == GeluApproximation::tanh) {
      const double t = std::tanh(gelu_u(v)), du = std::sqrt(2.0 / std::numbers::pi) * (1.0 + 3.0 * kKappa * v * v);
      d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du;
    } else {
      d = normal_cdf(v) + v * normal_pdf(v);
    }
    dx[i] = static_cast<T>(dy[i] * d);
  }
}
template <typename T>
void silu_forward(const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = static_cast<T>(x[i] * sigmoid(x[i]));
}
template <typename T>
void silu_backward(const T* x, const T* dy, T* dx, Index n) {
  for (Index i = 0; i < n; ++i) {
    const double s = sigmoid(x[i]);
    dx[i] = static_cast<T>(dy[i] * s * (1.0 + x[i] * (1.0 - s)));
  }
}
template <typename T>
void apply_mask(const T* x, const T* mask, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = x[i] * mask[i];
}

template <typename T>
void bias_broadcast(const T* b, T* y, Index rows, Index d) {
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < d; ++j) y[i * d + j] = b[j];
}
template <typename T>
void bias_grad(const T* dy, T* db, Index rows, Index d) {
  for (Index j = 0; j < d; ++j) {
    double s = 0.0;
    for (Index i = 0; i < rows; ++i) s += dy[i * d + j];
    db[j] = static_cast<T>(db[j] + s);
  }
}

#define GRADNET_INSTANTIATE_REFERENCE_ELEMENTWISE(T)                                                       \
  template void gemm<T>(bool, bool, Index, Index, Index, T, const T*, Index, const T*, Index, T, T*, Index); \
  template void sigmoid_forward<T>(const T*, T*, Index);                                                   \
  template void sigmoid_backward<T>(const T*, const T*, T*, Index);                                        \
  template void tanh_forward<T>(const T*, T*, Index);                                                      \
  template void tanh_backward<T>(const T*, const T*, T*, Index);                                           \
  template void relu_forward<T>(const T*, T*, Index);                                                      \
  template void relu_backward<T>(const T*, const T*, T*, Index);                                           \
  template void leaky_relu_forward<T>(const T*, T*, Index, T);                                             \
  template void leaky_relu_backward<T>(const T*, const T*, T*, Index, T);                                  \
  template void elu_forward<T>(const T*, T*, Index, T);                                                    \
  template void elu_backward<T>(const T*, const T*, T*, Index, T);                                         \
  template void gelu_forward<T>(const T*, T*, Index, GeluApproximation);                                   \
  template void gelu_backward<T>(const T*, const T*, T*, Index, GeluApproximation);                        \
  template void silu_forward<T>(const T*, T*, Index);                                                      \
  template void silu_backward<T>(const T*, const T*, T*, Index);                                           \
  template void apply_mask<T>(const T*, const T*, T*, Index);                                              \
  template void bias_broadcast<T>(const T*, T*, Index, Index);                                             \
  template void bias_grad<T>(const T*, T*, Index, Index)
GRADNET_INSTANTIATE_REFERENCE_ELEMENTWISE(float);
GRADNET_INSTANTIATE_REFERENCE_ELEMENTWISE(double);

}  // namespace gradnet::kernels::reference
