// softmax and log_softmax layers: values by hand, sums to 1 over the right axis (all of a [D]
// input, channels of a [C, H, W] input, everything with dim = "all"), stability for huge logits,
// log_softmax = log(softmax), backward by the Jacobian, and the shape error.
#include "gradnet/layers/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gradnet/error.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::mview;

template <typename T>
std::vector<T> run(const std::string& type, const Shape& in, const std::vector<T>& x, Index rows,
                   std::map<std::string, Value> attrs = {}) {
  auto layer = make_layer<T>(layer_spec(type, std::move(attrs)));
  EXPECT_EQ(layer->setup(in, rows), in);
  std::vector<T> y(x.size());
  layer->forward(cview(x, rows), mview(y, rows), {});
  return y;
}

std::vector<double> randn(Index n, std::uint64_t seed, double std = 1.0) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& e : v) e = rng.normal(0.0, std);
  return v;
}

TEST(Softmax, HandValues) {
  const std::vector<double> x = {0.0, std::log(2.0), std::log(3.0)};
  const auto y = run<double>("softmax", {3}, x, 1);
  EXPECT_NEAR(y[0], 1.0 / 6, 1e-16);
  EXPECT_NEAR(y[1], 2.0 / 6, 1e-16);
  EXPECT_NEAR(y[2], 3.0 / 6, 1e-16);
  const auto l = run<double>("log_softmax", {3}, x, 1);
  EXPECT_NEAR(l[0], -std::log(6.0), 1e-15);
  EXPECT_NEAR(l[2], std::log(0.5), 1e-15);
}

TEST(Softmax, RowsSumToOneOverAllFeaturesOf1DInput) {
  const std::vector<double> x = randn(4 * 9, 1, 3.0);
  const auto y = run<double>("softmax", {9}, x, 4);
  for (Index i = 0; i < 4; ++i) {
    double s = 0;
    for (Index j = 0; j < 9; ++j) {
      EXPECT_GT(y[i * 9 + j], 0.0);
      s += y[i * 9 + j];
    }
    EXPECT_NEAR(s, 1.0, 1e-15) << i;
  }
}

TEST(Softmax, ChannelsSumToOneAtEachPositionOf3DInput) {
  const Index c = 3, hw = 2 * 4, n = 2;
  const std::vector<double> x = randn(n * c * hw, 2);
  const auto y = run<double>("softmax", {c, 2, 4}, x, n);
  for (Index i = 0; i < n; ++i) {
    for (Index p = 0; p < hw; ++p) {
      double s = 0;
      for (Index k = 0; k < c; ++k) s += y[i * c * hw + k * hw + p];
      EXPECT_NEAR(s, 1.0, 1e-15) << i << " " << p;
    }
  }
  // dim = "all": one distribution over the whole example.
  const auto a = run<double>("softmax", {c, 2, 4}, x, n, {{"dim", std::string("all")}});
  for (Index i = 0; i < n; ++i) {
    double s = 0;
    for (Index j = 0; j < c * hw; ++j) s += a[i * c * hw + j];
    EXPECT_NEAR(s, 1.0, 1e-15) << i;
  }
  // Over all of a [D] input the two agree.
  EXPECT_EQ(run<double>("softmax", {24}, x, n), run<double>("softmax", {24}, x, n, {{"dim", std::string("all")}}));
}

TEST(Softmax, LogSoftmaxIsLogOfSoftmax) {
  const std::vector<double> x = randn(3 * 2 * 5, 3, 4.0);
  for (const Shape& in : {Shape{10}, Shape{2, 5}}) {
    const auto y = run<double>("softmax", in, x, 3), l = run<double>("log_softmax", in, x, 3);
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(l[i], std::log(y[i]), 1e-14);
  }
}

TEST(Softmax, HugeLogitsStayFinite) {
  const std::vector<float> x = {1e4f, -1e4f, 0.0f, 1e4f, 3e38f, -3e38f};
  const auto y = run<float>("softmax", {3}, x, 2);
  EXPECT_EQ(y, (std::vector<float>{1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}));
  const auto l = run<float>("log_softmax", {3}, x, 2);
  EXPECT_EQ(l[0], 0.0f);
  EXPECT_EQ(l[1], -2e4f);
  for (float v : l) EXPECT_FALSE(std::isnan(v));
  // Shifting every logit by a constant changes nothing.
  const std::vector<double> xd = {1.0, 2.0, 3.0}, shifted = {1001.0, 1002.0, 1003.0};
  const auto a = run<double>("softmax", {3}, xd, 1), b = run<double>("softmax", {3}, shifted, 1);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], 1e-15);
}

TEST(Softmax, BackwardIsTheJacobianProduct) {
  // dx_j = Σ_k dy_k ∂y_k/∂x_j, ∂y_k/∂x_j = y_k(δ_kj − y_j) for softmax, δ_kj − y_j for log_softmax.
  const std::vector<double> x = {0.5, -1.0, 2.0, 0.0}, dy = {1.0, -2.0, 0.5, 3.0};
  for (const char* type : {"softmax", "log_softmax"}) {
    auto layer = make_layer<double>(layer_spec(type));
    layer->setup({4}, 1);
    std::vector<double> y(4), dx(4, std::numeric_limits<double>::quiet_NaN());
    layer->forward(cview(x, 1), mview(y, 1), {});
    View<double> dxv = mview(dx, 1);
    layer->backward(cview(x, 1), cview(y, 1), cview(dy, 1), &dxv);
    const std::vector<double> p = run<double>("softmax", {4}, x, 1);
    const bool log = std::string(type) == "log_softmax";
    for (int j = 0; j < 4; ++j) {
      double want = 0;
      for (int k = 0; k < 4; ++k) want += dy[k] * (log ? (k == j) - p[j] : p[k] * ((k == j) - p[j]));
      EXPECT_NEAR(dx[j], want, 1e-15) << type << " " << j;
    }
    EXPECT_TRUE(layer->params().empty());
    layer->backward(cview(x, 1), cview(y, 1), cview(dy, 1), nullptr);
  }
}

TEST(Softmax, EmptyInputIsAShapeError) {
  auto layer = make_layer<float>(layer_spec("log_softmax", {}, 2));
  try {
    layer->setup({0}, 1);
    FAIL() << "empty input accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_STREQ(e.what(), "layers.2 (log_softmax): input shape [0] has no elements");
  }
  EXPECT_EQ(make_layer<float>(layer_spec("softmax", {{"dim", std::string("all")}}))->describe(),
            (Attributes{{"dim", "all"}}));
}

}  // namespace
}  // namespace gradnet
