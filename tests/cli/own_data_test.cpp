// The user's own data through the CLI: an image folder of PNGs made from MNIST test images
// (classes named zero..nine, so their indices are NOT the digits) trains and evaluates, and
// eval, predict and the report show the folder names; JPEG folders; CSV text labels shown by
// name; NumPy arrays; bad folders exit 2 naming the path.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gradnet/data/idx.h"
#include "gradnet/data/image.h"
#include "gradnet/data/npy.h"
#include "test_support.h"

using namespace gradnet::testing;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::vector<std::string> kDigitNames = {"zero", "one", "two", "three", "four",
                                              "five", "six", "seven", "eight", "nine"};

std::string folder_config(const std::string& dir, const std::string& input, const std::string& extra = "") {
  return "name = \"own\"\n[data]\ndataset = \"folder\"\ndir = \"" + dir + "\"\nvalidation = 0.1\n"
         "test_fraction = 0.2\n" + extra +
         "[model]\ninput = " + input + "\nloss = \"softmax_cross_entropy\"\nlayers = [\n"
         "  { type = \"linear\", out = 64, init = \"kaiming_uniform\" },\n  { type = \"relu\" },\n"
         "  { type = \"linear\", out = 10, init = \"xavier_uniform\" },\n]\n"
         "[optimizer]\ntype = \"sgd\"\nlr = 0.05\nmomentum = 0.9\n"
         "[train]\nepochs = 10\nbatch_size = 32\nseed = 3\nthreads = 1\n";
}

// 500 MNIST test images (about 50 per digit) as PNGs in DIR/<digit's name>/<index>.png.
class MnistFolder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    const std::string mnist = mnist_dir();
    const gradnet::Dataset d =
        gradnet::load_idx(mnist + "/t10k-images-idx3-ubyte.gz", mnist + "/t10k-labels-idx1-ubyte.gz", 10);
    for (gradnet::Index i = 0; i < 500; ++i) {
      const std::string dir = *tmp_ / ("digits/" + kDigitNames[static_cast<std::size_t>(d.y[i])]);
      fs::create_directories(dir);
      gradnet::write_png_gray(fmt::format("{}/{:04}.png", dir, i), d.bytes.data() + i * 784, 28, 28);
    }
    write_file(*tmp_ / "own.toml", folder_config(*tmp_ / "digits", "[784]"));
    const CliResult r = run_gradnet({"train", *tmp_ / "own.toml", "--out", *tmp_ / "run", "--json", "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    summary_ = new nlohmann::json(last_json_line(r.out));
  }
  static void TearDownTestSuite() {
    delete tmp_;
    delete summary_;
  }
  static TempDir* tmp_;
  static nlohmann::json* summary_;
};
TempDir* MnistFolder::tmp_ = nullptr;
nlohmann::json* MnistFolder::summary_ = nullptr;

}  // namespace

