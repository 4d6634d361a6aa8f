// IDX reader: gzip and raw round trips, every malformed-file case (Error{data} naming the file
// and the count or index), and the real MNIST / Fashion-MNIST files.
#include "gradnet/data/idx.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::idx_images;
using testing::idx_labels;
using testing::TempDir;
using testing::write_file;
using testing::write_gzip;

// Runs f, expecting Error{data} whose message contains every one of `parts`.
template <typename F>
void expect_data_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no error; expected one containing '" << parts.front() << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "'" << p << "' not in: " << e.what();
  }
}

std::vector<std::uint8_t> some_labels(int n) {
  std::vector<std::uint8_t> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<std::uint8_t>((i * 7) % 10));
  return v;
}

void expect_round_trip(bool gzip) {
  TempDir dir;
  const std::string images = idx_images(5, 3, 4), labels = idx_labels(some_labels(5));
  const std::string ip = dir / "imgs.bin", lp = dir / "labels.whatever";  // names carry no format
  if (gzip) {
    write_gzip(ip, images);
    write_gzip(lp, labels);
  } else {
    write_file(ip, images);
    write_file(lp, labels);
  }
  const Dataset d = load_idx(ip, lp);
  ASSERT_EQ(d.size(), 5);
  EXPECT_EQ(d.shape, (Shape{1, 3, 4}));
  EXPECT_EQ(d.features(), 12);
  EXPECT_EQ(d.classes, 10);
  ASSERT_TRUE(d.byte_rows);  // the file's bytes, no float copy
  ASSERT_EQ(d.bytes.size(), 60u);
  for (Index i = 0; i < 60; ++i) {
    EXPECT_EQ(d.bytes[i], static_cast<unsigned char>(images[16 + i]));
    EXPECT_EQ(d.at(i / 12, i % 12), static_cast<float>(static_cast<unsigned char>(images[16 + i])));
  }
  for (Index i = 0; i < 5; ++i) EXPECT_EQ(d.y[i], (i * 7) % 10);
}

TEST(Idx, RoundTripGzip) { expect_round_trip(true); }
TEST(Idx, RoundTripRaw) { expect_round_trip(false); }

TEST(Idx, ImagesAloneAreUnlabelled) {
  TempDir dir;
  write_file(dir / "i", idx_images(3, 2, 2, 7));
  const Dataset d = load_idx_images(dir / "i");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.classes, 0);
  EXPECT_EQ(d.at(2, 3), 7.0f);
}

TEST(Idx, MissingFile) {
  TempDir dir;
  expect_data_error([&] { load_idx_images(dir / "nope-idx3-ubyte.gz"); }, {"nope-idx3-ubyte.gz", "no such file"});
  expect_data_error([&] { load_idx_images(dir.path().string()); }, {"is a directory"});
}

TEST(Idx, BadMagic) {
  TempDir dir;
  std::string s = idx_images(2, 2, 2);
  s[2] = 0x0D;  // float elements
  write_file(dir / "float.idx", s);
  expect_data_error([&] { load_idx_images(dir / "float.idx"); }, {"float.idx", "0x0D", "float"});
  write_file(dir / "text.idx", "hello world, not idx");
  expect_data_error([&] { load_idx_images(dir / "text.idx"); }, {"text.idx", "not an IDX file"});
  write_file(dir / "labels-idx1", idx_labels({1, 2}));
  expect_data_error([&] { load_idx_images(dir / "labels-idx1"); }, {"labels-idx1", "0x00000801", "a label file"});
  write_file(dir / "images-idx3", idx_images(2, 2, 2));
  expect_data_error([&] { load_idx_labels(dir / "images-idx3"); }, {"images-idx3", "0x00000803", "an image file"});
  write_file(dir / "short", std::string("\0\0", 2));
  expect_data_error([&] { load_idx_images(dir / "short"); }, {"short", "2 bytes"});
  write_file(dir / "cut-header", idx_images(2, 2, 2).substr(0, 10));
  expect_data_error([&] { load_idx_images(dir / "cut-header"); }, {"cut-header", "header ends after 10 of its 16 bytes"});
}

TEST(Idx, ZeroSizedImages) {
  TempDir dir;
  write_file(dir / "flat", idx_images(2, 0, 5));
  expect_data_error([&] { load_idx_images(dir / "flat"); }, {"flat", "0x5"});
}

