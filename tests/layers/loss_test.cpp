// Losses: values by hand, ln K at equal logits, stability at 1e4, the shape error, predict(),
// and gradient checks through a net (identity-only, so the input gradient is dL/dlogits).
#include "gradnet/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::mview;
using testing::model_spec;

template <typename T>
std::unique_ptr<Loss<T>> loss_for(const std::string& type, Index classes, Index batch = 8) {
  auto l = make_loss<T>(type);
  l->setup({classes}, classes, batch);
  return l;
}

TEST(SoftmaxCrossEntropy, EqualLogitsGiveLnK) {
  for (Index k : {2, 10, 1000}) {
    std::vector<double> z(3 * k, 0.7);
    std::vector<float> zf(z.begin(), z.end());
    const std::int32_t labels[3] = {0, 1, static_cast<std::int32_t>(k - 1)};
    EXPECT_NEAR(loss_for<double>("softmax_cross_entropy", k)->forward(cview(z, 3), labels), std::log(double(k)),
                1e-12);
    EXPECT_NEAR(loss_for<float>("softmax_cross_entropy", k)->forward(cview(zf, 3), labels), std::log(double(k)),
                1e-5);
  }
}

TEST(SoftmaxCrossEntropy, HandComputedValueAndGradient) {
  const std::vector<double> z = {1, 2, 3, 0, 0, 0};
  const std::int32_t labels[2] = {2, 0};
  auto l = loss_for<double>("softmax_cross_entropy", 3);
  const double s = std::exp(1) + std::exp(2) + std::exp(3);
  const double expected = (-std::log(std::exp(3) / s) + std::log(3.0)) / 2;
  EXPECT_NEAR(l->forward(cview(z, 2), labels), expected, 1e-14);
  std::vector<double> dz(6, std::nan(""));
  l->backward(cview(z, 2), labels, mview(dz, 2));
  const std::vector<double> want = {std::exp(1) / s / 2, std::exp(2) / s / 2, (std::exp(3) / s - 1) / 2,
                                    (1.0 / 3 - 1) / 2,   1.0 / 3 / 2,         1.0 / 3 / 2};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(dz[i], want[i], 1e-15) << i;
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  const std::vector<float> zf = {1e4f, 0.0f, -1e4f, 1e4f, 1e4f, 1e4f};
  const std::vector<double> zd(zf.begin(), zf.end());
  const std::int32_t labels[2] = {1, 2};
  auto lf = loss_for<float>("softmax_cross_entropy", 3);
  auto ld = loss_for<double>("softmax_cross_entropy", 3);
  // row 0: -log p_1 = 1e4 exactly (p_1 underflows, but the log-sum-exp form does not); row 1: ln 3
  const double want = (1e4 + std::log(3.0)) / 2;
  EXPECT_NEAR(lf->forward(cview(zf, 2), labels), want, 1e-3);
  EXPECT_NEAR(ld->forward(cview(zd, 2), labels), want, 1e-9);
  std::vector<float> dz(6);
  lf->backward(cview(zf, 2), labels, mview(dz, 2));
  for (float v : dz) EXPECT_TRUE(std::isfinite(v));
  EXPECT_FLOAT_EQ(dz[0], 0.5f);   // p = (1, 0, 0), label 1: (p - onehot)/2
  EXPECT_FLOAT_EQ(dz[1], -0.5f);
  EXPECT_FLOAT_EQ(dz[5], (1.0f / 3 - 1) / 2);
}

TEST(SoftmaxCrossEntropy, PredictGivesProbabilities) {
  auto l = loss_for<float>("softmax_cross_entropy", 4);
  const std::vector<float> z = {1, 2, 3, 4, -50, 50, 0, 0};
  std::vector<float> p(8);
  l->predict(cview(z, 2), mview(p, 2));
  EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0f, 1e-6);
  EXPECT_NEAR(p[3] / p[2], std::exp(1.0f), 1e-5);
  EXPECT_NEAR(p[5], 1.0f, 1e-6);
}

TEST(Mse, HandComputedValueAndGradient) {
  // z = [[0.5, 0.2], [1, -1]], t = [[1, 0], [0, 1]]: (0.25 + 0.04 + 1 + 4) / 4
  const std::vector<double> z = {0.5, 0.2, 1.0, -1.0};
  const std::int32_t labels[2] = {0, 1};
  auto l = loss_for<double>("mse", 2);
  EXPECT_NEAR(l->forward(cview(z, 2), labels), 5.29 / 4, 1e-15);
  std::vector<double> dz(4);
  l->backward(cview(z, 2), labels, mview(dz, 2));  // 2 (z - t) / 4
  const std::vector<double> want = {-0.25, 0.1, 0.5, -1.0};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(dz[i], want[i], 1e-15) << i;
  std::vector<double> out(4);
  l->predict(cview(z, 2), mview(out, 2));
  EXPECT_EQ(out, z);
}

TEST(Loss, OutputShapeMustMatchClasses) {
  for (const std::string& type : loss_types()) {
    auto l = make_loss<float>(type);
    try {
      l->setup({16}, 10, 4);
      FAIL() << type << " accepted 16 outputs for 10 classes";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::shape);
      EXPECT_EQ(std::string(e.what()), "loss " + type + ": the last layer gives 16 outputs, the data has 10 classes");
    }
  }
}

