// Activations: values by hand, the fast float path against double, extreme inputs, backward
// from y, gradient checks, kinks and config errors.
#include "gradnet/layers/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::mview;

template <typename T>
std::vector<T> run(const std::string& type, const std::vector<T>& x, std::map<std::string, Value> attrs = {}) {
  auto layer = make_layer<T>(layer_spec(type, std::move(attrs)));
  EXPECT_EQ(layer->setup({static_cast<Index>(x.size())}, 1), (Shape{static_cast<Index>(x.size())}));
  std::vector<T> y(x.size());
  layer->forward(cview(x, 1), mview(y, 1), {});
  return y;
}

TEST(Activation, ForwardMatchesHandComputedValues) {
  const double ln2 = std::log(2.0), ln3 = std::log(3.0);
  // σ(ln 3) = 3/4, σ(-ln 3) = 1/4; tanh(ln 2) = (4 - 1)/(4 + 1) = 3/5
  auto s = run<double>("sigmoid", {0.0, ln3, -ln3});
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_DOUBLE_EQ(s[1], 0.75);
  EXPECT_DOUBLE_EQ(s[2], 0.25);
  auto t = run<double>("tanh", {0.0, ln2, -ln2});
  EXPECT_DOUBLE_EQ(t[0], 0.0);
  EXPECT_DOUBLE_EQ(t[1], 0.6);
  EXPECT_DOUBLE_EQ(t[2], -0.6);
  EXPECT_EQ(run<double>("relu", {-2.0, 0.0, 3.5}), (std::vector<double>{0.0, 0.0, 3.5}));
  EXPECT_EQ(run<double>("leaky_relu", {-2.0, 0.0, 3.5}, {{"slope", 0.25}}), (std::vector<double>{-0.5, 0.0, 3.5}));
  EXPECT_EQ(run<float>("leaky_relu", {-100.0f, 1.0f}), (std::vector<float>{-1.0f, 1.0f}));  // default slope 0.01
  EXPECT_EQ(run<float>("identity", {-2.0f, 0.0f, 3.5f}), (std::vector<float>{-2.0f, 0.0f, 3.5f}));
}

// The float path uses its own exp (no libm call, so the loops vectorise): it must agree with
// double libm to a few float ulps over the whole range.
TEST(Activation, FastFloatPathMatchesDouble) {
  std::vector<float> xf;
  for (int i = -20000; i <= 20000; ++i) xf.push_back(static_cast<float>(i) * 0.005f);  // [-100, 100]
  for (float v : {1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.6249f, 0.6251f, -0.625f}) xf.push_back(v);
  std::vector<double> xd(xf.begin(), xf.end());
  for (const char* type : {"sigmoid", "tanh"}) {
    const auto yf = run<float>(type, xf);
    const auto yd = run<double>(type, xd);
    double worst = 0;
    for (std::size_t i = 0; i < xf.size(); ++i) {
      const double err = std::fabs(yf[i] - yd[i]);
      // relative to the value, with an absolute floor for sigmoid's ~1e-38 clamp far left
      worst = std::max(worst, err / std::max(std::fabs(yd[i]), 1e-30));
      ASSERT_LE(err, 4e-7 * std::fabs(yd[i]) + 1e-37) << type << "(" << xf[i] << ")";
    }
    EXPECT_LT(worst, 4e-7) << type;
  }
}

TEST(Activation, ExtremeInputsStayFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  const auto s = run<float>("sigmoid", {-1e4f, -100.0f, 100.0f, 1e4f, -inf, inf});
  for (float v : s) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(s[2], 1.0f);
  EXPECT_EQ(s[3], 1.0f);
  EXPECT_EQ(s[5], 1.0f);
  EXPECT_LT(s[0], 1e-37f);
  EXPECT_GE(s[0], 0.0f);
  const auto t = run<float>("tanh", {-1e4f, 1e4f, -inf, inf});
  EXPECT_EQ(t, (std::vector<float>{-1.0f, 1.0f, -1.0f, 1.0f}));
  const auto sd = run<double>("sigmoid", {-1e4, 1e4, -745.0});
  EXPECT_EQ(sd[0], 0.0);
  EXPECT_EQ(sd[1], 1.0);
  EXPECT_GT(sd[2], 0.0);  // e^-745: the e/(1+e) branch keeps the denormal a naive form would lose
}

