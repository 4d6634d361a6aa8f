// Golden values from PyTorch 1.13 (tests/golden/layer_cases.py -> layer_cases.json, float64) for
// every registered layer type and every loss (with labels and, for mse and bce_with_logits, dense targets). Each layer case builds the layer from its TOML keys,
// loads PyTorch's params (PyTorch's layout: linear weight (out, in), conv weight (out, in/groups,
// k, k)), runs its steps in order on that one layer, and compares y, dx, every param gradient and
// every buffer (batch norm's running_mean / running_var) after every step, as
//   |got - want| <= rel · max(|got|, |want|) + abs_of_max · max_i |want_i|
// with the case's tolerance: 1e-6 relative for the elementwise and per-example layers, 1e-9
// relative + 1e-12 of the largest value for the conv-net layers (layer_cases.py says why).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "gradnet/layer_registry.h"
#include "gradnet/loss.h"
#include "layer_cases.h"

namespace gradnet {
namespace {

using nlohmann::json;
using testing::flat;
using testing::layer_case_table;

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
double expect_close(const std::vector<double>& got, const std::vector<double>& want, const json& tolerance,
                    const std::string& what) {
  const double rel = tolerance.at("rel"), abs_of_max = tolerance.at("abs_of_max");
  EXPECT_EQ(got.size(), want.size()) << what;
  double max_want = 0.0;
  for (double w : want) max_want = std::max(max_want, std::fabs(w));
  double worst = 0.0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    const double diff = std::fabs(got[i] - want[i]);
    const double big = std::max(std::fabs(got[i]), std::fabs(want[i]));
    if (diff > 0.0) worst = std::max(worst, diff / big);
    EXPECT_LE(diff, rel * big + abs_of_max * max_want)
        << what << "[" << i << "]: gradnet " << got[i] << " vs PyTorch " << want[i] << " (diff " << diff << ")";
  }
  return worst;
}

TEST(GoldenLayers, FileRecordsItsOrigin) {
  const json& table = layer_case_table();
  EXPECT_EQ(table.at("generator"), "tests/golden/layer_cases.py");
  EXPECT_EQ(table.at("torch_version").get<std::string>().rfind("1.13", 0), 0u);
  EXPECT_TRUE(table.contains("seed"));
  EXPECT_EQ(table.at("dtype"), "float64");
}

// Every registered type has golden cases, or the table says why it has none; every type the table
// names is registered.
TEST(GoldenLayers, EveryTypeHasCasesOrAReason) {
  for (const LayerInfo& info : layer_infos()) {
    const json* cases = testing::layer_cases_of(info.type);
    ASSERT_NE(cases, nullptr) << "layer type '" << info.type << "' has no entry in tests/golden/layer_cases.py";
    if (cases->contains("golden_exempt"))
      EXPECT_GT(cases->at("golden_exempt").get<std::string>().size(), 20u) << info.type << ": say why";
    else
      EXPECT_FALSE(cases->at("golden").empty()) << info.type << " has no golden case";
  }
  for (const auto& [type, _] : layer_case_table().at("layers").items())
    EXPECT_NE(find_layer_info(type), nullptr) << "the case table names '" << type << "', which is not registered";
  bool weight_norm = false;  // a key that changes the params: linear with it has its own cases
  for (const json& c : testing::layer_cases_of("linear")->at("golden"))
    weight_norm = weight_norm || c.at("attrs").value("weight_norm", false);
  EXPECT_TRUE(weight_norm) << "linear with weight_norm has no golden case";
}

// No case compares more loosely than 1e-6 relative, and only the conv-net cases (1e-9 relative)
// add the absolute term of 1e-12 of the largest value.
TEST(GoldenLayers, NoToleranceIsLooserThanTheTwoClasses) {
  for (const auto& [type, entry] : layer_case_table().at("layers").items()) {
    if (!entry.contains("golden")) continue;
    for (const json& c : entry.at("golden")) {
      const double rel = c.at("tolerance").at("rel"), abs_of_max = c.at("tolerance").at("abs_of_max");
      EXPECT_LE(rel, 1e-6) << c.at("name");
      EXPECT_LE(abs_of_max, 1e-12) << c.at("name");
      if (abs_of_max > 0) EXPECT_LE(rel, 1e-9) << c.at("name");
    }
  }
}

void load_params(Layer<double>& layer, const json& c) {
  auto params = layer.params();
  ASSERT_EQ(params.size(), c.at("params").size());
  for (Param<double>& p : params) {
    ASSERT_TRUE(c.at("params").contains(p.name)) << "no golden value for param " << p.name;
    const json& pj = c.at("params").at(p.name);
    ASSERT_EQ(p.value.shape(), shape_of(pj)) << p.name << " layout";
    p.value.assign(flat(pj));
  }
}

// One step of a case on `layer` (set up for in -> out); returns the worst relative difference.
double run_step(Layer<double>& layer, const json& s, Index d_in, Index d_out, Index max_batch, const json& tolerance,
                const std::string& at) {
  Rng rng(1);
  const bool train = s.at("mode") == "train";
  const std::vector<double> x = flat(s.at("x"));
  const Index n = static_cast<Index>(x.size()) / d_in;
  if (n * d_in != static_cast<Index>(x.size()) || n > max_batch) {
    ADD_FAILURE() << at << ": x holds " << x.size() << " values, not up to " << max_batch << " rows of " << d_in;
    return 0.0;
  }
  const StepContext ctx = train ? StepContext{Mode::train, &rng} : StepContext{Mode::eval, nullptr};
  std::vector<double> y(static_cast<std::size_t>(n * d_out));
  layer.forward(ConstView<double>(x.data(), n, d_in), View<double>{y.data(), n, d_out}, ctx);
  double worst = expect_close(y, flat(s.at("y")), tolerance, at + " y");
  auto params = layer.params();
  if (s.contains("dy")) {
    const std::vector<double> dy = flat(s.at("dy"));
    if (static_cast<Index>(dy.size()) != n * d_out) {
      ADD_FAILURE() << at << ": dy holds " << dy.size() << " values, y " << n * d_out;
      return worst;
    }
    for (Param<double>& p : params) p.grad.fill(0.0);  // backward accumulates into grads
    std::vector<double> dx(x.size(), 12345.0);           // and overwrites dx
    View<double> dxv{dx.data(), n, d_in};
    layer.backward(ConstView<double>(x.data(), n, d_in), ConstView<double>(y.data(), n, d_out),
                   ConstView<double>(dy.data(), n, d_out), &dxv);
    worst = std::max(worst, expect_close(dx, flat(s.at("dx")), tolerance, at + " dx"));
    for (Param<double>& p : params)
      worst = std::max(worst,
                       expect_close(p.grad.to_vector(), flat(s.at("grads").at(p.name)), tolerance, at + " d" + p.name));
  }
  auto buffers = layer.buffers();
  if (!s.contains("buffers")) {
    EXPECT_TRUE(buffers.empty()) << at << ": the layer keeps buffers PyTorch does not";
    return worst;
  }
  EXPECT_EQ(buffers.size(), s.at("buffers").size()) << at;
  for (Buffer<double>& b : buffers) {
    if (!s.at("buffers").contains(b.name)) {
      ADD_FAILURE() << at << ": no golden value for buffer " << b.name;
      continue;
    }
    worst = std::max(worst,
                     expect_close(b.value.to_vector(), flat(s.at("buffers").at(b.name)), tolerance, at + " " + b.name));
  }
  return worst;
}

TEST(GoldenLayers, EveryCaseMatchesPyTorch) {
  int cases = 0;
  for (const auto& [type, entry] : layer_case_table().at("layers").items()) {
    if (!entry.contains("golden")) continue;
    for (const json& c : entry.at("golden")) {
      const std::string name = c.at("name");
      SCOPED_TRACE(name);
      auto layer = make_layer<double>(testing::case_spec(type, c.at("attrs")));
      const Shape in = c.at("in").get<Shape>();
      const Index max_batch = c.at("max_batch");
      const Index d_in = numel(in), d_out = numel(layer->setup(in, max_batch));
      load_params(*layer, c);
      if (::testing::Test::HasFatalFailure()) return;
      double worst = 0.0;
      int step_no = 0;
      for (const json& s : c.at("steps")) {
        const std::string at = fmt::format("{} step {} ({})", name, ++step_no, s.at("mode").get<std::string>());
        worst = std::max(worst, run_step(*layer, s, d_in, d_out, max_batch, c.at("tolerance"), at));
      }
      std::printf("  %-100s worst rel. diff %.2g\n", name.c_str(), worst);
      ++cases;
    }
  }
  EXPECT_GT(cases, 0);
}

TEST(GoldenLayers, LossesMatchPyTorch) {
  for (const std::string& type : loss_types()) {
    const json& losses = layer_case_table().at("losses");
    ASSERT_TRUE(losses.contains(type)) << type << " has no golden case";
    ASSERT_FALSE(losses.at(type).empty()) << type << " has no golden case";
    for (const json& c : losses.at(type)) {
      const std::string name = c.at("name");
      const json& tol = c.at("tolerance");
      const Index k = c.at("classes");
      std::vector<double> z = flat(c.at("logits"));
      // Labels, or dense target rows (an autoencoder's: model.target = "input").
      const bool dense = c.contains("targets");
      const std::vector<std::int32_t> labels =
          dense ? std::vector<std::int32_t>{} : c.at("labels").get<std::vector<std::int32_t>>();
      const std::vector<double> targets = dense ? flat(c.at("targets")) : std::vector<double>{};
      const Index n = static_cast<Index>(z.size()) / k;
      auto loss = make_loss<double>(type);
      if (dense) loss->setup_dense({k}, n);
      else loss->setup({k}, k, n);
      const Targets<double> t = dense ? Targets<double>::dense(targets.data()) : Targets<double>(labels.data());
      const ConstView<double> zv(z.data(), n, k);
      const double value = loss->forward(zv, t);
      std::vector<double> dz(z.size()), pred(z.size());
      loss->backward(zv, t, View<double>{dz.data(), n, k});
      loss->predict(zv, View<double>{pred.data(), n, k});
      double worst = expect_close({value}, {c.at("loss").get<double>()}, tol, name + " loss");
      worst = std::max(worst, expect_close(dz, flat(c.at("dlogits")), tol, name + " dlogits"));
      worst = std::max(worst, expect_close(pred, flat(c.at("predict")), tol, name + " predict"));
      std::printf("  %-100s worst rel. diff %.2g\n", name.c_str(), worst);
    }
  }
}

}  // namespace
}  // namespace gradnet