TEST(Idx, TruncatedImagesRawAndGzip) {
  TempDir dir;
  const std::string full = idx_images(100, 28, 28);
  write_file(dir / "train-images-idx3-ubyte", full.substr(0, full.size() - 1));
  expect_data_error([&] { load_idx_images(dir / "train-images-idx3-ubyte"); },
                    {"train-images-idx3-ubyte", "header says 100 images of 28x28, file holds 99"});
  write_gzip(dir / "train-images-idx3-ubyte.gz", full.substr(0, full.size() - 784));
  expect_data_error([&] { load_idx_images(dir / "train-images-idx3-ubyte.gz"); },
                    {"train-images-idx3-ubyte.gz", "header says 100 images of 28x28, file holds 99"});
}

TEST(Idx, TruncatedGzipStream) {
  TempDir dir;
  write_gzip(dir / "a.gz", idx_images(200, 28, 28));
  const std::string gz = testing::read_file(dir / "a.gz");
  write_file(dir / "cut.gz", gz.substr(0, gz.size() / 2));  // a download cut in half
  expect_data_error([&] { load_idx_images(dir / "cut.gz"); }, {"cut.gz", "header says 200 images of 28x28, file holds"});
}

TEST(Idx, CorruptGzipStream) {
  TempDir dir;
  write_gzip(dir / "a.gz", idx_images(200, 28, 28));
  std::string gz = testing::read_file(dir / "a.gz");
  for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5A);
  write_file(dir / "bad.gz", gz);
  expect_data_error([&] { load_idx_images(dir / "bad.gz"); }, {"bad.gz"});
}

TEST(Idx, TrailingGarbage) {
  TempDir dir;
  write_file(dir / "img", idx_images(4, 2, 2) + "xyz");
  expect_data_error([&] { load_idx_images(dir / "img"); }, {"img", "header says 4 images of 2x2", "3 bytes more"});
  write_gzip(dir / "lab.gz", idx_labels({1, 2, 3}) + std::string(5, '\0'));
  expect_data_error([&] { load_idx_labels(dir / "lab.gz"); }, {"lab.gz", "header says 3 labels", "5 bytes more"});
}

TEST(Idx, TruncatedLabels) {
  TempDir dir;
  const std::string full = idx_labels(some_labels(10));
  write_file(dir / "t10k-labels-idx1-ubyte", full.substr(0, full.size() - 3));
  expect_data_error([&] { load_idx_labels(dir / "t10k-labels-idx1-ubyte"); },
                    {"t10k-labels-idx1-ubyte", "header says 10 labels, file holds 7"});
}

TEST(Idx, CountMismatch) {
  TempDir dir;
  write_file(dir / "i", idx_images(6, 2, 2));
  write_file(dir / "l", idx_labels(some_labels(5)));
  expect_data_error([&] { load_idx(dir / "i", dir / "l"); }, {dir / "i", "6 images", dir / "l", "5 labels"});
}

TEST(Idx, LabelOutOfRange) {
  TempDir dir;
  std::vector<std::uint8_t> labels = some_labels(800);
  labels[731] = 12;
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(labels));
  expect_data_error([&] { load_idx_labels(dir / "t10k-labels-idx1-ubyte.gz", 10); },
                    {"t10k-labels-idx1-ubyte.gz: label 12 at index 731 is out of range 0..9"});
  EXPECT_EQ(load_idx_labels(dir / "t10k-labels-idx1-ubyte.gz", 0)[731], 12);  // 0: unchecked
  EXPECT_EQ(load_idx_labels(dir / "t10k-labels-idx1-ubyte.gz", 13).size(), 800u);
}

// The real files: scripts/setup must have made them available (no skipping).
Dataset load_real(const std::string& dataset, const char* prefix) {
  const std::string dir = testing::find_dataset_dir(dataset);
  if (dir.empty()) ADD_FAILURE() << dataset << " not found: run scripts/setup (or set GRADNET_DATA)";
  return load_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", dir + "/" + prefix + "-labels-idx1-ubyte.gz");
}

TEST(Idx, RealMnist) {
  const auto start = std::chrono::steady_clock::now();
  const Dataset train = load_real("mnist", "train");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(train.size(), 60000);
  EXPECT_EQ(train.shape, (Shape{1, 28, 28}));
  EXPECT_EQ(train.y[0], 5);
  EXPECT_EQ(*std::max_element(train.y.begin(), train.y.end()), 9);
  EXPECT_EQ(*std::min_element(train.y.begin(), train.y.end()), 0);
  EXPECT_EQ(*std::max_element(train.bytes.begin(), train.bytes.end()), 255);
  // Informational only (no test decides on a clock): the brief asks for well under a second.
  std::printf("MNIST train images + labels loaded in %.3f s\n", seconds);
  const Dataset test = load_real("mnist", "t10k");
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.y[0], 7);
}

TEST(Idx, RealFashionMnist) {
  const Dataset test = load_real("fashion-mnist", "t10k");
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.y[0], 9);  // ankle boot
}

}  // namespace
}  // namespace gradnet
