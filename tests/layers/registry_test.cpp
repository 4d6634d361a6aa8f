// The registry: every registered type passes the gradient checks of its cases in the case table
// (tests/golden/layer_cases.py; a type without cases fails), the lookup and the unknown-type error,
// the traits other parts of the engine read, and the key tables.
#include "gradnet/layer_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "gradnet/init.h"
#include "layer_cases.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using nlohmann::json;
using testing::layer_spec;

TEST(Registry, GradcheckEveryRegisteredType) {
  ASSERT_FALSE(layer_infos().empty());
  for (const LayerInfo& info : layer_infos()) {
    const json* entry = testing::layer_cases_of(info.type);
    ASSERT_TRUE(entry && !entry->at("gradcheck").empty())
        << "layer type '" << info.type << "' has no gradient-check case in tests/golden/layer_cases.py";
    const json& cases = entry->at("gradcheck");
    double worst = 0.0;
    Index skipped = 0;
    for (const json& c : cases) {
      auto layer = make_layer<double>(testing::case_spec(info.type, c.at("attrs")));
      const Shape in = c.at("in").get<Shape>();
      const Mode mode = c.at("mode") == "eval" ? Mode::eval : Mode::train;
      ASSERT_TRUE(c.at("mode") == "eval" || c.at("mode") == "train") << c.at("mode");
      const GradcheckReport r = gradcheck_layer(*layer, in, c.at("batch").get<Index>(), GradcheckOptions{}, mode);
      EXPECT_EQ(r.tensors.size(), 1 + layer->params().size()) << info.type;
      for (const TensorCheck& t : r.tensors) EXPECT_GT(t.checked, 0) << info.type << " " << t.name;
      EXPECT_TRUE(r.passed(testing::kGradcheckTolerance))
          << info.type << " " << shape_str(in) << ": max rel error " << r.max_rel_error();
      worst = std::max(worst, r.max_rel_error());
      for (const TensorCheck& t : r.tensors) skipped += t.skipped_kinks;
    }
    // Measured on this machine; bench/RESULTS.md keeps a dated copy.
    std::printf("gradcheck %-16s worst relative error %.1e over %zu cases (%lld kink elements skipped)\n",
                info.type.c_str(), worst, cases.size(), static_cast<long long>(skipped));
  }
}

TEST(Registry, EveryInfoBuildsBothPrecisionsWithItsDefaults) {
  for (const LayerInfo& info : layer_infos()) {
    LayerSpec spec = layer_spec(info.type);
    for (const KeySpec& k : info.keys) {
      if (k.default_value) spec.attrs[k.name] = *k.default_value;
      else if (k.kind == ValueKind::integer) spec.attrs[k.name] = std::int64_t{3};  // e.g. linear.out
      EXPECT_FALSE(k.doc.empty()) << info.type << "." << k.name;
    }
    auto f = info.make_float(spec);
    auto d = info.make_double(spec);
    EXPECT_EQ(f->type(), info.type);
    EXPECT_EQ(d->type(), info.type);
    EXPECT_EQ(find_layer_info(info.type), &info);
    EXPECT_FALSE(info.doc.empty()) << info.type;
  }
}

// The traits the monitor and init_nonlinearity = "auto" read instead of comparing type names.
TEST(Registry, Traits) {
  const std::map<std::string, std::string> auto_nonlinearity = {
      {"sigmoid", "sigmoid"}, {"tanh", "tanh"}, {"relu", "relu"},
      {"leaky_relu", "leaky_relu"}, {"identity", "identity"}};
  const LayerInfo* linear = find_layer_info("linear");
  ASSERT_NE(linear, nullptr);
  const auto key = std::find_if(linear->keys.begin(), linear->keys.end(),
                                [](const KeySpec& k) { return k.name == "init_nonlinearity"; });
  ASSERT_NE(key, linear->keys.end());
  for (const LayerInfo& info : layer_infos()) {
    const auto it = auto_nonlinearity.find(info.type);
    EXPECT_EQ(info.init_nonlinearity, it == auto_nonlinearity.end() ? "linear" : it->second) << info.type;
    EXPECT_NE(std::find(key->choices.begin(), key->choices.end(), info.init_nonlinearity), key->choices.end())
        << info.type << ": init_nonlinearity '" << info.init_nonlinearity << "' is not a choice of the key";
    EXPECT_NO_THROW(calculate_gain(info.init_nonlinearity, 0.01)) << info.type;
    const MonitorRule::Kind kind = info.type == "sigmoid" || info.type == "tanh" ? MonitorRule::Kind::saturating
                                   : info.type == "relu"                         ? MonitorRule::Kind::rectifier
                                                                                 : MonitorRule::Kind::none;
    EXPECT_EQ(info.monitor.kind, kind) << info.type;
    EXPECT_FALSE(info.reference.section.empty()) << info.type;
  }
  EXPECT_EQ(find_layer_info("sigmoid")->monitor.low, 0.05f);
  EXPECT_EQ(find_layer_info("sigmoid")->monitor.high, 0.95f);
  EXPECT_EQ(find_layer_info("tanh")->monitor.low, -0.95f);
  EXPECT_EQ(find_layer_info("tanh")->monitor.high, 0.95f);
  EXPECT_EQ(find_layer_info("rleu"), nullptr);
}

TEST(Registry, UnknownTypeSuggestsTheClosest) {
  try {
    make_layer<float>(layer_spec("sigmod", {}, 3));
    FAIL() << "unknown type accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    std::string known;  // every registered type, in table order
    for (const LayerInfo& info : layer_infos()) known += (known.empty() ? "" : ", ") + info.type;
    EXPECT_EQ(std::string(e.what()),
              "layers.3: unknown layer type 'sigmod' (did you mean 'sigmoid'?); known: " + known);
    EXPECT_EQ(known.rfind("linear, sigmoid, tanh, relu, leaky_relu, identity", 0), 0u) << known;
  }
  try {
    make_layer<double>(layer_spec("convolution", {}, 0));
    FAIL() << "unknown type accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("did you mean"), std::string::npos) << e.what();
  }
}

TEST(Registry, LinearKeyTable) {
  const LayerInfo* info = find_layer_info("linear");
  ASSERT_NE(info, nullptr);
  std::map<std::string, const KeySpec*> keys;
  for (const KeySpec& k : info->keys) keys[k.name] = &k;
  for (const char* name : {"out", "bias", "init", "init_gain", "init_mode", "init_nonlinearity", "init_slope",
                           "init_value", "init_low", "init_high", "init_mean", "init_std", "bias_init", "bias_value"})
    EXPECT_EQ(keys.count(name), 1u) << name;
  EXPECT_FALSE(keys["out"]->default_value.has_value());  // required
  EXPECT_EQ(keys["out"]->min, 1.0);
  EXPECT_EQ(std::get<std::string>(*keys["init"]->default_value), "xavier_uniform");
  EXPECT_EQ(keys["bias_init"]->choices, (std::vector<std::string>{"zeros", "constant", "fan_in_uniform"}));
  EXPECT_EQ(std::get<bool>(*keys["bias"]->default_value), true);
}

}  // namespace
}  // namespace gradnet
