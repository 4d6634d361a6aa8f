// Golden trajectories from PyTorch (tests/golden/gen_optim.py -> optim.json, float64): every
// optimizer and several option sets on one fixed problem (Linear(3,4)-tanh-Linear(4,3), softmax
// cross-entropy, 8 examples, full batch), 20 steps, every step's params compared to relative 1e-6
// (absolute floor 1e-9). The config goes through parse_config, so the keys are exercised too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gradnet/config.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet {
namespace {

using nlohmann::json;

const json& golden() {
  static const json j = [] {
    std::ifstream f(GRADNET_SOURCE_DIR "/tests/golden/optim.json");
    if (!f) throw std::runtime_error("cannot open tests/golden/optim.json");
    return json::parse(f);
  }();
  return j;
}

const json& find_case(const std::string& name) {
  for (const json& c : golden().at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("optim.json has no case " + name);
}

// A JSON scalar or list as TOML spells it (the two agree for numbers, booleans, strings, lists).
std::string toml_of(const json& v) { return v.dump(); }

std::string config_text(const json& c) {
  const json& p = golden().at("problem");
  std::string layer0 = "{ type = \"linear\", out = " + toml_of(p.at("hidden"));
  std::string layer2 = "{ type = \"linear\", out = " + toml_of(p.at("classes"));
  for (const auto& [index, keys] : c.at("layers").items()) {
    std::string& target = index == "0" ? layer0 : layer2;
    for (const auto& [k, v] : keys.items()) target += ", " + k + " = " + toml_of(v);
  }
  std::string text = "[model]\ninput = [" + toml_of(p.at("input")) + "]\nloss = \"" +
                     p.at("loss").get<std::string>() + "\"\nlayers = [" + layer0 + " }, { type = \"" +
                     p.at("activation").get<std::string>() + "\" }, " + layer2 + " }]\n[optimizer]\n";
  for (const auto& [k, v] : c.at("optimizer").items()) text += k + " = " + toml_of(v) + "\n";
  return text;
}

// Runs one case through Net<double> + Optimizer<double>; returns the largest relative deviation.
double run_case(const std::string& name) {
  const json& c = find_case(name);
  const json& p = golden().at("problem");
  const Config config = parse_config(config_text(c), "optim.json:" + name);
  std::vector<double> x;
  for (const json& row : p.at("x"))
    for (const json& v : row) x.push_back(v.get<double>());
  const std::vector<std::int32_t> labels = p.at("labels").get<std::vector<std::int32_t>>();
  const Index n = static_cast<Index>(labels.size()), d_in = p.at("input").get<Index>();

  Net<double> net(config.model, p.at("classes").get<Index>(), n);
  std::vector<Param<double>*> params = net.params();
  const json& init = p.at("params");
  EXPECT_EQ(params.size(), init.size());
  for (std::size_t k = 0; k < params.size(); ++k) {
    EXPECT_EQ(params[k]->name, p.at("param_names")[k].get<std::string>());
    params[k]->value.assign(init[k].get<std::vector<double>>());
  }
  auto optimizer = make_optimizer<double>(config.optimizer.options, params);
  EXPECT_EQ(optimizer->type(), c.at("optimizer").at("type").get<std::string>());

  const StepContext ctx;
  auto closure = [&] {
    net.zero_grad();
    net.forward(ConstView<double>(x.data(), n, d_in), ctx);
    const double loss = net.loss(labels.data());
    net.backward(labels.data());
    return loss;
  };
  double worst = 0.0;
  const json& trajectory = c.at("trajectory");
  for (std::size_t step = 0; step < trajectory.size(); ++step) {
    // step_closure drives every optimizer (the default: closure(), then step()).
    const double loss = optimizer->step_closure(config.optimizer.lr, closure);
    const double want_loss = c.at("losses")[step].get<double>();
    EXPECT_NEAR(loss, want_loss, 1e-6 * std::max(1.0, std::fabs(want_loss))) << name << " step " << step + 1;
    std::size_t i = 0;
    const json& want = trajectory[step];
    for (Param<double>* param : params)
      for (Index j = 0; j < param->value.size(); ++j, ++i) {
        const double got = param->value[j], ref = want[i].get<double>();
        const double diff = std::fabs(got - ref), scale = std::max(std::fabs(got), std::fabs(ref));
        EXPECT_LE(diff, std::max(1e-6 * scale, 1e-9))
            << name << " step " << step + 1 << ", " << param->name << "[" << j << "]: " << got << " vs " << ref;
        if (scale > 1e-9) worst = std::max(worst, diff / scale);
      }
    if (::testing::Test::HasFailure()) break;  // one step's report is enough
  }
  std::printf("[ optim    ] %-36s max relative deviation %.2e\n", name.c_str(), worst);
  return worst;
}

TEST(GoldenOptim, FileRecordsItsOrigin) {
  EXPECT_EQ(golden().at("generator"), "tests/golden/gen_optim.py");
  EXPECT_EQ(golden().at("torch_version").get<std::string>().rfind("1.13", 0), 0u);
  EXPECT_EQ(golden().at("dtype"), "float64");
  EXPECT_GE(golden().at("cases").size(), 20u);
}

TEST(GoldenOptim, EveryTypeHasACase) {
  for (const std::string& type : optimizer_types()) {
    bool seen = false;
    for (const json& c : golden().at("cases")) seen = seen || c.at("optimizer").at("type") == type;
    EXPECT_TRUE(seen) << type;
  }
}

#define GOLDEN_OPTIM(Test, case_name) \
  TEST(GoldenOptim, ProducesPyTorchValues_##Test) { run_case(case_name); }

GOLDEN_OPTIM(Sgd, "sgd")
GOLDEN_OPTIM(SgdMomentumNesterovWeightDecay, "sgd_momentum_nesterov_weight_decay")
GOLDEN_OPTIM(SgdMomentumDampening, "sgd_momentum_dampening")
GOLDEN_OPTIM(SgdLayerOverrides, "sgd_layer_overrides")
GOLDEN_OPTIM(SgdFrozenLayer, "sgd_frozen_layer")
GOLDEN_OPTIM(SgdClipNorm, "sgd_clip_norm")
GOLDEN_OPTIM(SgdClipValue, "sgd_clip_value")
GOLDEN_OPTIM(Adagrad, "adagrad")
GOLDEN_OPTIM(AdagradLrDecayWeightDecay, "adagrad_lr_decay_weight_decay")
GOLDEN_OPTIM(Rmsprop, "rmsprop")
GOLDEN_OPTIM(RmspropCenteredMomentum, "rmsprop_centered_momentum")
GOLDEN_OPTIM(Adam, "adam")
GOLDEN_OPTIM(AdamAmsgradWeightDecay, "adam_amsgrad_weight_decay")
GOLDEN_OPTIM(AdamNoBiasCorrection, "adam_no_bias_correction")
GOLDEN_OPTIM(Adamw, "adamw")
GOLDEN_OPTIM(AdamwAmsgrad, "adamw_amsgrad")
GOLDEN_OPTIM(Adadelta, "adadelta")
GOLDEN_OPTIM(AdadeltaRhoWeightDecay, "adadelta_rho_weight_decay")
GOLDEN_OPTIM(Lbfgs, "lbfgs")
GOLDEN_OPTIM(LbfgsStrongWolfe, "lbfgs_strong_wolfe")

}  // namespace
}  // namespace gradnet
