// Optimizer update kernels, clipping and L-BFGS's vector kernels against kernels::reference (the
// PyTorch formulas written out in double). Each update runs 4 steps on the same state, so that
// errors in the state buffers show in the weights. Tolerances: double 2e-12 relative (plus the
// same absolute), float 2e-6 (2·Tol::exact_math); reductions 1e-12 relative to Σ|terms| in both
// (they are double sums of exactly representable products).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

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
class OptimKernels : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(OptimKernels, Types);

constexpr Index kN = 257;

// Runs `steps` updates through kernel and reference from the same start: `update(kernel?, step,
// w, state...)` with state buffers in `states` (initialised to `init`), then compares everything.
template <typename T, typename Update>
void compare_updates(const std::string& what, int state_count, T init, Update update) {
  const double tol = 2 * Tol<T>::exact_math;  // 4 steps of a few roundings each, compounding in the state
  std::vector<T> w = uniform_values<T>(kN, -1.0, 1.0, 161), w_ref = w;
  std::vector<std::vector<T>> s(state_count, std::vector<T>(kN, init)), s_ref = s;
  for (int step = 1; step <= 4; ++step) {
    const std::vector<T> g = uniform_values<T>(kN, -1.0, 1.0, 170 + step);
    update(true, step, w.data(), g.data(), s);
    update(false, step, w_ref.data(), g.data(), s_ref);
  }
  expect_close(w, w_ref, tol, tol, what + " weights");
  for (int i = 0; i < state_count; ++i) expect_close(s[i], s_ref[i], tol, tol, what + " state " + std::to_string(i));
}

template <typename T>
T* buffer(std::vector<std::vector<T>>& s, std::size_t i) {
  return i < s.size() ? s[i].data() : nullptr;
}

TYPED_TEST(OptimKernels, SgdMatchesReference) {
  using T = TypeParam;
  for (bool momentum : {false, true})
    for (bool nesterov : {false, true}) {
      const std::string what = std::string("sgd") + (momentum ? " momentum" : "") + (nesterov ? " nesterov" : "");
      compare_updates<T>(what, momentum ? 1 : 0, T(0), [&](bool kernel, int step, T* w, const T* g, auto& s) {
        const k::SgdStep<T> p{T(0.1), T(1e-2), T(0.9), T(0.8), nesterov, step == 1};
        (kernel ? k::sgd_update<T> : ref::sgd_update<T>)(p, w, g, buffer(s, 0), kN);
      });
    }
}

TYPED_TEST(OptimKernels, AdagradAdadeltaMatchReference) {
  using T = TypeParam;
  compare_updates<T>("adagrad", 1, T(0.1), [](bool kernel, int step, T* w, const T* g, auto& s) {
    const k::AdagradStep<T> p{static_cast<T>(0.05 / (1.0 + (step - 1) * 0.01)), T(1e-3), T(1e-10)};
    (kernel ? k::adagrad_update<T> : ref::adagrad_update<T>)(p, w, g, s[0].data(), kN);
  });
  compare_updates<T>("adadelta", 2, T(0), [](bool kernel, int, T* w, const T* g, auto& s) {
    const k::AdadeltaStep<T> p{T(1), T(1e-3), T(0.9), T(1e-6)};
    (kernel ? k::adadelta_update<T> : ref::adadelta_update<T>)(p, w, g, s[0].data(), s[1].data(), kN);
  });
}

TYPED_TEST(OptimKernels, RmspropMatchesReference) {
  using T = TypeParam;
  for (bool centered : {false, true})
    for (bool momentum : {false, true}) {
      const std::string what = std::string("rmsprop") + (centered ? " centered" : "") + (momentum ? " momentum" : "");
      compare_updates<T>(what, 3, T(0), [&](bool kernel, int, T* w, const T* g, auto& s) {
        const k::RmspropStep<T> p{T(0.01), T(1e-3), T(0.99), T(1e-8), T(0.5)};
        (kernel ? k::rmsprop_update<T> : ref::rmsprop_update<T>)(p, w, g, s[0].data(), centered ? s[1].data() : nullptr,
                                                                 momentum ? s[2].data() : nullptr, kN);
      });
    }
}

