// layer_norm, group_norm, instance_norm: statistics of the output, the equalities between them
// (groups = C is instance norm, groups = 1 is layer norm without per-element affine), per-channel
// affine by hand, the backward write rule, gradient checks with non-trivial weights, float vs
// double, and the shape errors.
#include "gradnet/layers/norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::model_spec;
using testing::mview;

std::vector<double> randn(Index n, std::uint64_t seed, double mean = 0.0, double std = 1.0) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& e : v) e = rng.normal(mean, std);
  return v;
}

// Sets the layer up for `in` and `rows`, inits it, and runs forward on x.
template <typename T>
std::vector<T> run(Layer<T>& layer, const Shape& in, const std::vector<T>& x, Index rows) {
  EXPECT_EQ(layer.setup(in, rows), in);
  Rng rng(1);
  layer.init(rng);
  std::vector<T> y(x.size());
  layer.forward(cview(x, rows), mview(y, rows), {});
  return y;
}

std::vector<double> run(const std::string& type, std::map<std::string, Value> attrs, const Shape& in,
                        const std::vector<double>& x, Index rows) {
  auto layer = make_layer<double>(layer_spec(type, std::move(attrs)));
  return run(*layer, in, x, rows);
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b, double tol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << what << "[" << i << "]";
}

TEST(Norm, LayerNormGivesMeanZeroVarianceOnePerExample) {
  const Shape in = {2, 3, 4};
  const Index n = 3, d = 24;
  const std::vector<double> x = randn(n * d, 7, 3.0, 2.5);
  const std::vector<double> y = run("layer_norm", {{"eps", 0.0}}, in, x, n);
  for (Index i = 0; i < n; ++i) {
    double mean = 0, var = 0;
    for (Index j = 0; j < d; ++j) mean += y[i * d + j] / d;
    for (Index j = 0; j < d; ++j) var += (y[i * d + j] - mean) * (y[i * d + j] - mean) / d;
    EXPECT_NEAR(mean, 0.0, 1e-14) << i;
    EXPECT_NEAR(var, 1.0, 1e-13) << i;
  }
  // With the default eps the variance is σ²/(σ² + 1e-5), slightly below 1.
  const std::vector<double> ye = run("layer_norm", {}, in, x, n);
  double var0 = 0;
  for (Index j = 0; j < d; ++j) var0 += ye[j] * ye[j] / d;
  EXPECT_LT(var0, 1.0);
  EXPECT_GT(var0, 1.0 - 1e-5);
}

TEST(Norm, GroupNormWithGroupsEqualToChannelsIsInstanceNorm) {
  const Shape in = {4, 3, 2};
  const std::vector<double> x = randn(2 * 24, 8, -1.0, 3.0);
  const auto g = run("group_norm", {{"groups", std::int64_t{4}}, {"affine", false}}, in, x, 2);
  const auto inst = run("instance_norm", {}, in, x, 2);
  expect_near(g, inst, 1e-14, "group_norm(groups = C) vs instance_norm");
  // Affine aside: with affine, group_norm's init (w = 1, b = 0) changes nothing either.
  expect_near(run("group_norm", {{"groups", std::int64_t{4}}}, in, x, 2), inst, 1e-14, "affine group_norm");
}

TEST(Norm, GroupNormWithOneGroupIsLayerNorm) {
  const Shape in = {3, 2, 2};
  const std::vector<double> x = randn(3 * 12, 9);
  const auto g = run("group_norm", {{"groups", std::int64_t{1}}, {"affine", false}}, in, x, 3);
  const auto ln = run("layer_norm", {{"affine", false}}, in, x, 3);
  expect_near(g, ln, 1e-14, "group_norm(groups = 1) vs layer_norm");
}

