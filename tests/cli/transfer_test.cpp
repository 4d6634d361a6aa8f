// Transfer learning through the binary (docs/transfer.md): train.init_from from a run directory, a
// model file and a checkpoint, with the exact loaded / new / skipped lists; train.init_layers's
// refusal of a mismatch; bad sources; train.freeze keeping params bit-identical; train.unfreeze
// releasing layers at their epoch; a frozen batch norm's statistics; eval of a transfer run's
// checkpoint.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/io/safetensors.h"
#include "test_support.h"

using namespace gradnet::testing;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

using Names = std::vector<std::string>;

// One tensor's values from a model file ("layers.0.weight") or a checkpoint ("model.layers.0.weight").
std::vector<float> tensor(const std::string& file, const std::string& name) {
  const gradnet::SafetensorsFile f = gradnet::read_safetensors(file);
  const gradnet::NamedTensor* t = f.find(name);
  if (!t) t = f.find("model." + name);
  EXPECT_NE(t, nullptr) << file << ": " << name;
  return t ? t->data : std::vector<float>{};
}

// The source: MNIST digits 0-4 (data.classes), 784-32-tanh-5, one epoch, checkpoints kept.
class Transfer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    write_file(*tmp_ / "source.toml", tiny_mnist_config(mnist_dir(), "[checkpoint]\nkeep_last = 0\n"));
    const CliResult r = run_gradnet({"train", *tmp_ / "source.toml", "--out", source(), "-q", "--epochs", "1", "--set",
                                     "data.classes=[0, 1, 2, 3, 4]", "--set", "model.layers.2.out=5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The target: all ten digits, so the head (layers.2) is new.
    write_file(*tmp_ / "target.toml", tiny_mnist_config(mnist_dir(), "[checkpoint]\nkeep_last = 0\n"));
  }
  static void TearDownTestSuite() { delete tmp_; }
  static std::string source() { return *tmp_ / "source"; }
  static std::string target() { return *tmp_ / "target.toml"; }
  static std::string out(const std::string& name) { return *tmp_ / name; }
  static CliResult train(const std::string& name, std::vector<std::string> extra, int epochs = 1) {
    std::vector<std::string> args = {"train", target(), "--out", out(name), "-q", "--epochs", std::to_string(epochs)};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_gradnet(args);
  }
  static TempDir* tmp_;
};
TempDir* Transfer::tmp_ = nullptr;

void expect_new_head_report(const nlohmann::json& j, const std::string& weights) {
  EXPECT_EQ(j["weights"], weights);
  EXPECT_EQ(j["loaded"].get<Names>(), (Names{"layers.0.weight", "layers.0.bias"}));
  EXPECT_EQ(j["new"].get<Names>(), (Names{"layers.2.weight", "layers.2.bias"}));
  ASSERT_EQ(j["skipped"].size(), 2u);
  EXPECT_EQ(j["skipped"][0]["name"], "layers.2.weight");
  EXPECT_EQ(j["skipped"][0]["reason"], "shape [5, 32] in the source, [10, 32] in this net");
  EXPECT_EQ(j["skipped"][1]["name"], "layers.2.bias");
  EXPECT_EQ(j["skipped"][1]["reason"], "shape [5] in the source, [10] in this net");
}

