// Activation, dropout-mask, dense and GEMM kernels against kernels::reference, float and double,
// on odd sizes. Tolerances (kernel_test_util.h): float activations with the polynomial exp/tanh
// within 4e-7 relative (Tol::fast_exp), libm-based ones within 1e-6; double within 1e-12. Values
// the float fast exp flushes (below ~1e-38) or that fall in float's denormals are covered by an
// absolute 1e-35; where a formula cancels (gelu's 1 + erf for x < 0, silu's and gelu's derivative
// near their zeros) the bound is absolute, on |dy| <= 1 and |x| < 6 where it matters.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace gradnet {
namespace {

namespace k = kernels;
namespace ref = kernels::reference;
using testing::expect_close;
using testing::expect_equal;
using testing::Tol;
using testing::uniform_values;

template <typename T>
class ElementwiseKernels : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ElementwiseKernels, Types);

constexpr Index kN = 1031;  // odd: no vector width divides it

// Inputs over the working range and the tails: [-6, 6] and [-100, 100], plus exact zeros.
template <typename T>
std::vector<T> activation_inputs(std::uint64_t seed) {
  std::vector<T> x = uniform_values<T>(kN, -6.0, 6.0, seed);
  const std::vector<T> wide = uniform_values<T>(kN, -100.0, 100.0, seed + 1);
  x.insert(x.end(), wide.begin(), wide.end());
  x.insert(x.end(), {T(0), T(-0.0), T(1e-30), T(-1e-30), T(88), T(-88), T(700), T(-700)});
  return x;
}

template <typename T, typename Kernel, typename Reference>
void check_forward(Kernel kernel, Reference reference, double rtol, double atol, const char* what) {
  const std::vector<T> x = activation_inputs<T>(11);
  std::vector<T> got(x.size()), want(x.size());
  kernel(x.data(), got.data(), static_cast<Index>(x.size()));
  reference(x.data(), want.data(), static_cast<Index>(x.size()));
  expect_close(got, want, rtol, atol, what);
}

// from = x (or y for sigmoid/tanh, whose derivative reads the output)
template <typename T, typename Kernel, typename Reference>
void check_backward(const std::vector<T>& from, Kernel kernel, Reference reference, double rtol, double atol,
                    const char* what) {
  const Index n = static_cast<Index>(from.size());
  const std::vector<T> dy = uniform_values<T>(n, -1.0, 1.0, 12);
  std::vector<T> got(from.size()), want(from.size());
  kernel(from.data(), dy.data(), got.data(), n);
  reference(from.data(), dy.data(), want.data(), n);
  expect_close(got, want, rtol, atol, what);
}

TYPED_TEST(ElementwiseKernels, ActivationsForwardMatchReference) {
  using T = TypeParam;
  const double fast = Tol<T>::fast_exp, libm = Tol<T>::exact_math, flushed = 1e-35;
  check_forward<T>(k::sigmoid_forward<T>, ref::sigmoid_forward<T>, fast, flushed, "sigmoid");
  check_forward<T>(k::tanh_forward<T>, ref::tanh_forward<T>, fast, flushed, "tanh");
  check_forward<T>(k::silu_forward<T>, ref::silu_forward<T>, fast, flushed, "silu");
  check_forward<T>(k::relu_forward<T>, ref::relu_forward<T>, 0.0, 0.0, "relu");
  auto leaky = [](const T* x, T* y, Index n) { k::leaky_relu_forward(x, y, n, T(0.07)); };
  auto leaky_ref = [](const T* x, T* y, Index n) { ref::leaky_relu_forward(x, y, n, T(0.07)); };
  check_forward<T>(leaky, leaky_ref, libm, 0.0, "leaky_relu");
  auto elu = [](const T* x, T* y, Index n) { k::elu_forward(x, y, n, T(1.3)); };
  auto elu_ref = [](const T* x, T* y, Index n) { ref::elu_forward(x, y, n, T(1.3)); };
  check_forward<T>(elu, elu_ref, libm, 0.0, "elu");
  for (auto a : {k::GeluApproximation::none, k::GeluApproximation::tanh}) {
    auto gelu = [a](const T* x, T* y, Index n) { k::gelu_forward(x, y, n, a); };
    auto gelu_ref = [a](const T* x, T* y, Index n) { ref::gelu_forward(x, y, n, a); };
    // absolute: for x < 0, 1 + erf (1 + tanh) cancels as it does in PyTorch's formula; |x·eps| for |x| < 6
    check_forward<T>(gelu, gelu_ref, libm, libm, a == k::GeluApproximation::none ? "gelu" : "gelu tanh");
  }
}