TYPED_TEST(OptimKernels, AdamMatchesReference) {
  using T = TypeParam;
  for (bool decoupled : {false, true})
    for (bool amsgrad : {false, true})
      for (bool bias_correction : {true, false}) {
        const std::string what = std::string(decoupled ? "adamw" : "adam") + (amsgrad ? " amsgrad" : "") +
                                 (bias_correction ? "" : " no bias correction");
        compare_updates<T>(what, 3, T(0), [&](bool kernel, int step, T* w, const T* g, auto& s) {
          const double rate = 1e-2, decay = 1e-2, b1 = 0.9, b2 = 0.999;
          const double ss = bias_correction ? rate / (1.0 - std::pow(b1, step)) : rate;
          const double bc2 = bias_correction ? std::sqrt(1.0 - std::pow(b2, step)) : 1.0;
          const k::AdamStep<T> p{T(b1), T(b2), T(1e-8), static_cast<T>(ss), static_cast<T>(bc2),
                                 decoupled ? T(0) : T(decay), decoupled ? static_cast<T>(1.0 - rate * decay) : T(1),
                                 decoupled};
          (kernel ? k::adam_update<T> : ref::adam_update<T>)(p, w, g, s[0].data(), s[1].data(),
                                                             amsgrad ? s[2].data() : nullptr, kN);
        });
      }
}

TYPED_TEST(OptimKernels, ClippingMatchesReference) {
  using T = TypeParam;
  const std::vector<T> g = uniform_values<T>(kN, -3.0, 3.0, 181);
  const double acc = 2.5;  // the running sum over earlier params carries on
  const double sq = k::sum_squares(g.data(), kN, acc);
  EXPECT_NEAR(sq, ref::sum_squares(g.data(), kN, acc), 1e-12 * sq) << "sum_squares";
  std::vector<T> a = g, b = g;
  k::scale_in_place(a.data(), kN, 0.37);
  ref::scale_in_place(b.data(), kN, 0.37);
  expect_equal(a, b, "scale_in_place (one rounding of the double product)");
  a = g, b = g;
  k::clamp_in_place(a.data(), kN, T(0.5));
  ref::clamp_in_place(b.data(), kN, T(0.5));
  expect_equal(a, b, "clamp_in_place");
}

TYPED_TEST(OptimKernels, FlatVectorOperationsMatchReference) {
  using T = TypeParam;
  const std::vector<T> x = uniform_values<T>(kN, -2.0, 2.0, 191), y0 = uniform_values<T>(kN, -2.0, 2.0, 192);
  double magnitude = 0.0;
  for (Index i = 0; i < kN; ++i) magnitude += std::abs(double(x[i]) * y0[i]);
  EXPECT_NEAR(k::dot(x.data(), y0.data(), kN), ref::dot(x.data(), y0.data(), kN), 1e-12 * magnitude) << "dot";
  EXPECT_EQ(k::abs_max(x.data(), kN), ref::abs_max(x.data(), kN)) << "abs_max";
  const double sum = ref::abs_sum(x.data(), kN);
  EXPECT_NEAR(k::abs_sum(x.data(), kN), sum, 1e-12 * sum) << "abs_sum";
  EXPECT_EQ(k::abs_max_scaled(x.data(), -0.3, kN), ref::abs_max_scaled(x.data(), -0.3, kN)) << "abs_max_scaled";

  const double one_rounding = 2.0 * std::numeric_limits<T>::epsilon();  // float FMA vs double-then-round
  std::vector<T> a = y0, b = y0;
  k::axpy(T(-0.7), x.data(), a.data(), kN);
  ref::axpy(T(-0.7), x.data(), b.data(), kN);
  expect_close(a, b, one_rounding, 1e-300, "axpy");
  a = y0, b = y0;
  k::scale(T(1.3), a.data(), kN);
  ref::scale(T(1.3), b.data(), kN);
  expect_equal(a, b, "scale");
  k::negate(x.data(), a.data(), kN);
  ref::negate(x.data(), b.data(), kN);
  expect_equal(a, b, "negate");
  k::difference(x.data(), y0.data(), a.data(), kN);
  ref::difference(x.data(), y0.data(), b.data(), kN);
  expect_equal(a, b, "difference");
  k::scaled_copy(x.data(), 0.3, a.data(), kN);
  ref::scaled_copy(x.data(), 0.3, b.data(), kN);
  expect_equal(a, b, "scaled_copy");
  k::copy(x.data(), a.data(), kN);
  ref::copy(x.data(), b.data(), kN);
  expect_equal(a, b, "copy");
}

}  // namespace
}  // namespace gradnet
