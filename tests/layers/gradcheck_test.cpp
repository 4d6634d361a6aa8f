// The gradient checker itself: it must catch a wrong backward, retry kink crossings at smaller
// steps and skip (and count) the rest, refuse to call a tensor with nothing checked good, sample
// when asked, excuse only rounding noise, and agree between the 2- and 4-point stencils.
#include "gradnet/gradcheck.h"

#include <gtest/gtest.h>

#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::model_spec;

// y = x² with a backward that is right (2x) or wrong (factor), to prove the check can fail.
class SquareLayer final : public Layer<double> {
 public:
  explicit SquareLayer(double factor) : factor_(factor) {}
  std::string_view type() const override { return "square"; }
  Shape setup(const Shape& in, Index) override { return in; }
  void forward(ConstView<double> x, View<double> y, const StepContext&) override {
    for (Index i = 0; i < x.size(); ++i) y.data[i] = x.data[i] * x.data[i];
  }
  void backward(ConstView<double> x, ConstView<double>, ConstView<double> dy, View<double>* dx) override {
    for (Index i = 0; i < x.size(); ++i) dx->data[i] = factor_ * x.data[i] * dy.data[i];
  }

 private:
  double factor_;
};

TEST(Gradcheck, PassesARightBackwardAndFailsAWrongOne) {
  SquareLayer right(2.0), wrong(2.001);
  const GradcheckReport ok = gradcheck_layer(right, {6}, 2, GradcheckOptions{});
  const GradcheckReport bad = gradcheck_layer(wrong, {6}, 2, GradcheckOptions{});
  EXPECT_TRUE(ok.passed(1e-7)) << ok.max_rel_error();
  EXPECT_FALSE(bad.passed(1e-7));
  EXPECT_NEAR(bad.max_rel_error(), 0.001 / 4.001, 1e-6);  // |2.001 - 2| / (2.001 + 2)
  EXPECT_EQ(bad.tensors[0].name, "input");
  EXPECT_EQ(bad.tensors[0].checked, 12);
  EXPECT_GE(bad.tensors[0].worst_index, 0);
  EXPECT_GT(bad.tensors[0].max_abs_error, 0.0);
}

TEST(Gradcheck, TwoPointStencilIsLessAccurate) {
  SquareLayer right(2.0);
  GradcheckOptions two;
  two.four_point = false;
  two.step = 1e-2;
  // y = x² is exact under both stencils; use tanh, whose third derivative makes 2-point err O(h²).
  auto t = make_layer<double>(layer_spec("tanh"));
  const double e2 = gradcheck_layer(*t, {20}, 2, two).max_rel_error();
  GradcheckOptions four = two;
  four.four_point = true;
  const double e4 = gradcheck_layer(*t, {20}, 2, four).max_rel_error();
  EXPECT_GT(e2, 1e-6);
  EXPECT_LT(e4, e2 / 100);
  EXPECT_LT(gradcheck_layer(right, {4}, 1, two).max_rel_error(), 1e-10);
}

TEST(Gradcheck, SamplesWhenAsked) {
  auto layer = make_layer<double>(layer_spec("linear", {{"out", std::int64_t{30}}}));
  GradcheckOptions o;
  o.max_elements = 25;
  const GradcheckReport r = gradcheck_layer(*layer, {40}, 2, o);
  ASSERT_EQ(r.tensors.size(), 3u);
  EXPECT_EQ(r.tensors[0].checked, 25);  // input: 80 elements
  EXPECT_EQ(r.tensors[1].checked, 25);  // weight: 1200
  EXPECT_EQ(r.tensors[2].checked, 25);  // bias: 30 > 25
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error();
}

