// Image folders (data.dataset = "folder"): classes from sorted folder names, the two layouts,
// the seeded hold-out, PNG and JPEG, conversions (data.channels, data.image_size), and every
// bad input naming its path: no class folders, an empty class folder, a corrupt or truncated
// image, a size or channel count unlike the first image's, an unknown test class.
#include "gradnet/data/folder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "gradnet/data/image.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "error_of.h"
#include "test_support.h"

namespace gradnet {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::error_of;

// A side x side grey PNG whose every pixel is v.
void gray_png(const std::string& path, std::uint8_t v, int side = 4) {
  fs::create_directories(fs::path(path).parent_path());
  std::vector<std::uint8_t> px(static_cast<std::size_t>(side * side), v);
  write_png_gray(path, px.data(), side, side);
}

// A side x side RGB JPEG of one colour, or of noise around it (a file mostly of pixel data).
void rgb_jpeg(const std::string& path, std::uint8_t r, std::uint8_t g, std::uint8_t b, int side = 8, bool noisy = false) {
  fs::create_directories(fs::path(path).parent_path());
  std::vector<std::uint8_t> px;
  unsigned state = 12345;
  for (int i = 0; i < side * side; ++i)
    for (std::uint8_t v : {r, g, b}) {
      state = state * 1103515245u + 12345u;
      px.push_back(noisy ? static_cast<std::uint8_t>(v ^ (state >> 24)) : v);
    }
  write_jpeg(path, px.data(), side, side, 3, 100);
}

DataConfig folder_config(const std::string& dir) {
  DataConfig c;
  c.dataset = DatasetKind::folder;
  c.dir = dir;
  c.validation = 0;
  return c;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(FolderData, TrainAndTestFoldersGiveSortedClassNamesAndByteRows) {
  TempDir t;
  // Folder names sorted: "a_dog" is class 0, "b_cat" class 1 (torchvision's ImageFolder rule).
  for (int i = 0; i < 5; ++i) {
    gray_png(t / fmt::format("train/b_cat/{}.png", i), static_cast<std::uint8_t>(100 + i));
    gray_png(t / fmt::format("train/a_dog/sub/{}.png", i), static_cast<std::uint8_t>(10 + i));  // nested: found
  }
  gray_png(t / "test/b_cat/x.png", 200);
  gray_png(t / "test/a_dog/y.png", 20);
  const Splits s = load_splits(folder_config(t.path().string()), "", 1);
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"a_dog", "b_cat"}));
  EXPECT_EQ(s.test.class_names, s.train.class_names);
  EXPECT_EQ(s.train.classes, 2);
  EXPECT_EQ(s.train.shape, (Shape{1, 4, 4}));
  EXPECT_TRUE(s.train.byte_rows);
  ASSERT_EQ(s.train.size(), 10);
  for (Index i = 0; i < 10; ++i)  // every row's pixels match its label's folder
    EXPECT_EQ(s.train.bytes[static_cast<std::size_t>(i * 16)] >= 100, s.train.y[static_cast<std::size_t>(i)] == 1);
  // The training rows are shuffled (validation takes the last ones), the test rows sorted by path.
  EXPECT_FALSE(std::is_sorted(s.train.y.begin(), s.train.y.end()));
  EXPECT_EQ(s.test.y, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(s.test.bytes[0], 20);
  // Deterministic: the same seed gives the same order; the test split alone is the same.
  EXPECT_EQ(load_splits(folder_config(t.path().string()), "", 1).train.bytes, s.train.bytes);
  const Dataset test = load_test_split(folder_config(t.path().string()), "", 1);
  EXPECT_EQ(test.bytes, s.test.bytes);
  EXPECT_EQ(test.class_names, s.train.class_names);
}

TEST(FolderData, OneFolderHoldsOutASeededTestFraction) {
  TempDir t;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 10; ++i) gray_png(t / fmt::format("class{}/{:02}.png", c, i), static_cast<std::uint8_t>(c * 50 + i));
  DataConfig c = folder_config(t.path().string());
  c.test_fraction = 0.2;
  const Splits s = load_splits(c, "", 5);
  EXPECT_EQ(s.train.size(), 24);
  EXPECT_EQ(s.test.size(), 6);
  std::multiset<int> all;  // every image exactly once, in one split or the other
  for (const Dataset* d : {&s.train, &s.test})
    for (Index i = 0; i < d->size(); ++i) all.insert(d->bytes[static_cast<std::size_t>(i * 16)]);
  EXPECT_EQ(all.size(), 30u);
  EXPECT_EQ(std::set<int>(all.begin(), all.end()).size(), 30u);
  EXPECT_EQ(load_test_split(c, "", 5).bytes, s.test.bytes);  // eval's test split is training's
  EXPECT_NE(load_test_split(c, "", 6).bytes, s.test.bytes);  // another seed draws others
  c.train_limit = 7;
  c.test_limit = 2;
  const Splits limited = load_splits(c, "", 5);
  EXPECT_EQ(limited.train.size(), 7);
  EXPECT_EQ(limited.test.size(), 2);
}

