// Elementwise activations (activation.h). These run on every step's hot path, so each pass is one
// flat loop over n contiguous values that the compiler vectorises; backward reads y where the
// derivative is a function of y (sigmoid, tanh), which saves recomputing exp.
#include "activation.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace gradnet::kernels {

namespace {

// c ? a : b through the bits. With GCC's default -ftrapping-math a plain ?: whose arms hold
// floating-point work gets that work sunk into a branch, and a loop with a branch is not vectorised;
// a bitwise select has no branch to sink into.
inline float select(bool c, float a, float b) {
  const std::uint32_t m = 0u - static_cast<std::uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<std::uint32_t>(a) & m) | (std::bit_cast<std::uint32_t>(b) & ~m));
}

// e^x for x <= 0 in float, branch-free so the loops vectorise (std::exp is a libm call the
// vectoriser will not inline). Cephes expf: x = n·ln2 + r, |r| <= ln2/2, degree-6 polynomial for
// e^r, then scale by 2^n through the exponent bits. Max rel. error ~2e-7 (1-2 ulp). x is clamped at
// -87.3 so 2^n stays a normal float: results below ~1e-38 come out as ~1e-38, which is 0 for any
// sum they enter but avoids denormals (slow on x86).
inline float exp_nonpositive(float x) {
  x = select(x < -87.3f, -87.3f, x);  // std::max here gets jump-threaded into a branch
  const float t = x * 1.44269504088896341f + 0.5f;
  std::int32_t n = static_cast<std::int32_t>(t);       // truncates toward 0 ...
  n -= static_cast<std::int32_t>(t < static_cast<float>(n));  // ... so step down: floor(t)
  const float fn = static_cast<float>(n);
  x = x - fn * 0.693359375f + fn * 2.12194440e-4f;     // r = x - n·ln2, ln2 split in two for accuracy
  const float z = x * x;
  float p = 1.9875691500e-4f;
  p = p * x + 1.3981999507e-3f;
  p = p * x + 8.3334519073e-3f;
  p = p * x + 4.1665795894e-2f;
  p = p * x + 1.6666665459e-1f;
  p = p * x + 5.0000001201e-1f;
  p = p * z + x + 1.0f;
  return p * std::bit_cast<float>((n + 127) << 23);
}

// sigmoid without overflow for any x: with e = e^-|x| in (0, 1], σ(x) = 1/(1+e) for x >= 0 and
// e/(1+e) for x < 0 (the naive 1/(1+e^-x) overflows e^-x for x < -88 in float).
template <typename T>
inline T sigmoid(T v) {
  if constexpr (std::is_same_v<T, float>) {
    const float e = exp_nonpositive(-std::fabs(v));
    return select(v >= 0.0f, 1.0f, e) / (1.0f + e);
  } else {
    const double e = std::exp(-std::fabs(v));
    return (v >= 0.0 ? 1.0 : e) / (1.0 + e);
  }
}

// tanh in float without a libm call: for |x| < 0.625, Cephes' odd polynomial (avoids the
// cancellation of 1 - e^-2|x| near 0); above, (1 - t)/(1 + t) with t = e^-2|x| <= 0.29.
inline float tanh_fast(float v) {
  const float a = std::fabs(v);
  const float t = exp_nonpositive(-2.0f * a);
  const float big = (1.0f - t) / (1.0f + t);
  const float z = a * a;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * a + a;
  return std::copysign(select(a < 0.625f, small, big), v);
}

constexpr double kSqrt1_2 = 0.70710678118654752440;     // 1/√2
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/√(2π)
constexpr double kSqrt2OverPi = 0.79788456080286535588; // √(2/π)
constexpr double kGeluKappa = 0.044715;

}  // namespace

// ---- sigmoid: y = σ(x), dx = dy·y(1-y)
template <typename T>
void sigmoid_forward(const T* __restrict xs, T* __restrict ys, Index n) {
  for (Index i = 0; i < n; ++i) ys[i] = sigmoid(xs[i]);
}

template <typename T>
void sigmoid_backward(const T* __restrict ys, const T* __restrict g, T* __restrict d, Index n) {
  for (Index i = 0; i < n; ++i) d[i] = g[i] * ys[i] * (T(1) - ys[i]);
}

// ---- tanh: y = tanh x, dx = dy·(1 - y²)
template <typename T>
void tanh_forward(const T* __restrict xs, T* __restrict ys, Index n) {
  if constexpr (std::is_same_v<T, float>) {
    for (Index i = 0; i < n; ++i) ys[i] = tanh_fast(xs[i]);
  } else {
    for (Index i = 0; i < n; ++i) ys[i] = std::tanh(xs[i]);  // double: libm's, exact to ~1 ulp
  }
}

template <typename T>
void tanh_backward(const T* __restrict ys, const T* __restrict g, T* __restrict d, Index n) {
  for (Index i = 0; i < n; ++i) d[i] = g[i] * (T(1) - ys[i] * ys[i]);
}

// ---- relu: y = max(x, 0), dx = dy·[x > 0] (0 at x = 0, as PyTorch)
template <typename T>
void relu_forward(const T* __restrict xs, T* __restrict ys, Index n) {
  for (Index i = 0; i < n; ++i) ys[i] = xs[i] > T(0) ? xs[i] : T(0);
}

template <typename T>
void relu_backward(const T* __restrict xs, const T* __restrict g, T* __restrict d, Index n) {
  for (Index i = 0; i < n; ++i) d[i] = xs[i] > T(0) ? g[i] : T(0);
}

