// im2col/col2im and conv2d's chunk kernels against kernels::reference (every tap by its formula),
// and the whole kernel sequence of a grouped convolution against a direct convolution.
// Tolerances: im2col, col2im, gather and bias scatter are copies or single additions made in the
// same order as the reference: exact. The convolution: Tol::sum (float 1e-5, double 1e-12)
// absolute on O(1) values with sums of <= 48 terms; the adjoint identity in double within 1e-12.
#include <gtest/gtest.h>

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
class ConvKernels : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ConvKernels, Types);

k::WindowGeometry geometry(Index c, Index h, Index w, Index kernel, Index stride, Index pad, Index dilation) {
  k::WindowGeometry g{c, h, w, kernel, stride, pad, dilation, 0, 0};
  const Index span = dilation * (kernel - 1) + 1;
  g.ho = (h + 2 * pad - span) / stride + 1;
  g.wo = (w + 2 * pad - span) / stride + 1;
  return g;
}

std::string name(const k::WindowGeometry& g) {
  return "c" + std::to_string(g.c) + " " + std::to_string(g.h) + "x" + std::to_string(g.w) + " k" +
         std::to_string(g.k) + " s" + std::to_string(g.stride) + " p" + std::to_string(g.pad) + " d" +
         std::to_string(g.dilation);
}

// Odd sizes, stride 1 (the fast path) and 2-3, padding up to beyond the kernel's reach, dilation.
std::vector<k::WindowGeometry> geometries() {
  return {geometry(3, 7, 9, 3, 1, 1, 1), geometry(2, 11, 5, 3, 2, 0, 1), geometry(4, 9, 9, 3, 1, 2, 2),
          geometry(1, 13, 10, 5, 3, 2, 1), geometry(3, 6, 7, 2, 2, 1, 3), geometry(2, 5, 5, 1, 1, 0, 1),
          geometry(2, 4, 6, 3, 1, 3, 1)};
}

TYPED_TEST(ConvKernels, Im2colAndCol2imMatchReference) {
  using T = TypeParam;
  for (const k::WindowGeometry& g : geometries()) {
    const Index count = 3, p = g.ho * g.wo, rows = g.c * g.k * g.k, x_size = g.c * g.h * g.w;
    const std::vector<T> x = uniform_values<T>(count * x_size, -1.0, 1.0, 41);
    std::vector<T> col(rows * count * p, T(9)), col_ref(col.size(), T(-9));
    k::im2col_chunk(g, x.data(), count, col.data());
    ref::im2col_chunk(g, x.data(), count, col_ref.data());
    expect_equal(col, col_ref, "im2col_chunk " + name(g));

    const std::vector<T> dcol = uniform_values<T>(rows * count * p, -1.0, 1.0, 42);
    std::vector<T> dx(x.size(), T(9)), dx_ref(x.size(), T(-9));
    k::col2im_chunk(g, dcol.data(), count, dx.data());
    ref::col2im_chunk(g, dcol.data(), count, dx_ref.data());
    expect_equal(dx, dx_ref, "col2im_chunk " + name(g));
  }
}

// col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>.
TEST(ConvKernels, Col2imIsTheAdjointOfIm2col) {
  for (const k::WindowGeometry& g : geometries()) {
    const Index p = g.ho * g.wo, rows = g.c * g.k * g.k;
    const std::vector<double> x = uniform_values<double>(g.c * g.h * g.w, -1.0, 1.0, 43);
    const std::vector<double> c = uniform_values<double>(rows * p, -1.0, 1.0, 44);
    std::vector<double> col(c.size()), dx(x.size());
    k::im2col(g, x.data(), col.data(), p);
    k::col2im(g, c.data(), p, dx.data());
    double lhs = 0.0, rhs = 0.0;
    for (std::size_t i = 0; i < c.size(); ++i) lhs += col[i] * c[i];
    for (std::size_t i = 0; i < x.size(); ++i) rhs += x[i] * dx[i];
    EXPECT_NEAR(lhs, rhs, 1e-12 * static_cast<double>(c.size())) << name(g);
  }
}