// An input within 2h of relu's kink: the 4-point stencil at h crosses 0, so the element is retried
// at h/10 (and checked there); an input exactly at the kink crosses at every step: skipped and
// counted, and the rest must still pass.
TEST(Gradcheck, NetRetriesKinkCrossingsAtSmallerStepsAndSkipsTheRest) {
  Net<double> net(model_spec({4}, "softmax_cross_entropy",
                             {layer_spec("identity"), layer_spec("relu"), layer_spec("linear", {{"out", std::int64_t{3}}})}),
                  3, 2);
  Rng rng(2);
  net.init(rng);
  GradcheckOptions o;
  o.step = 1e-3;
  std::vector<double> x = {0.5, -0.7, 5e-4, 0.9, -0.3, 0.8, -1.1, 0.4};  // |x[2]| < 2h: crosses 0 at h
  const std::int32_t labels[2] = {2, 0};
  const GradcheckReport near = gradcheck_net(net, cview(x, 2), labels, o);
  ASSERT_EQ(near.tensors.back().name, "input");
  EXPECT_EQ(near.tensors.back().skipped_kinks, 0);
  EXPECT_EQ(near.tensors.back().smaller_step, 1);
  EXPECT_EQ(near.tensors.back().checked, 8);
  EXPECT_TRUE(near.passed(1e-7)) << near.max_rel_error();

  o.kink_retries = 0;  // no retry: skipped at the first crossing
  EXPECT_EQ(gradcheck_net(net, cview(x, 2), labels, o).tensors.back().skipped_kinks, 1);

  o.kink_retries = 3;
  x[2] = 0.0;  // on the kink: every step crosses it
  const GradcheckReport at = gradcheck_net(net, cview(x, 2), labels, o);
  EXPECT_EQ(at.tensors.back().skipped_kinks, 1);
  EXPECT_EQ(at.tensors.back().checked, 7);
  EXPECT_EQ(at.tensors[0].name, "layers.2.weight");
  EXPECT_EQ(at.tensors[0].skipped_kinks, 0);
  EXPECT_TRUE(at.passed(1e-7)) << at.max_rel_error();

  x[2] = 0.2;
  const GradcheckReport far = gradcheck_net(net, cview(x, 2), labels, o);
  EXPECT_EQ(far.tensors.back().skipped_kinks, 0);
  EXPECT_EQ(far.tensors.back().smaller_step, 0);
  EXPECT_EQ(far.tensors.back().checked, 8);
}

// A sampled tensor replaces elements skipped at kinks with others, so the sample stays full.
TEST(Gradcheck, SampledTensorReplacesSkippedElements) {
  Net<double> net(model_spec({4}, "softmax_cross_entropy",
                             {layer_spec("identity"), layer_spec("relu"), layer_spec("linear", {{"out", std::int64_t{3}}})}),
                  3, 2);
  Rng rng(2);
  net.init(rng);
  GradcheckOptions o;
  o.max_elements = 5;
  const std::vector<double> x = {0.0, -0.7, 0.0, 0.9, 0.0, 0.8, -1.1, 0.4};  // 3 on the kink, 5 checkable
  const std::int32_t labels[2] = {2, 0};
  const GradcheckReport r = gradcheck_net(net, cview(x, 2), labels, o);
  EXPECT_EQ(r.tensors.back().checked, 5);
  EXPECT_EQ(r.tensors.back().skipped_kinks, 3);  // every candidate was needed
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error();
}

