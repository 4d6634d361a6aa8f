// lr-find's pieces on synthetic curves: the sweep, the smoothing, fastai's three suggestion rules
// (valley, steepest, min/10), the trimming before them, the plot and the JSON.
#include <cmath>
#include <filesystem>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"
#include "gradnet/train/lr_find.h"
#include "test_support.h"

using namespace gradnet;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> powers_of_ten(int n, int first = -3) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(std::pow(10.0, first + i));
  return v;
}

// 20 flat points at 3, 30 strictly falling (2.9, 2.8, ... 0.0), 20 rising again: 70 points.
std::vector<double> valley_curve() {
  std::vector<double> v(20, 3.0);
  for (int i = 0; i < 30; ++i) v.push_back(2.9 - 0.1 * i);
  for (int i = 1; i <= 20; ++i) v.push_back(0.0 + 0.2 * i);
  return v;
}
}  // namespace

TEST(LrSweep, ExponentialIsGeometricFromStartToEnd) {
  const auto lrs = lr_sweep(1e-7, 10, 100, "exp");
  ASSERT_EQ(lrs.size(), 100u);
  EXPECT_DOUBLE_EQ(lrs.front(), 1e-7);
  EXPECT_DOUBLE_EQ(lrs.back(), 10);
  const double ratio = std::pow(1e8, 1.0 / 99);
  for (std::size_t i = 1; i < lrs.size(); ++i) EXPECT_NEAR(lrs[i] / lrs[i - 1], ratio, 1e-12) << i;
}

TEST(LrSweep, LinearHasEqualSteps) {
  const auto lrs = lr_sweep(0.01, 1.0, 100, "linear");
  EXPECT_DOUBLE_EQ(lrs.front(), 0.01);
  EXPECT_DOUBLE_EQ(lrs.back(), 1.0);
  for (std::size_t i = 1; i < lrs.size(); ++i) EXPECT_NEAR(lrs[i] - lrs[i - 1], 0.01, 1e-12) << i;
}

TEST(LrSweep, BadRangesAreUsageErrors) {
  for (auto [start, end, steps, mode] : std::vector<std::tuple<double, double, Index, std::string>>{
           {0, 1, 10, "exp"}, {-1, 1, 10, "exp"}, {1, 1, 10, "exp"}, {2, 1, 10, "linear"}, {1e-3, 1, 1, "exp"},
           {1e-3, 1, 10, "cosine"}}) {
    try {
      lr_sweep(start, end, steps, mode);
      ADD_FAILURE() << start << " " << end << " " << steps << " " << mode << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2) << e.what();
    }
  }
}

TEST(LossSmoother, BiasCorrectedMovingAverageByHand) {
  // beta 0.5: avg = 0.5, 1.25, 2.125; divided by 1 - 0.5^k = 0.5, 0.75, 0.875.
  const auto s = smooth_losses({1, 2, 3}, 0.5);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 1.25 / 0.75);
  EXPECT_DOUBLE_EQ(s[2], 2.125 / 0.875);
}

TEST(LossSmoother, ConstantLossStaysConstantFromTheFirstStep) {
  // Without the bias correction the first value would be (1 - 0.98) · 2.3 = 0.046.
  for (double v : smooth_losses(std::vector<double>(50, 2.3), 0.98)) EXPECT_NEAR(v, 2.3, 1e-12);
}

TEST(LossSmoother, NaNPoisonsEveryLaterValue) {
  const auto s = smooth_losses({1, 2, kNaN, 1, 1}, 0.9);
  EXPECT_TRUE(std::isfinite(s[1]));
  for (int i = 2; i < 5; ++i) EXPECT_TRUE(std::isnan(s[i])) << i;
}

TEST(LrRules, ValleyIsFastaisPointAlongTheLongestDecrease) {
  // The longest decreasing subsequence ends at index 49 (the bottom) with length 31 (one flat point
  // + 30 falling ones): fastai's max_start = 49 - 31 = 18, sections = 31/3, idx = 18 + 10 + 5 = 33.
  const auto losses = valley_curve();
  std::vector<double> lrs;
  for (int i = 0; i < 70; ++i) lrs.push_back(1e-6 * std::pow(1.2, i));
  const LrSuggestion v = valley_rule(lrs, losses);
  EXPECT_EQ(v.rule, "valley");
  EXPECT_EQ(v.index, 33);
  EXPECT_DOUBLE_EQ(v.lr, lrs[33]);
  EXPECT_DOUBLE_EQ(v.point_loss, losses[33]);
}

TEST(LrRules, ValleyOfAFallingStartAndTheClampOfPythonsMinusOne) {
  // Falling from index 0: max_start = -1 (fastai's offset), 5 points: sections 5/3 -> idx -1+1+0 = 0.
  EXPECT_EQ(valley_rule(powers_of_ten(7), {5, 4, 3, 2, 1, 2, 3}).index, 0);
  // 10 falling points: max_start -1, sections 10/3 -> idx -1 + 3 + 1 = 3.
  EXPECT_EQ(valley_rule(powers_of_ten(10), {10, 9, 8, 7, 6, 5, 4, 3, 2, 1}).index, 3);
  // A 2-point valley at the start: Python's idx would be -1 (the last point); we clamp to 0.
  EXPECT_EQ(valley_rule(powers_of_ten(4), {2, 1, 3, 4}).index, 0);
  // Never falling: no valley, index 0.
  EXPECT_EQ(valley_rule(powers_of_ten(4), {1, 2, 3, 4}).index, 0);
}

