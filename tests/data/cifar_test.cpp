// CIFAR-10 binary batches: pixels in CHW order, labels, file order, .bin and .bin.gz, limits,
// class names, load_splits; every corruption is Error{data} naming the file and the record.
// With the real data present (data/cifar10), the test batch holds 1000 images per class.
#include "gradnet/data/cifar.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;
using testing::write_file;
using testing::write_gzip;

// The pixel record i of a synthetic file holds at channel c, position p (row-major 32x32).
unsigned char pixel(int file, int i, int c, int p) {
  // A hash, so gzip cannot squeeze the file to nothing (the truncation tests cut it).
  std::uint32_t h = static_cast<std::uint32_t>(file * 1000003 + i * 7919 + c * 104729 + p * 31);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return static_cast<unsigned char>(h & 0xff);
}

std::string records(int file, const std::vector<int>& labels) {
  std::string s;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    s.push_back(static_cast<char>(labels[i]));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) s.push_back(static_cast<char>(pixel(file, static_cast<int>(i), c, p)));
  }
  return s;
}

template <typename F>
std::string data_error(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << "missing '" << (part) << "' in: " << (text)

TEST(Cifar, PixelsLabelsAndFileOrder) {
  TempDir dir;
  write_file(dir / "a.bin", records(0, {3, 0, 9}));
  write_gzip(dir / "b.bin.gz", records(1, {7, 1}));
  const Dataset d = load_cifar_batches({dir / "a.bin", dir / "b.bin.gz"});
  EXPECT_EQ(d.shape, (Shape{3, 32, 32}));
  EXPECT_EQ(d.classes, 10);
  ASSERT_EQ(d.size(), 5);
  EXPECT_EQ(d.y, (std::vector<std::int32_t>{3, 0, 9, 7, 1}));
  // Row 3 is file b's record 0; feature c * 1024 + p is channel c at position p.
  for (int c = 0; c < 3; ++c)
    for (int p : {0, 1, 33, 1023}) {
      EXPECT_EQ(d.at(0, c * 1024 + p), pixel(0, 0, c, p));
      EXPECT_EQ(d.at(2, c * 1024 + p), pixel(0, 2, c, p));
      EXPECT_EQ(d.at(3, c * 1024 + p), pixel(1, 0, c, p));
      EXPECT_EQ(d.at(4, c * 1024 + p), pixel(1, 1, c, p));
    }
  EXPECT_EQ(d.source, dir / "a.bin");
}

TEST(Cifar, LimitReadsOnlyTheFilesNeeded) {
  TempDir dir;
  write_file(dir / "a.bin", records(0, {1, 2, 3}));
  write_file(dir / "b.bin", records(1, {4, 5}));
  write_file(dir / "broken.bin", "not a record");  // past the limit: never decoded
  const Dataset d = load_cifar_batches({dir / "a.bin", dir / "b.bin", dir / "broken.bin"}, 4);
  EXPECT_EQ(d.y, (std::vector<std::int32_t>{1, 2, 3, 4}));
  EXPECT_TRUE(d.byte_rows);
  EXPECT_EQ(d.bytes.size(), 4u * 3072u);
  // ... but every file must exist.
  EXPECT_HAS(data_error([&] { load_cifar_batches({dir / "a.bin", dir / "missing.bin"}, 2); }), "missing.bin: no such file");
}

TEST(Cifar, TruncatedRecordNamesFileAndRecord) {
  TempDir dir;
  const std::string bytes = records(0, {1, 2, 3});
  write_file(dir / "t.bin", bytes.substr(0, 2 * 3073 + 100));
  const std::string e = data_error([&] { load_cifar_batches({dir / "t.bin"}); });
  EXPECT_HAS(e, "t.bin: 6246 bytes is not a whole number of 3073-byte records: record 2 has only 100 bytes");
}

TEST(Cifar, LabelOutOfRange) {
  TempDir dir;
  write_gzip(dir / "l.bin.gz", records(0, {1, 10, 3}));
  EXPECT_HAS(data_error([&] { load_cifar_batches({dir / "l.bin.gz"}); }), "l.bin.gz: record 1: label 10 is out of range 0..9");
}

TEST(Cifar, TruncatedGzipStream) {
  TempDir dir;
  write_gzip(dir / "full.bin.gz", records(0, {1, 2, 3, 4}));
  const std::string gz = testing::read_file(dir / "full.bin.gz");
  ASSERT_GT(gz.size(), 6000u);  // the pixels are hashed: gzip cannot make them small
  write_file(dir / "cut.bin.gz", gz.substr(0, gz.size() / 2));
  const std::string e = data_error([&] { load_cifar_batches({dir / "cut.bin.gz"}); });
  EXPECT_HAS(e, "cut.bin.gz: ");
  EXPECT_HAS(e, "record");
  EXPECT_HAS(e, "the gzip stream ends early");
  // Cut exactly after the trailer's CRC is gone: whole records, still an error.
  write_file(dir / "notrailer.bin.gz", gz.substr(0, gz.size() - 8));
  EXPECT_HAS(data_error([&] { load_cifar_batches({dir / "notrailer.bin.gz"}); }), "notrailer.bin.gz: the gzip stream ends early, after record 3");
}

TEST(Cifar, CorruptGzipStream) {
  TempDir dir;
  write_gzip(dir / "c.bin.gz", records(0, {1, 2, 3, 4}));
  std::string gz = testing::read_file(dir / "c.bin.gz");
  for (std::size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  write_file(dir / "c.bin.gz", gz);
  const std::string e = data_error([&] { load_cifar_batches({dir / "c.bin.gz"}); });
  EXPECT_HAS(e, "c.bin.gz");
  EXPECT_HAS(e, "record");
}

TEST(Cifar, EmptyAndMissingFiles) {
  TempDir dir;
  write_file(dir / "e.bin", "");
  EXPECT_HAS(data_error([&] { load_cifar_batches({dir / "e.bin"}); }), "e.bin: empty file");
  EXPECT_HAS(data_error([&] { load_cifar_batches({dir / "nope.bin"}); }), "nope.bin: no such file");
  EXPECT_HAS(data_error([&] { find_cifar_file(dir.path().string(), "data_batch_3"); }),
             "no data_batch_3.bin or data_batch_3.bin.gz");
}

TEST(Cifar, ClassNames) {
  TempDir dir;
  write_file(dir / "meta.txt", "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
  const auto names = load_cifar_class_names(dir / "meta.txt");
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "airplane");
  EXPECT_EQ(names[9], "truck");
  write_file(dir / "short.txt", "airplane\nautomobile\n");
  EXPECT_HAS(data_error([&] { load_cifar_class_names(dir / "short.txt"); }), "short.txt: 2 class names, expected 10");
}

// A data directory of five 4-record training batches (raw and gzipped) and a 3-record test batch.
struct FakeCifar {
  TempDir dir;
  FakeCifar() {
    for (int f = 1; f <= 5; ++f) {
      const std::string bytes = records(f, {f % 10, (f + 1) % 10, (f + 2) % 10, (f + 3) % 10});
      if (f % 2) write_gzip(dir / fmt::format("data_batch_{}.bin.gz", f), bytes);
      else write_file(dir / fmt::format("data_batch_{}.bin", f), bytes);
    }
    write_gzip(dir / "test_batch.bin.gz", records(9, {9, 8, 7}));
    write_file(dir / "batches.meta.txt", "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
  }
  DataConfig config() const {
    DataConfig c;
    c.dataset = DatasetKind::cifar10;
    c.dir = dir.path().string();
    c.validation = 5;
    return c;
  }
};

TEST(Cifar, LoadSplits) {
  FakeCifar fake;
  const Splits s = load_splits(fake.config(), "", 1);
  EXPECT_EQ(s.train.size(), 15);
  EXPECT_EQ(s.val.size(), 5);  // the last 5 of the 20 training records
  EXPECT_EQ(s.test.size(), 3);
  EXPECT_EQ(s.train.shape, (Shape{3, 32, 32}));
  EXPECT_EQ(s.train.y[0], 1);
  EXPECT_EQ(s.val.y[4], 8);  // data_batch_5's last record: (5 + 3) % 10
  EXPECT_EQ(s.val.at(4, 2 * 1024 + 5), pixel(5, 3, 2, 5));
  EXPECT_EQ(s.test.y, (std::vector<std::int32_t>{9, 8, 7}));
  ASSERT_EQ(s.test.class_names.size(), 10u);
  EXPECT_EQ(s.train.class_names[3], "cat");

  DataConfig limited = fake.config();
  limited.train_limit = 6;
  limited.test_limit = 2;
  limited.validation = 1;
  const Splits l = load_splits(limited, "", 1);
  EXPECT_EQ(l.train.size(), 5);
  EXPECT_EQ(l.val.size(), 1);
  EXPECT_EQ(l.val.y[0], 3);  // data_batch_2's record 1
  EXPECT_EQ(l.test.size(), 2);

  std::filesystem::remove(fake.dir / "data_batch_4.bin");
  EXPECT_HAS(data_error([&] { load_splits(fake.config(), "", 1); }), "no data_batch_4.bin or data_batch_4.bin.gz");
}

TEST(Cifar, RealTestBatchHasAThousandPerClass) {
  const std::string dir = testing::find_dataset_dir("cifar10");
  ASSERT_FALSE(dir.empty()) << "data/cifar10 not found: run scripts/setup (it links or downloads CIFAR-10)";
  const Dataset d = load_cifar_batches({find_cifar_file(dir, "test_batch")});
  ASSERT_EQ(d.size(), 10000);
  std::vector<int> per_class(10, 0);
  for (std::int32_t y : d.y) ++per_class[static_cast<std::size_t>(y)];
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
  // The official test_batch starts with a cat (3), then two ships; first red pixels 158, 159, 165.
  EXPECT_EQ(d.y[0], 3);
  EXPECT_EQ(d.y[1], 8);
  EXPECT_EQ(d.at(0, 0), 158.0f);
  EXPECT_EQ(d.at(0, 2), 165.0f);
  EXPECT_EQ(d.at(0, 1024), 112.0f);  // first green pixel
}

}  // namespace
}  // namespace gradnet
