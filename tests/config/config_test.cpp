// parse_config / load_config: defaults, every kind of mistake (kind + message), did-you-mean,
// layers with their defaults and init_nonlinearity = "auto".
#include "gradnet/config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

const char* const kMinimal = R"(
[model]
input = [4]
layers = [{ type = "linear", out = 3 }]
)";

// The message of the Error{config} that parsing text (plus overrides) throws.
std::string config_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_config(text, "configs/x.toml", overrides);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

// kMinimal with one more section body.
std::string with(const std::string& section, const std::string& body) {
  return std::string(kMinimal) + "\n[" + section + "]\n" + body + "\n";
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(Config, DefaultsAreFilled) {
  const Config c = parse_config(kMinimal, "mini.toml");
  const Config d;
  EXPECT_EQ(c.source, "mini.toml");
  EXPECT_EQ(c.name, d.name);
  EXPECT_EQ(name_of(c.data.dataset), "mnist");
  EXPECT_EQ(c.data.validation, 5000);
  EXPECT_EQ(name_of(c.data.normalize), "standardize");
  EXPECT_EQ(c.data.label_column, -1);
  EXPECT_EQ(c.model.input, (Shape{4}));
  EXPECT_EQ(name_of(c.model.loss), "softmax_cross_entropy");
  EXPECT_EQ(name_of(c.optimizer.type()), "sgd");
  EXPECT_EQ(c.optimizer.lr, d.optimizer.lr);
  EXPECT_FALSE(c.optimizer.options.sgd().nesterov);
  EXPECT_EQ(name_of(c.schedule.policy), "fixed");
  EXPECT_EQ(c.train.epochs, 10);
  EXPECT_EQ(c.train.batch_size, 128);
  EXPECT_EQ(c.train.seed, 1u);
  EXPECT_TRUE(c.train.shuffle);
  ASSERT_EQ(c.model.layers.size(), 1u);
  const LayerSpec& l = c.model.layers[0];
  EXPECT_EQ(l.type, "linear");
  EXPECT_EQ(l.index, 0);
  EXPECT_EQ(l.get_int("out"), 3);
  EXPECT_TRUE(l.get_bool("bias"));  // defaults from the registry's KeySpecs
  EXPECT_EQ(l.get_string("init"), "xavier_uniform");
  EXPECT_TRUE(l.has("init_gain"));
}

TEST(Config, DesignExampleParses) {
  const Config c = parse_config(R"(
name = "mnist-mlp"
[data]
dataset = "mnist"        # mnist | fashion-mnist | cifar10 | csv | idx
dir = ""
validation = 5000
normalize = "standardize"
[model]
input = [784]
loss = "softmax_cross_entropy"   # | mse (one-hot targets) | ...
layers = [
  { type = "linear", out = 64, init = "xavier_uniform" }, { type = "sigmoid" },
  { type = "linear", out = 16, init = "xavier_uniform" }, { type = "tanh" },
  { type = "linear", out = 10, init = "xavier_uniform" },
]
[optimizer]
type = "sgd"
lr = 0.1
[schedule]
policy = "fixed"
[train]
epochs = 10
batch_size = 128
seed = 1
threads = 0              # 0: all cores
)", "design.toml");
  EXPECT_EQ(c.name, "mnist-mlp");
  EXPECT_EQ(c.model.input, (Shape{784}));
  ASSERT_EQ(c.model.layers.size(), 5u);
  EXPECT_EQ(c.model.layers[3].type, "tanh");
  EXPECT_EQ(c.model.layers[3].index, 3);
  EXPECT_EQ(c.model.layers[4].get_int("out"), 10);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.1);
}

TEST(Config, IntegerAcceptedWhereNumberExpected) {
  const Config c = parse_config(with("optimizer", "lr = 1\nmomentum = 0"), "x.toml");
  EXPECT_EQ(c.optimizer.lr, 1.0);
  const Config v = parse_config(with("data", "validation = 0.1"), "x.toml");
  EXPECT_DOUBLE_EQ(v.data.validation, 0.1);
}