TEST(Norm, GroupNormAffineIsPerChannel) {
  // 1 example, C = 4, groups = 2, S = 2: channels {0,1} and {2,3} share statistics.
  auto layer = make_layer<double>(layer_spec("group_norm", {{"groups", std::int64_t{2}}, {"eps", 0.0}}));
  const std::vector<double> x = {1, 2, 3, 4, 10, 10, 20, 20};
  layer->setup({4, 2}, 1);
  auto p = layer->params();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "weight");
  EXPECT_EQ(p[0].value.shape(), (Shape{4}));
  EXPECT_EQ(p[1].value.shape(), (Shape{4}));
  p[0].value.assign({1, 2, 3, 4});
  p[1].value.assign({0, 0.5, -1, 1});
  std::vector<double> y(8);
  layer->forward(cview(x, 1), mview(y, 1), {});
  // group 0 (channels 0, 1): μ = 2.5, σ² = 1.25; group 1 (channels 2, 3): μ = 15, σ = 5 -> x̂ = ±1
  const double r = 1 / std::sqrt(1.25);
  const std::vector<double> want = {-1.5 * r * 1, -0.5 * r * 1, 0.5 * r * 2 + 0.5, 1.5 * r * 2 + 0.5,
                                    -3 - 1,       -3 - 1,       4 + 1,             4 + 1};
  expect_near(y, want, 1e-14, "group_norm affine");
}

TEST(Norm, ParamShapesAndDefaults) {
  auto ln = make_layer<float>(layer_spec("layer_norm"));
  ln->setup({3, 4, 5}, 2);
  ASSERT_EQ(ln->params().size(), 2u);
  EXPECT_EQ(ln->params()[0].value.shape(), (Shape{3, 4, 5}));  // nn.LayerNorm([3, 4, 5]).weight
  auto inst = make_layer<float>(layer_spec("instance_norm"));
  inst->setup({3, 4, 5}, 2);
  EXPECT_TRUE(inst->params().empty());  // affine = false, as nn.InstanceNorm2d
  auto gn = make_layer<float>(layer_spec("group_norm", {{"groups", std::int64_t{3}}}));
  gn->setup({6}, 2);  // [C] input: groups of 2 channels
  EXPECT_EQ(gn->params()[0].value.shape(), (Shape{6}));
  Rng rng(1);
  gn->init(rng);
  EXPECT_EQ(gn->params()[0].value.to_vector(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(gn->params()[1].value.to_vector(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(gn->describe(), (Attributes{{"groups", "3"}, {"eps", "1e-05"}, {"affine", "true"}}));
}

TEST(Norm, BackwardAccumulatesIntoGradsAndOverwritesDx) {
  for (const LayerSpec& s : {layer_spec("layer_norm"), layer_spec("group_norm", {{"groups", std::int64_t{2}}}),
                             layer_spec("instance_norm", {{"affine", true}})}) {
    auto layer = make_layer<double>(s);
    const Shape in = {4, 3};
    const std::vector<double> x = randn(2 * 12, 3), dy = randn(2 * 12, 4);
    const std::vector<double> y = run(*layer, in, x, 2);
    std::vector<double> dx(x.size(), std::numeric_limits<double>::quiet_NaN());
    View<double> dxv = mview(dx, 2);
    layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), &dxv);
    const std::vector<double> dx1 = dx, dw1 = layer->params()[0].grad.to_vector(), db1 = layer->params()[1].grad.to_vector();
    layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), &dxv);
    EXPECT_EQ(dx, dx1) << s.type;
    for (std::size_t i = 0; i < dw1.size(); ++i) {
      EXPECT_DOUBLE_EQ(layer->params()[0].grad[i], 2 * dw1[i]) << s.type;
      EXPECT_DOUBLE_EQ(layer->params()[1].grad[i], 2 * db1[i]) << s.type;
    }
    // The input gradient of a normalised group sums to 0 (shifting x changes nothing).
    double sum = 0;
    for (double v : dx) sum += v;
    EXPECT_NEAR(sum, 0.0, 1e-12) << s.type;
    layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), nullptr);  // first layer: no dx
  }
}