TEST(Activation, BackwardValues) {
  // x, dy fixed; dx by the formulas in activation.h
  const std::vector<double> x = {-1.5, -0.2, 0.3, 2.0}, dy = {0.5, -1.0, 2.0, 1.5};
  struct Case {
    std::string type;
    std::vector<double> dx;
  };
  const double s0 = 1 / (1 + std::exp(1.5)), s1 = 1 / (1 + std::exp(0.2)), s2 = 1 / (1 + std::exp(-0.3)),
               s3 = 1 / (1 + std::exp(-2.0));
  const double t0 = std::tanh(-1.5), t1 = std::tanh(-0.2), t2 = std::tanh(0.3), t3 = std::tanh(2.0);
  const std::vector<Case> cases = {
      {"sigmoid", {0.5 * s0 * (1 - s0), -s1 * (1 - s1), 2 * s2 * (1 - s2), 1.5 * s3 * (1 - s3)}},
      {"tanh", {0.5 * (1 - t0 * t0), -(1 - t1 * t1), 2 * (1 - t2 * t2), 1.5 * (1 - t3 * t3)}},
      {"relu", {0.0, 0.0, 2.0, 1.5}},
      {"leaky_relu", {0.005, -0.01, 2.0, 1.5}},
      {"identity", {0.5, -1.0, 2.0, 1.5}}};
  for (const Case& c : cases) {
    auto layer = make_layer<double>(layer_spec(c.type));
    layer->setup({2, 2}, 1);
    std::vector<double> y(4), dx(4, std::numeric_limits<double>::quiet_NaN());
    layer->forward(cview(x, 1), mview(y, 1), {});
    View<double> dxv = mview(dx, 1);
    layer->backward(cview(x, 1), cview(y, 1), cview(dy, 1), &dxv);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(dx[i], c.dx[i], 1e-15) << c.type << " " << i;
    layer->backward(cview(x, 1), cview(y, 1), cview(dy, 1), nullptr);  // first layer: no dx, no crash
  }
}

TEST(Activation, GradcheckEveryActivationOverShapes) {
  const std::vector<std::pair<Shape, Index>> shapes = {{{7}, 3}, {{2, 3, 4}, 2}, {{1}, 5}};
  const std::vector<LayerSpec> specs = {layer_spec("sigmoid"), layer_spec("tanh"), layer_spec("relu"),
                                        layer_spec("leaky_relu"), layer_spec("leaky_relu", {{"slope", 0.3}}),
                                        layer_spec("identity"), layer_spec("elu"), layer_spec("elu", {{"alpha", 2.5}}),
                                        layer_spec("gelu"), layer_spec("gelu", {{"approximate", std::string("tanh")}}),
                                        layer_spec("silu")};
  for (const LayerSpec& s : specs) {
    for (const auto& [shape, batch] : shapes) {
      auto layer = make_layer<double>(s);
      const GradcheckReport r = gradcheck_layer(*layer, shape, batch, GradcheckOptions{});
      ASSERT_EQ(r.tensors.size(), 1u);  // input only: no params
      EXPECT_EQ(r.tensors[0].checked, numel(shape) * batch) << s.type;
      EXPECT_LT(r.max_rel_error(), 1e-7) << s.type << " " << shape_str(shape);
    }
  }
}

TEST(Activation, KinksAndParams) {
  for (const char* type : {"relu", "leaky_relu", "elu"})
    EXPECT_TRUE(make_layer<float>(layer_spec(type))->has_kink()) << type;
  for (const char* type : {"sigmoid", "tanh", "identity", "gelu", "silu"}) {
    auto layer = make_layer<float>(layer_spec(type));
    EXPECT_FALSE(layer->has_kink()) << type;
    EXPECT_TRUE(layer->params().empty()) << type;
  }
}

TEST(Activation, NegativeSlopeIsAConfigError) {
  try {
    make_layer<float>(layer_spec("leaky_relu", {{"slope", -0.1}}, 4));
    FAIL() << "negative slope accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "layers.4 (leaky_relu): slope = -0.1: expected a number >= 0");
  }
}

