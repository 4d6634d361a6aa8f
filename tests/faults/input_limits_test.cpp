// Hostile config text and absurd values: exit 2 naming the file/key/line, never a signal, an
// internal error or an out-of-memory.
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "faults_support.h"
#include "gradnet/config.h"
#include "gradnet/error.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string repeat_joined(const std::string& part, int n, const std::string& sep) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? sep : "") + part;
  return s;
}

// Runs train on config text with extra args; expects exit 2 and no run directory.
CliResult train_exit2(const std::string& config, const std::vector<std::string>& extra = {}) {
  TempDir tmp;
  write_file(tmp / "c.toml", config);
  std::vector<std::string> args = {"train", tmp / "c.toml", "--out", tmp / "run", "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  CliResult r = run_gradnet(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("gradnet: error: "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "run")) << "a run directory was left behind";
  EXPECT_LT(r.err.size(), 2000u) << "the message echoes the input whole";
  return r;
}

}  // namespace

TEST(TomlDepth, DeepDottedKeysAndHeadersAreRefusedNotACrash) {
  const std::string deep = repeat_joined("k", 50000, ".");
  auto r = train_exit2("name = \"x\"\n" + deep + " = 1\n");
  expect_mentions(r, {"c.toml", "line 2", "dotted key"});
  r = train_exit2("name = \"x\"\n\n[" + repeat_joined("a", 50000, ".") + "]\n");
  expect_mentions(r, {"c.toml", "line 3", "dotted key"});
  r = train_exit2("x = { " + repeat_joined("\"q\"", 70, " . ") + " = 1 }\n");  // quoted parts count too
  expect_mentions(r, {"c.toml", "line 1"});
  r = train_exit2("x = " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  expect_mentions(r, {"c.toml", "nested"});
}

TEST(TomlDepth, TheLimitLeavesOrdinaryTomlAlone) {
  // Dots inside strings and comments are not key parts; a 60-part key is read (and is unknown).
  const std::string text = "name = \"" + repeat_joined("a", 100, ".") + "\"  # " + repeat_joined("c", 100, ".") +
                           "\n" + repeat_joined("k", 60, ".") + " = 1.5\n";
  try {
    gradnet::parse_config(text, "ok.toml");
    ADD_FAILURE() << "expected an unknown-key error";
  } catch (const gradnet::Error& e) {
    EXPECT_EQ(std::string(e.what()).find("dotted key"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown"), std::string::npos) << e.what();
  }
}

TEST(TomlDepth, SetValuesAndKeysToo) {
  FakeMnist data;
  const std::string deep = repeat_joined("k", 50000, ".");
  auto r = train_exit2(fake_config(data.path()), {"--set", "name={" + deep + "=1}"});
  expect_mentions(r, {"name", "bytes"});
  r = train_exit2(fake_config(data.path()), {"--set", deep + "=1"});
  expect_mentions(r, {"--set", "unknown key"});
}

TEST(AbsurdSizes, NamedKeyExit2) {
  FakeMnist data;
  const std::string cfg = fake_config(data.path());
  expect_mentions(train_exit2(cfg, {"--set", "data.validation=1e19"}), {"data.validation", "1e+19"});
  expect_mentions(train_exit2(cfg, {"--set", "train.batch_size=9223372036854775807"}), {"train.batch_size"});
  expect_mentions(train_exit2(cfg, {"--set", "train.batch_size=2147483648"}), {"train.batch_size", "16777216"});
  expect_mentions(train_exit2(cfg, {"--set", "train.eval_batch_size=4611686018427387904"}), {"train.eval_batch_size"});
  expect_mentions(train_exit2(cfg, {"--set", "train.epochs=4611686018427387904"}), {"train.epochs"});
  expect_mentions(train_exit2(cfg, {"--set", "train.threads=1000000000000"}), {"train.threads"});
  expect_mentions(train_exit2(cfg, {"--set", "train.batch_size_milestones=[1]", "--set",
                                    "train.batch_sizes=[9000000000]"}),
                  {"train.batch_sizes"});
  expect_mentions(train_exit2(cfg, {"--set", "model.layers.0.out=9223372036854775807"}), {"model.layers[0].out"});
  expect_mentions(train_exit2(cfg, {"--set", "model.layers.0.out=1099511627776"}), {"model.layers[0].out", "16777216"});
  expect_mentions(train_exit2(cfg, {"--set", "model.input=[4294967296, 4294967296]"}), {"model.input"});
}

TEST(AbsurdSizes, ABatchLargerThanTheDataIsTheWholeSet) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path(), "", ""));
  const CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q", "--json", "--set",
                                   "train.batch_size=16777216", "--set", "train.eval_batch_size=16777216"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_json_line(r.out)["steps"], 2);  // one step an epoch: 90 examples
}

TEST(RunName, ControlCharactersAndLongNamesAreExit2) {
  FakeMnist data;
  const std::string cfg = fake_config(data.path());
  for (const std::string& name : {std::string("a\\nb"), std::string("a\\u001bb"), std::string(300, 'n'),
                                  std::string(".."), std::string("a/b")}) {
    std::string c = cfg;
    c.replace(c.find("\"fault\""), 7, "\"" + name + "\"");
    auto r = train_exit2(c);
    expect_mentions(r, {"c.toml", "name"});
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "a control character reached the terminal";
  }
}

TEST(Messages, LongValuesAreCut) {
  FakeMnist data;
  std::string c = fake_config(data.path());
  c.replace(c.find("\"sgd\""), 5, "\"" + std::string(1 << 20, 'x') + "\"");
  auto r = train_exit2(c);
  expect_mentions(r, {"c.toml", "optimizer.type", "bytes"});
}

TEST(SpecialFiles, AFifoOrDeviceIsRefusedNotAHang) {
  TempDir tmp;
  ASSERT_EQ(::mkfifo((tmp / "c.toml").c_str(), 0644), 0);
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"c.toml", "not a regular file"});
  r = run_gradnet({"train", "/dev/zero", "--out", tmp / "run", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  FakeMnist data;
  fs::remove(data.dir / "train-labels-idx1-ubyte.gz");
  ASSERT_EQ(::mkfifo((data.dir / "train-labels-idx1-ubyte.gz").c_str(), 0644), 0);
  write_file(tmp / "d.toml", fake_config(data.path()));
  r = run_gradnet({"train", tmp / "d.toml", "--out", tmp / "run", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"train-labels-idx1-ubyte.gz", "not a regular file"});
  EXPECT_FALSE(fs::exists(tmp / "run"));
}