TYPED_TEST(ElementwiseKernels, ActivationsBackwardMatchReference) {
  using T = TypeParam;
  const double fast = Tol<T>::fast_exp, libm = Tol<T>::exact_math;
  const std::vector<T> x = activation_inputs<T>(13);
  std::vector<T> sig(x.size()), th(x.size());
  ref::sigmoid_forward(x.data(), sig.data(), static_cast<Index>(x.size()));
  ref::tanh_forward(x.data(), th.data(), static_cast<Index>(x.size()));
  check_backward<T>(sig, k::sigmoid_backward<T>, ref::sigmoid_backward<T>, libm, libm, "sigmoid'");
  check_backward<T>(th, k::tanh_backward<T>, ref::tanh_backward<T>, libm, libm, "tanh'");
  check_backward<T>(x, k::silu_backward<T>, ref::silu_backward<T>, fast, 2 * fast, "silu'");
  check_backward<T>(x, k::relu_backward<T>, ref::relu_backward<T>, 0.0, 0.0, "relu'");
  auto leaky = [](const T* x, const T* dy, T* dx, Index n) { k::leaky_relu_backward(x, dy, dx, n, T(0.07)); };
  auto leaky_ref = [](const T* x, const T* dy, T* dx, Index n) { ref::leaky_relu_backward(x, dy, dx, n, T(0.07)); };
  check_backward<T>(x, leaky, leaky_ref, libm, 0.0, "leaky_relu'");
  auto elu = [](const T* x, const T* dy, T* dx, Index n) { k::elu_backward(x, dy, dx, n, T(1.3)); };
  auto elu_ref = [](const T* x, const T* dy, T* dx, Index n) { ref::elu_backward(x, dy, dx, n, T(1.3)); };
  check_backward<T>(x, elu, elu_ref, libm, 1e-35, "elu'");  // dy·α·e^x rounds in float's denormals
  for (auto a : {k::GeluApproximation::none, k::GeluApproximation::tanh}) {
    auto gelu = [a](const T* x, const T* dy, T* dx, Index n) { k::gelu_backward(x, dy, dx, n, a); };
    auto gelu_ref = [a](const T* x, const T* dy, T* dx, Index n) { ref::gelu_backward(x, dy, dx, n, a); };
    check_backward<T>(x, gelu, gelu_ref, libm, libm, a == k::GeluApproximation::none ? "gelu'" : "gelu tanh'");
  }
}

TYPED_TEST(ElementwiseKernels, ActivationsOfInfinity) {
  using T = TypeParam;
  const T inf = std::numeric_limits<T>::infinity();
  const std::vector<T> x = {inf, -inf};
  std::vector<T> y(2);
  k::sigmoid_forward(x.data(), y.data(), 2);
  EXPECT_EQ(y[0], T(1));
  EXPECT_LT(y[1], T(1e-37));
  k::tanh_forward(x.data(), y.data(), 2);
  EXPECT_EQ(y[0], T(1));
  EXPECT_EQ(y[1], T(-1));
}

TYPED_TEST(ElementwiseKernels, MaskAndBiasMatchReference) {
  using T = TypeParam;
  const Index rows = 37, d = 29;
  const std::vector<T> x = uniform_values<T>(rows * d, -2.0, 2.0, 21);
  std::vector<T> mask = uniform_values<T>(rows * d, 0.0, 1.0, 22);
  for (T& m : mask) m = m < T(0.3) ? T(0) : T(1) / T(0.7);
  std::vector<T> got(x.size()), want(x.size());
  k::apply_mask(x.data(), mask.data(), got.data(), rows * d);
  ref::apply_mask(x.data(), mask.data(), want.data(), rows * d);
  expect_equal(got, want, "apply_mask");

  const std::vector<T> b = uniform_values<T>(d, -1.0, 1.0, 23);
  std::vector<T> y(x.size(), T(7)), y_ref(x.size(), T(-7));
  k::bias_broadcast(b.data(), y.data(), rows, d);
  ref::bias_broadcast(b.data(), y_ref.data(), rows, d);
  expect_equal(y, y_ref, "bias_broadcast overwrites every row");

  std::vector<T> db = uniform_values<T>(d, -1.0, 1.0, 24), db_ref = db;  // accumulates into what is there
  k::bias_grad(x.data(), db.data(), rows, d);
  ref::bias_grad(x.data(), db_ref.data(), rows, d);
  expect_close(db, db_ref, Tol<T>::sum, Tol<T>::sum, "bias_grad");
}

