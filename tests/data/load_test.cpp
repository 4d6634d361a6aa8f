// load_splits / resolve_data_dir: MNIST's 55000/5000/10000, limits, validation as count or
// fraction (always the last training rows), seeded CSV splits, custom IDX names, and the
// "not found; looked in" message.
#include "gradnet/config.h"
#include "gradnet/data/load.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "gradnet/data/idx.h"
#include "gradnet/error.h"
#include "error_of.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;
using testing::error_of;

std::string dataset_dir(const std::string& name) {
  const std::string dir = testing::find_dataset_dir(name);
  if (dir.empty()) ADD_FAILURE() << name << " not found: run scripts/setup (or set GRADNET_DATA)";
  return dir;
}

DataConfig mnist_config() {
  DataConfig c;
  c.dataset = DatasetKind::mnist;
  c.dir = dataset_dir("mnist");
  return c;
}

DataConfig iris_config() {
  DataConfig c;
  c.dataset = DatasetKind::csv;
  c.path = dataset_dir("small") + "/iris.csv";
  c.validation = 0.25;
  return c;
}

TEST(Load, MnistClassicSplit) {
  const Splits s = load_splits(mnist_config(), "", 1);
  EXPECT_EQ(s.train.size(), 55000);
  EXPECT_EQ(s.val.size(), 5000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.y[0], 5);
  EXPECT_EQ(s.test.y[0], 7);
  EXPECT_EQ(s.val.classes, 10);
  // The validation rows are the last 5000 of the training file.
  const auto labels = load_idx_labels(mnist_config().dir + "/train-labels-idx1-ubyte.gz");
  EXPECT_EQ(std::vector<std::int32_t>(labels.begin() + 55000, labels.end()), s.val.y);
}

TEST(Load, LimitsThenValidationFraction) {
  DataConfig c = mnist_config();
  c.train_limit = 1000;
  c.test_limit = 300;
  c.validation = 0.1;
  const Splits s = load_splits(c, "", 1);
  EXPECT_EQ(s.train.size(), 900);
  EXPECT_EQ(s.val.size(), 100);
  EXPECT_EQ(s.test.size(), 300);
  c.validation = 0;
  EXPECT_EQ(load_splits(c, "", 1).val.size(), 0);
  c.validation = 1000;
  const std::string m = error_of([&] { load_splits(c, "", 1); }, ErrorKind::config);
  EXPECT_NE(m.find("data.validation = 1000"), std::string::npos) << m;
  EXPECT_NE(m.find("1000 training examples"), std::string::npos) << m;
}

TEST(Load, MnistClassNamesAreTheDigits) {
  DataConfig c;
  c.dataset = DatasetKind::mnist;
  c.dir = dataset_dir("mnist");
  c.test_limit = 10;
  const Dataset test = load_test_split(c, "", 1);
  EXPECT_EQ(test.class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
}

TEST(Load, FashionMnistFoundBySearch) {
  DataConfig c;
  c.dataset = DatasetKind::fashion_mnist;
  c.dir = dataset_dir("fashion-mnist");
  c.train_limit = 100;
  c.validation = 10;
  const Splits s = load_splits(c, "", 1);
  EXPECT_EQ(s.train.size(), 90);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.test.class_names.at(9), "Ankle boot");
}

TEST(Load, CsvSeededHeldOutTest) {
  const Splits a = load_splits(iris_config(), "", 1);
  EXPECT_EQ(a.test.size(), 30);  // test_fraction 0.2 of 150
  EXPECT_EQ(a.val.size(), 30);   // 0.25 of the remaining 120
  EXPECT_EQ(a.train.size(), 90);
  EXPECT_EQ(a.train.classes, 3);
  EXPECT_EQ(a.test.class_names.size(), 3u);
  const Splits b = load_splits(iris_config(), "", 1);
  const Splits c = load_splits(iris_config(), "", 2);
  EXPECT_EQ(a.test.y, b.test.y);
  EXPECT_EQ(a.train.x.to_vector(), b.train.x.to_vector());
  EXPECT_NE(a.train.x.to_vector(), c.train.x.to_vector());
  // Shuffled before splitting: iris is sorted by class, the held-out rows must not be.
  EXPECT_GT(std::count(a.test.y.begin(), a.test.y.end(), 0), 0);
  EXPECT_GT(std::count(a.test.y.begin(), a.test.y.end(), 2), 0);
}