// ---- leaky_relu: y = x > 0 ? x : slope·x, dx = dy·(x > 0 ? 1 : slope)
template <typename T>
void leaky_relu_forward(const T* __restrict xs, T* __restrict ys, Index n, T s) {
  for (Index i = 0; i < n; ++i) ys[i] = xs[i] > T(0) ? xs[i] : s * xs[i];
}

template <typename T>
void leaky_relu_backward(const T* __restrict xs, const T* __restrict g, T* __restrict d, Index n, T s) {
  for (Index i = 0; i < n; ++i) d[i] = xs[i] > T(0) ? g[i] : s * g[i];
}

// ---- elu: y = x > 0 ? x : α(e^x - 1), dx = dy·(x > 0 ? 1 : α·e^x) (α at x = 0, as PyTorch).
// dx from x, not as y + α: for x << 0, y + α cancels (x = -30: 4 digits lost).
template <typename T>
void elu_forward(const T* __restrict xs, T* __restrict ys, Index n, T a) {
  // expm1, not exp - 1: no cancellation for small |x|
  for (Index i = 0; i < n; ++i) ys[i] = xs[i] > T(0) ? xs[i] : a * std::expm1(xs[i]);
}

template <typename T>
void elu_backward(const T* __restrict xs, const T* __restrict g, T* __restrict d, Index n, T a) {
  for (Index i = 0; i < n; ++i) d[i] = xs[i] > T(0) ? g[i] : g[i] * a * std::exp(xs[i]);
}

// ---- gelu: y = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2, dx = dy·(Φ(x) + x·φ(x)), φ(x) = e^(-x²/2)/√(2π).
// approximate = tanh: y = x/2·(1 + tanh u), u = √(2/π)·(x + κx³), κ = 0.044715,
//   dx = dy·((1 + tanh u)/2 + x/2·(1 - tanh² u)·√(2/π)·(1 + 3κx²)).  PyTorch's formulas, term for term.
template <typename T>
void gelu_forward(const T* __restrict xs, T* __restrict ys, Index n, GeluApproximation approximate) {
  if (approximate == GeluApproximation::tanh) {
    const T b = T(kSqrt2OverPi), k = T(kGeluKappa);
    for (Index i = 0; i < n; ++i) {
      const T v = xs[i];
      ys[i] = T(0.5) * v * (T(1) + std::tanh(b * (v + k * v * v * v)));
    }
  } else {
    for (Index i = 0; i < n; ++i) ys[i] = T(0.5) * xs[i] * (T(1) + std::erf(xs[i] * T(kSqrt1_2)));
  }
}

template <typename T>
void gelu_backward(const T* __restrict xs, const T* __restrict g, T* __restrict d, Index n,
                   GeluApproximation approximate) {
  if (approximate == GeluApproximation::tanh) {
    const T b = T(kSqrt2OverPi), k = T(kGeluKappa);
    for (Index i = 0; i < n; ++i) {
      const T v = xs[i];
      const T t = std::tanh(b * (v + k * v * v * v));
      d[i] = g[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * b * (T(1) + T(3) * k * v * v));
    }
  } else {
    for (Index i = 0; i < n; ++i) {
      const T v = xs[i];
      const T cdf = T(0.5) * (T(1) + std::erf(v * T(kSqrt1_2)));
      const T pdf = std::exp(T(-0.5) * v * v) * T(kInvSqrt2Pi);
      d[i] = g[i] * (cdf + v * pdf);
    }
  }
}

// ---- silu (swish): y = x·σ(x), dx = dy·σ(x)·(1 + x(1 - σ(x))); σ recomputed from x in backward
template <typename T>
void silu_forward(const T* __restrict xs, T* __restrict ys, Index n) {
  for (Index i = 0; i < n; ++i) ys[i] = xs[i] * sigmoid(xs[i]);
}

template <typename T>
void silu_backward(const T* __restrict xs, const T* __restrict g, T* __restrict d, Index n) {
  for (Index i = 0; i < n; ++i) {
    const T s = sigmoid(xs[i]);
    d[i] = g[i] * s * (T(1) + xs[i] * (T(1) - s));
  }
}

// ---- dropout: y = x ⊙ mask (mask = 0 or 1/(1 - rate), drawn by the layer from the step's stream)
template <typename T>
void apply_mask(const T* x, const T* mask, T* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = x[i] * mask[i];
}

#define GRADNET_INSTANTIATE_ACTIVATIONS(T)                                                          \
  template void sigmoid_forward<T>(const T*, T*, Index);                                           \
  template void sigmoid_backward<T>(const T*, const T*, T*, Index);                                \
  template void tanh_forward<T>(const T*, T*, Index);                                              \
  template void tanh_backward<T>(const T*, const T*, T*, Index);                                   \
  template void relu_forward<T>(const T*, T*, Index);                                              \
  template void relu_backward<T>(const T*, const T*, T*, Index);                                   \
  template void leaky_relu_forward<T>(const T*, T*, Index, T);                                     \
  template void leaky_relu_backward<T>(const T*, const T*, T*, Index, T);                          \
  template void elu_forward<T>(const T*, T*, Index, T);                                            \
  template void elu_backward<T>(const T*, const T*, T*, Index, T);                                 \
  template void gelu_forward<T>(const T*, T*, Index, GeluApproximation);                           \
  template void gelu_backward<T>(const T*, const T*, T*, Index, GeluApproximation);                \
  template void silu_forward<T>(const T*, T*, Index);                                              \
  template void silu_backward<T>(const T*, const T*, T*, Index);                                   \
  template void apply_mask<T>(const T*, const T*, T*, Index)
GRADNET_INSTANTIATE_ACTIVATIONS(float);
GRADNET_INSTANTIATE_ACTIVATIONS(double);

}  // namespace gradnet::kernels
