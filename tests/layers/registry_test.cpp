// The registry: every registered type must have a gradient-check case here (add one with the
// layer), the lookup and the unknown-type error, and the key tables.
#include "gradnet/layer_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::layer_spec;

struct GradcheckCase {
  std::map<std::string, Value> attrs;
  Shape in;
  Index batch;
  Mode mode = Mode::train;
};

// type -> the cases run by GradcheckEveryRegisteredType. A new layer type without an entry fails.
const std::map<std::string, std::vector<GradcheckCase>>& gradcheck_cases() {
  static const std::map<std::string, std::vector<GradcheckCase>> cases = {
      {"linear",
       {{{{"out", std::int64_t{4}}}, {6}, 3},
        {{{"out", std::int64_t{5}}, {"bias", false}}, {2, 2, 2}, 2},
        {{{"out", std::int64_t{3}}, {"init", std::string("kaiming_normal")}}, {9}, 1, Mode::eval},
        {{{"out", std::int64_t{4}}, {"weight_norm", true}}, {6}, 3},
        {{{"out", std::int64_t{3}}, {"weight_norm", true}, {"bias", false}}, {2, 2, 2}, 1, Mode::eval}}},
      {"sigmoid", {{{}, {10}, 3}, {{}, {2, 5}, 1}}},
      {"tanh", {{{}, {10}, 3}, {{}, {2, 5}, 1}}},
      {"relu", {{{}, {10}, 3}, {{}, {2, 5}, 1}}},
      {"leaky_relu", {{{}, {10}, 3}, {{{"slope", 0.2}}, {2, 5}, 2}}},
      {"identity", {{{}, {10}, 3}}},
      // registry_extra.cpp: smooth activations, softmax, per-example norms
      {"elu", {{{}, {10}, 3}, {{{"alpha", 0.5}}, {2, 3, 4}, 1}, {{}, {6}, 2, Mode::eval}}},
      {"gelu",
       {{{}, {10}, 3}, {{{"approximate", std::string("tanh")}}, {2, 3, 4}, 2}, {{}, {5}, 1, Mode::eval}}},
      {"silu", {{{}, {10}, 3}, {{}, {2, 3, 4}, 1}, {{}, {6}, 2, Mode::eval}}},
      {"softmax",
       {{{}, {7}, 3}, {{}, {3, 2, 4}, 2}, {{{"dim", std::string("all")}}, {2, 3, 2}, 1}, {{}, {4, 3}, 1, Mode::eval}}},
      {"log_softmax",
       {{{}, {7}, 3}, {{}, {3, 2, 4}, 2}, {{{"dim", std::string("all")}}, {2, 3, 2}, 1}, {{}, {4, 3}, 1, Mode::eval}}},
      {"layer_norm",
       {{{}, {6}, 3}, {{}, {2, 3, 3}, 2}, {{{"affine", false}}, {5}, 1}, {{{"eps", 1e-3}}, {3, 2, 2}, 1, Mode::eval}}},
      {"group_norm",
       {{{{"groups", std::int64_t{2}}}, {4, 3, 3}, 2},
        {{{"groups", std::int64_t{1}}}, {3, 2, 2}, 1},
        {{{"groups", std::int64_t{2}}}, {6}, 3},
        {{{"groups", std::int64_t{2}}}, {4, 5}, 2},
        {{{"groups", std::int64_t{4}}, {"affine", false}}, {4, 2, 3}, 2, Mode::eval}}},
      {"instance_norm",
       {{{}, {3, 3, 3}, 2}, {{{"affine", true}}, {2, 2, 3}, 1}, {{{"affine", true}}, {3, 5}, 3, Mode::eval}}},
      {"conv2d",
       {{{{"out", std::int64_t{3}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}}, {2, 5, 5}, 2},
        {{{"out", std::int64_t{2}}, {"kernel", std::int64_t{3}}, {"stride", std::int64_t{2}}, {"padding", std::int64_t{2}},
          {"dilation", std::int64_t{2}}},
         {2, 7, 6}, 2},
        {{{"out", std::int64_t{4}}, {"kernel", std::int64_t{2}}, {"groups", std::int64_t{2}}, {"bias", false}}, {4, 4, 5}, 3},
        {{{"out", std::int64_t{3}}, {"kernel", std::int64_t{1}}}, {2, 3, 3}, 2},
        {{{"out", std::int64_t{4}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}, {"groups", std::int64_t{2}},
          {"weight_norm", true}},
         {2, 4, 3}, 2},
        {{{"out", std::int64_t{2}}, {"kernel", std::int64_t{3}}, {"stride", std::int64_t{3}}}, {1, 7, 7}, 1, Mode::eval}}},
      {"max_pool2d",
       {{{{"kernel", std::int64_t{2}}}, {2, 4, 4}, 2},
        {{{"kernel", std::int64_t{3}}, {"stride", std::int64_t{2}}, {"padding", std::int64_t{1}}}, {2, 5, 6}, 2},
        {{{"kernel", std::int64_t{2}}, {"stride", std::int64_t{1}}}, {1, 3, 3}, 1, Mode::eval}}},
      {"avg_pool2d",
       {{{{"kernel", std::int64_t{2}}}, {2, 4, 4}, 2},
        {{{"kernel", std::int64_t{3}}, {"stride", std::int64_t{2}}, {"padding", std::int64_t{1}}}, {2, 5, 6}, 2},
        {{{"kernel", std::int64_t{3}}, {"stride", std::int64_t{2}}, {"padding", std::int64_t{1}}, {"count_include_pad", false}},
         {1, 5, 5}, 1}}},
      {"global_avg_pool", {{{}, {3, 2, 3}, 2}}},
      {"flatten", {{{}, {2, 3, 3}, 2}}},
      {"dropout", {{{}, {12}, 3}, {{{"rate", 0.2}}, {2, 3, 3}, 2}, {{}, {12}, 2, Mode::eval}}},
      {"batch_norm",
       {{{}, {3}, 5},
        {{}, {2, 3, 3}, 2},
        {{{"affine", false}}, {4}, 3},
        {{}, {2, 2, 3}, 3, Mode::eval},
        {{{"track_running_stats", false}}, {2, 2, 2}, 2, Mode::eval}}},
  };
  return cases;
}

