// `gradnet predict` on PNG images, IDX files and CSV rows, with a trained run.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/data/idx.h"
#include "gradnet/data/image.h"
#include "test_support.h"

using namespace gradnet::testing;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// One tiny MNIST run for the image tests, and the first test image (a 7) as raw pixels.
class PredictImages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    const std::string mnist = mnist_dir();
    write_file(*tmp_ / "tiny.toml", tiny_mnist_config(mnist));
    const CliResult r = run_gradnet({"train", *tmp_ / "tiny.toml", "--out", *tmp_ / "run", "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const gradnet::Dataset test = gradnet::load_idx_images(mnist + "/t10k-images-idx3-ubyte.gz");
    seven_ = new std::vector<std::uint8_t>(test.bytes.begin(), test.bytes.begin() + 784);
  }
  static void TearDownTestSuite() {
    delete tmp_;
    delete seven_;
  }
  static std::string run() { return *tmp_ / "run"; }
  static std::string path(const std::string& name) { return *tmp_ / name; }
  // The 7 as a side x side image (each pixel repeated side / 28 times each way), channels 1 or 3.
  static std::string write_seven(const std::string& name, int side, int channels, bool inverted = false) {
    const int k = side / 28;
    std::vector<std::uint8_t> px(static_cast<std::size_t>(side * side * channels));
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        for (int c = 0; c < channels; ++c) {
          const std::uint8_t v = (*seven_)[static_cast<std::size_t>((y / k) * 28 + x / k)];
          px[static_cast<std::size_t>((y * side + x) * channels + c)] = inverted ? 255 - v : v;
        }
    if (channels == 1) gradnet::write_png_gray(path(name), px.data(), side, side);
    else gradnet::write_png_rgb(path(name), px.data(), side, side);
    return path(name);
  }
  static nlohmann::json predict_json(std::vector<std::string> args) {
    args.insert(args.begin(), {"predict", run()});
    args.push_back("--json");
    const CliResult r = run_gradnet(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? last_json_line(r.out) : nlohmann::json::object();
  }
  static TempDir* tmp_;
  static std::vector<std::uint8_t>* seven_;
};
TempDir* PredictImages::tmp_ = nullptr;
std::vector<std::uint8_t>* PredictImages::seven_ = nullptr;

}  // namespace

TEST_F(PredictImages, ImagesOfAnotherKindAreExplainedAndConvertedOnRequest) {
  const std::string plain = write_seven("plain.png", 28, 1);
  ASSERT_EQ(predict_json({plain})["predictions"][0]["class"], 7);
  struct Case {
    std::string file;
    std::vector<std::string> options;
    std::string got;
  };
  for (const Case& c : {Case{write_seven("rgb.png", 28, 3), {"--grayscale"}, "a 3x28x28 RGB image"},
                        Case{write_seven("big.png", 56, 1), {"--resize"}, "a 1x56x56 grayscale image"},
                        Case{write_seven("big_rgb.png", 56, 3), {"--grayscale", "--resize"}, "a 3x56x56 RGB image"}}) {
    // Without the option: exit 2, naming the file, what it holds, what the model expects, the fix.
    const CliResult bad = run_gradnet({"predict", run(), c.file});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    std::string fix = "pass";
    for (const std::string& o : c.options) fix += " " + o;
    for (const std::string& part : {c.file, c.got, std::string("the model expects a 1x28x28 grayscale image"), fix})
      EXPECT_TRUE(has(bad.err, part)) << "missing '" << part << "' in: " << bad.err;
    // With it: the same 7 (a pixel-doubled image resizes back exactly; luma of gray is the gray).
    std::vector<std::string> args = {c.file};
    args.insert(args.end(), c.options.begin(), c.options.end());
    const nlohmann::json j = predict_json(args);
    ASSERT_EQ(j["predictions"].size(), 1u) << c.file;
    EXPECT_EQ(j["predictions"][0]["class"], 7) << c.file;
    EXPECT_TRUE(j["warnings"].empty()) << j["warnings"];
  }
}

TEST_F(PredictImages, AnInvertedDigitIsWarnedAboutAndInvertFixesIt) {
  const std::string inverted = write_seven("inverted.png", 28, 1, true);
  const CliResult r = run_gradnet({"predict", run(), inverted, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"inverted.png: the background is bright", "training data's is dark", "--invert"})
    EXPECT_TRUE(has(r.err, part)) << "missing '" << part << "' in: " << r.err;
  EXPECT_EQ(last_json_line(r.out)["warnings"].size(), 1u);
  const nlohmann::json fixed = predict_json({inverted, "--invert"});
  EXPECT_EQ(fixed["predictions"][0]["class"], 7);
  EXPECT_TRUE(fixed["warnings"].empty()) << fixed["warnings"];
  // The normal digit gets no warning.
  const CliResult plain = run_gradnet({"predict", run(), write_seven("upright.png", 28, 1)});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(has(plain.err, "warning")) << plain.err;
}

