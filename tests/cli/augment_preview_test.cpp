// [augment] through the binary: `gradnet augment-preview` writes a PNG grid of the expected size
// (grey for MNIST, RGB for 3-channel data), training with augmentation is deterministic, differs
// from training without it, and resumes bit-identically (at an epoch boundary and mid-epoch).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/data/image.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

// The tiny MNIST MLP on image-shaped input, with augmentation.
std::string augmented_config(const std::string& extra = "") {
  std::string c = tiny_mnist_config(mnist_dir(), "[augment]\nhflip = 0.5\ncrop_padding = 2\nrotation = 10\n"
                                                 "scale = [0.9, 1.1]\ncontrast = 0.3\nnoise_std = 0.1\ncutout = 6\n" +
                                                     extra);
  const std::string flat = "input = [784]";
  c.replace(c.find(flat), flat.size(), "input = [1, 28, 28]");
  return c;
}

// Expected preview size (augment.h): tiles of W·zoom + 2, 2 more around, 6 more after the first column.
std::pair<long, long> preview_size(long rows, long versions, long h, long w, long zoom) {
  return {(versions + 1) * (w * zoom + 2) + 2 + 6, rows * (h * zoom + 2) + 2};
}

}  // namespace

TEST(AugmentPreview, WritesAGreyGridOfTheExpectedSize) {
  TempDir tmp;
  write_file(tmp / "c.toml", augmented_config());
  const std::string png = tmp / "grid.png";
  CliResult r = run_gradnet({"augment-preview", tmp / "c.toml", "--out", png, "--count", "3", "--versions", "4",
                             "--zoom", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(png), std::string::npos) << r.out;
  const gradnet::Dataset d = gradnet::load_png_images({png});
  const auto [w, h] = preview_size(3, 4, 28, 28, 2);
  EXPECT_EQ(d.shape, (gradnet::Shape{1, h, w}));
  // The first tile is the example as given: digit pixels (bright) on black, not the white background.
  float tile_max = 0;
  for (long y = 2; y < 2 + 56; ++y)
    for (long x = 2; x < 2 + 56; ++x) tile_max = std::max(tile_max, d.x[y * w + x]);
  EXPECT_GT(tile_max, 200);
  // Same seed, same picture; another seed, another.
  CliResult again = run_gradnet({"augment-preview", tmp / "c.toml", "--out", tmp / "again.png", "--count", "3",
                                 "--versions", "4", "--zoom", "2"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(read_file(png) == read_file(tmp / "again.png"));
  CliResult other = run_gradnet({"augment-preview", tmp / "c.toml", "--out", tmp / "other.png", "--count", "3",
                                 "--versions", "4", "--zoom", "2", "--seed", "99"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_FALSE(read_file(png) == read_file(tmp / "other.png"));
}

TEST(AugmentPreview, ThreeChannelDataGivesAnRgbGrid) {
  TempDir tmp;
  std::ofstream csv(tmp / "rgb.csv");
  for (int i = 0; i < 40; ++i) {  // 3 x 4 x 4 pixels, then the label
    for (int j = 0; j < 48; ++j) csv << (i * 7 + j * 13) % 256 << ",";
    csv << i % 2 << "\n";
  }
  csv.close();
  write_file(tmp / "c.toml",
             "[data]\ndataset = \"csv\"\npath = \"rgb.csv\"\nvalidation = 0\nnormalize = \"scale01\"\n"
             "[augment]\nhflip = 0.5\nbrightness = 0.4\nsaturation = 0.4\n"
             "[model]\ninput = [3, 4, 4]\nlayers = [{ type = \"linear\", out = 2 }]\n");
  const std::string png = tmp / "rgb.png";
  CliResult r = run_gradnet({"augment-preview", tmp / "c.toml", "--out", png, "--count", "2", "--versions", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const gradnet::Dataset d = gradnet::load_png_images({png});
  const auto [w, h] = preview_size(2, 3, 4, 4, 3);
  EXPECT_EQ(d.shape, (gradnet::Shape{3, h, w}));
}

TEST(AugmentPreview, NothingToPreviewAndBadInputExit2) {
  TempDir tmp;
  std::string plain = tiny_mnist_config(mnist_dir());
  plain.replace(plain.find("input = [784]"), 13, "input = [1, 28, 28]");
  write_file(tmp / "plain.toml", plain);
  CliResult none = run_gradnet({"augment-preview", tmp / "plain.toml", "--out", tmp / "x.png"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("[augment] turns nothing on"), std::string::npos) << none.err;
  CliResult typo = run_gradnet({"augment-preview", tmp / "plain.toml", "--set", "augment.hflp=0.5"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'augment.hflip'"), std::string::npos) << typo.err;
  EXPECT_FALSE(fs::exists(tmp / "x.png"));
}

TEST(AugmentTraining, DeterministicAndDifferentFromPlainTraining) {
  TempDir tmp;
  write_file(tmp / "c.toml", augmented_config());
  for (const char* run : {"a", "b"}) {
    CliResult r = run_gradnet({"train", tmp / "c.toml", "--out", tmp / run, "-q", "--epochs", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_TRUE(read_file(tmp / "a/model.safetensors") == read_file(tmp / "b/model.safetensors"));
  std::vector<std::string> off = {"train", tmp / "c.toml", "--out", tmp / "plain", "-q", "--epochs", "1"};
  for (const char* key : {"hflip=0", "crop_padding=0", "rotation=0", "scale=[1, 1]", "contrast=0", "noise_std=0",
                          "cutout=0"})
    off.insert(off.end(), {"--set", std::string("augment.") + key});
  CliResult plain = run_gradnet(off);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(read_file(tmp / "a/model.safetensors") == read_file(tmp / "plain/model.safetensors"));
  // The run directory's config.toml keeps [augment].
  EXPECT_NE(read_file(tmp / "a/config.toml").find("[augment]\nhflip = 0.5"), std::string::npos);
}

TEST(AugmentTraining, ResumeIsBitIdentical) {
  TempDir tmp;
  // Checkpoints every 10 steps (2000 - 200 examples / 64: 29 steps per epoch), all kept.
  write_file(tmp / "c.toml", augmented_config() + "[checkpoint]\nevery_steps = 10\nkeep_last = 100\n");
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "ref", "-q", "--epochs", "3"}).exit_code, 0);
  const std::string reference = read_file(tmp / "ref/model.safetensors");

  // At an epoch boundary: 2 epochs, then extended to 3.
  ASSERT_EQ(run_gradnet({"train", tmp / "c.toml", "--out", tmp / "short", "-q", "--epochs", "2"}).exit_code, 0);
  CliResult extended = run_gradnet({"train", "--resume", tmp / "short", "-q", "--epochs", "3"});
  ASSERT_EQ(extended.exit_code, 0) << extended.err;
  EXPECT_TRUE(read_file(tmp / "short/model.safetensors") == reference) << "resumed at an epoch boundary";

  // Mid-epoch: the reference run cut back to its step-40 checkpoint (epoch 2, step 11 of 29).
  fs::copy(tmp / "ref", tmp / "cut", fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(tmp / "cut/checkpoints")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && name > "step-00000040.safetensors") fs::remove(e.path());
  }
  fs::remove(tmp / "cut/model.safetensors");
  ASSERT_TRUE(fs::exists(tmp / "cut/checkpoints/step-00000040.safetensors"));
  CliResult resumed = run_gradnet({"train", "--resume", tmp / "cut", "-q"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(read_file(tmp / "cut/model.safetensors") == reference) << "resumed mid-epoch (step 40)";
}