TEST(FolderData, JpegsAreDecodedAndConvertedOnRequest) {
  TempDir t;
  rgb_jpeg(t / "red/a.jpg", 200, 0, 0);
  rgb_jpeg(t / "red/b.JPEG", 210, 10, 10);
  rgb_jpeg(t / "green/c.jpeg", 0, 180, 0, 16);  // another size
  DataConfig c = folder_config(t.path().string());
  c.test_fraction = 0;
  // Without data.image_size the 16x16 one is refused, naming it, the first file and both sizes.
  const std::string msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, "c.jpeg") && has(msg, "16x16 RGB") && has(msg, "8x8 RGB") && has(msg, "data.image_size")) << msg;
  c.image_size = {4, 4};
  c.channels = 1;
  c.test_fraction = 0.34;
  const Splits s = load_splits(c, "", 1);
  EXPECT_EQ(s.train.shape, (Shape{1, 4, 4}));
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"green", "red"}));
  for (const Dataset* d : {&s.train, &s.test})
    for (Index i = 0; i < d->size(); ++i) {
      const int v = d->bytes[static_cast<std::size_t>(i * 16 + 5)];
      // BT.601 luma of the JPEG's colour (a few levels of JPEG error allowed)
      // (red: 200,0,0 or 210,10,10, so 60 or 70)
      const double want = d->y[static_cast<std::size_t>(i)] == 0 ? 0.587 * 180 : 0.299 * 205 + 0.587 * 5 + 0.114 * 5;
      EXPECT_NEAR(v, want, 8) << i;
    }
  // RGB kept, 3 channels planar: the red plane first.
  c.channels = 0;
  const Splits rgb = load_splits(c, "", 1);
  EXPECT_EQ(rgb.train.shape, (Shape{3, 4, 4}));
}

TEST(FolderData, ChannelCountsMustAgreeUnlessConverted) {
  TempDir t;
  gray_png(t / "a/1.png", 10);
  rgb_jpeg(t / "b/2.jpg", 90, 90, 90, 4);
  DataConfig c = folder_config(t.path().string());
  c.test_fraction = 0;
  const std::string msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, "2.jpg") && has(msg, "4x4 RGB") && has(msg, "4x4 grayscale") && has(msg, "data.channels")) << msg;
  c.channels = 3;
  c.test_fraction = 0.5;
  const Splits s = load_splits(c, "", 1);
  EXPECT_EQ(s.train.shape, (Shape{3, 4, 4}));
}

TEST(FolderData, BadFoldersAreErrorsNamingThePath) {
  TempDir t;
  DataConfig c = folder_config(t.path().string());
  // No class folders at all (images at the top level do not count).
  gray_png(t / "loose.png", 1);
  std::string msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, t.path().string()) && has(msg, "no class folders")) << msg;
  // An empty class folder (a non-image file does not count).
  gray_png(t / "cat/1.png", 1);
  gray_png(t / "cat/2.png", 2);
  fs::create_directories(t / "dog");
  testing::write_file(t / "dog/readme.txt", "not an image");
  msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, t / "dog") && has(msg, "empty class folder")) << msg;
  // A file that claims to be a PNG but is not; then a truncated PNG; then a truncated JPEG.
  testing::write_file(t / "dog/fake.png", "hello, not a png at all");
  msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, t / "dog/fake.png")) << msg;
  gray_png(t / "dog/full.png", 3, 64);
  const std::string png = testing::read_file(t / "dog/full.png");
  testing::write_file(t / "dog/fake.png", png.substr(0, png.size() / 2));
  msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, t / "dog/fake.png")) << msg;
  fs::remove(t / "dog/fake.png");
  fs::remove(t / "dog/full.png");
  c.image_size = {4, 4};  // the 64x64 JPEG below is resized: its only problem is the cut
  c.channels = 1;
  rgb_jpeg(t / "dog/photo.jpg", 9, 9, 9, 64, true);
  const std::string jpeg = testing::read_file(t / "dog/photo.jpg");
  testing::write_file(t / "dog/photo.jpg", jpeg.substr(0, jpeg.size() / 2));
  msg = error_of([&] { load_splits(c, "", 1); });
  EXPECT_TRUE(has(msg, t / "dog/photo.jpg") && has(msg, "truncated")) << msg;
  fs::remove(t / "dog/photo.jpg");
  gray_png(t / "dog/ok.png", 4);
  // The non-image file is skipped with one note on stderr; hidden files silently.
  testing::write_file(t / "cat/.DS_Store", "junk");
  ::testing::internal::CaptureStderr();
  c.test_fraction = 0.34;
  const Splits s = load_splits(c, "", 1);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.train.size() + s.test.size(), 3);
  EXPECT_TRUE(has(err, "gradnet: note:") && has(err, "skipped 1 file") && has(err, "readme.txt")) << err;
  EXPECT_FALSE(has(err, ".DS_Store")) << err;
}

TEST(FolderData, ATestClassMustBeATrainingClass) {
  TempDir t;
  gray_png(t / "train/cat/1.png", 1);
  gray_png(t / "test/cat/1.png", 1);
  gray_png(t / "test/cow/1.png", 1);
  const std::string msg = error_of([&] { load_splits(folder_config(t.path().string()), "", 1); });
  EXPECT_TRUE(has(msg, t / "test/cow") && has(msg, "no training folder")) << msg;
}

TEST(FolderData, ManySmallPngsLoadQuickly) {
  // Not a timing assertion (speed is never asserted): 2000 files decode through the parallel path.
  TempDir t;
  for (int i = 0; i < 2000; ++i) gray_png(t / fmt::format("c{}/{:04}.png", i % 4, i), static_cast<std::uint8_t>(i % 251), 8);
  DataConfig c = folder_config(t.path().string());
  const Splits s = load_splits(c, "", 3);
  EXPECT_EQ(s.train.size() + s.test.size(), 2000);
  EXPECT_EQ(s.train.bytes.size(), static_cast<std::size_t>(s.train.size() * 64));
}

}  // namespace
}  // namespace gradnet
