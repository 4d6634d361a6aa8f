// Batch, group (layer/group/instance) and weight normalization kernels against kernels::reference
// (textbook formulas in double). Statistics are double in both: within 1e-12 relative. Outputs and
// gradients: double within 1e-12, float within Tol::sum (1e-5) absolute on O(1) values, as the
// kernels fold γ, r and μ into float coefficients (y = x·scale + shift) before the pass.
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
using testing::Tol;
using testing::uniform_values;

template <typename T>
class NormKernels : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(NormKernels, Types);

TYPED_TEST(NormKernels, BatchNormMatchesReference) {
  using T = TypeParam;
  const double tol = std::is_same_v<T, float> ? Tol<T>::sum : Tol<T>::exact_math;
  for (Index hw : {1, 35}) {  // BatchNorm1d and 2d
    const k::ChannelShape s{7, 5, hw};
    const std::string what = hw == 1 ? "1d" : "2d";
    const std::vector<T> x = uniform_values<T>(s.n * s.c * s.hw, -1.5, 2.5, 111);
    std::vector<double> mean(s.c), var(s.c), mean_ref(s.c), var_ref(s.c);
    k::batch_norm_statistics(s, x.data(), mean.data(), var.data());
    ref::batch_norm_statistics(s, x.data(), mean_ref.data(), var_ref.data());
    expect_close(mean, mean_ref, 1e-12, 1e-14, "batch_norm mean " + what);
    expect_close(var, var_ref, 1e-12, 1e-14, "batch_norm var " + what);

    std::vector<T> rm = uniform_values<T>(s.c, -1.0, 1.0, 112), rv = uniform_values<T>(s.c, 0.5, 2.0, 113);
    std::vector<T> rm_ref = rm, rv_ref = rv;
    const double count = static_cast<double>(s.n * s.hw);
    k::batch_norm_update_running(s.c, count, 0.1, mean.data(), var.data(), rm.data(), rv.data());
    ref::batch_norm_update_running(s.c, count, 0.1, mean.data(), var.data(), rm_ref.data(), rv_ref.data());
    expect_close(rm, rm_ref, Tol<T>::exact_math, Tol<T>::exact_math, "running_mean " + what);
    expect_close(rv, rv_ref, Tol<T>::exact_math, Tol<T>::exact_math, "running_var " + what);

    const std::vector<T> gamma = uniform_values<T>(s.c, 0.5, 1.5, 114), beta = uniform_values<T>(s.c, -1, 1, 115);
    const std::vector<T> dy = uniform_values<T>(x.size(), -1.0, 1.0, 116);
    for (bool affine : {true, false}) {
      const T* g = affine ? gamma.data() : nullptr;
      const T* b = affine ? beta.data() : nullptr;
      std::vector<T> y(x.size()), y_ref(x.size()), sm(s.c), sr(s.c), sm_ref(s.c), sr_ref(s.c);
      k::batch_norm_apply(s, x.data(), mean.data(), var.data(), 1e-5, g, b, y.data(), sm.data(), sr.data());
      ref::batch_norm_apply(s, x.data(), mean.data(), var.data(), 1e-5, g, b, y_ref.data(), sm_ref.data(),
                            sr_ref.data());
      const std::string w = what + (affine ? " affine" : "");
      expect_close(y, y_ref, tol, tol, "batch_norm y " + w);
      expect_close(sr, sr_ref, Tol<T>::exact_math, 0.0, "batch_norm saved rstd " + w);
      for (bool batch_stats : {true, false}) {
        std::vector<T> dx(x.size()), dx_ref(x.size());
        std::vector<T> dg(s.c, T(0.5)), db(s.c, T(-0.5)), dg_ref = dg, db_ref = db;
        k::batch_norm_backward(s, x.data(), dy.data(), sm.data(), sr.data(), g, batch_stats,
                               affine ? dg.data() : nullptr, affine ? db.data() : nullptr, dx.data());
        ref::batch_norm_backward(s, x.data(), dy.data(), sm.data(), sr.data(), g, batch_stats,
                                 affine ? dg_ref.data() : nullptr, affine ? db_ref.data() : nullptr, dx_ref.data());
        const std::string wb = w + (batch_stats ? " batch statistics" : " running statistics");
        expect_close(dx, dx_ref, tol, tol, "batch_norm dx " + wb);
        expect_close(dg, dg_ref, tol, tol * 10, "batch_norm dgamma " + wb);
        expect_close(db, db_ref, tol, tol * 10, "batch_norm dbeta " + wb);
      }
    }
  }
}