TEST(LrRules, SteepestIsTheLeftEndOfTheSteepestSegmentPerLogLr) {
  // Equal log spacing: drops 0.1, 0.9, 0.1, 0.1: the steepest segment is 1 -> 2.
  const LrSuggestion s = steepest_rule(powers_of_ten(5), {3.0, 2.9, 2.0, 1.9, 1.8});
  EXPECT_EQ(s.index, 1);
  EXPECT_DOUBLE_EQ(s.lr, 1e-2);
  // Per log lr, not per step: a 0.5 drop over one decade beats a 0.6 drop over three.
  const LrSuggestion t = steepest_rule({1e-4, 1e-1, 1.0}, {3.0, 2.4, 1.9});
  EXPECT_EQ(t.index, 1);
}

TEST(LrRules, MinOver10IsATenthOfTheMinimumsLr) {
  const LrSuggestion m = min_over_10_rule(powers_of_ten(5), {3.0, 2.0, 1.0, 1.5, 4.0});
  EXPECT_EQ(m.rule, "min/10");
  EXPECT_EQ(m.index, 2);
  EXPECT_DOUBLE_EQ(m.point_lr, 1e-1);
  EXPECT_DOUBLE_EQ(m.lr, 1e-2);
  EXPECT_DOUBLE_EQ(m.point_loss, 1.0);
}

TEST(LrRules, SuggestTrimsLikeFastaiAndCutsAtTheFirstNaN) {
  // 100 requested steps: the first 10 and the last 5 points are dropped. Put the global minimum in
  // the first 10 and a huge drop in the last 5: neither may be chosen.
  std::vector<double> lrs = lr_sweep(1e-5, 1, 100, "exp");
  std::vector<double> s(100, 2.0);
  s[3] = 0.1;                                       // in the leading trim
  for (int i = 10; i < 95; ++i) s[i] = 2.0 - 0.01 * (i - 10);  // falls to 1.16 at 94
  s[97] = -50;                                      // in the trailing trim
  auto g = suggest_lrs(lrs, s, 100);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].rule, "valley");
  EXPECT_EQ(g[1].rule, "steepest");
  EXPECT_EQ(g[2].rule, "min/10");
  EXPECT_EQ(g[2].index, 94);  // indices are into the full curve
  EXPECT_DOUBLE_EQ(g[2].lr, lrs[94] / 10);
  for (const auto& x : g) EXPECT_TRUE(x.index >= 10 && x.index < 95) << x.rule << " " << x.index;
  // A NaN at 60 cuts the curve there: the minimum is now at 59.
  s[60] = kNaN;
  g = suggest_lrs(lrs, s, 100);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[2].index, 59);
  for (const auto& x : g) EXPECT_LT(x.index, 60) << x.rule;
}

TEST(LrRules, TooFewPointsGiveNoSuggestion) {
  // Diverged at step 16 of 100: points 10..10 remain after trimming (16 - 5 = 11): one point.
  EXPECT_TRUE(suggest_lrs(lr_sweep(1e-5, 1, 16, "exp"), std::vector<double>(16, 1.0), 100).empty());
  EXPECT_TRUE(suggest_lrs({}, {}, 100).empty());
  EXPECT_EQ(suggest_lrs(lr_sweep(1e-5, 1, 17, "exp"), std::vector<double>(17, 1.0), 100).size(), 3u);
}

TEST(LrFindOutput, JsonHasNullForNaNAndThePlotIsAPng) {
  LrFindResult r;
  r.name = "synthetic";
  r.optimizer = "sgd";
  r.batch_size = 8;
  r.options.steps = 70;
  r.lrs = lr_sweep(1e-6, 1, 70, "exp");
  r.losses = valley_curve();
  r.losses[69] = kNaN;
  r.smoothed = smooth_losses(r.losses, 0.5);
  r.stop_reason = "non_finite";
  r.stop_lr = r.lrs.back();
  r.best_index = 49;
  r.suggestions = suggest_lrs(r.lrs, r.smoothed, 70);
  ASSERT_FALSE(r.suggestions.empty());
  const auto j = nlohmann::json::parse(lr_find_json(r));
  EXPECT_TRUE(j["losses"][69].is_null());
  EXPECT_TRUE(j["smoothed"][69].is_null());
  EXPECT_EQ(j["lrs"].size(), 70u);
  EXPECT_EQ(j["suggested_rule"], "valley");
  EXPECT_DOUBLE_EQ(j["suggested_lr"].get<double>(), r.suggestions[0].lr);
  EXPECT_EQ(j["stop_reason"], "non_finite");

  gradnet::testing::TempDir tmp;
  plot_lr_find(tmp / "lr.png", r);
  const std::string png = gradnet::testing::read_file(tmp / "lr.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}