TEST(Config, TomlSyntaxErrorNamesLineAndColumn) {
  const std::string e = config_error("name = \"a\"\n[data]\n\ndataset = mnist\n");
  EXPECT_HAS(e, "configs/x.toml: line 4, column ");
  EXPECT_HAS(config_error("[data\n"), "configs/x.toml: line 1, column ");
}

TEST(Config, UnknownKeysAndSections) {
  EXPECT_HAS(config_error(with("optimizer", "lrr = 0.1")), "configs/x.toml: unknown key 'optimizer.lrr' (did you mean 'lr'?)");
  EXPECT_HAS(config_error(with("optimiser", "lr = 0.1")), "configs/x.toml: unknown section [optimiser] (did you mean 'optimizer'?)");
  EXPECT_HAS(config_error(std::string("nme = \"a\"\n") + kMinimal), "unknown key 'nme' (did you mean 'name'?)");
  EXPECT_HAS(config_error(std::string("data = 3\n") + kMinimal), "data = 3: expected a table ([data])");
  EXPECT_HAS(config_error(with("train", "epoch = 3")), "unknown key 'train.epoch' (did you mean 'epochs'?)");
}

TEST(Config, WrongTypes) {
  EXPECT_HAS(config_error(with("optimizer", "lr = \"fast\"")), "configs/x.toml: optimizer.lr = \"fast\": expected a number");
  EXPECT_HAS(config_error(with("train", "epochs = 3.0")), "train.epochs = 3.0: expected an integer");
  EXPECT_HAS(config_error(with("train", "shuffle = 1")), "train.shuffle = 1: expected a boolean");
  EXPECT_HAS(config_error(with("data", "dir = 7")), "data.dir = 7: expected a string");
  EXPECT_HAS(config_error(std::string("name = 2\n") + kMinimal), "name = 2: expected a string");
  EXPECT_HAS(config_error("[model]\ninput = 784\nlayers = [{ type = \"relu\" }]\n"),
             "model.input = 784: expected a list of integers");
  EXPECT_HAS(config_error("[model]\ninput = [1.5]\nlayers = [{ type = \"relu\" }]\n"),
             "model.input = [1.5]: expected a list of integers");
}

TEST(Config, OutOfRange) {
  EXPECT_HAS(config_error(with("optimizer", "lr = -0.1")), "configs/x.toml: optimizer.lr = -0.1: expected a number > 0");
  EXPECT_HAS(config_error(with("optimizer", "lr = 0")), "optimizer.lr = 0: expected a number > 0");
  EXPECT_HAS(config_error(with("optimizer", "lr = nan")), "optimizer.lr = nan: expected a finite number");
  EXPECT_HAS(config_error(with("optimizer", "momentum = 1.0")), "optimizer.momentum = 1.0: expected a number in [0, 1)");
  EXPECT_HAS(config_error(with("optimizer", "dampening = 1.5")), "expected a number in [0, 1]");
  EXPECT_HAS(config_error(with("optimizer", "weight_decay = -1")), "optimizer.weight_decay = -1: expected a number >= 0");
  EXPECT_HAS(config_error(with("train", "epochs = 0")), "train.epochs = 0: expected an integer >= 1");
  EXPECT_HAS(config_error(with("train", "batch_size = -5")), "train.batch_size = -5: expected an integer >= 1");
  EXPECT_HAS(config_error(with("train", "threads = -1")), "train.threads = -1: expected an integer >= 0");
  EXPECT_HAS(config_error(with("data", "validation = -1")), "data.validation = -1: expected a number >= 0");
  EXPECT_HAS(config_error(with("data", "validation = 2.5")), "data.validation = 2.5: expected a count");
  EXPECT_HAS(config_error(with("data", "test_fraction = 1")), "data.test_fraction = 1: expected a number in (0, 1)");
  EXPECT_HAS(config_error(with("data", "test_fraction = 0.0")), "expected a number in (0, 1)");
  EXPECT_HAS(config_error(with("schedule", "step_size = 0")), "schedule.step_size = 0: expected an integer >= 1");
  EXPECT_HAS(config_error(with("schedule", "policy = \"multistep\"\nmilestones = [5, 3]")),
             "schedule.milestones = [5, 3]: expected a strictly increasing list");
  EXPECT_HAS(config_error(with("schedule", "policy = \"multistep\"\nmilestones = [0, 3]")),
             "schedule.milestones = [0, 3]: expected a list of integers >= 1");
  EXPECT_HAS(config_error("[model]\ninput = [0, 28]\nlayers = [{ type = \"relu\" }]\n"),
             "model.input = [0, 28]: expected a list of integers >= 1");
  EXPECT_HAS(config_error("[model]\ninput = []\nlayers = [{ type = \"relu\" }]\n"), "model.input = []: expected a non-empty");
}