// gradcheck_layer inits w = 1, b = 0; here the weights are random, so dx's use of w is checked too.
TEST(Norm, GradcheckWithRandomAffineThroughANet) {
  const std::vector<LayerSpec> specs = {layer_spec("layer_norm"),
                                        layer_spec("group_norm", {{"groups", std::int64_t{2}}}),
                                        layer_spec("instance_norm", {{"affine", true}})};
  for (const LayerSpec& s : specs) {
    Net<double> net(model_spec({4, 2, 2}, "mse", {s}), 16, 3);
    Rng rng(5);
    net.init(rng);
    for (Param<double>* p : net.params())
      for (Index i = 0; i < p->value.size(); ++i) p->value[i] = rng.normal(0.5, 1.0);
    const std::vector<double> x = randn(3 * 16, 6, 0.3, 2.0);
    const std::int32_t labels[3] = {0, 7, 15};
    const GradcheckReport r = gradcheck_net(net, cview(x, 3), labels, GradcheckOptions{});
    ASSERT_EQ(r.tensors.size(), 3u) << s.type;
    // An input gradient that happens to be ~1e-9 (dx of a normalised group sums to 0, so some come
    // close) makes the relative error measure the loss's rounding noise (~1e-16·|L|/h ≈ 1e-13 here):
    // such a tensor passes on its absolute error, 1000x below every gradient's size.
    for (const TensorCheck& t : r.tensors) {
      EXPECT_GT(t.checked, 0) << s.type << " " << t.name;
      EXPECT_TRUE(t.max_rel_error < 1e-7 || t.max_abs_error < 1e-11)
          << s.type << " " << t.name << ": rel " << t.max_rel_error << ", abs " << t.max_abs_error;
    }
  }
}

TEST(Norm, FloatAgreesWithDouble) {
  const Shape in = {4, 8, 8};
  const std::vector<double> xd = randn(2 * 256, 11, 100.0, 0.01);  // large mean, small spread
  const std::vector<float> xf(xd.begin(), xd.end());
  for (const LayerSpec& s : {layer_spec("layer_norm"), layer_spec("group_norm", {{"groups", std::int64_t{2}}}),
                             layer_spec("instance_norm")}) {
    auto ld = make_layer<double>(s);
    auto lf = make_layer<float>(s);
    const std::vector<double> xr(xf.begin(), xf.end());  // the same (rounded) input in double
    const std::vector<double> yd = run(*ld, in, xr, 2);
    const std::vector<float> yf = run(*lf, in, xf, 2);
    for (std::size_t i = 0; i < yd.size(); ++i) ASSERT_NEAR(yf[i], yd[i], 2e-3) << s.type << " " << i;
  }
}

void expect_shape_error(const LayerSpec& s, const Shape& in, const std::string& message) {
  auto layer = make_layer<float>(s);
  try {
    layer->setup(in, 2);
    FAIL() << s.type << " accepted " << shape_str(in);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape) << e.what();
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(Norm, ShapeErrorsNameTheLayer) {
  expect_shape_error(layer_spec("group_norm", {{"groups", std::int64_t{4}}}, 5), {6, 2, 2},
                     "layers.5 (group_norm): input shape [6, 2, 2] has 6 channels, which groups = 4 does not divide");
  expect_shape_error(layer_spec("group_norm", {{"groups", std::int64_t{2}}, {"channels", std::int64_t{8}}}, 2),
                     {6, 2, 2}, "layers.2 (group_norm): input shape [6, 2, 2] has 6 channels, expected channels = 8");
  expect_shape_error(layer_spec("group_norm", {{"groups", std::int64_t{8}}}, 1), {4},
                     "layers.1 (group_norm): input shape [4] has 4 channels, which groups = 8 does not divide");
  expect_shape_error(layer_spec("instance_norm", {}, 3), {8},
                     "layers.3 (instance_norm): input shape [8] has 1 spatial value(s) per channel; expected [C, H, W] "
                     "or [C, L] with more than 1");
  expect_shape_error(layer_spec("instance_norm", {{"channels", std::int64_t{3}}}, 0), {4, 2, 2},
                     "layers.0 (instance_norm): input shape [4, 2, 2] has 4 channels, expected channels = 3");
  expect_shape_error(layer_spec("layer_norm", {}, 4), {3, 0},
                     "layers.4 (layer_norm): input shape [3, 0] has no elements");
}

TEST(Norm, ConfigErrors) {
  try {
    make_layer<float>(layer_spec("group_norm", {{"groups", std::int64_t{0}}}, 2));
    FAIL() << "groups = 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "layers.2 (group_norm): groups = 0: expected an integer >= 1");
  }
  try {
    make_layer<float>(layer_spec("layer_norm", {{"eps", -1.0}}, 1));
    FAIL() << "eps < 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "layers.1 (layer_norm): eps = -1: expected a number >= 0");
  }
  try {
    make_layer<float>(layer_spec("group_norm", {}, 6));
    FAIL() << "missing groups accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("missing required key 'groups'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gradnet
