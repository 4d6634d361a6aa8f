// Golden values from PyTorch (tests/golden/gen_layers.py -> layers.json, float64): linear, every
// activation, softmax cross-entropy and mse, forward and backward, to 1e-6 relative in double.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gradnet/layer_registry.h"
#include "golden_json.h"
#include "gradnet/loss.h"

namespace gradnet {
namespace {

using nlohmann::json;

const json& golden() {
  static const json j = testing::load_golden("layers.json");
  return j;
}

using testing::flat;

// |a - b| <= 1e-6 · max(|a|, |b|), with a 1e-300 floor so that exact zeros compare equal.
void expect_close(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double scale = std::max({std::fabs(got[i]), std::fabs(want[i]), 1e-300});
    EXPECT_LE(std::fabs(got[i] - want[i]) / scale, 1e-6) << what << "[" << i << "]: " << got[i] << " vs " << want[i];
  }
}

LayerSpec spec_of(const std::string& type, std::map<std::string, Value> attrs) {
  LayerSpec s;
  s.type = type;
  s.attrs = std::move(attrs);
  return s;
}

TEST(GoldenLayers, FileRecordsItsOrigin) {
  EXPECT_EQ(golden().at("generator"), "tests/golden/gen_layers.py");
  EXPECT_EQ(golden().at("torch_version").get<std::string>().rfind("1.13", 0), 0u);
  EXPECT_TRUE(golden().contains("seed"));
  EXPECT_EQ(golden().at("dtype"), "float64");
}

TEST(GoldenLayers, LinearMatchesPyTorch) {
  ASSERT_FALSE(golden().at("linear").empty());
  for (const json& c : golden().at("linear")) {
    const std::string name = c.at("name");
    const Index d_in = c.at("in"), d_out = c.at("out");
    const bool bias = c.at("bias");
    auto layer = make_layer<double>(spec_of("linear", {{"out", std::int64_t{d_out}}, {"bias", bias}}));
    std::vector<double> x = flat(c.at("x")), dy = flat(c.at("dy"));
    const Index n = static_cast<Index>(x.size()) / d_in;
    layer->setup({d_in}, n);
    auto params = layer->params();
    params[0].value.vec() = flat(c.at("weight"));
    if (bias) params[1].value.vec() = flat(c.at("bias_value"));
    std::vector<double> y(static_cast<std::size_t>(n * d_out)), dx(x.size());
    layer->forward(ConstView<double>(x.data(), n, d_in), View<double>{y.data(), n, d_out}, {});
    View<double> dxv{dx.data(), n, d_in};
    layer->backward(ConstView<double>(x.data(), n, d_in), ConstView<double>(y.data(), n, d_out),
                    ConstView<double>(dy.data(), n, d_out), &dxv);
    expect_close(y, flat(c.at("y")), name + " y");
    expect_close(dx, flat(c.at("dx")), name + " dx");
    expect_close(params[0].grad.vec(), flat(c.at("dweight")), name + " dweight");
    if (bias) expect_close(params[1].grad.vec(), flat(c.at("dbias")), name + " dbias");
  }
}

TEST(GoldenLayers, ActivationsMatchPyTorch) {
  std::set<std::string> seen;
  for (const json& c : golden().at("activations")) {
    const std::string type = c.at("type");
    std::map<std::string, Value> attrs;
    if (c.at("attrs").contains("slope")) attrs["slope"] = c.at("attrs").at("slope").get<double>();
    auto layer = make_layer<double>(spec_of(type, attrs));
    std::vector<double> x = flat(c.at("x")), dy = flat(c.at("dy"));
    const Index rows = static_cast<Index>(c.at("x").size()), cols = static_cast<Index>(x.size()) / rows;
    layer->setup({cols}, rows);
    std::vector<double> y(x.size()), dx(x.size());
    layer->forward(ConstView<double>(x.data(), rows, cols), View<double>{y.data(), rows, cols}, {});
    View<double> dxv{dx.data(), rows, cols};
    layer->backward(ConstView<double>(x.data(), rows, cols), ConstView<double>(y.data(), rows, cols),
                    ConstView<double>(dy.data(), rows, cols), &dxv);
    expect_close(y, flat(c.at("y")), type + " y");
    expect_close(dx, flat(c.at("dx")), type + " dx");
    seen.insert(type);
  }
  // Every registered activation has a golden case.
  for (const LayerInfo& info : layer_infos())
    if (info.is_activation) EXPECT_EQ(seen.count(info.type), 1u) << info.type << " has no golden case";
}

TEST(GoldenLayers, LossesMatchPyTorch) {
  std::set<std::string> seen;
  for (const json& c : golden().at("losses")) {
    const std::string type = c.at("type");
    const Index k = c.at("classes");
    std::vector<double> z = flat(c.at("logits"));
    const std::vector<std::int32_t> labels = c.at("labels").get<std::vector<std::int32_t>>();
    const Index n = static_cast<Index>(labels.size());
    auto loss = make_loss<double>(type);
    loss->setup({k}, k, n);
    const ConstView<double> zv(z.data(), n, k);
    const double value = loss->forward(zv, labels.data());
    std::vector<double> dz(z.size()), pred(z.size());
    loss->backward(zv, labels.data(), View<double>{dz.data(), n, k});
    loss->predict(zv, View<double>{pred.data(), n, k});
    expect_close({value}, {c.at("loss").get<double>()}, type + " loss");
    expect_close(dz, flat(c.at("dlogits")), type + " dlogits");
    expect_close(pred, flat(c.at("predict")), type + " predict");
    seen.insert(type);
  }
  for (const std::string& type : loss_types()) EXPECT_EQ(seen.count(type), 1u) << type << " has no golden case";
}

}  // namespace
}  // namespace gradnet