// Every element of the input on relu's kink: nothing can be checked, and that is not a pass.
TEST(Gradcheck, NothingCheckedIsNotVerified) {
  Net<double> net(model_spec({4}, "softmax_cross_entropy",
                             {layer_spec("identity"), layer_spec("relu"), layer_spec("linear", {{"out", std::int64_t{3}}})}),
                  3, 2);
  Rng rng(2);
  net.init(rng);
  const std::vector<double> x(8, 0.0);
  const std::int32_t labels[2] = {2, 0};
  const GradcheckReport r = gradcheck_net(net, cview(x, 2), labels, GradcheckOptions{});
  const TensorCheck& input = r.tensors.back();
  EXPECT_EQ(input.checked, 0);
  EXPECT_EQ(input.skipped_kinks, 8);
  EXPECT_FALSE(input.verified());
  EXPECT_STREQ(gradcheck_verdict(input, 1e-7), "not verified");
  EXPECT_EQ(input.max_rel_error, 0.0);  // what used to read as "good"
  EXPECT_EQ(r.unverified(), 1);
  EXPECT_FALSE(r.passed(1e-7));

  // Sampled: replacements are tried up to 4× the sample, not through the whole tensor.
  GradcheckOptions one;
  one.max_elements = 1;
  const TensorCheck sampled = gradcheck_net(net, cview(x, 2), labels, one).tensors.back();
  EXPECT_EQ(sampled.checked, 0);
  EXPECT_EQ(sampled.skipped_kinks, 4);
}

// Dropout in training mode: the analytic pass and every perturbed evaluation draw the same mask.
TEST(Gradcheck, DropoutDrawsTheSameMaskForEveryEvaluation) {
  Net<double> net(model_spec({6}, "softmax_cross_entropy",
                             {layer_spec("linear", {{"out", std::int64_t{8}}}), layer_spec("tanh"),
                              layer_spec("dropout", {{"rate", 0.5}}), layer_spec("linear", {{"out", std::int64_t{3}}})}),
                  3, 4);
  Rng rng(4);
  net.init(rng);
  std::vector<double> x(24);
  for (double& v : x) v = rng.normal(0, 1);
  const std::int32_t labels[4] = {0, 2, 1, 2};
  const GradcheckReport r = gradcheck_net(net, cview(x, 4), labels, GradcheckOptions{});
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error_above_noise();
  EXPECT_EQ(r.unverified(), 0);
}

// y = scale·x² with a backward 0.1% off: at unit scale that fails; at scale 1e-13 the gradients are
// below what rounding lets the differences resolve, so the same relative error is excused, counted.
class ScaledSquare final : public Layer<double> {
 public:
  ScaledSquare(double scale, double factor) : scale_(scale), factor_(factor) {}
  std::string_view type() const override { return "scaled_square"; }
  Shape setup(const Shape& in, Index) override { return in; }
  void forward(ConstView<double> x, View<double> y, const StepContext&) override {
    for (Index i = 0; i < x.size(); ++i) y.data[i] = scale_ * x.data[i] * x.data[i];
  }
  void backward(ConstView<double> x, ConstView<double>, ConstView<double> dy, View<double>* dx) override {
    for (Index i = 0; i < x.size(); ++i) dx->data[i] = factor_ * scale_ * x.data[i] * dy.data[i];
  }

 private:
  double scale_, factor_;
};

TEST(Gradcheck, ErrorsWithinRoundingNoiseAreExcusedAndCounted) {
  ScaledSquare unit(1.0, 2.001), tiny(1e-13, 2.001);
  const GradcheckReport u = gradcheck_layer(unit, {6}, 2, GradcheckOptions{});
  const GradcheckReport t = gradcheck_layer(tiny, {6}, 2, GradcheckOptions{});
  EXPECT_FALSE(u.passed(1e-7));
  EXPECT_EQ(u.tensors[0].within_noise, 0);
  EXPECT_GT(t.max_rel_error(), 1e-7);  // the raw relative error is as bad...
  EXPECT_TRUE(t.passed(1e-7));         // ...but every absolute error is within the floor
  EXPECT_EQ(t.tensors[0].within_noise, 12);
}