TEST(Config, Choices) {
  EXPECT_HAS(config_error(with("data", "normalize = \"standardise\"")),
             "data.normalize = \"standardise\": expected one of none, scale01, standardize, pca, pca_whiten, whiten, "
             "zca (did you mean 'standardize'?)");
  EXPECT_HAS(config_error(with("data", "dataset = \"mnsit\"")), "(did you mean 'mnist'?)");
  EXPECT_HAS(config_error(with("schedule", "policy = \"stp\"")), "expected one of fixed, step, multistep, exp, inv, poly, sigmoid, inverse_time, cosine, "
             "cosine_restarts, cyclic, one_cycle, plateau (did you mean 'step'?)");
  EXPECT_HAS(config_error(with("optimizer", "type = \"adamm\"")), "optimizer.type = \"adamm\": expected one of sgd, adagrad, rmsprop, adam, adamw, adadelta, lbfgs");
  EXPECT_HAS(config_error("[model]\ninput = [4]\nloss = \"mes\"\nlayers = [{ type = \"relu\" }]\n"),
             "model.loss = \"mes\": expected one of softmax_cross_entropy, mse, bce_with_logits (did you mean 'mse'?)");
}

TEST(Config, RulesAcrossKeys) {
  EXPECT_HAS(config_error(with("optimizer", "nesterov = true")), "optimizer.nesterov = true: needs momentum > 0 and dampening = 0");
  EXPECT_HAS(config_error(with("optimizer", "nesterov = true\nmomentum = 0.9\ndampening = 0.1")), "dampening = 0.1");
  const Config ok = parse_config(with("optimizer", "nesterov = true\nmomentum = 0.9"), "x.toml");
  EXPECT_TRUE(ok.optimizer.options.sgd().nesterov);
  EXPECT_HAS(config_error(with("schedule", "policy = \"multistep\"")), "needs schedule.milestones");
  EXPECT_HAS(config_error(with("data", "dataset = \"csv\"")), "data.dataset = \"csv\" needs data.path");
}

TEST(Config, RequiredModelKeys) {
  EXPECT_HAS(config_error("[model]\nlayers = [{ type = \"relu\" }]\n"), "configs/x.toml: missing key 'model.input'");
  EXPECT_HAS(config_error("[model]\ninput = [4]\n"), "configs/x.toml: missing key 'model.layers'");
  EXPECT_HAS(config_error("[model]\ninput = [4]\nlayers = []\n"), "model.layers = []: expected at least one layer");
  EXPECT_HAS(config_error(""), "missing key 'model.input'");
}

