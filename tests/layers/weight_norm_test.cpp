// WeightNorm (W = g·v/‖v‖ per row): the helper on its own (row norms, init, backward against
// finite differences on a conv-shaped weight) and linear with weight_norm = true (param names
// and shapes as PyTorch's state_dict, init equal to the plain layer's, the write rule, gradcheck
// with g ≠ ‖v‖).
#include "gradnet/layers/weight_norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gradnet/gradcheck.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::model_spec;
using testing::mview;

std::vector<double> randn(Index n, std::uint64_t seed, double mean = 0.0) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& e : v) e = rng.normal(mean, 1.0);
  return v;
}

TEST(WeightNorm, RowsHaveNormG) {
  WeightNorm<double> wn;
  const Index rows = 3, cols = 2 * 3 * 3;  // a conv2d weight (out 3, in 2, 3x3 kernel)
  wn.setup(rows, cols);
  const std::vector<double> v = randn(rows * cols, 1), g = {2.0, -0.5, 1e-3};
  wn.forward(g.data(), v.data());
  for (Index r = 0; r < rows; ++r) {
    double s = 0, vs = 0, dot = 0;
    for (Index j = 0; j < cols; ++j) {
      s += wn.w()[r * cols + j] * wn.w()[r * cols + j];
      vs += v[r * cols + j] * v[r * cols + j];
    }
    for (Index j = 0; j < cols; ++j) dot += wn.w()[r * cols + j] * v[r * cols + j];
    EXPECT_NEAR(std::sqrt(s), std::fabs(g[r]), 1e-15 * (1 + std::fabs(g[r]))) << r;
    EXPECT_NEAR(dot / std::sqrt(vs), g[r], 1e-14) << r;  // same direction as v (or opposite for g < 0)
  }
  // init_g: g = ‖v‖, so that W = v.
  std::vector<double> g0(rows);
  wn.init_g(v.data(), g0.data());
  wn.forward(g0.data(), v.data());
  for (Index i = 0; i < rows * cols; ++i) EXPECT_NEAR(wn.w()[i], v[i], 1e-15 * (1 + std::fabs(v[i])));
}

TEST(WeightNorm, BackwardMatchesFiniteDifferences) {
  // L = Σ R ⊙ W(g, v); dW = R. Centred differences in g and v.
  const Index rows = 2, cols = 5;
  WeightNorm<double> wn;
  wn.setup(rows, cols);
  std::vector<double> v = randn(rows * cols, 2), g = {1.5, -0.7};
  const std::vector<double> r = randn(rows * cols, 3);
  auto loss = [&] {
    wn.forward(g.data(), v.data());
    double l = 0;
    for (Index i = 0; i < rows * cols; ++i) l += r[i] * wn.w()[i];
    return l;
  };
  loss();
  std::copy(r.begin(), r.end(), wn.dw());
  std::vector<double> dg(rows, 1.0), dv(rows * cols, 1.0);  // starts at 1: backward must add
  wn.backward(g.data(), v.data(), dg.data(), dv.data());
  const double h = 1e-5;
  auto numeric = [&](double& p) {
    const double o = p;
    p = o + h;
    const double up = loss();
    p = o - h;
    const double down = loss();
    p = o;
    return (up - down) / (2 * h);
  };
  for (Index k = 0; k < rows; ++k) EXPECT_NEAR(dg[k] - 1.0, numeric(g[k]), 1e-9) << "g " << k;
  for (Index k = 0; k < rows * cols; ++k) EXPECT_NEAR(dv[k] - 1.0, numeric(v[k]), 1e-9) << "v " << k;
}

TEST(WeightNorm, LinearParamsAreNamedAsPyTorch) {
  auto layer = make_layer<float>(layer_spec("linear", {{"out", std::int64_t{4}}, {"weight_norm", true}}));
  EXPECT_EQ(layer->setup({2, 3}, 5), (Shape{4}));
  auto p = layer->params();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "weight_g");
  EXPECT_EQ(p[0].value.shape(), (Shape{4, 1}));
  EXPECT_EQ(p[1].name, "weight_v");
  EXPECT_EQ(p[1].value.shape(), (Shape{4, 6}));
  EXPECT_EQ(p[2].name, "bias");
  EXPECT_EQ(layer->describe().back(), (std::pair<std::string, std::string>{"weight_norm", "true"}));
  auto nobias = make_layer<float>(
      layer_spec("linear", {{"out", std::int64_t{4}}, {"weight_norm", true}, {"bias", false}}));
  nobias->setup({6}, 5);
  EXPECT_EQ(nobias->params().size(), 2u);
}

