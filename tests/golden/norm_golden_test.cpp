// Golden values from PyTorch (tests/golden/gen_norm.py -> norm.json, float64) for layer_norm,
// group_norm, instance_norm, softmax, log_softmax, elu, gelu, silu and linear with weight_norm:
// y, dx and every param gradient for stored x, dy and params, to 1e-6 relative in double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "gradnet/layer_registry.h"
#include "golden_json.h"

namespace gradnet {
namespace {

using nlohmann::json;

const json& golden() {
  static const json j = testing::load_golden("norm.json");
  return j;
}

using testing::flat;

// |a - b| <= 1e-6 · max(|a|, |b|), with a 1e-300 floor so that exact zeros compare equal.
// Returns the worst relative difference seen (for the log).
double expect_close(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  double worst = 0.0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    const double scale = std::max({std::fabs(got[i]), std::fabs(want[i]), 1e-300});
    const double rel = std::fabs(got[i] - want[i]) / scale;
    worst = std::max(worst, rel);
    EXPECT_LE(rel, 1e-6) << what << "[" << i << "]: " << got[i] << " vs " << want[i];
  }
  return worst;
}

// The case's attrs as layer keys: JSON integers -> integer, other numbers -> number.
LayerSpec spec_of(const json& c) {
  LayerSpec s;
  s.type = c.at("type").get<std::string>();
  for (const auto& [key, v] : c.at("attrs").items()) {
    if (v.is_boolean()) s.attrs[key] = v.get<bool>();
    else if (v.is_number_integer()) s.attrs[key] = v.get<std::int64_t>();
    else if (v.is_number()) s.attrs[key] = v.get<double>();
    else s.attrs[key] = v.get<std::string>();
  }
  return s;
}

TEST(GoldenNorm, FileRecordsItsOrigin) {
  EXPECT_EQ(golden().at("generator"), "tests/golden/gen_norm.py");
  EXPECT_EQ(golden().at("torch_version").get<std::string>().rfind("1.13", 0), 0u);
  EXPECT_TRUE(golden().contains("seed"));
  EXPECT_EQ(golden().at("dtype"), "float64");
}

TEST(GoldenNorm, EveryCaseMatchesPyTorch) {
  ASSERT_FALSE(golden().at("cases").empty());
  for (const json& c : golden().at("cases")) {
    const std::string name = c.at("name");
    auto layer = make_layer<double>(spec_of(c));
    const Shape in = c.at("in").get<Shape>();
    const std::vector<double> x = flat(c.at("x")), dy = flat(c.at("dy"));
    const Index d_in = numel(in), n = static_cast<Index>(x.size()) / d_in;
    const Shape out = layer->setup(in, n);
    const Index d_out = numel(out);
    ASSERT_EQ(static_cast<Index>(dy.size()), n * d_out) << name;
    auto params = layer->params();
    ASSERT_EQ(params.size(), c.at("params").size()) << name;
    for (Param<double>& p : params) {
      ASSERT_TRUE(c.at("params").contains(p.name)) << name << ": no golden value for param " << p.name;
      const std::vector<double> v = flat(c.at("params").at(p.name));
      ASSERT_EQ(static_cast<Index>(v.size()), p.value.size()) << name << " " << p.name;
      p.value.vec() = v;
    }
    std::vector<double> y(static_cast<std::size_t>(n * d_out)), dx(x.size());
    layer->forward(ConstView<double>(x.data(), n, d_in), View<double>{y.data(), n, d_out}, {});
    View<double> dxv{dx.data(), n, d_in};
    layer->backward(ConstView<double>(x.data(), n, d_in), ConstView<double>(y.data(), n, d_out),
                    ConstView<double>(dy.data(), n, d_out), &dxv);
    double worst = expect_close(y, flat(c.at("y")), name + " y");
    worst = std::max(worst, expect_close(dx, flat(c.at("dx")), name + " dx"));
    for (Param<double>& p : params)
      worst = std::max(worst, expect_close(p.grad.vec(), flat(c.at("grads").at(p.name)), name + " d" + p.name));
    std::printf("  %-55s worst rel. diff %.2g\n", name.c_str(), worst);
  }
}

TEST(GoldenNorm, EveryExtraTypeHasACase) {
  std::set<std::string> seen;
  bool weight_norm = false;
  for (const json& c : golden().at("cases")) {
    seen.insert(c.at("type").get<std::string>());
    if (c.at("attrs").value("weight_norm", false)) weight_norm = true;
  }
  for (const char* type :
       {"layer_norm", "group_norm", "instance_norm", "softmax", "log_softmax", "elu", "gelu", "silu"}) {
    EXPECT_EQ(seen.count(type), 1u) << type << " has no golden case";
    EXPECT_NE(find_layer_info(type), nullptr) << type;
  }
  EXPECT_TRUE(weight_norm) << "linear with weight_norm has no golden case";
}

}  // namespace
}  // namespace gradnet
