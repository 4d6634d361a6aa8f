// data.classes (a class subset, relabelled 0..k-1 in the order given) and data.train_per_class (the
// first N training examples of each class), on small IDX files and Fashion-MNIST's names; bad values.
#include <gtest/gtest.h>

#include "gradnet/config.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;

// 12 training images labelled 0 1 2 3 0 1 2 3 ..., 4 test images labelled 3 2 1 0.
struct SmallIdx {
  TempDir tmp;
  SmallIdx() {
    testing::write_file(tmp / "train-images", testing::idx_images(12, 2, 2));
    testing::write_file(tmp / "train-labels", testing::idx_labels({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}));
    testing::write_file(tmp / "test-images", testing::idx_images(4, 2, 2));
    testing::write_file(tmp / "test-labels", testing::idx_labels({3, 2, 1, 0}));
  }
  DataConfig config(std::vector<std::int64_t> classes) const {
    DataConfig c;
    c.dataset = DatasetKind::idx;
    c.dir = tmp.path().string();
    c.train_images = "train-images";
    c.train_labels = "train-labels";
    c.test_images = "test-images";
    c.test_labels = "test-labels";
    c.validation = 0;
    c.classes = std::move(classes);
    return c;
  }
};

std::vector<float> row(const Dataset& d, Index i) {
  std::vector<float> r;
  for (Index j = 0; j < d.features(); ++j) r.push_back(d.at(i, j));
  return r;
}

TEST(ClassSubset, KeepsTheClassesAndRelabelsThemInTheOrderGiven) {
  const SmallIdx idx;
  const Splits all = load_splits(idx.config({}), "", 1);
  const Splits s = load_splits(idx.config({3, 1}), "", 1);
  EXPECT_EQ(s.train.classes, 2);
  EXPECT_EQ(s.train.y, (std::vector<std::int32_t>{1, 0, 1, 0, 1, 0}));  // 1 -> 1, 3 -> 0, in file order
  EXPECT_EQ(row(s.train, 0), row(all.train, 1));  // the rows themselves are untouched
  EXPECT_EQ(row(s.train, 1), row(all.train, 3));
  EXPECT_EQ(s.test.y, (std::vector<std::int32_t>{0, 1}));  // test labels 3, 1
  EXPECT_EQ(row(s.test, 1), row(all.test, 2));
  EXPECT_EQ(load_test_split(idx.config({3, 1}), "", 1).y, s.test.y);  // eval's path too
}

TEST(ClassSubset, TrainPerClassTakesTheFirstNOfEachClassBeforeTheValidationSplit) {
  const SmallIdx idx;
  DataConfig c = idx.config({2, 0});
  c.train_per_class = 2;
  const Splits s = load_splits(c, "", 1);
  EXPECT_EQ(s.train.y, (std::vector<std::int32_t>{1, 0, 1, 0}));
  c.validation = 1;
  const Splits v = load_splits(c, "", 1);
  EXPECT_EQ(v.train.size(), 3);
  EXPECT_EQ(v.val.y, (std::vector<std::int32_t>{0}));  // the last kept row
}

TEST(ClassSubset, FashionMnistKeepsTheNamesOfTheClassesKept) {
  DataConfig c;
  c.dataset = DatasetKind::fashion_mnist;
  c.dir = testing::find_dataset_dir("fashion-mnist");
  if (c.dir.empty()) GTEST_FAIL() << "fashion-mnist not found: run scripts/setup (or set GRADNET_DATA)";
  c.classes = {5, 6, 7, 8, 9};
  c.train_per_class = 20;
  c.validation = 0;
  const Splits s = load_splits(c, "", 1);
  EXPECT_EQ(s.train.size(), 100);
  EXPECT_EQ(s.test.size(), 5000);
  EXPECT_EQ(s.train.class_names, (std::vector<std::string>{"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}));
  for (std::int32_t y : s.test.y) EXPECT_LT(y, 5);
}

TEST(ClassSubset, BadValuesAreErrorsNamingTheKey) {
  const SmallIdx idx;
  try {
    load_splits(idx.config({1, 12}), "", 1);
    ADD_FAILURE() << "class 12 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    EXPECT_NE(std::string(e.what()).find("data.classes: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("train-images"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("there is no class 12"), std::string::npos) << e.what();
  }
  try {
    load_splits(idx.config({7}), "", 1);  // a label the files allow but never use
    ADD_FAILURE() << "an empty subset accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no example of classes [7]"), std::string::npos) << e.what();
  }
  const std::string base = "[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n[data]\n";
  for (const auto& [line, part] : std::vector<std::pair<std::string, std::string>>{
           {"classes = [1, 1]", "a list of distinct class labels"},
           {"classes = [-1]", "data.classes"},
           {"classes = \"5-9\"", "data.classes"},
           {"train_per_class = -3", "data.train_per_class"}}) {
    try {
      parse_config(base + line + "\n", "subset.toml");
      ADD_FAILURE() << line << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config) << line;
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << line << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace gradnet
