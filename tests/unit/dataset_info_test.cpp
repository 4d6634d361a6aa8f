// RUNDIR/dataset.json: class names and raw image statistics, described from the raw splits,
// written and read back; a run without the file reads as empty, a damaged one is an error.
#include "gradnet/train/dataset_info.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

// n 3x3 grayscale byte images: border `edge`, centre `centre`.
Dataset images(Index n, std::uint8_t edge, std::uint8_t centre) {
  Dataset d;
  d.shape = {1, 3, 3};
  d.byte_rows = true;
  for (Index i = 0; i < n; ++i)
    for (Index p = 0; p < 9; ++p) d.bytes.push_back(p == 4 ? centre : edge);
  d.y.assign(static_cast<std::size_t>(n), 0);
  d.classes = 2;
  return d;
}

TEST(DatasetInfo, DescribesTheRawTrainingImagesAndTakesTheNamesThereAreOnePerClass) {
  Splits s;
  s.train = images(4, 0, 180);
  s.test = images(1, 0, 0);
  s.test.class_names = {"cat", "dog"};  // CIFAR-10 style: the names come with the test split too
  const DatasetInfo info = describe_dataset(s, 2);
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(info.shape, (Shape{1, 3, 3}));
  EXPECT_DOUBLE_EQ(info.border_mean, 0.0);
  EXPECT_DOUBLE_EQ(info.mean, 20.0);  // 180 in one of 9 pixels
  EXPECT_EQ(info.class_name(1), "dog");
  EXPECT_EQ(info.class_name(5), "5");
  // Names that do not cover every class are not kept (numbers are shown).
  EXPECT_TRUE(describe_dataset(s, 3).class_names.empty());
  // Feature rows have no image statistics.
  Splits rows;
  rows.train.shape = {4};
  rows.train.x = Tensor<float>({1, 4});
  rows.train.y = {0};
  EXPECT_TRUE(std::isnan(describe_dataset(rows, 1).border_mean));
}

TEST(DatasetInfo, RoundTripMissingFileAndDamagedFile) {
  testing::TempDir tmp;
  DatasetInfo info;
  info.class_names = {"T-shirt/top", "Ankle boot"};
  info.shape = {1, 28, 28};
  info.mean = 72.9;
  info.border_mean = 0.25;
  save_dataset_info(tmp / "dataset.json", info);
  const DatasetInfo back = load_dataset_info(tmp / "dataset.json");
  EXPECT_EQ(back.class_names, info.class_names);
  EXPECT_EQ(back.shape, info.shape);
  EXPECT_EQ(back.mean, info.mean);
  EXPECT_EQ(back.border_mean, info.border_mean);

  const DatasetInfo none = load_dataset_info(tmp / "absent.json");  // a run made before dataset.json
  EXPECT_TRUE(none.class_names.empty());
  EXPECT_TRUE(none.shape.empty());
  EXPECT_TRUE(std::isnan(none.border_mean));

  for (const char* bad : {"{\"class_names\": 3}", "not json", "{\"shape\": [0, 28]}"}) {
    testing::write_file(tmp / "bad.json", bad);
    try {
      load_dataset_info(tmp / "bad.json");
      ADD_FAILURE() << "no error for " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::checkpoint);
      EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace gradnet
