// Golden values from PyTorch 1.13 (tests/golden/gen_conv.py -> conv.json, float64) for the conv-net
// layers: conv2d (padding, stride, dilation, groups, depthwise, pointwise, no bias, H != W),
// max_pool2d, avg_pool2d (count_include_pad both ways), global_avg_pool, and batch_norm 1d/2d
// (three training passes, then eval with the running statistics; affine off; no running stats).
// Each case runs its steps in order on one layer built from its TOML keys, and compares y, dx,
// every param gradient and the running_mean / running_var buffers after every step.
//
// Tolerance (float64 on both sides, sums of at most a few hundred terms):
//   |got - want| <= 1e-9 · max(|got|, |want|) + 1e-12 · max_i |want_i|
// The first term is relative; the second, a millionth of that relative bound measured on the
// tensor's largest value, only covers elements that cancel to near zero (a conv output of 1e-7
// summed from O(1) terms is good to ~1e-16 absolute, not relative). A wrong index, divisor or
// momentum is off by ~1e-2 or more.
#include <gtest/gtest.h>

#include <algorithm>
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

constexpr double kRelTol = 1e-9;
constexpr double kAbsTolOfMax = 1e-12;

const json& golden() {
  static const json j = testing::load_golden("conv.json");
  return j;
}

using testing::flat;

// The shape of a nested list: [[[1, 2]]] -> {1, 1, 2}.
Shape shape_of(const json& j) {
  Shape s;
  for (const json* p = &j; p->is_array(); p = &p->front()) {
    s.push_back(static_cast<Index>(p->size()));
    if (p->empty()) break;
  }
  return s;
}

// Returns the worst relative difference seen (for the log).
double expect_close(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  double max_want = 0.0;
  for (double w : want) max_want = std::max(max_want, std::fabs(w));
  double worst = 0.0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    const double diff = std::fabs(got[i] - want[i]);
    const double big = std::max(std::fabs(got[i]), std::fabs(want[i]));
    if (diff > 0.0) worst = std::max(worst, diff / big);
    EXPECT_LE(diff, kRelTol * big + kAbsTolOfMax * max_want)
        << what << "[" << i << "]: gradnet " << got[i] << " vs PyTorch " << want[i] << " (diff " << diff << ")";
  }
  return worst;
}

// The case's attrs as layer keys: JSON integers -> integer, other numbers -> number. Every key must
// be one the registry knows for the type (make_layer would silently default a misspelt one).
LayerSpec spec_of(const json& c) {
  LayerSpec s;
  s.type = c.at("type").get<std::string>();
  const LayerInfo* info = find_layer_info(s.type);
  EXPECT_NE(info, nullptr) << s.type;
  for (const auto& [key, v] : c.at("attrs").items()) {
    if (info)
      EXPECT_TRUE(std::any_of(info->keys.begin(), info->keys.end(), [&](const KeySpec& k) { return k.name == key; }))
          << s.type << " has no key '" << key << "'";
    if (v.is_boolean()) s.attrs[key] = v.get<bool>();
    else if (v.is_number_integer()) s.attrs[key] = v.get<std::int64_t>();
    else if (v.is_number()) s.attrs[key] = v.get<double>();
    else s.attrs[key] = v.get<std::string>();
  }
  return s;
}

TEST(GoldenConv, FileRecordsItsOrigin) {
  EXPECT_EQ(golden().at("generator"), "tests/golden/gen_conv.py");
  EXPECT_EQ(golden().at("torch_version").get<std::string>().rfind("1.13", 0), 0u);
  EXPECT_TRUE(golden().contains("seed"));
  EXPECT_EQ(golden().at("dtype"), "float64");
}

TEST(GoldenConv, EveryCaseMatchesPyTorch) {
  ASSERT_FALSE(golden().at("cases").empty());
  for (const json& c : golden().at("cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    auto layer = make_layer<double>(spec_of(c));
    const Shape in = c.at("in").get<Shape>();
    const Index d_in = numel(in), max_batch = c.at("max_batch");
    const Shape out = layer->setup(in, max_batch);
    const Index d_out = numel(out);

    // Parameters: PyTorch's values, in PyTorch's layout (conv weight (out, in/groups, k, k)).
    auto params = layer->params();
    ASSERT_EQ(params.size(), c.at("params").size()) << name;
    for (Param<double>& p : params) {
      ASSERT_TRUE(c.at("params").contains(p.name)) << name << ": no golden value for param " << p.name;
      const json& pj = c.at("params").at(p.name);
      ASSERT_EQ(p.value.shape(), shape_of(pj)) << name << " " << p.name << " layout";
      p.value.vec() = flat(pj);
    }

    Rng rng(1);
    double worst = 0.0;
    int step_no = 0;
    for (const json& s : c.at("steps")) {
      const std::string at = name + " step " + std::to_string(++step_no) + " (" + s.at("mode").get<std::string>() + ")";
      const bool train = s.at("mode") == "train";
      const std::vector<double> x = flat(s.at("x"));
      const Index n = static_cast<Index>(x.size()) / d_in;
      ASSERT_EQ(n * d_in, static_cast<Index>(x.size())) << at;
      ASSERT_LE(n, max_batch) << at;
      const StepContext ctx = train ? StepContext{Mode::train, &rng} : StepContext{Mode::eval, nullptr};

      std::vector<double> y(static_cast<std::size_t>(n * d_out));
      layer->forward(ConstView<double>(x.data(), n, d_in), View<double>{y.data(), n, d_out}, ctx);
      worst = std::max(worst, expect_close(y, flat(s.at("y")), at + " y"));

      if (s.contains("dy")) {
        const std::vector<double> dy = flat(s.at("dy"));
        ASSERT_EQ(static_cast<Index>(dy.size()), n * d_out) << at;
        for (Param<double>& p : params) p.grad.fill(0.0);  // backward accumulates into grads
        std::vector<double> dx(x.size(), 12345.0);           // and overwrites dx
        View<double> dxv{dx.data(), n, d_in};
        layer->backward(ConstView<double>(x.data(), n, d_in), ConstView<double>(y.data(), n, d_out),
                        ConstView<double>(dy.data(), n, d_out), &dxv);
        worst = std::max(worst, expect_close(dx, flat(s.at("dx")), at + " dx"));
        for (Param<double>& p : params)
          worst = std::max(worst, expect_close(p.grad.vec(), flat(s.at("grads").at(p.name)), at + " d" + p.name));
      }

      auto buffers = layer->buffers();
      if (s.contains("buffers")) {
        ASSERT_EQ(buffers.size(), s.at("buffers").size()) << at;
        for (Buffer<double>& b : buffers) {
          ASSERT_TRUE(s.at("buffers").contains(b.name)) << at << ": no golden value for buffer " << b.name;
          worst = std::max(worst, expect_close(b.value.vec(), flat(s.at("buffers").at(b.name)), at + " " + b.name));
        }
      } else {
        EXPECT_TRUE(buffers.empty()) << at << ": the layer keeps buffers PyTorch does not";
      }
    }
    std::printf("  %-100s worst rel. diff %.2g\n", name.c_str(), worst);
  }
}

TEST(GoldenConv, EveryConvTypeHasACase) {
  std::set<std::string> seen;
  for (const json& c : golden().at("cases")) seen.insert(c.at("type").get<std::string>());
  for (const char* type : {"conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool", "batch_norm"}) {
    EXPECT_EQ(seen.count(type), 1u) << type << " has no golden case";
    EXPECT_NE(find_layer_info(type), nullptr) << type;
  }
}

}  // namespace
}  // namespace gradnet