TEST(Loss, UnknownTypeSuggests) {
  try {
    make_loss<double>("softmax_crossentropy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("did you mean 'softmax_cross_entropy'?"), std::string::npos) << e.what();
  }
}

// Gradient of every loss through gradcheck_net: identity (the input gradient is exactly
// dL/dlogits) and a small MLP, over a few batch sizes.
TEST(Loss, GradcheckThroughNet) {
  for (const std::string& loss : loss_types()) {
    for (Index batch : {1, 3, 8}) {
      for (int variant = 0; variant < 2; ++variant) {
        const Index k = 5;
        std::vector<LayerSpec> layers;
        if (variant == 0) {
          layers = {layer_spec("identity")};
        } else {
          layers = {layer_spec("linear", {{"out", std::int64_t{6}}, {"bias_init", std::string("fan_in_uniform")}}),
                    layer_spec("tanh"), layer_spec("linear", {{"out", k}})};
        }
        Net<double> net(model_spec({k}, loss, layers), k, batch);
        Rng rng(11);
        net.init(rng);
        std::vector<double> x(static_cast<std::size_t>(batch * k));
        std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
        for (double& v : x) v = rng.normal(0, 2);
        for (auto& c : labels) c = static_cast<std::int32_t>(rng.below(k));
        const GradcheckReport r = gradcheck_net(net, cview(x, batch), labels.data(), GradcheckOptions{});
        ASSERT_EQ(r.tensors.back().name, "input");
        EXPECT_EQ(r.tensors.back().checked, batch * k);
        EXPECT_TRUE(r.passed(1e-7)) << loss << " batch " << batch << " variant " << variant << ": "
                                    << r.max_rel_error();
      }
    }
  }
}

// An autoencoder (model.target = "input"): the loss against the net's own input, double precision,
// every param and the input gradient (the target is held fixed: it is the clean input, a copy).
TEST(Loss, GradcheckReconstructionThroughNet) {
  for (const std::string loss : {"mse", "bce_with_logits"}) {
    for (Index batch : {1, 4}) {
      const Index d = 6;
      std::vector<LayerSpec> layers = {
          layer_spec("linear", {{"out", std::int64_t{3}}, {"bias_init", std::string("fan_in_uniform")}}),
          layer_spec("sigmoid"), layer_spec("linear", {{"out", d}, {"bias_init", std::string("fan_in_uniform")}})};
      ModelSpec spec = model_spec({d}, loss, layers);
      spec.target = TargetKind::input;
      Net<double> net(spec, 0, batch);
      ASSERT_TRUE(net.reconstructs());
      Rng rng(5);
      net.init(rng);
      std::vector<double> x(static_cast<std::size_t>(batch * d));
      for (double& v : x) v = rng.uniform();  // in [0, 1]: BCE's targets
      const GradcheckReport r = gradcheck_net(net, cview(x, batch), Targets<double>::dense(x.data()), GradcheckOptions{});
      ASSERT_EQ(r.tensors.back().name, "input");
      EXPECT_EQ(r.tensors.size(), 5u);  // 2 weights, 2 biases, the input
      EXPECT_TRUE(r.passed(1e-7)) << loss << " batch " << batch << ": " << r.max_rel_error();
      EXPECT_LT(r.max_rel_error(), 1e-7) << loss;
    }
  }
}

TEST(Loss, BceWithLogitsHandValuesAndStability) {
  // z = [0, 100, -100], t = [0.5, 1, 0]: ln 2, ~e^-100, ~e^-100 -> mean ln(2) / 3
  auto l = make_loss<double>("bce_with_logits");
  l->setup_dense({3}, 1);
  const std::vector<double> z = {0.0, 100.0, -100.0}, t = {0.5, 1.0, 0.0};
  EXPECT_NEAR(l->forward(cview(z, 1), Targets<double>::dense(t.data())), std::log(2.0) / 3, 1e-15);
  std::vector<double> dz(3);
  l->backward(cview(z, 1), Targets<double>::dense(t.data()), mview(dz, 1));  // (σ(z) - t) / 3
  EXPECT_NEAR(dz[0], 0.0, 1e-16);
  EXPECT_NEAR(dz[1], 0.0, 1e-16);
  EXPECT_NEAR(dz[2], 0.0, 1e-16);
  // float at |z| = 200: exp(200) overflows a naive log(1 + e^z); the stable form gives 200 per element
  auto lf = make_loss<float>("bce_with_logits");
  lf->setup_dense({2}, 1);
  const std::vector<float> zf = {200.0f, -200.0f}, tf = {0.0f, 1.0f};
  EXPECT_NEAR(lf->forward(cview(zf, 1), Targets<float>::dense(tf.data())), 200.0, 1e-3);
  std::vector<float> p(2);
  lf->predict(cview(zf, 1), mview(p, 1));
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[1], 0.0f);
}

TEST(Loss, SoftmaxCrossEntropyRefusesDenseTargets) {
  auto l = make_loss<float>("softmax_cross_entropy");
  try {
    l->setup_dense({4}, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("needs class labels"), std::string::npos) << e.what();
  }
}

TEST(Loss, ReconstructionOutputMustMatchTheInput) {
  ModelSpec spec = model_spec({6}, "mse", {layer_spec("linear", {{"out", std::int64_t{3}}}), layer_spec("tanh"),
                                            layer_spec("linear", {{"out", std::int64_t{5}}})});
  spec.target = TargetKind::input;
  try {
    Net<float> net(spec, 0, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_NE(std::string(e.what()).find("layers.2 (linear), gives [5]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the input [6] has 6"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gradnet