TEST(Config, LayerErrors) {
  const std::string head = "[model]\ninput = [4]\nlayers = [";
  EXPECT_HAS(config_error(head + "{ type = \"linear\", out = 3 }, { type = \"relu\" }, { type = \"rleu\" }]"),
             "configs/x.toml: model.layers[2]: unknown layer type 'rleu' (did you mean 'relu'?); known: linear");
  const std::string e = config_error(head + "{ type = \"linear\", outt = 3 }]");
  EXPECT_HAS(e, "configs/x.toml: model.layers[0].outt: unknown key (did you mean 'out'?); linear takes: out, bias, init");
  EXPECT_HAS(config_error(head + "{ type = \"relu\", slope = 3 }]"), "model.layers[0].slope: unknown key");
  EXPECT_HAS(config_error(head + "{ type = \"linear\" }]"), "model.layers[0]: missing key 'out'");
  EXPECT_HAS(config_error(head + "{ out = 3 }]"), "model.layers[0]: missing key 'type'");
  EXPECT_HAS(config_error(head + "{ type = 3 }]"), "model.layers[0].type = 3: expected a string");
  EXPECT_HAS(config_error(head + "\"relu\"]"), "model.layers[0] = \"relu\": expected an inline table");
  EXPECT_HAS(config_error(head + "{ type = \"linear\", out = 0 }]"), "model.layers[0].out = 0: expected an integer >= 1");
  EXPECT_HAS(config_error(head + "{ type = \"linear\", out = 2.0 }]"), "model.layers[0].out = 2.0: expected an integer");
  EXPECT_HAS(config_error(head + "{ type = \"linear\", out = 2, init = \"xavier\" }]"),
             "model.layers[0].init = \"xavier\": expected one of");
  EXPECT_HAS(config_error(head + "{ type = \"linear\", out = 2, init_nonlinearity = \"atuo\" }]"),
             "(did you mean 'auto'?)");
  EXPECT_HAS(config_error("[model]\ninput = [4]\nlayers = 3\n"), "model.layers = 3: expected an array of inline tables");
}

TEST(Config, InitNonlinearityAuto) {
  const Config c = parse_config(R"(
[model]
input = [4]
layers = [
  { type = "linear", out = 8, init = "kaiming_normal", init_nonlinearity = "auto" }, { type = "relu" },
  { type = "linear", out = 8, init_nonlinearity = "auto" }, { type = "leaky_relu", slope = 0.2 },
  { type = "linear", out = 8, init_nonlinearity = "auto", init_slope = 0.3 }, { type = "leaky_relu" },
  { type = "linear", out = 8, init_nonlinearity = "auto" }, { type = "tanh" },
  { type = "linear", out = 3, init_nonlinearity = "auto" },
]
)", "auto.toml");
  const auto& l = c.model.layers;
  EXPECT_EQ(l[0].get_string("init_nonlinearity"), "relu");
  EXPECT_EQ(l[2].get_string("init_nonlinearity"), "leaky_relu");
  EXPECT_DOUBLE_EQ(l[2].get_number("init_slope"), 0.2);
  EXPECT_EQ(l[4].get_string("init_nonlinearity"), "leaky_relu");
  EXPECT_DOUBLE_EQ(l[4].get_number("init_slope"), 0.3);  // given explicitly: kept
  EXPECT_EQ(l[6].get_string("init_nonlinearity"), "tanh");
  EXPECT_EQ(l[8].get_string("init_nonlinearity"), "linear");  // last layer: no activation after it
}