TEST(Gradcheck, NetWithEveryActivation) {
  std::vector<LayerSpec> layers;
  for (const char* act : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}) {
    layers.push_back(layer_spec("linear", {{"out", std::int64_t{7}}, {"bias_init", std::string("fan_in_uniform")}}));
    layers.push_back(layer_spec(act));
  }
  layers.push_back(layer_spec("linear", {{"out", std::int64_t{4}}}));
  Net<double> net(model_spec({2, 3}, "softmax_cross_entropy", layers), 4, 5);
  Rng rng(3);
  net.init(rng);
  std::vector<double> x(30);
  for (double& v : x) v = rng.normal(0, 1);
  const std::int32_t labels[5] = {0, 3, 1, 2, 3};
  // Through 11 layers some weights get gradients ~1e-5: this is the case that needs the default
  // h = 1e-3 (with h = 1e-4 the rounding noise ~1e-16/h reaches 1.1e-7 of them).
  const GradcheckReport r = gradcheck_net(net, cview(x, 5), labels, GradcheckOptions{});
  EXPECT_EQ(r.tensors.size(), 6u * 2 + 1);  // 6 linears x (weight, bias) + input
  Index checked = 0;
  for (const TensorCheck& t : r.tensors) checked += t.checked;
  EXPECT_GT(checked, 200);
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error();
}

// relu -> max_pool2d: Net::backward lets the pool take the relu's backward too (through_relu_);
// checked here for a 2x2 pool and an overlapping padded one, the second after another conv.
TEST(Gradcheck, ConvReluPoolNetWithThePoolTakingTheRelusBackward) {
  const std::vector<LayerSpec> layers = {
      layer_spec("conv2d", {{"out", std::int64_t{3}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}}),
      layer_spec("relu"),
      layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}}),
      layer_spec("conv2d", {{"out", std::int64_t{4}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}}),
      layer_spec("relu"),
      layer_spec("max_pool2d", {{"kernel", std::int64_t{3}}, {"stride", std::int64_t{2}}, {"padding", std::int64_t{1}}}),
      layer_spec("flatten"),
      layer_spec("linear", {{"out", std::int64_t{3}}})};
  Net<double> net(model_spec({2, 8, 8}, "softmax_cross_entropy", layers), 3, 3);
  Rng rng(5);
  net.init(rng);
  std::vector<double> x(3 * 2 * 8 * 8);
  for (double& v : x) v = rng.normal(0, 1);
  const std::int32_t labels[3] = {0, 2, 1};
  const GradcheckReport r = gradcheck_net(net, cview(x, 3), labels, GradcheckOptions{});
  EXPECT_EQ(r.tensors.size(), 3u * 2 + 1);  // 2 convs and a linear x (weight, bias) + input
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error();

  // Net::forward runs each pool on its relu's input; the relu's output is made when read.
  net.forward(cview(x, 3), StepContext{Mode::eval, nullptr, nullptr});
  for (Index relu : {1, 4}) {
    const ConstView<double> z = net.activation(relu - 1), a = net.activation(relu);
    ASSERT_EQ(a.size(), z.size());
    for (Index i = 0; i < a.size(); ++i) ASSERT_EQ(a.data[i], z.data[i] > 0 ? z.data[i] : 0.0) << "layers." << relu;
  }
}

// A relu as the first layer before a pool: the pool's backward is its own (argmax from the relu's
// input) and the relu's backward reads its output, made only then.
TEST(Gradcheck, ReluPoolAsTheFirstLayers) {
  const std::vector<LayerSpec> layers = {layer_spec("relu"), layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}}),
                                         layer_spec("flatten"), layer_spec("linear", {{"out", std::int64_t{3}}})};
  Net<double> net(model_spec({2, 6, 6}, "softmax_cross_entropy", layers), 3, 3);
  Rng rng(7);
  net.init(rng);
  std::vector<double> x(3 * 2 * 6 * 6);
  for (double& v : x) v = rng.normal(0, 1);
  const std::int32_t labels[3] = {1, 0, 2};
  const GradcheckReport r = gradcheck_net(net, cview(x, 3), labels, GradcheckOptions{});
  EXPECT_EQ(r.tensors.size(), 3u);  // the linear's weight and bias + input
  EXPECT_TRUE(r.passed(1e-7)) << r.max_rel_error();
}

}  // namespace
}  // namespace gradnet
