// Autoencoders end to end: a tiny MNIST reconstruction run (the loss goes down, no accuracy in
// metrics.jsonl, summary.json or --json; eval gives the reconstruction loss; the report shows
// reconstructions; predict refuses), denoising is deterministic from the seed, gradnet pretrain
// writes the classifier's tensor names, and the bad inputs of reconstruction configs exit 2.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/io/safetensors.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

// A 784-32-784 autoencoder on 600 MNIST images, BCE with logits on pixels scaled to [0, 1].
std::string autoencoder_config(const std::string& extra = "", const std::string& train_extra = "") {
  const std::string mnist = find_dataset_dir("mnist");
  EXPECT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  return "name = \"ae\"\n[data]\ndataset = \"mnist\"\ndir = \"" + mnist +
         "\"\nvalidation = 100\ntrain_limit = 600\ntest_limit = 100\nnormalize = \"scale01\"\n"
         "[model]\ninput = [784]\nloss = \"bce_with_logits\"\ntarget = \"input\"\nlayers = [\n"
         "  { type = \"linear\", out = 32, init = \"xavier_uniform\" },\n  { type = \"sigmoid\" },\n"
         "  { type = \"linear\", out = 784, init = \"xavier_uniform\" },\n]\n" + extra +
         "[optimizer]\ntype = \"adam\"\nlr = 0.01\n[train]\nepochs = 3\nbatch_size = 50\nseed = 3\nthreads = 1\n" +
         train_extra;
}

