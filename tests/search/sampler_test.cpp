// Samplers and narrowing: determinism, the grid's coverage, the narrowing rule.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../../src/search/sampler.h"

namespace gradnet::search {
namespace {

std::vector<SpaceDim> space() {
  return {{"optimizer.lr", "log_uniform", 1e-3, 1.0, {}},
          {"optimizer.momentum", "uniform", 0.0, 0.99, {}},
          {"model.layers[0].out", "int_log", 16, 256, {}},
          {"optimizer.type", "choice", 0, 0, {"sgd", "adam"}}};
}

TEST(Sampler, RandomDependsOnlyOnSeedStageAndTrial) {
  const auto a = sample_random(space(), 7, 0, 3);
  const auto b = sample_random(space(), 7, 0, 3);
  ASSERT_EQ(a.size(), 4u);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].literal, b[i].literal);
  EXPECT_NE(sample_random(space(), 7, 0, 4)[0].literal, a[0].literal);
  EXPECT_NE(sample_random(space(), 8, 0, 3)[0].literal, a[0].literal);
  EXPECT_NE(sample_random(space(), 7, 1, 3)[0].literal, a[0].literal);
}

TEST(Sampler, RandomStaysInRangeAndCoversIt) {
  double lo = 1, hi = 0;
  std::set<std::string> types;
  for (int k = 0; k < 400; ++k) {
    const auto p = sample_random(space(), 1, 0, k);
    ASSERT_TRUE(p[0].number && p[1].number && p[2].number);
    EXPECT_GE(*p[0].number, 1e-3);
    EXPECT_LE(*p[0].number, 1.0);
    EXPECT_GE(*p[1].number, 0.0);
    EXPECT_LE(*p[1].number, 0.99);
    EXPECT_EQ(*p[2].number, std::floor(*p[2].number));
    EXPECT_GE(*p[2].number, 16);
    EXPECT_LE(*p[2].number, 256);
    lo = std::min(lo, *p[0].number);
    hi = std::max(hi, *p[0].number);
    types.insert(p[3].literal);
  }
  EXPECT_LT(lo, 3e-3);  // log-uniform: the low decade is sampled as often as the high one
  EXPECT_GT(hi, 0.3);
  EXPECT_EQ(types.size(), 2u);
}

TEST(Sampler, GridCoversEveryCombinationOnce) {
  std::vector<SpaceDim> grid = {{"train.seed", "grid", 0, 0, {"1", "2", "3"}},
                                {"optimizer.type", "choice", 0, 0, {"sgd", "adam"}},
                                {"optimizer.lr", "log_uniform", 1e-3, 1e-1, {}}};
  grid[2].choices = step_points(grid[2], 3);
  EXPECT_EQ(grid[2].choices, (std::vector<std::string>{"0.001", "0.01", "0.1"}));
  ASSERT_EQ(grid_size(grid), 18);
  std::set<std::string> seen;
  for (std::int64_t k = 0; k < 18; ++k) {
    const auto p = grid_point(grid, k);
    seen.insert(p[0].literal + "," + p[1].literal + "," + p[2].literal);
  }
  EXPECT_EQ(seen.size(), 18u);
}

TEST(Sampler, NarrowingCentresOnTheBestAndClipsToTheOriginalRange) {
  const auto original = space();
  std::vector<ParamValue> best = {{"optimizer.lr", "0.01", 0.01},
                                  {"optimizer.momentum", "0.9", 0.9},
                                  {"model.layers[0].out", "64", 64.0},
                                  {"optimizer.type", "adam", std::nullopt}};
  const auto narrowed = narrow_space(original, original, best, 0.5);
  // lr: log width 3 decades -> 1.5, centred on 1e-2: 10^-2.75 .. 10^-1.25
  EXPECT_NEAR(std::log10(narrowed[0].low), -2.75, 1e-9);
  EXPECT_NEAR(std::log10(narrowed[0].high), -1.25, 1e-9);
  // momentum: width 0.495 centred on 0.9 = 0.6525 .. 1.1475, clipped to 0.99
  EXPECT_NEAR(narrowed[1].low, 0.6525, 1e-9);
  EXPECT_DOUBLE_EQ(narrowed[1].high, 0.99);
  EXPECT_EQ(narrowed[2].low, std::floor(narrowed[2].low));  // integers stay integers
  EXPECT_EQ(narrowed[3].choices, original[3].choices);      // choices are not narrowed
}

}  // namespace
}  // namespace gradnet::search
