// Pooling kernels against kernels::reference (naive windows). Max pooling must agree exactly, value
// and argmax, including the 2x2 fast path, ties (the first max wins), -inf and NaN (a NaN wins, the
// last one in the window). Average pooling: the divisor table against the reference's own count,
// values within Tol::exact_math (float 1e-6, double 1e-12) relative plus the same absolute.
#include <gtest/gtest.h>

#include <iostream>
#include <limits>
#include <tuple>
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
class PoolKernels : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(PoolKernels, Types);

k::WindowGeometry pool_geometry(Index c, Index h, Index w, Index kernel, Index stride, Index pad) {
  return {c, h, w, kernel, stride, pad, 1, (h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1};
}

std::string name(const k::WindowGeometry& g) {
  return std::to_string(g.h) + "x" + std::to_string(g.w) + " k" + std::to_string(g.k) + " s" +
         std::to_string(g.stride) + " p" + std::to_string(g.pad);
}

// The 2x2 fast path (even and odd sizes: floor mode drops the last row/column; rows of 3, 7, 14,
// 16 and 20 outputs: the AVX-512 path's masked tail, a full vector, a vector and a tail),
// overlapping windows, padding, and a window as large as the image.
std::vector<k::WindowGeometry> geometries() {
  return {pool_geometry(3, 8, 6, 2, 2, 0), pool_geometry(2, 9, 7, 2, 2, 0), pool_geometry(2, 4, 14, 2, 2, 0),
          pool_geometry(2, 6, 28, 2, 2, 0), pool_geometry(1, 5, 33, 2, 2, 0), pool_geometry(2, 4, 40, 2, 2, 0),
          pool_geometry(2, 9, 11, 3, 2, 1),
          pool_geometry(3, 7, 7, 3, 1, 1), pool_geometry(1, 10, 9, 4, 3, 2), pool_geometry(2, 5, 5, 5, 1, 0),
          pool_geometry(2, 6, 8, 2, 1, 1)};
}

// Inputs with ties (values on a coarse grid), -inf, and a few NaNs.
template <typename T>
std::vector<T> pool_inputs(Index n, std::uint64_t seed, bool specials) {
  std::vector<T> x = uniform_values<T>(n, -4.0, 4.0, seed);
  for (T& v : x) v = static_cast<T>(static_cast<int>(v * 2)) / T(2);  // many ties
  if (specials)
    for (Index i = 0; i < n; i += 17) x[i] = i % 3 == 0 ? std::numeric_limits<T>::quiet_NaN()
                                                        : -std::numeric_limits<T>::infinity();
  return x;
}

TYPED_TEST(PoolKernels, MaxPoolMatchesReferenceExactly) {
  using T = TypeParam;
  for (bool specials : {false, true})
    for (const k::WindowGeometry& g : geometries()) {
      const Index n = 3, in = g.c * g.h * g.w, per = g.c * g.ho * g.wo;
      const std::vector<T> x = pool_inputs<T>(n * in, 81, specials);
      std::vector<T> y(n * per), y_ref(n * per);
      std::vector<std::int32_t> arg(n * per, -5), arg_ref(n * per, -6);
      k::max_pool_forward(g, x.data(), y.data(), arg.data(), n);
      ref::max_pool_forward(g, x.data(), y_ref.data(), arg_ref.data(), n);
      const std::string what = name(g) + (specials ? " with NaN and -inf" : "");
      expect_equal(y, y_ref, "max_pool y " + what);
      EXPECT_EQ(arg, arg_ref) << "max_pool argmax " << what;

      const std::vector<T> dy = uniform_values<T>(n * per, -1.0, 1.0, 82);
      std::vector<T> dx(n * in, T(5)), dx_ref(n * in, T(-5));
      k::max_pool_backward(g, dy.data(), arg.data(), dx.data(), n);
      ref::max_pool_backward(g, dy.data(), arg_ref.data(), dx_ref.data(), n);
      expect_close(dx, dx_ref, Tol<T>::exact_math, 0.0, "max_pool dx " + what);  // overlaps add in another order
    }
}

// The fast paths write whole vectors past a row's end where that stays inside the example (the
// rows after overwrite it): called one example at a time, last example first, into buffers with a
// guard zone after them, nothing may leak into another example or past the end.
TYPED_TEST(PoolKernels, MaxPoolWritesOnlyItsOwnExamples) {
  using T = TypeParam;
  const T guard = T(-7.25);
  for (const k::WindowGeometry& g : geometries()) {
    const Index n = 3, in = g.c * g.h * g.w, per = g.c * g.ho * g.wo, tail = 40;
    const std::vector<T> x = pool_inputs<T>(n * in, 83, false);
    std::vector<T> y_ref(n * per), dx_ref(n * in);
    std::vector<std::int32_t> arg_ref(n * per);
    ref::max_pool_forward(g, x.data(), y_ref.data(), arg_ref.data(), n);
    const std::vector<T> dy = uniform_values<T>(n * per, -1.0, 1.0, 84);
    ref::max_pool_backward(g, dy.data(), arg_ref.data(), dx_ref.data(), n);

    std::vector<T> y(n * per + tail, guard), dx(n * in + tail, guard);
    std::vector<std::int32_t> arg(n * per + tail, -9);
    for (Index i = n - 1; i >= 0; --i) {
      k::max_pool_forward(g, x.data() + i * in, y.data() + i * per, arg.data() + i * per, 1);
      k::max_pool_backward(g, dy.data() + i * per, arg.data() + i * per, dx.data() + i * in, 1);
    }
    const std::string what = name(g) + " one example at a time, last first";
    expect_equal(std::vector<T>(y.begin(), y.begin() + n * per), y_ref, "max_pool y " + what);
    EXPECT_EQ(std::vector<std::int32_t>(arg.begin(), arg.begin() + n * per), arg_ref) << "argmax " << what;
    expect_close(std::vector<T>(dx.begin(), dx.begin() + n * in), dx_ref, Tol<T>::exact_math, 0.0,
                 "max_pool dx " + what);
    for (Index i = 0; i < tail; ++i) {
      EXPECT_EQ(y[n * per + i], guard) << "y written past the end at +" << i << ", " << what;
      EXPECT_EQ(arg[n * per + i], -9) << "argmax written past the end at +" << i << ", " << what;
      EXPECT_EQ(dx[n * in + i], guard) << "dx written past the end at +" << i << ", " << what;
    }
  }
}

// With a gate (the pool's output over a relu's), the backward equals relu_backward after the
// pool's own backward, to the bit: the gradient through both in one pass. The forward with
// relu_first (reading the relu's input) equals the pool of relu(x), values and argmax, to the bit:
// NaN and -inf inputs too, which relu makes 0.
TYPED_TEST(PoolKernels, MaxPoolThroughAReluEqualsTheTwoLayers) {
  using T = TypeParam;
  Index open = 0, windows = 0;
  for (bool specials : {false, true})
    for (const k::WindowGeometry& g : geometries()) {
      const Index n = 3, in = g.c * g.h * g.w, per = g.c * g.ho * g.wo;
      const std::string what = name(g) + (specials ? " with NaN and -inf" : "");
      const std::vector<T> x = pool_inputs<T>(n * in, 85, specials);  // the relu's input: ties, zeros, negatives
      std::vector<T> r(n * in), y(n * per), dy = uniform_values<T>(n * per, -1.0, 1.0, 86);
      std::vector<std::int32_t> arg(n * per);
      k::relu_forward(x.data(), r.data(), n * in);
      k::max_pool_forward(g, r.data(), y.data(), arg.data(), n);
      std::vector<T> y2(n * per, T(9));
      std::vector<std::int32_t> arg2(n * per, -3);
      k::max_pool_forward(g, x.data(), y2.data(), arg2.data(), n, true);
      expect_equal(y2, y, "max_pool y of a relu's input with relu_first " + what);
      EXPECT_EQ(arg2, arg) << "argmax with relu_first " << what;
      windows += n * per;
      for (Index o = 0; o < n * per; ++o) open += y[o] > T(0);
      std::vector<T> d_pool(n * in), want(n * in), got(n * in, T(3));
      k::max_pool_backward(g, dy.data(), arg.data(), d_pool.data(), n);
      k::relu_backward(x.data(), d_pool.data(), want.data(), n * in);
      k::max_pool_backward(g, dy.data(), arg.data(), got.data(), n, y.data());
      expect_equal(got, want, "max_pool dx through a relu " + what);
    }
  EXPECT_GT(open, 0);
  EXPECT_LT(open, windows);  // and some windows are all <= 0 (ties at relu's 0)
}

// The pool over oneDNN's blocked layout nChw16c (Net's blocked handoff) gives the plain relu_first
// pool's bits: y, the argmax where y > 0 (-1 where y = 0), and the gated gradient, laid out blocked.
TEST(PoolC16Kernels, MatchThePlainPoolThroughARelu) {
  auto blocked = [](const k::WindowGeometry& g, Index n, Index h, Index w, const std::vector<float>& plain) {
    std::vector<float> b(plain.size());  // (n, C, h, w) -> (n, C/16, h, w, 16)
    for (Index i = 0; i < n; ++i)
      for (Index c = 0; c < g.c; ++c)
        for (Index p = 0; p < h * w; ++p)
          b[static_cast<std::size_t>(((i * (g.c / 16) + c / 16) * h * w + p) * 16 + c % 16)] =
              plain[static_cast<std::size_t>((i * g.c + c) * h * w + p)];
    return b;
  };
  for (const auto& [c, h, w] : {std::tuple<Index, Index, Index>{16, 4, 6}, {32, 7, 5}, {64, 14, 14}, {16, 3, 3}}) {
    const k::WindowGeometry g{c, h, w, 2, 2, 0, 1, h / 2, w / 2};
    if (!k::pool_c16_fits(g)) {  // the library was built without AVX-512 (its own -march)
      std::cout << "PoolC16Kernels: this build has no blocked pool; Net keeps the plain one (NetFusion tests it)\n";
      return;
    }
    const Index n = 3, in = c * h * w, per = c * g.ho * g.wo;
    const std::string what = std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
    const std::vector<float> x = pool_inputs<float>(n * in, 87, true);  // ties, NaN, -inf
    std::vector<float> y(n * per), y2(n * per, 9.0f), dy = uniform_values<float>(n * per, -1.0, 1.0, 88);
    std::vector<std::int32_t> arg(n * per), arg2(n * per, -3);
    k::max_pool_forward(g, x.data(), y.data(), arg.data(), n, true);
    k::max_pool_c16_relu_forward(g, blocked(g, n, h, w, x).data(), y2.data(), arg2.data(), n);
    expect_equal(y2, y, "y " + what);
    std::vector<float> arg_f(arg.begin(), arg.end());
    for (Index o = 0; o < n * per; ++o) arg_f[o] = y[o] > 0.0f ? arg_f[o] : -1.0f;
    const std::vector<float> want_arg = blocked(g, n, g.ho, g.wo, arg_f);
    for (Index o = 0; o < n * per; ++o) ASSERT_EQ(static_cast<float>(arg2[o]), want_arg[o]) << "argmax at " << o << " " << what;
    std::vector<float> dx(n * in), dx2(n * in, 5.0f);
    k::max_pool_backward(g, dy.data(), arg.data(), dx.data(), n, y.data());
    k::max_pool_c16_backward(g, dy.data(), arg2.data(), dx2.data(), n);
    expect_equal(dx2, blocked(g, n, h, w, dx), "dx " + what);
  }
}

TYPED_TEST(PoolKernels, AvgPoolMatchesReference) {
  using T = TypeParam;
  const double tol = Tol<T>::exact_math;
  for (bool include_pad : {true, false})
    for (const k::WindowGeometry& g : geometries()) {
      const Index n = 3, in = g.c * g.h * g.w, per = g.c * g.ho * g.wo;
      const std::string what = name(g) + (include_pad ? " count_include_pad" : "");
      std::vector<T> inv(g.ho * g.wo);
      k::avg_pool_divisors(g, include_pad, inv.data());
      const std::vector<T> x = uniform_values<T>(n * in, -2.0, 2.0, 91);
      std::vector<T> y(n * per), y_ref(n * per);
      k::avg_pool_forward(g, inv.data(), x.data(), y.data(), n);
      ref::avg_pool_forward(g, include_pad, x.data(), y_ref.data(), n);
      expect_close(y, y_ref, tol, tol, "avg_pool y " + what);

      const std::vector<T> dy = uniform_values<T>(n * per, -1.0, 1.0, 92);
      std::vector<T> dx(n * in, T(5)), dx_ref(n * in, T(-5));
      k::avg_pool_backward(g, inv.data(), dy.data(), dx.data(), n);
      ref::avg_pool_backward(g, include_pad, dy.data(), dx_ref.data(), n);
      expect_close(dx, dx_ref, tol, tol, "avg_pool dx " + what);
    }
}

TYPED_TEST(PoolKernels, GlobalAvgPoolMatchesReference) {
  using T = TypeParam;
  const Index n = 4, c = 5, hw = 7 * 9;
  const std::vector<T> x = uniform_values<T>(n * c * hw, -2.0, 2.0, 101);
  std::vector<T> y(n * c), y_ref(n * c);
  k::global_avg_pool_forward(x.data(), y.data(), n, c, hw);
  ref::global_avg_pool_forward(x.data(), y_ref.data(), n, c, hw);
  expect_close(y, y_ref, 0.0, Tol<T>::sum, "global_avg_pool y (63 terms)");
  const std::vector<T> dy = uniform_values<T>(n * c, -1.0, 1.0, 102);
  std::vector<T> dx(x.size(), T(5)), dx_ref(x.size(), T(-5));
  k::global_avg_pool_backward(dy.data(), dx.data(), n, c, hw);
  ref::global_avg_pool_backward(dy.data(), dx_ref.data(), n, c, hw);
  expect_close(dx, dx_ref, Tol<T>::exact_math, 0.0, "global_avg_pool dx");
}

}  // namespace
}  // namespace gradnet
