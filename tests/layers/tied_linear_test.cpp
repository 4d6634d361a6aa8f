// linear with tied_to = "layers.j": a decoder that multiplies by the transpose of layer j's weight.
// Gradcheck of the shared weight (both uses add into one grad), the forward against an untied
// copy holding W_jᵀ, the param list (the weight once), and the bad ties (exit 2, naming the key).
#include <gtest/gtest.h>

#include <algorithm>

#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "gradnet/layer_registry.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::model_spec;

LayerSpec linear(std::int64_t out, const std::string& tied_to = "") {
  std::map<std::string, Value> a = {{"out", out}};
  if (!tied_to.empty()) a["tied_to"] = tied_to;
  return layer_spec("linear", a);
}

// 6 -> 4 (sigmoid) -> 6 with the decoder tied to layers.0: an autoencoder reconstructing its input.
ModelSpec tied_autoencoder(const std::string& loss = "mse") {
  ModelSpec m = model_spec({6}, loss, {linear(4), layer_spec("sigmoid"), linear(6, "layers.0")});
  m.target = TargetKind::input;
  return m;
}

std::vector<double> inputs(Index n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& e : v) e = rng.uniform(0.0, 1.0);
  return v;
}

std::vector<std::string> param_names(Net<double>& net) {
  std::vector<std::string> names;
  for (Param<double>* p : net.params()) names.push_back(p->name);
  return names;
}

TEST(TiedLinear, HoldsTheWeightOnce) {
  Net<double> net(tied_autoencoder(), 0, 3);
  EXPECT_EQ(param_names(net), (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.2.bias"}));
  EXPECT_EQ(net.parameter_count(), 4 * 6 + 4 + 6);
  const Attributes a = net.layer(2).describe();
  EXPECT_EQ(a.back(), (std::pair<std::string, std::string>{"tied_to", "layers.0"}));
}

// Both uses of the weight (encoder and decoder) must add up in layers.0.weight's grad.
TEST(TiedLinear, GradcheckPassesInDouble) {
  for (const char* loss : {"mse", "bce_with_logits"}) {
    Net<double> net(tied_autoencoder(loss), 0, 3);
    Rng rng(7);
    net.init(rng);
    const std::vector<double> x = inputs(18, 3);
    GradcheckOptions o;
    const GradcheckReport r = gradcheck_net(net, cview(x, 3), Targets<double>::dense(x.data()), o);
    ASSERT_EQ(r.tensors.size(), 4u) << loss;  // the three params and the input
    for (const TensorCheck& t : r.tensors) EXPECT_TRUE(t.passed(1e-7)) << loss << " " << t.name << " " << t.max_rel_error;
  }
}

// The tied decoder computes what an untied layer holding W_0ᵀ computes, and its weight grad is the
// encoder's part plus the transpose of that layer's.
TEST(TiedLinear, ForwardAndGradEqualAnUntiedTranspose) {
  Net<double> tied(tied_autoencoder(), 0, 3);
  ModelSpec m = model_spec({6}, "mse", {linear(4), layer_spec("sigmoid"), linear(6)});
  m.target = TargetKind::input;
  Net<double> untied(m, 0, 3);
  Rng rng(5);
  tied.init(rng);
  auto tp = tied.params();
  auto up = untied.params();  // layers.0.weight, layers.0.bias, layers.2.weight, layers.2.bias
  up[0]->value.assign(tp[0]->value.to_vector());
  up[1]->value.assign(tp[1]->value.to_vector());
  for (Index o = 0; o < 6; ++o)
    for (Index i = 0; i < 4; ++i) up[2]->value[o * 4 + i] = tp[0]->value[i * 6 + o];
  for (Index o = 0; o < 6; ++o) {
    tp[2]->value[o] = 0.1 * static_cast<double>(o);
    up[3]->value[o] = tp[2]->value[o];
  }
  const std::vector<double> x = inputs(18, 9);
  const StepContext ctx;
  const ConstView<double> yt = tied.forward(cview(x, 3), ctx);
  const ConstView<double> yu = untied.forward(cview(x, 3), ctx);
  for (Index k = 0; k < 18; ++k) EXPECT_NEAR(yt.data[k], yu.data[k], 1e-14);
  tied.zero_grad();
  untied.zero_grad();
  tied.loss(Targets<double>::dense(x.data()));
  untied.loss(Targets<double>::dense(x.data()));
  tied.backward(Targets<double>::dense(x.data()));
  untied.backward(Targets<double>::dense(x.data()));
  for (Index i = 0; i < 4; ++i)
    for (Index o = 0; o < 6; ++o)
      EXPECT_NEAR(tp[0]->grad[i * 6 + o], up[0]->grad[i * 6 + o] + up[2]->grad[o * 4 + i], 1e-14);
  for (Index o = 0; o < 6; ++o) EXPECT_NEAR(tp[2]->grad[o], up[3]->grad[o], 1e-14);
}

std::string build_error(const ModelSpec& m) {
  try {
    Net<float> net(m, 0, 2);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2) << e.what();
    return e.what();
  }
  return "no error";
}

TEST(TiedLinear, RefusesBadTies) {
  // a non-linear target
  EXPECT_NE(build_error(model_spec({6}, "mse", {linear(4), layer_spec("sigmoid"), linear(4, "layers.1")}))
                .find("layers.2 (linear): tied_to = \"layers.1\": layers.1 is a sigmoid layer"),
            std::string::npos);
  // the transposed shape does not fit: layers.0 is 6 -> 4, its transpose 4 -> 6, not 4 -> 5
  const std::string shape = build_error(model_spec({6}, "mse", {linear(4), layer_spec("sigmoid"), linear(5, "layers.0")}));
  EXPECT_NE(shape.find("layers.2 (linear): tied_to = \"layers.0\""), std::string::npos) << shape;
  EXPECT_NE(shape.find("out = 5"), std::string::npos) << shape;
  // not an earlier layer, not a layer name, a weight-normed or tied source
  EXPECT_NE(build_error(model_spec({6}, "mse", {linear(4, "layers.0")})).find("layers.0 (linear): tied_to = \"layers.0\": "
                                                                          "expected an earlier layer"),
            std::string::npos);
  EXPECT_NE(build_error(model_spec({6}, "mse", {linear(4), linear(6, "layer0")}))
                .find("layers.1 (linear): tied_to = \"layer0\": expected \"layers.<index>\""),
            std::string::npos);
  LayerSpec wn = linear(4);
  wn.attrs["weight_norm"] = true;
  EXPECT_NE(build_error(model_spec({6}, "mse", {wn, linear(6, "layers.0")})).find("weight_norm = true"),
            std::string::npos);
  EXPECT_NE(build_error(model_spec({6}, "mse", {linear(4), linear(6, "layers.0"), linear(4, "layers.1")}))
                .find("it is tied itself"),
            std::string::npos);
}

}  // namespace
}  // namespace gradnet