TEST_F(MnistFolder, TrainsAndEvaluatesWithTheFolderNames) {
  // 360 training images, 10 epochs: far above chance (0.1).
  EXPECT_GT((*summary_)["test_accuracy"].get<double>(), 0.6) << summary_->dump();
  const std::string run = *tmp_ / "run";
  // The classes are the sorted folder names: "eight" is class 0, "zero" class 9.
  const std::vector<std::string> sorted = {"eight", "five", "four", "nine", "one",
                                           "seven", "six",  "three", "two", "zero"};
  const nlohmann::json info = nlohmann::json::parse(read_file(run + "/dataset.json"));
  EXPECT_EQ(info["class_names"], sorted);
  const CliResult e = run_gradnet({"eval", run, "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json j = last_json_line(e.out);
  EXPECT_EQ(j["class_names"], sorted);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), (*summary_)["test_accuracy"].get<double>());  // the same test split
  const CliResult text = run_gradnet({"eval", run});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const std::string& name : kDigitNames) EXPECT_TRUE(has(text.out, name)) << name << "\n" << text.out;
  // predict names the class: a 7 from the folder.
  const std::string seven = (*tmp_ / "digits/seven/0000.png");
  ASSERT_TRUE(fs::exists(seven));
  const CliResult p = run_gradnet({"predict", run, seven, "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const nlohmann::json pj = last_json_line(p.out)["predictions"][0];
  EXPECT_EQ(pj["name"], sorted[pj["class"].get<std::size_t>()]);
  EXPECT_EQ(pj["name"], "seven") << pj.dump();  // MNIST's first test image, a clear 7
  const CliResult pt = run_gradnet({"predict", run, seven});
  ASSERT_EQ(pt.exit_code, 0) << pt.err;
  EXPECT_TRUE(has(pt.out, "seven (class 5)")) << pt.out;
  // The report's confusion matrix and per-class table are labelled by name.
  const CliResult rep = run_gradnet({"report", run});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string html = read_file(run + "/report.html");
  for (const std::string& name : kDigitNames) EXPECT_TRUE(has(html, name)) << name;
}

TEST_F(MnistFolder, ImageShapesUnlikeTheModelsAreExplained) {
  // model.input [3, 28, 28] for grey images: exit 2 naming the folder, both shapes and the fix.
  write_file(*tmp_ / "rgb.toml", folder_config(*tmp_ / "digits", "[3, 28, 28]"));
  const CliResult bad = run_gradnet({"train", *tmp_ / "rgb.toml", "--out", *tmp_ / "rgb"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(has(bad.err, "digits") && has(bad.err, "[1, 28, 28]") && has(bad.err, "[3, 28, 28]") &&
              has(bad.err, "data.channels = 3"))
      << bad.err;
  EXPECT_FALSE(fs::exists(*tmp_ / "rgb"));
  // With the conversion asked for (RGB, 14x14), the same folder trains a [3, 14, 14] model.
  write_file(*tmp_ / "small.toml",
             folder_config(*tmp_ / "digits", "[3, 14, 14]", "image_size = [14, 14]\nchannels = 3\n"));
  const CliResult ok = run_gradnet({"train", *tmp_ / "small.toml", "--out", *tmp_ / "small", "--set", "train.epochs=1",
                                    "-q"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(OwnData, JpegFolderTrainsAndPredictsByName) {
  TempDir t;
  // Two colours of noisy 12x12 JPEGs: "blue" and "orange".
  unsigned state = 7;
  for (int i = 0; i < 40; ++i) {
    const bool blue = i % 2 == 0;
    std::vector<std::uint8_t> px;
    for (int p = 0; p < 144; ++p) {
      state = state * 1103515245u + 12345u;
      const int noise = static_cast<int>(state >> 27);  // 0..31
      for (int v : blue ? std::vector<int>{20, 60, 200} : std::vector<int>{220, 120, 20}) px.push_back(static_cast<std::uint8_t>(v + noise));
    }
    const std::string dir = t / (blue ? "jpegs/blue" : "jpegs/orange");
    fs::create_directories(dir);
    gradnet::write_jpeg(fmt::format("{}/{}.jpg", dir, i), px.data(), 12, 12, 3, 90);
  }
  std::string config = folder_config(t / "jpegs", "[432]");
  config.replace(config.find("out = 10"), 8, "out = 2");
  write_file(t / "j.toml", config);
  const CliResult r = run_gradnet({"train", t / "j.toml", "--out", t / "run", "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(last_json_line(r.out)["test_accuracy"].get<double>(), 0.9);
  const CliResult p = run_gradnet({"predict", t / "run", t / "jpegs/orange/1.jpg", "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(last_json_line(p.out)["predictions"][0]["name"], "orange") << p.out;
}

TEST(OwnData, CsvTextLabelsAreShownByName) {
  TempDir t;
  std::string csv = "width,height,kind\n";
  for (int i = 0; i < 60; ++i) {
    const bool tall = i % 2 == 0;
    csv += fmt::format("{},{},{}\n", 1 + i % 5, tall ? 10 + i % 7 : 1 + i % 3, tall ? "tall" : "flat");
  }
  write_file(t / "shapes.csv", csv);
  write_file(t / "c.toml", "[data]\ndataset = \"csv\"\npath = \"shapes.csv\"\nvalidation = 0\n"
                           "[model]\ninput = [2]\nlayers = [{ type = \"linear\", out = 2 }]\n"
                           "[optimizer]\ntype = \"sgd\"\nlr = 0.1\n[train]\nepochs = 20\nbatch_size = 8\nthreads = 1\n");
  const CliResult r = run_gradnet({"train", t / "c.toml", "--out", t / "run", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const CliResult e = run_gradnet({"eval", t / "run", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(last_json_line(e.out)["class_names"], (std::vector<std::string>{"flat", "tall"}));  // sorted
  write_file(t / "one.csv", "3,15\n");
  const CliResult p = run_gradnet({"predict", t / "run", t / "one.csv"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_TRUE(has(p.out, "tall (class 1)")) << p.out;
}

TEST(OwnData, NpyArraysTrainAndEvaluate) {
  TempDir t;
  // Two Gaussian-ish blobs in 4 dimensions, float32, labels int64.
  std::vector<float> x;
  std::vector<std::int64_t> y;
  unsigned state = 11;
  for (int i = 0; i < 200; ++i) {
    y.push_back(i % 2);
    for (int f = 0; f < 4; ++f) {
      state = state * 1103515245u + 12345u;
      x.push_back(static_cast<float>(i % 2 ? 1.5 : -1.5) + static_cast<float>(state >> 16) / 65536.0f - 0.5f);
    }
  }
  gradnet::write_npy(t / "x.npy", "<f4", {200, 4}, x.data());
  gradnet::write_npy(t / "y.npy", "<i8", {200}, y.data());
  write_file(t / "n.toml", "[data]\ndataset = \"npy\"\npath = \"x.npy\"\ntrain_labels = \"y.npy\"\nvalidation = 20\n"
                           "[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n"
                           "[optimizer]\ntype = \"sgd\"\nlr = 0.1\n[train]\nepochs = 3\nbatch_size = 16\nthreads = 1\n");
  const CliResult r = run_gradnet({"train", t / "n.toml", "--out", t / "run", "--json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(last_json_line(r.out)["test_accuracy"].get<double>(), 0.9);
  // eval finds the arrays from anywhere: the run's config holds absolute paths.
  const CliResult e = run_gradnet({"eval", t / "run", "--json"}, "/");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(last_json_line(e.out)["examples"], 40);
}

TEST(OwnData, BadFoldersExitTwoNamingThePath) {
  TempDir t;
  fs::create_directories(t / "empty_root");
  write_file(t / "a.toml", folder_config(t / "empty_root", "[784]"));
  CliResult r = run_gradnet({"train", t / "a.toml", "--out", t / "run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "gradnet: error:") && has(r.err, t / "empty_root") && has(r.err, "no class folders")) << r.err;
  fs::create_directories(t / "root/cat");
  write_file(t / "root/cat/broken.png", "\x89PNG\r\n\x1a\n-- cut here");
  write_file(t / "b.toml", folder_config(t / "root", "[784]"));
  r = run_gradnet({"train", t / "b.toml", "--out", t / "run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, t / "root/cat/broken.png")) << r.err;
  // data.dir is required; data.channels must be 0, 1 or 3.
  write_file(t / "c.toml", "[data]\ndataset = \"folder\"\n[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n");
  r = run_gradnet({"train", t / "c.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "data.dir")) << r.err;
  r = run_gradnet({"train", t / "b.toml", "--set", "data.channels=2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "data.channels")) << r.err;
  EXPECT_FALSE(fs::exists(t / "run"));
}