TEST(Load, CsvRelativePathAndTestFile) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "cfg");
  testing::write_file(dir / "cfg/train.csv", "x,label\n1,cat\n2,dog\n3,cat\n4,dog\n");
  testing::write_file(dir / "cfg/test.csv", "x,label\n5,dog\n");
  DataConfig c;
  c.dataset = DatasetKind::csv;
  c.path = "train.csv";
  c.test_path = "test.csv";
  c.validation = 1;
  const Splits s = load_splits(c, dir / "cfg", 1);
  EXPECT_EQ(s.train.size(), 3);
  EXPECT_EQ(s.val.size(), 1);
  ASSERT_EQ(s.test.size(), 1);
  EXPECT_EQ(s.test.y[0], 1);  // "dog" numbered as in the training file, though it is alone here
  EXPECT_EQ(s.test.classes, 2);
}

TEST(Load, CustomIdxNamesRaw) {
  TempDir dir;
  testing::write_file(dir / "a-img", testing::idx_images(20, 4, 4));
  testing::write_file(dir / "a-lab", testing::idx_labels(std::vector<std::uint8_t>(20, 3)));
  testing::write_gzip(dir / "b-img.gz", testing::idx_images(5, 4, 4));
  testing::write_gzip(dir / "b-lab.gz", testing::idx_labels(std::vector<std::uint8_t>(5, 1)));
  DataConfig c;
  c.dataset = DatasetKind::idx;
  c.dir = dir.path().filename().string();  // relative to the "config dir", its parent
  c.train_images = "a-img";
  c.train_labels = "a-lab";
  c.test_images = "b-img";  // ".gz" found on its own
  c.test_labels = "b-lab.gz";
  c.validation = 0.5;
  const Splits s = load_splits(c, dir.path().parent_path().string(), 1);
  EXPECT_EQ(s.train.size(), 10);
  EXPECT_EQ(s.test.size(), 5);
  c.test_labels = "c-lab";
  const std::string m = error_of([&] { load_splits(c, dir.path().parent_path().string(), 1); }, ErrorKind::data);
  EXPECT_NE(m.find("no c-lab or c-lab.gz (data.test_labels)"), std::string::npos) << m;
}

TEST(Load, ResolveDataDir) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "mine" / "mnist");
  DataConfig c;
  c.dataset = DatasetKind::mnist;
  ::setenv("GRADNET_DATA", (dir / "mine").c_str(), 1);
  EXPECT_EQ(resolve_data_dir(c, ""), dir / "mine/mnist");
  c.dataset = DatasetKind::cifar10;  // not under mine/, nor in any other place looked at
  const std::string m = error_of([&] { resolve_data_dir(c, dir / "configs"); }, ErrorKind::data);
  ::unsetenv("GRADNET_DATA");
  for (const std::string& part : {std::string("dataset 'cifar10' not found; looked in: "), dir / "mine/cifar10",
                                  std::string("data/cifar10"), dir / "data/cifar10",
                                  std::string("/usr/share/datasets/cifar10"), std::string("run scripts/setup or set data.dir")})
    EXPECT_NE(m.find(part), std::string::npos) << "'" << part << "' not in: " << m;
  c.dir = "elsewhere";
  const std::string m2 = error_of([&] { resolve_data_dir(c, dir.path().string()); }, ErrorKind::data);
  EXPECT_NE(m2.find(dir / "elsewhere"), std::string::npos) << m2;
}

TEST(Load, EmptyTrainingSet) {
  TempDir dir;
  testing::write_file(dir / "x.csv", "1,0\n");
  DataConfig c;
  c.dataset = DatasetKind::csv;
  c.path = dir / "x.csv";
  c.test_fraction = 0.9;  // the only row goes to test
  c.validation = 0;
  const std::string m = error_of([&] { load_splits(c, "", 1); }, ErrorKind::data);
  EXPECT_NE(m.find("x.csv: no training examples"), std::string::npos) << m;
}

TEST(Load, UnknownDataset) {  // the word is the config's to refuse; load_splits takes the enum
  const std::string m = error_of(
      [&] { parse_config("[data]\ndataset = \"cifar7\"\n[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n",
                         "c.toml"); },
      ErrorKind::config);
  EXPECT_NE(m.find("cifar7"), std::string::npos);
  EXPECT_NE(m.find("data.dataset"), std::string::npos);
}

}  // namespace
}  // namespace gradnet
