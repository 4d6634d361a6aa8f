// to_toml: every key written out, and parse_config(to_toml(c)) == c, for every file in configs/.
#include "gradnet/config.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

// Field by field; to_toml equality covers every key, this checks the parsed values directly.
void expect_same(const Config& a, const Config& b) {
  EXPECT_EQ(to_toml(a), to_toml(b));
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.data.dataset, b.data.dataset);
  EXPECT_EQ(a.data.validation, b.data.validation);
  EXPECT_EQ(a.data.test_fraction, b.data.test_fraction);
  EXPECT_EQ(a.model.input, b.model.input);
  EXPECT_EQ(a.model.loss, b.model.loss);
  ASSERT_EQ(a.model.layers.size(), b.model.layers.size());
  for (std::size_t i = 0; i < a.model.layers.size(); ++i) {
    EXPECT_EQ(a.model.layers[i].type, b.model.layers[i].type);
    EXPECT_EQ(a.model.layers[i].index, b.model.layers[i].index);
    EXPECT_EQ(a.model.layers[i].attrs, b.model.layers[i].attrs) << "layer " << i;
  }
  EXPECT_EQ(a.optimizer.lr, b.optimizer.lr);
  EXPECT_TRUE(a.optimizer == b.optimizer);  // type, options, lr scaling
  EXPECT_EQ(a.schedule.policy, b.schedule.policy);
  EXPECT_EQ(a.schedule.milestones, b.schedule.milestones);
  EXPECT_EQ(a.schedule.gamma, b.schedule.gamma);
  EXPECT_EQ(a.train.epochs, b.train.epochs);
  EXPECT_EQ(a.train.seed, b.train.seed);
  EXPECT_EQ(a.train.shuffle, b.train.shuffle);
}

void expect_round_trip(const Config& c) {
  const std::string text = to_toml(c);
  Config back;
  try {
    back = parse_config(text, c.source);
  } catch (const Error& e) {
    FAIL() << e.what() << "\n" << text;
  }
  expect_same(c, back);
}

TEST(RoundTrip, EveryConfigInConfigsDir) {
  const std::filesystem::path dir = std::filesystem::path(testing::source_dir()) / "configs";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    ++seen;
    expect_round_trip(load_config(entry.path().string()));
  }
  EXPECT_GT(seen, 0);
}

TEST(RoundTrip, AwkwardValues) {
  const Config c = parse_config(R"(
name = "quote\"and\\slash"
[data]
validation = 0.1
test_fraction = 0.30000000000000004
label_column = 0
[model]
input = [1, 28, 28]
loss = "mse"
layers = [
  { type = "linear", out = 7, bias = false, init = "normal", init_std = 1e-3, init_mean = -0.5 },
  { type = "leaky_relu", slope = 0.2 },
  { type = "linear", out = 3, init_nonlinearity = "auto" },
]
[optimizer]
lr = 1e-7
momentum = 0.9
nesterov = true
weight_decay = 5e-4
[schedule]
policy = "multistep"
milestones = [3, 7, 100]
gamma = 0.5
[train]
seed = 9007199254740993
shuffle = false
)", "awkward.toml");
  expect_round_trip(c);
  EXPECT_EQ(c.train.seed, 9007199254740993u);
}

TEST(RoundTrip, WritesEveryKeyInSectionOrder) {
  const Config c = parse_config("[model]\ninput = [4]\nlayers = [{ type = \"relu\" }, { type = \"linear\", out = 2 }]\n",
                                "x.toml");
  const std::string text = to_toml(c);
  EXPECT_EQ(text.rfind("name = \"run\"\n", 0), 0u) << text;
  const auto data = text.find("[data]"), model = text.find("[model]"), optimizer = text.find("[optimizer]"),
             schedule = text.find("[schedule]"), train = text.find("[train]");
  EXPECT_LT(data, model);
  EXPECT_LT(model, optimizer);
  EXPECT_LT(optimizer, schedule);
  EXPECT_LT(schedule, train);
  EXPECT_NE(train, std::string::npos);
  for (const char* line : {"validation = 5000\n", "lr = 0.01\n", "milestones = []\n", "eval_batch_size = 0\n",
                           "dir = \"\"\n", "nesterov = false\n", "seed = 1\n", "input = [4]\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  EXPECT_NE(text.find("layers = [\n  { type = \"relu\" },\n  { type = \"linear\", out = 2, bias = true, init = "),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace gradnet
