// Softmax layer kernels and the softmax-CE / mse loss kernels against kernels::reference (double,
// std::exp). Float within 1e-6 (libm exp, a few float ops; Tol::exact_math), double within 1e-12,
// log_softmax plus 2·|x|·eps absolute (it subtracts m + log Σ from x in T);
// losses are double in both, within 1e-12 relative for double inputs and 1e-6 for float ones.
// Large logits (±80, beyond float's exp range without the max shift) are part of the inputs.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace gradnet {
namespace {

namespace k = kernels;
namespace ref = kernels::reference;
using testing::expect_close;
using testing::random_labels;
using testing::Tol;
using testing::uniform_values;

template <typename T>
class SoftmaxKernels : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SoftmaxKernels, Types);

template <typename T>
std::vector<T> logits(Index n, std::uint64_t seed) {
  std::vector<T> z = uniform_values<T>(n, -6.0, 6.0, seed);
  for (Index i = 0; i < n; i += 7) z[i] += i % 2 ? T(80) : T(-80);
  return z;
}

TYPED_TEST(SoftmaxKernels, SoftmaxLayersMatchReference) {
  using T = TypeParam;
  const double tol = Tol<T>::exact_math;
  const Index n = 5;
  for (Index c : {1, 10, 13})
    for (Index s : {1, 6})
      for (auto kind : {k::SoftmaxKind::softmax, k::SoftmaxKind::log_softmax}) {
        const std::string what = std::string(kind == k::SoftmaxKind::softmax ? "softmax" : "log_softmax") + " C " +
                                 std::to_string(c) + " S " + std::to_string(s);
        const std::vector<T> x = logits<T>(n * c * s, 141);
        std::vector<T> y(x.size()), y_ref(x.size()), work(s), work2(s);
        k::softmax_forward(kind, x.data(), y.data(), n, c, s, work.data(), work2.data());
        ref::softmax_forward(kind, x.data(), y_ref.data(), n, c, s);
        // log_softmax: y = x - (m + log Σ) in T loses |x|·eps absolute (|x| <= 86 here), as in the layer
        const double log_atol = tol + 2.0 * 86.0 * std::numeric_limits<T>::epsilon();
        expect_close(y, y_ref, tol, kind == k::SoftmaxKind::softmax ? 1e-30 : log_atol, what + " y");

        const std::vector<T> dy = uniform_values<T>(x.size(), -1.0, 1.0, 142);
        std::vector<T> dx(x.size()), dx_ref(x.size());
        k::softmax_backward(kind, y_ref.data(), dy.data(), dx.data(), n, c, s, work.data());
        ref::softmax_backward(kind, y_ref.data(), dy.data(), dx_ref.data(), n, c, s);
        expect_close(dx, dx_ref, tol, tol * 10, what + " dx");
      }
}

TYPED_TEST(SoftmaxKernels, CrossEntropyAndMseMatchReference) {
  using T = TypeParam;
  const double tol = Tol<T>::exact_math;
  const Index n = 23, classes = 11;
  const std::vector<T> z = logits<T>(n * classes, 151);
  const std::vector<std::int32_t> labels = random_labels(n, classes, 152);
  std::vector<T> p(z.size()), p_ref(z.size());
  const double loss = k::softmax_cross_entropy_forward(z.data(), labels.data(), p.data(), n, classes);
  const double loss_ref = ref::softmax_cross_entropy_forward(z.data(), labels.data(), p_ref.data(), n, classes);
  EXPECT_NEAR(loss, loss_ref, tol * loss_ref) << "softmax_cross_entropy loss";
  expect_close(p, p_ref, tol, 1e-30, "softmax_cross_entropy probs");

  std::vector<T> predicted(z.size());
  k::softmax_rows(z.data(), predicted.data(), n, classes);
  expect_close(predicted, p_ref, tol, 1e-30, "softmax_rows");

  std::vector<T> dz(z.size()), dz_ref(z.size());
  k::softmax_cross_entropy_backward(p.data(), labels.data(), dz.data(), n, classes);
  ref::softmax_cross_entropy_backward(p.data(), labels.data(), dz_ref.data(), n, classes);
  expect_close(dz, dz_ref, tol, 1e-30, "softmax_cross_entropy dz");

  const double mse = k::mse_forward(z.data(), labels.data(), n, classes);
  EXPECT_NEAR(mse, ref::mse_forward(z.data(), labels.data(), n, classes), 1e-12 * mse) << "mse loss";
  k::mse_backward(z.data(), labels.data(), dz.data(), n, classes);
  ref::mse_backward(z.data(), labels.data(), dz_ref.data(), n, classes);
  expect_close(dz, dz_ref, tol, 0.0, "mse dz");

  EXPECT_EQ(k::softmax_cross_entropy_forward<T>(z.data(), labels.data(), p.data(), 0, classes), 0.0) << "N = 0";
  EXPECT_EQ(k::mse_forward<T>(z.data(), labels.data(), 0, classes), 0.0) << "N = 0";
}

}  // namespace
}  // namespace gradnet