TYPED_TEST(ConvKernels, ChunkLoopsMatchReference) {
  using T = TypeParam;
  const Index count = 5, out = 7, p = 13;
  const std::vector<T> t = uniform_values<T>(out * count * p, -1.0, 1.0, 51);
  const std::vector<T> b = uniform_values<T>(out, -1.0, 1.0, 52);
  for (const T* bias : {b.data(), static_cast<const T*>(nullptr)}) {
    std::vector<T> y(count * out * p, T(3)), y_ref(y.size(), T(-3));
    k::conv_bias_scatter(t.data(), bias, y.data(), count, out, p);
    ref::conv_bias_scatter(t.data(), bias, y_ref.data(), count, out, p);
    expect_equal(y, y_ref, bias ? "conv_bias_scatter" : "conv_bias_scatter without bias");
  }
  const std::vector<T> dy = uniform_values<T>(count * out * p, -1.0, 1.0, 53);
  std::vector<T> g(out * count * p, T(3)), g_ref(g.size(), T(-3));
  k::conv_gather(dy.data(), g.data(), count, out, p);
  ref::conv_gather(dy.data(), g_ref.data(), count, out, p);
  expect_equal(g, g_ref, "conv_gather");
  std::vector<T> db = uniform_values<T>(out, -1.0, 1.0, 54), db_ref = db;
  k::conv_bias_grad(t.data(), db.data(), out, count * p);
  ref::conv_bias_grad(t.data(), db_ref.data(), out, count * p);
  expect_close(db, db_ref, Tol<T>::sum, Tol<T>::sum * 10, "conv_bias_grad (65 terms)");
}

// Direct grouped convolution: y[n, o, oh, ow] = b[o] + Σ_{c in o's group, ki, kj} W[o, c, ki, kj]·x[n, c, ih, iw].
template <typename T>
std::vector<T> direct_conv(const k::WindowGeometry& g, Index groups, Index out, Index n, const std::vector<T>& x,
                           const std::vector<T>& w, const std::vector<T>& b) {
  const Index cg = g.c / groups, og = out / groups;
  std::vector<T> y(static_cast<std::size_t>(n * out * g.ho * g.wo));
  for (Index i = 0; i < n; ++i)
    for (Index o = 0; o < out; ++o)
      for (Index oh = 0; oh < g.ho; ++oh)
        for (Index ow = 0; ow < g.wo; ++ow) {
          long double s = b[o];
          for (Index c = 0; c < cg; ++c)
            for (Index ki = 0; ki < g.k; ++ki)
              for (Index kj = 0; kj < g.k; ++kj) {
                const Index ih = oh * g.stride - g.pad + ki * g.dilation, iw = ow * g.stride - g.pad + kj * g.dilation;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const Index ch = (o / og) * cg + c;
                s += static_cast<long double>(w[((o * cg + c) * g.k + ki) * g.k + kj]) *
                     x[((i * g.c + ch) * g.h + ih) * g.w + iw];
              }
          y[((i * out + o) * g.ho + oh) * g.wo + ow] = static_cast<T>(s);
        }
  return y;
}

// conv2d's forward as its layer runs it: im2col_chunk, one GEMM per group, bias scatter.
TYPED_TEST(ConvKernels, GroupedConvolutionSequenceMatchesDirectConvolution) {
  using T = TypeParam;
  const Index groups = 2, out = 6, n = 3;
  const k::WindowGeometry g = geometry(4, 9, 8, 3, 2, 1, 2);
  const Index p = g.ho * g.wo, og = out / groups, kg = g.c / groups * g.k * g.k, ld = n * p;
  const std::vector<T> x = uniform_values<T>(n * g.c * g.h * g.w, -1.0, 1.0, 61);
  const std::vector<T> w = uniform_values<T>(out * kg, -1.0, 1.0, 62);
  const std::vector<T> b = uniform_values<T>(out, -1.0, 1.0, 63);
  std::vector<T> col(g.c * g.k * g.k * ld), t(out * ld), y(n * out * p);
  k::im2col_chunk(g, x.data(), n, col.data());
  for (Index gi = 0; gi < groups; ++gi)
    k::gemm<T>(false, false, og, ld, kg, T(1), w.data() + gi * og * kg, kg, col.data() + gi * kg * ld, ld, T(0),
               t.data() + gi * og * ld, ld);
  k::conv_bias_scatter(t.data(), b.data(), y.data(), n, out, p);
  expect_close(y, direct_conv(g, groups, out, n, x, w, b), 0.0, Tol<T>::sum, "grouped conv forward");
}

