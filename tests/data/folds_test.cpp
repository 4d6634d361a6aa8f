// Cross-validation folds (data.folds, data.fold): fold_rows' rule, load_splits' use of it (the
// test split untouched, data.validation ignored), and normalization fitted on each fold's
// training part only.
#include "gradnet/data/folds.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "gradnet/config.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/train/prepare.h"
#include "test_support.h"

namespace gradnet {
namespace {

TEST(Folds, EveryRowValidatedExactlyOnceAndNeverTrainedOnInItsFold) {
  const Index n = 103;
  const std::int64_t k = 5;
  std::vector<int> validated(n, 0);
  for (std::int64_t i = 0; i < k; ++i) {
    const FoldRows r = fold_rows(n, k, i, 7);
    // Contiguous k-ths of the shuffled order: sizes floor((i+1)n/k) - floor(in/k), 20 or 21 here.
    EXPECT_EQ(static_cast<Index>(r.val.size()), (i + 1) * n / k - i * n / k) << "fold " << i;
    EXPECT_EQ(static_cast<Index>(r.train.size() + r.val.size()), n);
    EXPECT_TRUE(std::is_sorted(r.train.begin(), r.train.end()));
    EXPECT_TRUE(std::is_sorted(r.val.begin(), r.val.end()));
    std::vector<Index> both;
    std::set_intersection(r.train.begin(), r.train.end(), r.val.begin(), r.val.end(), std::back_inserter(both));
    EXPECT_TRUE(both.empty()) << "fold " << i << " trains on " << both.size() << " of its validation rows";
    for (Index v : r.val) ++validated[static_cast<std::size_t>(v)];
  }
  for (Index j = 0; j < n; ++j) EXPECT_EQ(validated[static_cast<std::size_t>(j)], 1) << "row " << j;
}

TEST(Folds, DeterministicPerSeedAndShuffled) {
  const FoldRows a = fold_rows(1000, 4, 1, 3), b = fold_rows(1000, 4, 1, 3), c = fold_rows(1000, 4, 1, 4);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.train, b.train);
  EXPECT_NE(a.val, c.val);
  // Shuffled, not the contiguous rows 250..499 of the file.
  std::vector<Index> block(250);
  std::iota(block.begin(), block.end(), Index(250));
  EXPECT_NE(a.val, block);
}

Config iris(std::int64_t folds, std::int64_t fold) {
  return load_config(testing::source_dir() + "/configs/iris-mlp.toml",
                     {"data.folds=" + std::to_string(folds), "data.fold=" + std::to_string(fold)});
}

TEST(Folds, LoadSplitsCutsTheTrainingSplitAndLeavesTestAlone) {
  const Config plain = load_config(testing::source_dir() + "/configs/iris-mlp.toml");
  const std::string dir = testing::source_dir() + "/configs";
  const Splits whole = load_splits(plain.data, dir, plain.train.seed);  // 120 - 15 train, 15 val, 30 test
  const Index n = whole.train.size() + whole.val.size();
  std::vector<int> validated(static_cast<std::size_t>(n), 0);
  for (std::int64_t i = 0; i < 3; ++i) {
    const Config c = iris(3, i);
    const Splits s = load_splits(c.data, dir, c.train.seed);
    EXPECT_EQ(s.val.size(), n / 3) << "data.validation = 15 is ignored with folds";
    EXPECT_EQ(s.train.size() + s.val.size(), n);
    EXPECT_EQ(s.test.y, whole.test.y);
    EXPECT_EQ(s.test.x.size(), whole.test.x.size());
    const FoldRows rows = fold_rows(n, 3, i, c.train.seed);
    for (std::size_t j = 0; j < rows.val.size(); ++j) {  // fold i's rows, from the whole training split
      const Index r = rows.val[j];
      const Dataset& from = r < whole.train.size() ? whole.train : whole.val;
      const Index at = r < whole.train.size() ? r : r - whole.train.size();
      EXPECT_EQ(s.val.y[j], from.y[static_cast<std::size_t>(at)]);
      EXPECT_EQ(s.val.at(static_cast<Index>(j), 0), from.at(at, 0));
    }
  }
}

TEST(Folds, MoreFoldsThanExamplesIsAConfigErrorNamingDataFolds) {
  Config c = iris(2, 0);
  c.data.folds = 121;
  try {
    load_splits(c.data, testing::source_dir() + "/configs", c.train.seed);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("data.folds = 121"), std::string::npos) << e.what();
  }
}

// The normalizer of fold i is fitted on fold i's training part: its mean is that part's raw mean,
// not the whole training split's (which would leak the held-out fold into the preprocessing).
TEST(Folds, NormalizationFittedOnTheFoldsTrainingPartOnly) {
  const std::string dir = testing::source_dir() + "/configs";
  for (std::int64_t i = 0; i < 3; ++i) {
    const Config c = iris(3, i);
    const Splits raw = load_splits(c.data, dir, c.train.seed);
    const PreparedData p = prepare_data(c, dir);
    ASSERT_EQ(p.normalizer.mean.size(), 4u);
    Config all = c;
    all.data.folds = 0, all.data.fold = 0, all.data.validation = 0;
    const Splits whole = load_splits(all.data, dir, c.train.seed);
    for (Index f = 0; f < 4; ++f) {
      double fold_mean = 0, whole_mean = 0;
      for (Index r = 0; r < raw.train.size(); ++r) fold_mean += raw.train.at(r, f) / raw.train.size();
      for (Index r = 0; r < whole.train.size(); ++r) whole_mean += whole.train.at(r, f) / whole.train.size();
      EXPECT_NEAR(p.normalizer.mean[static_cast<std::size_t>(f)], fold_mean, 1e-5) << "fold " << i << " feature " << f;
      EXPECT_GT(std::abs(fold_mean - whole_mean), 1e-4) << "fold " << i << " feature " << f;
    }
  }
}

}  // namespace
}  // namespace gradnet