// layer_norm (1 group, a weight per feature), group_norm (4 groups of 3 channels, per channel),
// instance_norm (a group per channel); with and without affine.
TYPED_TEST(NormKernels, GroupNormMatchesReference) {
  using T = TypeParam;
  const double tol = std::is_same_v<T, float> ? Tol<T>::sum : Tol<T>::exact_math;
  const Index n = 5, c = 12, s = 9;
  const std::vector<std::pair<std::string, k::GroupLayout>> layouts = {
      {"layer_norm", {1, c * s, 1}}, {"group_norm", {4, 3 * s, s}}, {"instance_norm", {c, s, s}}};
  for (const auto& [kind, l] : layouts)
    for (bool affine : {true, false}) {
      const std::string what = kind + (affine ? " affine" : "");
      const Index row = l.groups * l.group_size, params = row / l.inner;
      const std::vector<T> x = uniform_values<T>(n * row, -1.0, 3.0, 121);
      const std::vector<T> w = uniform_values<T>(params, 0.5, 1.5, 122), b = uniform_values<T>(params, -1, 1, 123);
      const T* wp = affine ? w.data() : nullptr;
      const T* bp = affine ? b.data() : nullptr;
      std::vector<T> y(x.size()), y_ref(x.size()), mean(n * l.groups), rstd(mean.size()), mean_ref(mean.size()),
          rstd_ref(mean.size());
      k::group_norm_forward(l, n, x.data(), 1e-5, wp, bp, y.data(), mean.data(), rstd.data());
      ref::group_norm_forward(l, n, x.data(), 1e-5, wp, bp, y_ref.data(), mean_ref.data(), rstd_ref.data());
      expect_close(y, y_ref, tol, tol, what + " y");
      expect_close(mean, mean_ref, Tol<T>::exact_math, Tol<T>::exact_math, what + " mean");
      expect_close(rstd, rstd_ref, Tol<T>::exact_math, 0.0, what + " rstd");

      const std::vector<T> dy = uniform_values<T>(x.size(), -1.0, 1.0, 124);
      std::vector<T> dx(x.size()), dx_ref(x.size()), dw(params, T(0.25)), db(params, T(-0.25));
      std::vector<T> dw_ref = dw, db_ref = db;
      k::group_norm_backward(l, n, x.data(), dy.data(), mean.data(), rstd.data(), wp, affine ? dw.data() : nullptr,
                             affine ? db.data() : nullptr, dx.data());
      ref::group_norm_backward(l, n, x.data(), dy.data(), mean.data(), rstd.data(), wp,
                               affine ? dw_ref.data() : nullptr, affine ? db_ref.data() : nullptr, dx_ref.data());
      expect_close(dx, dx_ref, tol, tol, what + " dx");
      expect_close(dw, dw_ref, tol, tol * 10, what + " dw");
      expect_close(db, db_ref, tol, tol * 10, what + " db");
    }
}

TYPED_TEST(NormKernels, WeightNormMatchesReference) {
  using T = TypeParam;
  const double tol = Tol<T>::exact_math;
  const Index rows = 7, cols = 45;
  const std::vector<T> v = uniform_values<T>(rows * cols, -1.0, 1.0, 131);
  std::vector<T> g(rows), g_ref(rows);
  k::weight_norm_init_g(v.data(), g.data(), rows, cols);
  ref::weight_norm_init_g(v.data(), g_ref.data(), rows, cols);
  expect_close(g, g_ref, tol, 0.0, "weight_norm init g");

  for (Index r = 0; r < rows; ++r) g[r] = T(0.5) + T(0.25) * static_cast<T>(r);
  std::vector<T> w(v.size()), w_ref(v.size()), norm(rows), norm_ref(rows);
  k::weight_norm_forward(g.data(), v.data(), w.data(), norm.data(), rows, cols);
  ref::weight_norm_forward(g.data(), v.data(), w_ref.data(), norm_ref.data(), rows, cols);
  expect_close(w, w_ref, tol, tol, "weight_norm W");
  expect_close(norm, norm_ref, tol, 0.0, "weight_norm norm");

  const std::vector<T> dw = uniform_values<T>(v.size(), -1.0, 1.0, 132);
  std::vector<T> dg(rows, T(1)), dv(v.size(), T(-1)), dg_ref = dg, dv_ref = dv;
  k::weight_norm_backward(g.data(), v.data(), dw.data(), norm.data(), dg.data(), dv.data(), rows, cols);
  ref::weight_norm_backward(g.data(), v.data(), dw.data(), norm.data(), dg_ref.data(), dv_ref.data(), rows, cols);
  expect_close(dg, dg_ref, tol, tol, "weight_norm dg");
  expect_close(dv, dv_ref, tol, tol, "weight_norm dv");
}

}  // namespace
}  // namespace gradnet
