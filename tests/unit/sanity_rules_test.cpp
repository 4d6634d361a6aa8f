// The gradient check's verdict, one rule for `gradnet gradcheck` and `gradnet sanity`
// (gradcheck.h): each element within the tolerance or within the rounding-noise floor of its step;
// a tensor with nothing checked is not verified and fails.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "gradnet/train/sanity.h"

using namespace gradnet;

namespace {
// Tensors with the given relative error above the noise floor and elements checked.
GradcheckReport report_of(std::vector<std::pair<double, Index>> above_noise_checked) {
  GradcheckReport r;
  for (auto [rel, checked] : above_noise_checked) {
    TensorCheck t;
    t.name = "t";
    t.size = 10;
    t.checked = checked;
    t.max_rel_error = t.max_rel_error_above_noise = rel;
    r.tensors.push_back(t);
  }
  return r;
}
}  // namespace

TEST(GradcheckRule, NoiseFloorIsFifteenUlpsOfTheLossOverH) {
  const double eps = std::numeric_limits<double>::epsilon();
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(2.3, 1e-3), 15 * eps * 2.3 / 1e-3);
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(-4.0, 1e-3), 15 * eps * 4.0 / 1e-3);
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(0.01, 1e-3), 15 * eps * 1.0 / 1e-3);  // |L| counts as >= 1
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(2.3, 1e-5), 100 * gradcheck_noise_floor(2.3, 1e-3));  // a smaller step
}

TEST(GradcheckRule, BelowTheToleranceAboveTheNoiseFloorPasses) {
  EXPECT_TRUE(report_of({{1e-9, 10}, {5e-8, 3}}).passed(1e-7));
  EXPECT_EQ(report_of({{1e-9, 10}, {5e-8, 3}}).unverified(), 0);
}

TEST(GradcheckRule, AboveTheToleranceAboveTheNoiseFloorFails) {
  const GradcheckReport r = report_of({{1e-9, 10}, {2e-7, 10}});
  EXPECT_FALSE(r.passed(1e-7));
  EXPECT_STREQ(gradcheck_verdict(r.tensors[1], 1e-7), "suspicious");
  EXPECT_STREQ(gradcheck_verdict(report_of({{0.5, 10}}).tensors[0], 1e-7), "wrong");
}

TEST(GradcheckRule, ErrorsWithinTheNoiseFloorAreExcused) {
  // The raw relative error is large, but every element above the tolerance was within the floor.
  GradcheckReport r = report_of({{1e-9, 10}});
  r.tensors[0].max_rel_error = 5e-6;
  r.tensors[0].within_noise = 4;
  EXPECT_TRUE(r.passed(1e-7));
  EXPECT_STREQ(gradcheck_verdict(r.tensors[0], 1e-7), "good");
}

TEST(GradcheckRule, NothingCheckedIsNotVerifiedAndFails) {
  const GradcheckReport r = report_of({{0.0, 10}, {0.0, 0}});
  EXPECT_FALSE(r.passed(1e-7));
  EXPECT_FALSE(r.tensors[1].verified());
  EXPECT_EQ(r.unverified(), 1);
  EXPECT_STREQ(gradcheck_verdict(r.tensors[1], 1e-7), "not verified");
}

TEST(GradcheckRule, NaNFails) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(report_of({{nan, 10}}).passed(1e-7));
  EXPECT_TRUE(std::isnan(report_of({{1e-9, 10}, {nan, 10}, {1e-8, 10}}).max_rel_error_above_noise()));
}

TEST(SanityStatusNames, PrintAsWords) {
  EXPECT_STREQ(to_string(SanityStatus::pass), "PASS");
  EXPECT_STREQ(to_string(SanityStatus::fail), "FAIL");
  EXPECT_STREQ(to_string(SanityStatus::not_applicable), "N/A");
}