TEST_F(Transfer, FromARunDirectoryReportsLoadedNewAndSkippedEverywhere) {
  const CliResult r = train("from_dir", {"--init-from", source(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string weights = source() + "/model.safetensors";
  const nlohmann::json file = nlohmann::json::parse(read_file(out("from_dir") + "/init_from.json"));
  expect_new_head_report(file, weights);
  EXPECT_TRUE(has(file["normalization"], source() + "/normalization.safetensors")) << file;
  const nlohmann::json summary = nlohmann::json::parse(read_file(out("from_dir") + "/summary.json"));
  EXPECT_EQ(summary["init_from"], file);
  EXPECT_EQ(last_json_line(r.out)["init_from"], file);
  EXPECT_TRUE(has(r.err, "gradnet: note: train.init_from: loaded 2 tensors from " + weights +
                             ": layers.0.weight, layers.0.bias\n")) << r.err;
  EXPECT_TRUE(has(r.err, "gradnet: note: train.init_from: new (initialised as usual): layers.2.weight, layers.2.bias\n"))
      << r.err;
  EXPECT_TRUE(has(r.err, "layers.2.weight (shape [5, 32] in the source, [10, 32] in this net)")) << r.err;
  // The source's statistics are reused: the same bytes as the source's file.
  EXPECT_EQ(read_file(out("from_dir") + "/normalization.safetensors"), read_file(source() + "/normalization.safetensors"));
  // The config's copy names the source absolutely, so eval works from anywhere.
  EXPECT_TRUE(has(read_file(out("from_dir") + "/config.toml"), "init_from = \"" + source() + "\"")) << r.err;
}

TEST_F(Transfer, FromAModelFileAndAFileOutsideARun) {
  const CliResult r = train("from_file", {"--set", "train.init_from=" + source() + "/model.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_new_head_report(nlohmann::json::parse(read_file(out("from_file") + "/init_from.json")),
                         source() + "/model.safetensors");
  // A lone weights file has no statistics: fitted here, and said so.
  fs::create_directories(out("lone"));
  fs::copy_file(source() + "/model.safetensors", out("lone") + "/weights.safetensors");
  const CliResult lone = train("from_lone", {"--init-from", out("lone") + "/weights.safetensors"});
  ASSERT_EQ(lone.exit_code, 0) << lone.err;
  EXPECT_TRUE(has(lone.err, "is not in a run directory, so it has no statistics to reuse")) << lone.err;
  // refit: fitted on this run's training split (all ten digits), not the source's five.
  const CliResult refit = train("refit", {"--init-from", source(), "--set", "train.init_normalization=refit"});
  ASSERT_EQ(refit.exit_code, 0) << refit.err;
  EXPECT_TRUE(has(refit.err, "fitted on this run's training split (train.init_normalization = \"refit\")")) << refit.err;
  EXPECT_NE(read_file(out("refit") + "/normalization.safetensors"), read_file(source() + "/normalization.safetensors"));
}

TEST_F(Transfer, FromACheckpointFreezingTheLoadedLayerKeepsItBitIdentical) {
  const std::string best = source() + "/checkpoints/best.safetensors";
  const CliResult r = train("frozen", {"--init-from", best, "--set", "train.freeze=layers.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_new_head_report(nlohmann::json::parse(read_file(out("frozen") + "/init_from.json")), best);
  const std::string model = out("frozen") + "/model.safetensors";
  EXPECT_EQ(tensor(model, "layers.0.weight"), tensor(best, "layers.0.weight"));
  EXPECT_EQ(tensor(model, "layers.0.bias"), tensor(best, "layers.0.bias"));
  // Without the freeze the same run moves them.
  const CliResult moving = train("moving", {"--init-from", best});
  ASSERT_EQ(moving.exit_code, 0) << moving.err;
  EXPECT_NE(tensor(out("moving") + "/model.safetensors", "layers.0.weight"), tensor(best, "layers.0.weight"));
  // eval and predict take the transfer run's checkpoint file as well as its run directory.
  const CliResult eval = run_gradnet({"eval", out("frozen") + "/checkpoints/best.safetensors", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_GT(last_json_line(eval.out)["accuracy"].get<double>(), 0.5);
}

TEST_F(Transfer, UnfreezeReleasesALayerAtItsEpoch) {
  const CliResult r = train("unfreeze", {"--init-from", source(), "--set", "train.freeze=layers.0", "--set",
                                         "train.unfreeze=3: layers.0"}, 3);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> steps;
  for (const auto& e : fs::directory_iterator(out("unfreeze") + "/checkpoints"))
    if (e.path().filename().string().rfind("step-", 0) == 0) steps.push_back(e.path().string());
  std::sort(steps.begin(), steps.end());
  ASSERT_EQ(steps.size(), 4u);  // step 0 and the end of epochs 1, 2, 3
  const std::vector<float> w0 = tensor(source() + "/model.safetensors", "layers.0.weight");
  EXPECT_EQ(tensor(steps[1], "layers.0.weight"), w0);  // epoch 1: frozen
  EXPECT_EQ(tensor(steps[2], "layers.0.weight"), w0);  // epoch 2: frozen
  EXPECT_NE(tensor(steps[3], "layers.0.weight"), w0);  // epoch 3: trains
  EXPECT_NE(tensor(steps[2], "layers.2.weight"), tensor(steps[1], "layers.2.weight"));  // the head trained throughout
  const std::string metrics = read_file(out("unfreeze") + "/metrics.jsonl");
  EXPECT_TRUE(has(metrics, "\"schedule\":\"train.unfreeze: layers.0 trained from this epoch on\"")) << metrics;
}

TEST_F(Transfer, ALayerAskedForByInitLayersMustMatch) {
  const CliResult ok = train("asked", {"--init-from", source(), "--set", "train.init_layers=layers.0"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const nlohmann::json j = nlohmann::json::parse(read_file(out("asked") + "/init_from.json"));
  EXPECT_EQ(j["loaded"].get<Names>(), (Names{"layers.0.weight", "layers.0.bias"}));
  EXPECT_EQ(j["skipped"][0]["reason"], "not in train.init_layers");
  const CliResult bad = train("asked_bad", {"--init-from", source(), "--set", "train.init_layers=layers.0-2"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(has(bad.err, "gradnet: error: train.init_layers = \"layers.0-2\" asks for layers.2, but tensor "
                           "'layers.2.weight' has shape [5, 32] in " + source() + "/model.safetensors and [10, 32] in "
                           "this net")) << bad.err;
  EXPECT_FALSE(fs::exists(out("asked_bad"))) << "nothing is written for a refused run";
}

TEST_F(Transfer, BadSourcesAreRefusedNamingTheFile) {
  auto refused = [&](const std::string& path, const std::string& part) {
    const CliResult r = train("bad", {"--init-from", path});
    EXPECT_EQ(r.exit_code, 2) << path << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "gradnet: error: ")) << r.err;
    EXPECT_TRUE(has(r.err, part)) << r.err;
    EXPECT_FALSE(fs::exists(out("bad")));
  };
  refused(out("no-such-run"), "train.init_from: " + out("no-such-run") + ": no such run directory or weights file");
  write_file(out("text.safetensors"), "this is not a safetensors file at all\n");
  refused(out("text.safetensors"), out("text.safetensors"));
  const std::string whole = read_file(source() + "/model.safetensors");
  write_file(out("truncated.safetensors"), whole.substr(0, whole.size() / 2));
  refused(out("truncated.safetensors"), out("truncated.safetensors"));
  // A run directory without its final model: the checkpoints it has are offered.
  fs::create_directories(out("unfinished/checkpoints"));
  fs::copy_file(source() + "/config.toml", out("unfinished/config.toml"));
  fs::copy_file(source() + "/checkpoints/best.safetensors", out("unfinished/checkpoints/best.safetensors"));
  refused(out("unfinished"), "has no model.safetensors");
  refused(out("unfinished"), out("unfinished") + "/checkpoints/best.safetensors");
  // Nothing in common: another hidden width and another head.
  const CliResult none = train("bad", {"--init-from", source(), "--set", "model.layers.0.out=16"});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_TRUE(has(none.err, "train.init_from: nothing in " + source() + "/model.safetensors fits this net")) << none.err;
}

TEST_F(Transfer, BadRangesAndSchedulesAreConfigErrors) {
  for (const auto& [set, part] : std::vector<std::pair<std::string, std::string>>{
           {"train.freeze=layer.0", "expected layers.N or layers.N-M"},
           {"train.freeze=layers.3-1", "the range runs backwards"},
           {"train.freeze=layers.0-7", "layers.7 does not exist; the net has 3 layers (layers.0-2)"},
           {"train.unfreeze=2 layers.0", "expected EPOCH: LAYERS"},
           {"train.unfreeze=2: layers.0", "unfreezes layers.0 at epoch 2, but it is not frozen"},
           {"train.init_layers=layers.0", "train.init_layers needs train.init_from"}}) {
    const CliResult r = train("bad", {"--set", set});
    EXPECT_EQ(r.exit_code, 2) << set << "\n" << r.err;
    EXPECT_TRUE(has(r.err, part)) << set << "\n" << r.err;
  }
}

TEST_F(Transfer, AFrozenBatchNormKeepsItsRunningStatistics) {
  std::string config = tiny_mnist_config(mnist_dir()) + "freeze = \"layers.1\"\n";
  config.replace(config.find("{ type = \"tanh\" }"), 17, "{ type = \"batch_norm\" }, { type = \"tanh\" }");
  write_file(out("bn.toml"), config);
  const CliResult r = run_gradnet({"train", out("bn.toml"), "--out", out("bn"), "-q", "--epochs", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string model = out("bn") + "/model.safetensors";
  EXPECT_EQ(tensor(model, "layers.1.running_mean"), std::vector<float>(32, 0.0f));
  EXPECT_EQ(tensor(model, "layers.1.running_var"), std::vector<float>(32, 1.0f));
  EXPECT_EQ(tensor(model, "layers.1.weight"), std::vector<float>(32, 1.0f));
}

}  // namespace