// transpose: every element lands at (j, i), for sizes around the 8x8 blocks (whole blocks, a
// ragged edge in either direction, fewer than 8 rows or columns).
TYPED_TEST(ElementwiseKernels, TransposePutsEveryElementAtItsMirror) {
  using T = TypeParam;
  for (const Index rows : {1, 5, 8, 13, 16, 64})
    for (const Index cols : {1, 7, 8, 17, 24, 784}) {
      std::vector<T> a(static_cast<std::size_t>(rows * cols)), at(a.size(), T(-1));
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<T>(i);
      k::transpose(a.data(), rows, cols, at.data());
      Index wrong = 0;
      for (Index i = 0; i < rows; ++i)
        for (Index j = 0; j < cols; ++j) wrong += at[static_cast<std::size_t>(j * rows + i)] != a[static_cast<std::size_t>(i * cols + j)];
      EXPECT_EQ(wrong, 0) << rows << " x " << cols;
    }
}

// GEMM: every transpose combination, odd sizes, row strides wider than the rows, alpha and beta.
// The bound is the classical one, |err| <= 2·K·eps·Σ|a||b| (+ |beta·c| rounding), per element.
TYPED_TEST(ElementwiseKernels, GemmMatchesNaiveTripleLoop) {
  using T = TypeParam;
  const Index m = 13, n = 29, kk = 41, pad = 3;
  const double eps = std::numeric_limits<T>::epsilon();
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (T beta : {T(0), T(1), T(-0.5)}) {
        const Index lda = (ta ? m : kk) + pad, ldb = (tb ? kk : n) + pad, ldc = n + pad;
        const std::vector<T> a = uniform_values<T>((ta ? kk : m) * lda, -1.0, 1.0, 31);
        const std::vector<T> b = uniform_values<T>((tb ? n : kk) * ldb, -1.0, 1.0, 32);
        std::vector<T> c = uniform_values<T>(m * ldc, -1.0, 1.0, 33);
        if (beta == T(0)) c[0] = std::numeric_limits<T>::quiet_NaN();  // beta 0 ignores what C holds
        std::vector<T> want = c;
        k::gemm<T>(ta, tb, m, n, kk, T(0.75), a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
        ref::gemm<T>(ta, tb, m, n, kk, T(0.75), a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
        const std::string what = std::string("gemm ") + (ta ? "T" : "N") + (tb ? "T" : "N") + " beta " +
                                 std::to_string(static_cast<double>(beta));
        // Σ|a||b| <= K for entries in [-1, 1]; |beta·c| <= 1.
        expect_close(c, want, 0.0, 2.0 * static_cast<double>(kk + 2) * eps, what);
      }
}

// dense_forward (AVX-512, 16-64 outputs): y = x·wt + b against a sum in double, for every output
// width it takes, row counts around its 6- and 8-row blocks (each remainder), K of 1 to 784, with
// and without a bias. Bound: the classical 2·(K + 1)·eps·(Σ|x||w| + |b|) per element.
TEST(DenseForward, MatchesSumsInDoubleForEveryWidthAndRowRemainder) {
  if (!k::dense_forward_fits(64)) {  // a build without AVX-512: LinearLayer takes the GEMM instead
    for (const Index d : {16, 32, 48, 64}) EXPECT_FALSE(k::dense_forward_fits(d));
    return;
  }
  for (const Index d : {8, 24, 65, 128}) EXPECT_FALSE(k::dense_forward_fits(d)) << d;
  const double eps = std::numeric_limits<float>::epsilon();
  for (const Index d : {16, 32, 48, 64})
    for (const Index n : {1, 5, 6, 7, 8, 13, 17, 128})
      for (const Index kk : {1, 3, 784})
        for (const bool bias : {false, true}) {
          const std::vector<float> x = uniform_values<float>(n * kk, -1.0, 1.0, 41);
          const std::vector<float> wt = uniform_values<float>(kk * d, -1.0, 1.0, 42);
          const std::vector<float> b = uniform_values<float>(d, -1.0, 1.0, 43);
          std::vector<float> y(static_cast<std::size_t>(n * d), std::numeric_limits<float>::quiet_NaN());
          k::dense_forward(x.data(), n, kk, wt.data(), d, bias ? b.data() : nullptr, y.data());
          Index wrong = 0;
          for (Index r = 0; r < n; ++r)
            for (Index o = 0; o < d; ++o) {
              double want = bias ? b[static_cast<std::size_t>(o)] : 0.0, scale = std::fabs(want);
              for (Index i = 0; i < kk; ++i) {
                const double p = static_cast<double>(x[static_cast<std::size_t>(r * kk + i)]) *
                                 static_cast<double>(wt[static_cast<std::size_t>(i * d + o)]);
                want += p;
                scale += std::fabs(p);
              }
              const double got = y[static_cast<std::size_t>(r * d + o)];
              wrong += !(std::fabs(got - want) <= 2.0 * static_cast<double>(kk + 1) * eps * scale);
            }
          EXPECT_EQ(wrong, 0) << "d " << d << ", n " << n << ", k " << kk << (bias ? ", bias" : "");
        }
}

}  // namespace
}  // namespace gradnet