std::vector<nlohmann::json> metrics(const std::string& run) {
  std::ifstream in(run + "/metrics.jsonl");
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

TEST(Autoencoder, TinyReconstructionRunTrainsEvaluatesAndShowsReconstructions) {
  TempDir tmp;
  write_file(tmp / "ae.toml", autoencoder_config());
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", tmp / "ae.toml", "--out", run, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  EXPECT_TRUE(j["test_accuracy"].is_null()) << j;
  EXPECT_TRUE(j["train_accuracy"].is_null()) << j;
  EXPECT_TRUE(j["test_loss"].is_number()) << j;
  EXPECT_EQ(r.err.find(" acc "), std::string::npos) << "the progress line shows no accuracy:\n" << r.err;
  const std::vector<nlohmann::json> rows = metrics(run);
  ASSERT_EQ(rows.size(), 4u);
  for (const nlohmann::json& row : rows) {
    EXPECT_TRUE(row["train_acc"].is_null()) << row;
    EXPECT_TRUE(row["val_acc"].is_null()) << row;
  }
  // ln 2 ≈ 0.69 per pixel at the start; well below after 3 epochs of Adam.
  EXPECT_GT(rows.front()["train_loss"].get<double>(), 0.5);
  EXPECT_LT(rows.back()["train_loss"].get<double>(), 0.8 * rows.front()["train_loss"].get<double>());
  EXPECT_LT(rows.back()["val_loss"].get<double>(), rows.front()["val_loss"].get<double>());
  const nlohmann::json summary = nlohmann::json::parse(read_file(run + "/summary.json"));
  EXPECT_TRUE(summary["test_accuracy"].is_null()) << summary;
  const double test_loss = summary["test_loss"].get<double>();

  CliResult e = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json ej = last_json_line(e.out);
  EXPECT_TRUE(ej["accuracy"].is_null()) << ej;
  EXPECT_NEAR(ej["loss"].get<double>(), test_loss, 1e-9 * test_loss);
  CliResult et = run_gradnet({"eval", run});
  ASSERT_EQ(et.exit_code, 0) << et.err;
  EXPECT_NE(et.out.find("reconstruction loss"), std::string::npos) << et.out;
  EXPECT_NE(et.out.find("accuracy: not applicable"), std::string::npos) << et.out;

  CliResult rep = run_gradnet({"report", run, "--json"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const auto sections = last_json_line(rep.out)["sections"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(sections.begin(), sections.end(), "reconstructions"), sections.end());
  EXPECT_EQ(std::find(sections.begin(), sections.end(), "confusion"), sections.end()) << "no classes, no confusion";
  const std::string html = read_file(run + "/report.html");
  EXPECT_NE(html.find("<img class=\"reconstructions\""), std::string::npos);
  EXPECT_NE(html.find("not applicable"), std::string::npos);

  CliResult p = run_gradnet({"predict", run, tmp / "ae.toml"});
  EXPECT_EQ(p.exit_code, 2) << p.err;
  EXPECT_NE(p.err.find("reconstruction model"), std::string::npos) << p.err;
}

TEST(Autoencoder, DenoisingIsDeterministicFromTheSeedAndChangesTheRun) {
  TempDir tmp;
  auto train = [&](const std::string& name, const std::string& noise) {
    write_file(tmp / (name + ".toml"), autoencoder_config("", noise));
    CliResult r = run_gradnet({"train", tmp / (name + ".toml"), "--out", tmp / name, "-q", "--epochs", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_file(tmp / name + "/model.safetensors");
  };
  const std::string masked1 = train("mask1", "input_noise = \"mask\"\ninput_noise_level = 0.25\n");
  const std::string masked2 = train("mask2", "input_noise = \"mask\"\ninput_noise_level = 0.25\n");
  const std::string clean = train("clean", "");
  const std::string gaussian = train("gauss", "input_noise = \"gaussian\"\ninput_noise_level = 0.3\n");
  EXPECT_FALSE(masked1.empty());
  EXPECT_EQ(masked1, masked2) << "same config and seed: the same noise, bit for bit";
  EXPECT_NE(masked1, clean);
  EXPECT_NE(gaussian, clean);
  EXPECT_NE(gaussian, masked1);
}

TEST(Autoencoder, PretrainWritesTheClassifiersTensorNames) {
  TempDir tmp;
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  std::string config = tiny_mnist_config(mnist, "[pretrain]\nepochs = 1\ntrain_limit = 500\nlr = 0.05\n");
  // 784-32-16-10: two hidden blocks, two stages.
  const std::string one = "  { type = \"linear\", out = 32, init = \"xavier_uniform\" },\n  { type = \"tanh\" },\n";
  config.replace(config.find(one), one.size(),
                 one + "  { type = \"linear\", out = 16, init = \"xavier_uniform\" },\n  { type = \"sigmoid\" },\n");
  write_file(tmp / "clf.toml", config);
  const std::string out = tmp / "pre";
  CliResult r = run_gradnet({"pretrain", tmp / "clf.toml", "--out", out, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  const std::vector<std::string> want = {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"};
  EXPECT_EQ(j["tensors"].get<std::vector<std::string>>(), want) << j;
  ASSERT_EQ(j["stages"].size(), 2u);
  const gradnet::SafetensorsFile model = gradnet::read_safetensors(out + "/model.safetensors");
  ASSERT_EQ(model.tensors.size(), 4u);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(model.tensors[i].name, want[i]);
  EXPECT_EQ(model.tensors[0].shape, (gradnet::Shape{32, 784}));
  EXPECT_EQ(model.tensors[2].shape, (gradnet::Shape{16, 32}));
  for (const char* f : {"config.toml", "normalization.safetensors", "dataset.json", "pretrain.json"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  // Stage 2 trains layers.2 on layers.0-1's codes: those come from stage 1 and stay frozen.
  const std::string stage2 = read_file(out + "/stage-2/config.toml");
  EXPECT_NE(stage2.find("target = \"input\""), std::string::npos);
  EXPECT_NE(stage2.find("target_layer = 1"), std::string::npos) << stage2;
  const auto s1 = gradnet::read_safetensors(out + "/stage-1/model.safetensors");
  ASSERT_NE(s1.find("layers.0.weight"), nullptr);
  EXPECT_EQ(s1.find("layers.0.weight")->data, model.tensors[0].data) << "layers.0 frozen in stage 2";
  EXPECT_EQ(s1.find("layers.2.weight")->shape, (gradnet::Shape{784, 32})) << "stage 1's decoder";
  // Each stage is an ordinary run: eval gives its reconstruction loss.
  CliResult e = run_gradnet({"eval", out + "/stage-2"});
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("reconstruction loss"), std::string::npos) << e.out;
}

struct BadCase {
  std::string what, extra_model, extra_train, needle;
};

TEST(Autoencoder, BadReconstructionConfigsExit2NamingTheProblem) {
  TempDir tmp;
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  const std::vector<BadCase> cases = {
      {"classifier-shaped output", "", "", ""},  // filled below: out = 10
      {"unknown noise kind", "", "input_noise = \"salt\"\ninput_noise_level = 0.1\n", "train.input_noise"},
      {"mask of 1", "", "input_noise = \"mask\"\ninput_noise_level = 1.0\n", "train.input_noise_level"},
      {"noise without a level", "", "input_noise = \"gaussian\"\n", "train.input_noise_level > 0"},
  };
  for (std::size_t k = 0; k < cases.size(); ++k) {
    std::string config = autoencoder_config("", cases[k].extra_train);
    std::string needle = cases[k].needle;
    if (k == 0) {
      config.replace(config.find("out = 784"), 9, "out = 10");
      needle = "layers.2 (linear), gives [10]";
    }
    write_file(tmp / "bad.toml", config);
    CliResult r = run_gradnet({"train", tmp / "bad.toml", "--out", tmp / ("bad" + std::to_string(k)), "-q"});
    EXPECT_EQ(r.exit_code, 2) << cases[k].what << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << cases[k].what << ": " << r.err;
    EXPECT_FALSE(fs::exists(tmp / ("bad" + std::to_string(k)) + "/model.safetensors")) << cases[k].what;
  }
  // Config rules across keys.
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"model.loss=softmax_cross_entropy", "model.loss must be mse or bce_with_logits"},
      {"data.normalize=standardize", "needs targets in [0, 1]"},
      {"checkpoint.monitor=val_acc", "has no accuracy"},
      {"model.target=labels", "model.target_layer"},
  };
  write_file(tmp / "ae.toml", autoencoder_config());
  for (const auto& [set, needle] : sets) {
    std::vector<std::string> args = {"train", tmp / "ae.toml", "--out", tmp / "unused", "-q", "--set", set};
    if (set == "model.target=labels") args.insert(args.end(), {"--set", "model.target_layer=0"});
    CliResult r = run_gradnet(args);
    EXPECT_EQ(r.exit_code, 2) << set << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << set << ": " << r.err;
  }
  // Noise on a classifier; pretrain of a net without a hidden linear layer.
  write_file(tmp / "clf.toml", tiny_mnist_config(mnist));
  CliResult n = run_gradnet({"train", tmp / "clf.toml", "--set", "train.input_noise=mask", "--set",
                             "train.input_noise_level=0.2", "-q", "--out", tmp / "unused"});
  EXPECT_EQ(n.exit_code, 2) << n.err;
  EXPECT_NE(n.err.find("train.input_noise corrupts the input of a reconstruction model"), std::string::npos) << n.err;
  std::string linear = tiny_mnist_config(mnist);
  const std::string hidden = "  { type = \"linear\", out = 32, init = \"xavier_uniform\" },\n  { type = \"tanh\" },\n";
  linear.erase(linear.find(hidden), hidden.size());
  write_file(tmp / "linear.toml", linear);
  CliResult p = run_gradnet({"pretrain", tmp / "linear.toml", "--out", tmp / "pre", "-q"});
  EXPECT_EQ(p.exit_code, 2) << p.err;
  EXPECT_NE(p.err.find("hidden linear layers"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(tmp / "pre")) << "nothing written for a config that cannot be pretrained";
}

}  // namespace