// "auto" is the default, and it looks through pooling, flatten, dropout and normalisation to the
// activation they feed; a weighted layer or the end of the net first gives linear (gain 1), so a
// kaiming output layer no longer gets relu's √2 (fashion-cnn's initial loss was 28% above ln 10).
TEST(Config, InitNonlinearityDefaultsToAutoAndLooksThroughShapeLayers) {
  const Config c = parse_config(R"(
[model]
input = [1, 8, 8]
layers = [
  { type = "conv2d", out = 4, kernel = 3, padding = 1 }, { type = "batch_norm" }, { type = "relu" },
  { type = "conv2d", out = 4, kernel = 3, padding = 1 }, { type = "max_pool2d", kernel = 2 }, { type = "tanh" },
  { type = "conv2d", out = 4, kernel = 3, padding = 1 }, { type = "flatten" },
  { type = "linear", out = 8, init = "kaiming_normal" }, { type = "dropout" }, { type = "leaky_relu", slope = 0.2 },
  { type = "linear", out = 8, init = "kaiming_normal" }, { type = "dropout" },
  { type = "linear", out = 3, init = "kaiming_normal" }, { type = "dropout" },
]
)", "default.toml");
  const auto& l = c.model.layers;
  EXPECT_EQ(l[0].get_string("init_nonlinearity"), "relu");   // through batch_norm
  EXPECT_EQ(l[3].get_string("init_nonlinearity"), "tanh");   // through max_pool2d
  EXPECT_EQ(l[6].get_string("init_nonlinearity"), "linear"); // flatten, then a weighted layer
  EXPECT_EQ(l[8].get_string("init_nonlinearity"), "leaky_relu");
  EXPECT_DOUBLE_EQ(l[8].get_number("init_slope"), 0.2);
  EXPECT_EQ(l[11].get_string("init_nonlinearity"), "linear"); // dropout, then a weighted layer
  EXPECT_EQ(l[13].get_string("init_nonlinearity"), "linear"); // dropout, then the end
}

TEST(Config, LoadConfig) {
  testing::TempDir dir;
  testing::write_file(dir / "a.toml", kMinimal);
  const Config c = load_config(dir / "a.toml", {"train.epochs=2"});
  EXPECT_EQ(c.source, dir / "a.toml");
  EXPECT_EQ(c.train.epochs, 2);
  try {
    load_config(dir / "missing.toml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_HAS(e.what(), "cannot read " + (dir / "missing.toml"));
  }
  testing::write_file(dir / "bad.toml", "[optimizer]\nlr = -1\n");
  try {
    load_config(dir / "bad.toml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_HAS(e.what(), dir / "bad.toml");
  }
}

// Key order never changes a result: every ordering of the same keys, in the file and in --set,
// reads to the same Config (type-dependent defaults are resolved after every key has been read).
TEST(Config, KeyOrderNeverChangesAResult) {
  const std::vector<std::vector<std::string>> key_sets = {
      {"type = \"adadelta\"", "lr = 0.5", "eps = 1e-4", "weight_decay = 0.01"},
      {"type = \"adamw\"", "weight_decay = 0", "betas = [0.8, 0.9]", "amsgrad = true"},
      {"type = \"rmsprop\"", "momentum = 0.5", "centered = true", "eps = 1e-6"},
      {"lr = 0.3", "type = \"lbfgs\"", "line_search = \"strong_wolfe\"", "history_size = 7"},
  };
  for (std::vector<std::string> keys : key_sets) {
    std::sort(keys.begin(), keys.end());
    std::string first;
    OptimizerConfig first_optimizer;
    do {
      std::string body;
      std::vector<std::string> sets;
      for (const std::string& k : keys) {
        body += k + "\n";
        sets.push_back("optimizer." + k.substr(0, k.find(' ')) + "=" + k.substr(k.find('=') + 2));
      }
      for (const Config& c : {parse_config(with("optimizer", body), "a.toml"),
                              parse_config(std::string(kMinimal), "a.toml", sets)}) {
        const std::string text = to_toml(c);
        if (first.empty()) first = text, first_optimizer = c.optimizer;
        EXPECT_EQ(text, first) << body;
        EXPECT_TRUE(c.optimizer == first_optimizer) << body;
      }
    } while (std::next_permutation(keys.begin(), keys.end()));
  }
  // The given values win over the type's defaults in every order.
  const Config c = parse_config(kMinimal, "a.toml", {"optimizer.lr=0.5", "optimizer.type=adadelta"});
  EXPECT_EQ(c.optimizer.lr, 0.5);
  EXPECT_EQ(c.optimizer.options.adadelta().eps, 1e-6);  // the type's default where nothing was given
}

}  // namespace
}  // namespace gradnet