// conv2d's backward as its layer runs it: gather dy, bias sum, dW GEMM per group, dcol GEMM per
// group, col2im; against the direct sums dx = Σ W·dy over the taps that read x, dW = Σ dy·x.
TYPED_TEST(ConvKernels, GroupedConvolutionBackwardSequenceMatchesDirectSums) {
  using T = TypeParam;
  const Index groups = 2, out = 4, n = 3, cg = 1;
  const k::WindowGeometry g = geometry(2, 7, 6, 3, 1, 1, 1);
  const Index p = g.ho * g.wo, og = out / groups, kg = cg * g.k * g.k, ld = n * p;
  const std::vector<T> x = uniform_values<T>(n * g.c * g.h * g.w, -1.0, 1.0, 71);
  const std::vector<T> w = uniform_values<T>(out * kg, -1.0, 1.0, 72);
  const std::vector<T> dy = uniform_values<T>(n * out * p, -1.0, 1.0, 73);
  std::vector<T> col(g.c * g.k * g.k * ld), t(out * ld), dx(x.size()), dw(w.size(), T(0)), db(out, T(0));
  k::im2col_chunk(g, x.data(), n, col.data());
  k::conv_gather(dy.data(), t.data(), n, out, p);
  k::conv_bias_grad(t.data(), db.data(), out, ld);
  for (Index gi = 0; gi < groups; ++gi)
    k::gemm<T>(false, true, og, kg, ld, T(1), t.data() + gi * og * ld, ld, col.data() + gi * kg * ld, ld, T(1),
               dw.data() + gi * og * kg, kg);
  for (Index gi = 0; gi < groups; ++gi)
    k::gemm<T>(true, false, kg, ld, og, T(1), w.data() + gi * og * kg, kg, t.data() + gi * og * ld, ld, T(0),
               col.data() + gi * kg * ld, ld);
  k::col2im_chunk(g, col.data(), n, dx.data());

  std::vector<long double> dx_want(x.size(), 0), dw_want(w.size(), 0), db_want(out, 0);
  for (Index i = 0; i < n; ++i)
    for (Index o = 0; o < out; ++o)
      for (Index q = 0; q < p; ++q) {
        const Index oh = q / g.wo, ow = q % g.wo, ch = o / og;  // one input channel per group
        const long double d = dy[(i * out + o) * p + q];
        db_want[o] += d;
        for (Index ki = 0; ki < g.k; ++ki)
          for (Index kj = 0; kj < g.k; ++kj) {
            const Index ih = oh - g.pad + ki, iw = ow - g.pad + kj;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const Index xi = ((i * g.c + ch) * g.h + ih) * g.w + iw, wi = (o * g.k + ki) * g.k + kj;
            dx_want[xi] += d * w[wi];
            dw_want[wi] += d * x[xi];
          }
      }
  auto rounded = [](const std::vector<long double>& v) { return std::vector<T>(v.begin(), v.end()); };
  expect_close(dx, rounded(dx_want), 0.0, Tol<T>::sum, "conv dx");
  expect_close(dw, rounded(dw_want), 0.0, Tol<T>::sum * 10, "conv dW (sums of 120 terms)");
  expect_close(db, rounded(db_want), 0.0, Tol<T>::sum * 10, "conv db");
}

}  // namespace
}  // namespace gradnet