TEST(WeightNorm, LinearStartsEqualToThePlainLayer) {
  // Same init draws for v as the plain layer's W and g = ‖v‖: identical outputs after init.
  const std::map<std::string, Value> attrs = {{"out", std::int64_t{3}}, {"bias_init", std::string("fan_in_uniform")}};
  std::map<std::string, Value> wn_attrs = attrs;
  wn_attrs["weight_norm"] = true;
  auto plain = make_layer<double>(layer_spec("linear", attrs));
  auto wn = make_layer<double>(layer_spec("linear", wn_attrs));
  plain->setup({5}, 2);
  wn->setup({5}, 2);
  Rng r1(9), r2(9);
  plain->init(r1);
  wn->init(r2);
  EXPECT_EQ(wn->params()[1].value.to_vector(), plain->params()[0].value.to_vector());  // v = the plain W
  EXPECT_EQ(wn->params()[2].value.to_vector(), plain->params()[1].value.to_vector());  // bias
  const std::vector<double> x = randn(10, 4);
  std::vector<double> y1(6), y2(6);
  plain->forward(cview(x, 2), mview(y1, 2), {});
  wn->forward(cview(x, 2), mview(y2, 2), {});
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(y1[i], y2[i], 1e-15) << i;
}

TEST(WeightNorm, LinearBackwardAccumulatesIntoGradsAndOverwritesDx) {
  auto layer = make_layer<double>(layer_spec("linear", {{"out", std::int64_t{3}}, {"weight_norm", true}}));
  layer->setup({4}, 2);
  Rng rng(3);
  layer->init(rng);
  const std::vector<double> x = randn(8, 5), dy = randn(6, 6);
  std::vector<double> y(6), dx(8, std::numeric_limits<double>::quiet_NaN());
  layer->forward(cview(x, 2), mview(y, 2), {});
  View<double> dxv = mview(dx, 2);
  layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), &dxv);
  const std::vector<double> dx1 = dx;
  std::vector<std::vector<double>> g1;
  for (Param<double>& p : layer->params()) g1.push_back(p.grad.to_vector());
  layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), &dxv);
  EXPECT_EQ(dx, dx1);
  for (std::size_t k = 0; k < g1.size(); ++k)
    for (std::size_t i = 0; i < g1[k].size(); ++i) EXPECT_DOUBLE_EQ(layer->params()[k].grad[i], 2 * g1[k][i]);
  // At init g = ‖v‖, so dL/dv is dL/dW with its component along v removed: dv ⟂ v per row.
  const auto& v = layer->params()[1].value.to_vector();
  const auto& dv = g1[1];
  for (int r = 0; r < 3; ++r) {
    double dot = 0;
    for (int j = 0; j < 4; ++j) dot += v[r * 4 + j] * dv[r * 4 + j];
    EXPECT_NEAR(dot, 0.0, 1e-14) << r;
  }
}

TEST(WeightNorm, LinearGradcheckWithGAwayFromTheNorm) {
  const std::vector<LayerSpec> layers = {
      layer_spec("linear", {{"out", std::int64_t{4}}, {"weight_norm", true}}), layer_spec("tanh"),
      layer_spec("linear", {{"out", std::int64_t{3}}, {"weight_norm", true}, {"bias", false}})};
  Net<double> net(model_spec({2, 3}, "softmax_cross_entropy", layers), 3, 4);
  Rng rng(4);
  net.init(rng);
  for (Param<double>* p : net.params())
    if (p->name.find("weight_g") != std::string::npos)
      for (Index i = 0; i < p->value.size(); ++i) p->value[i] = rng.uniform(-2.0, 2.0);
  const std::vector<double> x = randn(4 * 6, 6);
  const std::int32_t labels[4] = {0, 2, 1, 2};
  const GradcheckReport r = gradcheck_net(net, cview(x, 4), labels, GradcheckOptions{});
  ASSERT_EQ(r.tensors.size(), 6u);  // weight_g, weight_v, bias; weight_g, weight_v; input
  EXPECT_EQ(r.tensors[0].name, "layers.0.weight_g");
  EXPECT_EQ(r.tensors[1].name, "layers.0.weight_v");
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error();
}

}  // namespace
}  // namespace gradnet
