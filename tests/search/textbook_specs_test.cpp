// The shipped textbook sweeps (configs/search/textbook-*.toml, docs/textbook-sweeps.md) read as
// valid specs with the grids the docs describe: every value checked against the seed network's
// config by load_search_spec.
#include <gtest/gtest.h>

#include <map>

#include "gradnet/search/search.h"
#include "test_support.h"

namespace {

std::map<std::string, std::vector<std::string>> grids(const gradnet::search::SearchSpec& s) {
  std::map<std::string, std::vector<std::string>> g;
  for (const auto& d : s.space) {
    EXPECT_EQ(d.distribution, "grid") << d.key;
    g[d.key] = d.choices;
  }
  return g;
}

TEST(TextbookSpecs, LearningRateSweep) {
  const auto s = gradnet::search::load_search_spec(gradnet::testing::source_dir() + "/configs/search/textbook-lr.toml");
  EXPECT_EQ(s.sampler, "grid");
  EXPECT_EQ(s.objective, "test_accuracy");
  EXPECT_EQ(s.set, (std::vector<std::string>{"train.batch_size=128", "train.epochs=10"}));
  const auto g = grids(s);
  EXPECT_EQ(g.at("optimizer.lr"), (std::vector<std::string>{"0.2", "0.3", "0.5", "0.8"}));
  EXPECT_EQ(g.at("train.seed"), (std::vector<std::string>{"1", "2", "3"}));
}

TEST(TextbookSpecs, BatchSizeSweep) {
  const auto s =
      gradnet::search::load_search_spec(gradnet::testing::source_dir() + "/configs/search/textbook-batch.toml");
  EXPECT_EQ(s.sampler, "grid");
  const auto g = grids(s);
  EXPECT_EQ(g.at("train.batch_size"), (std::vector<std::string>{"16", "32"}));
  EXPECT_EQ(g.at("optimizer.lr").size(), 4u);
  EXPECT_EQ(g.at("train.seed").size(), 3u);
}

}  // namespace