TEST(Registry, GradcheckEveryRegisteredType) {
  ASSERT_FALSE(layer_infos().empty());
  for (const LayerInfo& info : layer_infos()) {
    auto it = gradcheck_cases().find(info.type);
    ASSERT_NE(it, gradcheck_cases().end()) << "layer type '" << info.type << "' has no gradient-check case";
    double worst = 0.0;
    Index skipped = 0;
    for (const GradcheckCase& c : it->second) {
      auto layer = make_layer<double>(layer_spec(info.type, c.attrs));
      const GradcheckReport r = gradcheck_layer(*layer, c.in, c.batch, GradcheckOptions{}, c.mode);
      EXPECT_EQ(r.tensors.size(), 1 + layer->params().size()) << info.type;
      for (const TensorCheck& t : r.tensors) EXPECT_GT(t.checked, 0) << info.type << " " << t.name;
      EXPECT_TRUE(r.passed(1e-7)) << info.type << " " << shape_str(c.in) << ": max rel error " << r.max_rel_error();
      worst = std::max(worst, r.max_rel_error());
      for (const TensorCheck& t : r.tensors) skipped += t.skipped_kinks;
    }
    // The figures docs/layers.md quotes.
    std::printf("gradcheck %-16s worst relative error %.1e over %zu cases (%lld kink elements skipped)\n",
                info.type.c_str(), worst, it->second.size(), static_cast<long long>(skipped));
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

TEST(Registry, ActivationFlags) {
  for (const char* t : {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "elu", "gelu", "silu"})
    EXPECT_TRUE(find_layer_info(t)->is_activation) << t;
  for (const char* t : {"softmax", "log_softmax", "layer_norm", "group_norm", "instance_norm"})
    EXPECT_FALSE(find_layer_info(t)->is_activation) << t;
  EXPECT_FALSE(find_layer_info("linear")->is_activation);
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
