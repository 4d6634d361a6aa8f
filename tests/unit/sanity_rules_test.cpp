// The gradient check's verdict in `gradnet sanity`: relative error below the tolerance, or, for a
// tensor above it, absolute errors all within the rounding-noise floor.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "gradnet/train/sanity.h"

using namespace gradnet;

namespace {
GradcheckReport report_of(std::vector<std::pair<double, double>> rel_abs) {
  GradcheckReport r;
  for (auto [rel, abs] : rel_abs) {
    TensorCheck t;
    t.name = "t";
    t.checked = 10;
    t.max_rel_error = rel;
    t.max_abs_error = abs;
    r.tensors.push_back(t);
  }
  return r;
}
}  // namespace

TEST(SanityGradcheck, NoiseFloorIsFifteenUlpsOfTheLossOverH) {
  const double eps = std::numeric_limits<double>::epsilon();
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(2.3, 1e-3), 15 * eps * 2.3 / 1e-3);
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(-4.0, 1e-3), 15 * eps * 4.0 / 1e-3);
  EXPECT_DOUBLE_EQ(gradcheck_noise_floor(0.01, 1e-3), 15 * eps * 1.0 / 1e-3);  // |L| counts as >= 1
}

TEST(SanityGradcheck, BelowTheToleranceEverywherePasses) {
  EXPECT_EQ(judge_gradcheck(report_of({{1e-9, 1e-9}, {5e-8, 1e-6}}), 1e-7, 1e-11), 0);
}

TEST(SanityGradcheck, AboveTheToleranceOnlyInNoiseIsExcused) {
  // Relative 5e-6 but every absolute error <= 8e-13: gradients of ~1e-7, pure rounding.
  EXPECT_EQ(judge_gradcheck(report_of({{1e-9, 1e-13}, {5e-6, 8e-13}, {1.0, 1e-12}}), 1e-7, 7.7e-12), 2);
}

TEST(SanityGradcheck, AboveTheToleranceWithARealAbsoluteErrorFails) {
  EXPECT_EQ(judge_gradcheck(report_of({{1e-9, 1e-13}, {2e-7, 1e-10}}), 1e-7, 7.7e-12), -1);
  EXPECT_EQ(judge_gradcheck(report_of({{0.5, 1e-3}}), 1e-7, 7.7e-12), -1);
}

TEST(SanityGradcheck, NaNFails) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(judge_gradcheck(report_of({{nan, 0.0}}), 1e-7, 7.7e-12), -1);
  EXPECT_EQ(judge_gradcheck(report_of({{nan, nan}}), 1e-7, 7.7e-12), -1);
}

TEST(SanityStatusNames, PrintAsWords) {
  EXPECT_STREQ(to_string(SanityStatus::pass), "PASS");
  EXPECT_STREQ(to_string(SanityStatus::fail), "FAIL");
  EXPECT_STREQ(to_string(SanityStatus::not_applicable), "N/A");
}
