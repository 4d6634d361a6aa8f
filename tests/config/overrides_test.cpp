// --set KEY=VALUE overrides: scalars, bare strings, arrays, layer keys, and their errors.
#include "gradnet/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "gradnet/error.h"

namespace gradnet {
namespace {

const char* const kBase = R"(
name = "base"
[model]
input = [784]
layers = [
  { type = "linear", out = 64 }, { type = "sigmoid" },
  { type = "linear", out = 10 },
]
[optimizer]
lr = 0.1
)";

Config with_sets(const std::vector<std::string>& sets) { return parse_config(kBase, "configs/x.toml", sets); }

std::string set_error(const std::vector<std::string>& sets) {
  try {
    with_sets(sets);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(Overrides, Scalars) {
  const Config c = with_sets({"optimizer.lr=0.05", "train.epochs=3", "name=foo", "optimizer.nesterov=true",
                              "optimizer.momentum=0.9", "data.dir=/x", "data.validation=0.1"});
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.05);
  EXPECT_EQ(c.train.epochs, 3);  // [train] was not in the file
  EXPECT_EQ(c.name, "foo");
  EXPECT_TRUE(c.optimizer.options.sgd().nesterov);
  EXPECT_EQ(c.data.dir, "/x");
  EXPECT_DOUBLE_EQ(c.data.validation, 0.1);
}

TEST(Overrides, BareAndQuotedStrings) {
  EXPECT_EQ(name_of(with_sets({"data.dataset=fashion-mnist"}).data.dataset), "fashion-mnist");
  EXPECT_EQ(name_of(with_sets({"data.dataset=\"fashion-mnist\""}).data.dataset), "fashion-mnist");
  EXPECT_EQ(with_sets({"name=2024"}).name, "2024");  // a string key takes the text as written
  EXPECT_EQ(with_sets({"data.dir="}).data.dir, "");
  EXPECT_EQ(with_sets({"data.path=/d/a=b.csv"}).data.path, "/d/a=b.csv");  // split at the first '='
}

// A path typed on the command line is relative to the current directory, not to the config
// file's folder (configs/ here): it arrives absolute, so nothing puts configs/ in front of it.
TEST(Overrides, RelativePathsAreTakenFromTheCurrentDirectory) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  EXPECT_EQ(with_sets({"data.dir=data/fashion-mnist"}).data.dir, (cwd / "data/fashion-mnist").string());
  EXPECT_EQ(with_sets({"data.path=./small/../iris.csv"}).data.path, (cwd / "iris.csv").string());
  EXPECT_EQ(with_sets({"data.test_path=t.csv"}).data.test_path, (cwd / "t.csv").string());
  EXPECT_EQ(with_sets({"data.dir=/abs/x"}).data.dir, "/abs/x");  // absolute and empty ones stay as given
  EXPECT_EQ(with_sets({"data.dir="}).data.dir, "");
  // In the file, the same text stays relative: it is resolved against the file's folder later.
  const Config in_file = parse_config(std::string(kBase) + "[data]\ndir = \"data/x\"\n", "configs/x.toml");
  EXPECT_EQ(in_file.data.dir, "data/x");
}

// A rule broken by a key left at its default is blamed on where the choice that needs it was made:
// one_cycle chosen with --set on a file that never mentions it is the --set's doing.
TEST(Overrides, AOneCycleWithoutMaxLrBlamesWhereOneCycleWasChosen) {
  EXPECT_EQ(set_error({"schedule.policy=one_cycle"}).rfind("--set schedule.policy=one_cycle: schedule.max_lr = 0: ", 0),
            0u) << set_error({"schedule.policy=one_cycle"});
  const std::string file = std::string(kBase) + "[schedule]\npolicy = \"one_cycle\"\n";
  auto error_of = [&](const std::vector<std::string>& sets) {
    try {
      parse_config(file, "configs/oc.toml", sets);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of({"train.epochs=3"}).rfind("configs/oc.toml: schedule.max_lr = 0: ", 0), 0u) << error_of({});
  EXPECT_EQ(error_of({"schedule.max_lr=0"}).rfind("--set schedule.max_lr=0: schedule.max_lr = 0: ", 0), 0u)
      << error_of({"schedule.max_lr=0"});
}

// What train prints as "set (differs from the defaults)": [optimizer] against its type's defaults.
TEST(Overrides, ChangedKeysAreThoseThatDifferFromTheDefaults) {
  const std::vector<std::string> sgd = changed_keys(with_sets({"train.epochs=3"}));
  EXPECT_EQ(sgd, (std::vector<std::string>{"name = \"base\"", "optimizer.lr = 0.1",
                                           "train.epochs = 3"}));
  const std::vector<std::string> adam = changed_keys(with_sets({"optimizer.type=adam", "optimizer.momentum=0"}));
  EXPECT_NE(std::find(adam.begin(), adam.end(), "optimizer.type = \"adam\""), adam.end());
  for (const std::string& k : adam) EXPECT_EQ(k.find("betas"), std::string::npos) << k;  // adam's own default
}

TEST(Overrides, LaterWins) { EXPECT_EQ(with_sets({"train.epochs=3", "train.epochs=4"}).train.epochs, 4); }

TEST(Overrides, Arrays) {
  const Config c = with_sets({"model.input=[1,28,28]", "schedule.policy=multistep", "schedule.milestones=[2, 5]"});
  EXPECT_EQ(c.model.input, (Shape{1, 28, 28}));
  EXPECT_EQ(c.schedule.milestones, (std::vector<std::int64_t>{2, 5}));
  const Config l = with_sets({"model.layers=[{type=\"linear\", out=5}, {type=\"tanh\"}]"});
  ASSERT_EQ(l.model.layers.size(), 2u);
  EXPECT_EQ(l.model.layers[0].get_int("out"), 5);
  EXPECT_EQ(l.model.layers[1].type, "tanh");
}

TEST(Overrides, LayerKeys) {
  const Config c = with_sets({"model.layers.0.out=32", "model.layers[2].init=kaiming_normal",
                              "model.layers.1.type=relu", "model.layers.0.bias=false"});
  EXPECT_EQ(c.model.layers[0].get_int("out"), 32);
  EXPECT_FALSE(c.model.layers[0].get_bool("bias"));
  EXPECT_EQ(c.model.layers[1].type, "relu");
  EXPECT_EQ(c.model.layers[2].get_string("init"), "kaiming_normal");
}

TEST(Overrides, UnknownKeys) {
  EXPECT_HAS(set_error({"optimizer.lrr=0.1"}),
             "--set optimizer.lrr=0.1: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)");
  EXPECT_HAS(set_error({"trian.epochs=3"}), "unknown key 'trian.epochs' (did you mean 'train.epochs'?)");
  EXPECT_HAS(set_error({"model.layers.0.outt=3"}),
             "--set model.layers.0.outt=3: unknown key 'model.layers.0.outt' (did you mean 'model.layers.0.out'?)");
  EXPECT_HAS(set_error({"model.layers.7.out=3"}), "--set model.layers.7.out=3: model.layers[7] does not exist");
  EXPECT_HAS(set_error({"optimizer"}), "--set optimizer: expected KEY=VALUE");
  EXPECT_HAS(set_error({"data=3"}), "--set data=3: unknown key 'data'");
}

TEST(Overrides, ValuesAreValidatedLikeTheFile) {
  EXPECT_HAS(set_error({"optimizer.lr=-0.1"}), "--set optimizer.lr=-0.1: optimizer.lr = -0.1: expected a number > 0");
  EXPECT_HAS(set_error({"optimizer.lr=fast"}), "optimizer.lr = \"fast\": expected a number");
  EXPECT_HAS(set_error({"train.epochs=2.5"}), "train.epochs = 2.5: expected an integer");
  EXPECT_HAS(set_error({"model.layers.0.out=0"}), "--set model.layers.0.out=0: model.layers[0].out = 0");
  EXPECT_HAS(set_error({"model.layers.1.type=rleu"}), "unknown layer type 'rleu' (did you mean 'relu'?)");
  EXPECT_HAS(set_error({"optimizer.nesterov=true"}), "needs momentum > 0");
}

}  // namespace
}  // namespace gradnet
