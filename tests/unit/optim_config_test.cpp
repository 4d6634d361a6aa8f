// [optimizer] in the config: every type selectable, PyTorch's defaults per type, range errors
// (Error{config}, exit 2) and options the chosen type would ignore; layer keys lr_mult, decay_mult
// and frozen reaching the Params.
#include <gtest/gtest.h>

#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet {
namespace {

std::string config_with(const std::string& optimizer, const std::string& layer0_extra = "") {
  return "[model]\ninput = [3]\nlayers = [{ type = \"linear\", out = 4" + layer0_extra +
         " }, { type = \"tanh\" }, { type = \"linear\", out = 2 }]\n[optimizer]\n" + optimizer + "\n";
}

Config parse(const std::string& optimizer, const std::string& layer0_extra = "") {
  return parse_config(config_with(optimizer, layer0_extra), "x.toml");
}

std::string config_error(const std::string& optimizer) {
  try {
    parse(optimizer);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << optimizer;
  return "";
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST(OptimizerConfig, EveryTypeIsSelectableAndBuilds) {
  for (const std::string& type : optimizer_types()) {
    const Config c = parse("type = \"" + type + "\"");
    EXPECT_EQ(name_of(c.optimizer.type()), type);
    Net<double> net(c.model, 2, 4);
    auto opt = make_optimizer<double>(c.optimizer.options, net.params());
    EXPECT_EQ(opt->type(), type);
    EXPECT_EQ(opt->needs_closure(), type == "lbfgs");
  }
}

TEST(OptimizerConfig, PyTorchDefaultsPerType) {
  EXPECT_EQ(parse("type = \"sgd\"").optimizer.lr, 0.01);
  EXPECT_EQ(parse("type = \"adadelta\"").optimizer.lr, 1.0);
  EXPECT_EQ(parse("type = \"adadelta\"").optimizer.options.adadelta().eps, 1e-6);
  EXPECT_EQ(parse("type = \"adagrad\"").optimizer.options.adagrad().eps, 1e-10);
  EXPECT_EQ(parse("type = \"lbfgs\"").optimizer.lr, 1.0);
  EXPECT_EQ(parse("type = \"adamw\"").optimizer.options.update.weight_decay, 0.01);
  EXPECT_EQ(parse("type = \"adam\"").optimizer.options.update.weight_decay, 0.0);
  EXPECT_EQ(parse("type = \"adam\"").optimizer.options.adam().betas, (std::vector<double>{0.9, 0.999}));
  // Explicit values win over the type's defaults, whatever the order in the file.
  EXPECT_EQ(parse("lr = 0.5\ntype = \"adadelta\"").optimizer.lr, 0.5);
  EXPECT_EQ(parse("weight_decay = 0\ntype = \"adamw\"").optimizer.options.update.weight_decay, 0.0);
  EXPECT_EQ(parse("type = \"adam\"\nbetas = [0.5, 0.6]").optimizer.options.adam().betas,
            (std::vector<double>{0.5, 0.6}));
}

TEST(OptimizerConfig, RoundTripsThroughToToml) {
  const Config c = parse("type = \"adamw\"\nlr = 0.003\nbetas = [0.8, 0.95]\namsgrad = true\nclip_norm = 1.5");
  const Config back = parse_config(to_toml(c), "x.toml");
  EXPECT_EQ(to_toml(back), to_toml(c));
  EXPECT_EQ(back.optimizer.options.adam().betas, c.optimizer.options.adam().betas);
  EXPECT_EQ(back.optimizer.options.update.weight_decay, 0.01);
  EXPECT_TRUE(back.optimizer.options.adam().amsgrad);
  const Config l = parse("type = \"lbfgs\"\nline_search = \"strong_wolfe\"\nhistory_size = 7");
  EXPECT_EQ(to_toml(parse_config(to_toml(l), "x.toml")), to_toml(l));
}

TEST(OptimizerConfig, RangeErrors) {
  EXPECT_HAS(config_error("lr = -0.1"), "x.toml: optimizer.lr = -0.1: expected a number > 0");
  EXPECT_HAS(config_error("type = \"adam\"\nbetas = [0.9, 1.0]"), "optimizer.betas = [0.9, 1.0]: expected");
  EXPECT_HAS(config_error("type = \"adam\"\nbetas = [0.9, 1.0]"), "[0, 1)");
  EXPECT_HAS(config_error("type = \"adam\"\nbetas = [1, 0.999]"), "optimizer.betas");
  EXPECT_HAS(config_error("type = \"adam\"\nbetas = [0.9]"), "two numbers");
  EXPECT_HAS(config_error("type = \"adam\"\neps = 0"), "optimizer.eps = 0: expected a number > 0");
  EXPECT_HAS(config_error("type = \"rmsprop\"\nalpha = 1.5"), "optimizer.alpha = 1.5: expected a number in [0, 1]");
  EXPECT_HAS(config_error("type = \"adadelta\"\nrho = -0.1"), "optimizer.rho = -0.1: expected a number in [0, 1]");
  EXPECT_HAS(config_error("type = \"rmsprop\"\nmomentum = 1"), "optimizer.momentum = 1: expected a number in [0, 1)");
  EXPECT_HAS(config_error("type = \"lbfgs\"\nhistory_size = 0"), "optimizer.history_size = 0");
  EXPECT_HAS(config_error("type = \"lbfgs\"\nline_search = \"wolfe\""), "expected one of none, strong_wolfe");
  EXPECT_HAS(config_error("clip_norm = -1"), "optimizer.clip_norm = -1: expected a number >= 0");
}

TEST(OptimizerConfig, UnknownTypeSuggestsTheClosest) {
  const std::string e = config_error("type = \"adma\"");
  EXPECT_HAS(e, "optimizer.type = \"adma\": expected one of sgd, adagrad, rmsprop, adam, adamw, adadelta, lbfgs");
  EXPECT_HAS(e, "did you mean 'adam'?");
}

TEST(OptimizerConfig, AnOptionTheTypeIgnoresIsAnError) {
  EXPECT_HAS(config_error("type = \"sgd\"\nbetas = [0.8, 0.9]"),
             "x.toml: optimizer.betas is an adam/adamw option; optimizer.type is \"sgd\"");
  EXPECT_HAS(config_error("type = \"adam\"\nmomentum = 0.9"),
             "optimizer.momentum is an sgd/rmsprop option; optimizer.type is \"adam\"");
  EXPECT_HAS(config_error("type = \"lbfgs\"\nclip_norm = 1"),
             "optimizer.clip_norm is not an lbfgs option; optimizer.type is \"lbfgs\"");
  EXPECT_HAS(config_error("history_size = 5"), "optimizer.history_size is an lbfgs option");
  // At their defaults they are fine (to_toml writes every key out).
  EXPECT_NO_THROW(parse("type = \"sgd\"\nbetas = [0.9, 0.999]\neps = 1e-8\nhistory_size = 100"));
  EXPECT_NO_THROW(parse("type = \"adam\"\nbetas = [0.8, 0.9]"));
}

TEST(OptimizerConfig, LayerKeysReachTheParams) {
  const Config c = parse("type = \"sgd\"", ", lr_mult = 0.25, decay_mult = 0, frozen = true");
  Net<double> net(c.model, 2, 4);
  const auto params = net.params();
  ASSERT_EQ(params.size(), 4u);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(params[k]->lr_mult, 0.25f) << params[k]->name;
    EXPECT_EQ(params[k]->decay_mult, 0.0f);
    EXPECT_TRUE(params[k]->frozen);
  }
  for (int k = 2; k < 4; ++k) {
    EXPECT_EQ(params[k]->lr_mult, 1.0f) << params[k]->name;
    EXPECT_EQ(params[k]->decay_mult, 1.0f);
    EXPECT_FALSE(params[k]->frozen);
  }
  try {
    parse("type = \"sgd\"", ", lr_mult = -1");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_HAS(std::string(e.what()), "lr_mult");
  }
}

}  // namespace
}  // namespace gradnet