// ---- elu, gelu, silu
TEST(Activation, SmoothActivationValuesByHand) {
  const double e1 = std::exp(-1.0);
  EXPECT_EQ(run<double>("elu", {2.0, 0.0}), (std::vector<double>{2.0, 0.0}));
  EXPECT_NEAR(run<double>("elu", {-1.0})[0], e1 - 1, 1e-16);
  EXPECT_NEAR(run<double>("elu", {-1.0}, {{"alpha", 0.5}})[0], 0.5 * (e1 - 1), 1e-16);
  EXPECT_NEAR(run<double>("elu", {-1e-10})[0], -1e-10 + 5e-21, 1e-30);  // expm1: no cancellation near 0
  // gelu(x) = x·Φ(x): Φ(1) = 0.841344746068543, Φ(-1) = 1 - Φ(1)
  const auto g = run<double>("gelu", {0.0, 1.0, -1.0, 10.0, -10.0});
  EXPECT_EQ(g[0], 0.0);
  EXPECT_NEAR(g[1], 0.8413447460685429, 1e-15);
  EXPECT_NEAR(g[2], -(1 - 0.8413447460685429), 1e-15);
  EXPECT_NEAR(g[3], 10.0, 1e-15);
  EXPECT_NEAR(g[4], 0.0, 1e-20);
  // tanh form at x = 1: 0.5·(1 + tanh(√(2/π)·1.044715))
  const double t1 = 0.5 * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * 1.044715));
  EXPECT_NEAR(run<double>("gelu", {1.0}, {{"approximate", std::string("tanh")}})[0], t1, 1e-15);
  EXPECT_NEAR(t1, 0.8413447460685429, 2e-4);  // close to the exact form
  // silu(x) = x·σ(x)
  const auto s = run<double>("silu", {0.0, 1.0, -2.0});
  EXPECT_EQ(s[0], 0.0);
  EXPECT_NEAR(s[1], 1 / (1 + e1), 1e-16);
  EXPECT_NEAR(s[2], -2 / (1 + std::exp(2.0)), 1e-16);
}

TEST(Activation, SmoothActivationBackwardByHand) {
  const std::vector<double> x = {-1.5, -0.2, 0.3, 2.0}, dy = {0.5, -1.0, 2.0, 1.5};
  auto phi = [](double v) { return std::exp(-v * v / 2) / std::sqrt(2 * std::numbers::pi); };
  auto cdf = [](double v) { return 0.5 * std::erfc(-v / std::sqrt(2.0)); };
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  for (const char* type : {"elu", "gelu", "silu"}) {
    auto layer = make_layer<double>(layer_spec(type));
    layer->setup({4}, 1);
    std::vector<double> y(4), dx(4, std::numeric_limits<double>::quiet_NaN());
    layer->forward(cview(x, 1), mview(y, 1), {});
    View<double> dxv = mview(dx, 1);
    layer->backward(cview(x, 1), cview(y, 1), cview(dy, 1), &dxv);
    for (int i = 0; i < 4; ++i) {
      const double v = x[i];
      double d = 0;
      if (std::string(type) == "elu") d = v > 0 ? 1 : std::exp(v);
      if (std::string(type) == "gelu") d = cdf(v) + v * phi(v);
      if (std::string(type) == "silu") d = sig(v) * (1 + v * (1 - sig(v)));
      EXPECT_NEAR(dx[i], dy[i] * d, 1e-15) << type << " " << i;
    }
    layer->backward(cview(x, 1), cview(y, 1), cview(dy, 1), nullptr);
  }
}

TEST(Activation, SmoothActivationsFloatAgreesWithDouble) {
  std::vector<float> xf;
  for (int i = -2000; i <= 2000; ++i) xf.push_back(static_cast<float>(i) * 0.01f);  // [-20, 20]
  for (float v : {-1e4f, 1e4f, 1e-30f, -1e-30f}) xf.push_back(v);
  const std::vector<double> xd(xf.begin(), xf.end());
  for (const char* type : {"elu", "gelu", "silu"}) {
    const auto yf = run<float>(type, xf);
    const auto yd = run<double>(type, xd);
    for (std::size_t i = 0; i < xf.size(); ++i) {
      ASSERT_TRUE(std::isfinite(yf[i])) << type << "(" << xf[i] << ")";
      // gelu's 1 + erf(x/√2) cancels in the left tail, in float as in PyTorch: an absolute floor
      const double floor = std::string(type) == "gelu" ? 1e-6 : 1e-30;
      ASSERT_LE(std::fabs(yf[i] - yd[i]), 1e-6 * std::fabs(yd[i]) + floor) << type << "(" << xf[i] << ")";
    }
  }
}

TEST(Activation, SmoothActivationConfigErrors) {
  try {
    make_layer<float>(layer_spec("elu", {{"alpha", -1.0}}, 2));
    FAIL() << "negative alpha accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "layers.2 (elu): alpha = -1: expected a number >= 0");
  }
  try {
    make_layer<float>(layer_spec("gelu", {{"approximate", std::string("erf")}}, 1));
    FAIL() << "approximate = erf accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "layers.1 (gelu): approximate = \"erf\": expected none or tanh");
  }
  EXPECT_EQ(make_layer<float>(layer_spec("gelu", {{"approximate", std::string("tanh")}}))->describe(),
            (Attributes{{"approximate", "tanh"}}));
  EXPECT_EQ(make_layer<float>(layer_spec("elu"))->describe(), (Attributes{{"alpha", "1"}}));
}

}  // namespace
}  // namespace gradnet