TEST_F(PredictImages, ADirectoryPredictsEveryPngInItSortedByName) {
  fs::create_directories(path("dir"));
  write_seven("dir/b.png", 28, 1);
  write_seven("dir/a.png", 28, 1);
  write_seven("dir/C.PNG", 28, 1);
  write_file(path("dir/notes.txt"), "not an image");
  const nlohmann::json j = predict_json({path("dir")});
  ASSERT_EQ(j["predictions"].size(), 3u) << j;
  EXPECT_EQ(j["predictions"][0]["input"], path("dir/C.PNG"));  // byte order: upper case first
  EXPECT_EQ(j["predictions"][1]["input"], path("dir/a.png"));
  EXPECT_EQ(j["predictions"][2]["input"], path("dir/b.png"));
  for (const auto& p : j["predictions"]) EXPECT_EQ(p["class"], 7);
  fs::create_directories(path("empty"));
  const CliResult none = run_gradnet({"predict", run(), path("empty")});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(has(none.err, path("empty") + ": a directory without .png or .jpg images")) << none.err;
}

TEST_F(PredictImages, CheckpointsAndARunWithoutAFinalModel) {
  const std::string seven = write_seven("ckpt.png", 28, 1);
  const nlohmann::json final_model = predict_json({seven});
  // Any weights file in the run's checkpoints/: the config is the run directory's above it.
  std::vector<std::string> steps;
  for (const auto& e : fs::directory_iterator(run() + "/checkpoints"))
    if (e.path().filename().string().rfind("step-", 0) == 0) steps.push_back(e.path().string());
  ASSERT_FALSE(steps.empty());
  std::sort(steps.begin(), steps.end());
  for (const std::string& file : {steps.back(), run() + "/checkpoints/best.safetensors"}) {
    const CliResult r = run_gradnet({"predict", file, seven, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json j = last_json_line(r.out);
    EXPECT_EQ(j["model"], file);
    EXPECT_EQ(j["run_dir"], run());
    if (file == steps.back())  // the last epoch's checkpoint holds the final weights
      EXPECT_EQ(j["predictions"][0]["probability"], final_model["predictions"][0]["probability"]);
  }
  // A copy of the run without model.safetensors, as an interrupted run leaves it: its newest
  // checkpoint, and a note saying so.
  const std::string copy = path("interrupted");
  fs::copy(run(), copy, fs::copy_options::recursive);
  fs::remove(copy + "/model.safetensors");
  const CliResult r = run_gradnet({"predict", copy, seven, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "has no model.safetensors")) << r.err;
  EXPECT_TRUE(has(r.err, "using checkpoints/" + fs::path(steps.back()).filename().string())) << r.err;
  EXPECT_EQ(last_json_line(r.out)["predictions"][0]["probability"], final_model["predictions"][0]["probability"]);
}

TEST(CliPredict, PngAndIdxInputsGiveTheSamePredictionsAsEval) {
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "run scripts/setup";
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist));
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", tmp / "run", "-q"}).exit_code, 0);

  // The first 20 test images, as one IDX file and as PNG files.
  gradnet::Dataset test = gradnet::load_idx_images(mnist + "/t10k-images-idx3-ubyte.gz");
  std::vector<std::string> pngs;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> pixels(784);
    for (int k = 0; k < 784; ++k) pixels[k] = test.bytes[i * 784 + k];
    pngs.push_back(tmp / ("digit" + std::to_string(i) + ".png"));
    gradnet::write_png_gray(pngs.back(), pixels.data(), 28, 28);
  }
  std::vector<std::string> args = {"predict", tmp / "run", "--json"};
  args.insert(args.end(), pngs.begin(), pngs.end());
  args.push_back(mnist + "/t10k-images-idx3-ubyte.gz");
  CliResult r = run_gradnet(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto preds = last_json_line(r.out)["predictions"];
  ASSERT_EQ(preds.size(), 3u + 10000u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(preds[i]["class"], preds[3 + i]["class"]) << "PNG and IDX disagree on image " << i;
    const double p = preds[i]["probability"].get<double>();
    EXPECT_GT(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  // The test labels 7, 2, 1 of the first three images: a trained model gets these.
  EXPECT_EQ(preds[0]["class"], 7);
  EXPECT_EQ(preds[1]["class"], 2);
  EXPECT_EQ(preds[2]["class"], 1);
}

TEST(CliPredict, CsvRowsWithATrainedIrisRun) {
  const std::string small = find_dataset_dir("small");
  ASSERT_FALSE(small.empty()) << "run scripts/setup";
  TempDir tmp;
  ASSERT_EQ(run_gradnet({"train", source_dir() + "/configs/iris-mlp.toml", "--out", tmp / "run", "-q", "--set",
                         "data.path=" + small + "/iris.csv"})
                .exit_code,
            0);
  write_file(tmp / "rows.csv", "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n");  // a setosa, a virginica
  CliResult r = run_gradnet({"predict", tmp / "run", tmp / "rows.csv", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto preds = last_json_line(r.out)["predictions"];
  ASSERT_EQ(preds.size(), 2u);
  EXPECT_EQ(preds[0]["class"], 0);
  EXPECT_EQ(preds[1]["class"], 2);
  // The CSV's class names (sklearn's header "150,4,setosa,versicolor,virginica"), kept by the run.
  EXPECT_EQ(preds[0]["name"], "setosa");
  EXPECT_EQ(preds[1]["name"], "virginica");
  CliResult text = run_gradnet({"predict", tmp / "run", tmp / "rows.csv"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("rows.csv[0]: setosa (class 0) "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("rows.csv[1]: virginica (class 2) "), std::string::npos) << text.out;
  CliResult eval = run_gradnet({"eval", tmp / "run"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  for (const char* name : {" setosa ", " versicolor ", " virginica "})
    EXPECT_NE(eval.out.find(name), std::string::npos) << name << "\n" << eval.out;
  // A run made before class names were stored (no dataset.json) still predicts, with numbers.
  std::filesystem::remove(tmp / "run/dataset.json");
  text = run_gradnet({"predict", tmp / "run", tmp / "rows.csv"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("rows.csv[0]: class 0 "), std::string::npos) << text.out;
  // A row of the wrong width is an error naming the file, exit 2.
  write_file(tmp / "bad.csv", "5.1,3.5,1.4\n");
  CliResult bad = run_gradnet({"predict", tmp / "run", tmp / "bad.csv"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.csv"), std::string::npos) << bad.err;
}

namespace {

// A CIFAR-10-format dataset of a few random images per batch, with batches.meta.txt.
void write_fake_cifar(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::uint32_t h = 12345;
  auto records = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s.push_back(static_cast<char>(i % 10));
      for (int k = 0; k < 3072; ++k) {
        h = h * 1664525u + 1013904223u;
        s.push_back(static_cast<char>(h >> 24));
      }
    }
    return s;
  };
  for (int f = 1; f <= 5; ++f) write_file(dir + "/data_batch_" + std::to_string(f) + ".bin", records(10));
  write_file(dir + "/test_batch.bin", records(10));
  write_file(dir + "/batches.meta.txt", "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
}

}  // namespace

TEST(CliPredict, CifarClassNamesFromBatchesMeta) {
  TempDir tmp;
  write_fake_cifar(tmp / "cifar");
  write_file(tmp / "c.toml", "name = \"cifar-tiny\"\n[data]\ndataset = \"cifar10\"\ndir = \"" + tmp / "cifar" +
                                 "\"\nvalidation = 10\n[model]\ninput = [3, 32, 32]\nlayers = [{ type = \"linear\", "
                                 "out = 10 }]\n[train]\nepochs = 1\nbatch_size = 8\nthreads = 1\n");
  CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / "run", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                          "dog",      "frog",       "horse", "ship", "truck"};
  CliResult e = run_gradnet({"eval", tmp / "run", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(last_json_line(e.out)["class_names"].get<std::vector<std::string>>(), names);

  std::vector<std::uint8_t> px(32 * 32 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7);
  gradnet::write_png_rgb(tmp / "rgb.png", px.data(), 32, 32);
  r = run_gradnet({"predict", tmp / "run", tmp / "rgb.png", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json pred = last_json_line(r.out)["predictions"][0];
  EXPECT_EQ(pred["name"], names[pred["class"].get<std::size_t>()]);
  // A grayscale image for this RGB model: the option that converts it.
  gradnet::write_png_gray(tmp / "gray.png", px.data(), 32, 32);
  r = run_gradnet({"predict", tmp / "run", tmp / "gray.png"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("gray.png: a 1x32x32 grayscale image; the model expects a 3x32x32 RGB image"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --rgb"), std::string::npos) << r.err;
  r = run_gradnet({"predict", tmp / "run", tmp / "gray.png", "--rgb"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" (class "), std::string::npos) << r.out;
}
