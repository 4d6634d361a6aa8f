// diagnose_fit: the report's reading of the train/validation curves, with the numbers in words.
#include <cmath>

#include <gtest/gtest.h>

#include "gradnet/report.h"

using namespace gradnet;

namespace {
const double kNaN = std::nan("");

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }
}  // namespace

TEST(FitDiagnosis, ValidationTurningUpWhileTrainingFallsIsOverfitting) {
  // Validation loss bottoms out at epoch 3 (0.30) and ends at 0.42: 40% above, while the
  // training loss keeps falling from 0.25 to 0.05.
  const std::vector<FitPoint> e = {{0, 2.30, 0.10, 2.30, 0.10}, {1, 0.60, 0.82, 0.45, 0.86}, {2, 0.35, 0.90, 0.33, 0.90},
                                   {3, 0.25, 0.93, 0.30, 0.91}, {4, 0.12, 0.97, 0.36, 0.905}, {5, 0.05, 0.99, 0.42, 0.90}};
  const FitDiagnosis d = diagnose_fit(e);
  EXPECT_EQ(d.verdict, FitVerdict::overfitting);
  EXPECT_EQ(d.best_epoch, 3);
  EXPECT_NEAR(d.loss_gap, 0.37, 1e-12);
  EXPECT_NEAR(d.acc_gap, 0.09, 1e-12);
  EXPECT_TRUE(contains(d.text, "stopped improving at epoch 3 (0.3000)")) << d.text;
  EXPECT_TRUE(contains(d.text, "0.2500 → 0.0500")) << d.text;
  EXPECT_TRUE(contains(d.text, "0.370 in loss and 9.0 accuracy points")) << d.text;
  EXPECT_TRUE(contains(d.text, "early stopping")) << d.text;
}

TEST(FitDiagnosis, SmallWiggleOfValidationLossIsNotOverfitting) {
  // Best 0.300 at epoch 2, last 0.303: 1% above the minimum, inside the 2% tolerance; gaps small.
  const std::vector<FitPoint> e = {{0, 2.3, 0.1, 2.3, 0.1}, {1, 0.40, 0.88, 0.35, 0.89}, {2, 0.31, 0.91, 0.300, 0.91},
                                   {3, 0.305, 0.915, 0.303, 0.905}};
  const FitDiagnosis d = diagnose_fit(e);
  EXPECT_EQ(d.verdict, FitVerdict::good) << d.text;
  EXPECT_TRUE(contains(d.text, "No sign of overfitting")) << d.text;
}

TEST(FitDiagnosis, AccuracyGapWithoutRisingValidationLossIsAGap) {
  const std::vector<FitPoint> e = {{0, 2.3, 0.1, 2.3, 0.1}, {1, 0.30, 0.92, 0.40, 0.87}, {2, 0.20, 0.95, 0.38, 0.88}};
  const FitDiagnosis d = diagnose_fit(e);
  EXPECT_EQ(d.verdict, FitVerdict::gap) << d.text;
  EXPECT_EQ(d.best_epoch, 2);
  EXPECT_TRUE(contains(d.text, "at its lowest at the last epoch")) << d.text;
  EXPECT_TRUE(contains(d.text, "7.0 accuracy points")) << d.text;
}

TEST(FitDiagnosis, BothLossesStillFallingSaysMoreEpochsWouldHelp) {
  const std::vector<FitPoint> e = {{0, 2.3, 0.1, 2.3, 0.1}, {1, 0.90, 0.70, 0.85, 0.72}, {2, 0.70, 0.78, 0.68, 0.79}};
  const FitDiagnosis d = diagnose_fit(e);
  EXPECT_EQ(d.verdict, FitVerdict::still_improving) << d.text;
  EXPECT_TRUE(contains(d.text, "more epochs")) << d.text;
  EXPECT_TRUE(contains(d.text, "Validation is even ahead of training")) << d.text;
}

TEST(FitDiagnosis, WithoutValidationTheGapIsUnknown) {
  const std::vector<FitPoint> e = {{0, 2.3, 0.1, kNaN, kNaN}, {1, 0.5, 0.85, kNaN, kNaN}};
  const FitDiagnosis d = diagnose_fit(e);
  EXPECT_EQ(d.verdict, FitVerdict::no_validation);
  EXPECT_TRUE(contains(d.text, "data.validation")) << d.text;
  EXPECT_EQ(diagnose_fit({}).verdict, FitVerdict::no_data);
}

TEST(FitDiagnosis, RunThatStoppedInItsFirstEpochHasNothingToCompare) {
  // A diverged run keeps only its step-0 record.
  const FitDiagnosis d = diagnose_fit({{0, 0.86, 0.11, 0.89, 0.125}});
  EXPECT_EQ(d.verdict, FitVerdict::no_data);
  EXPECT_TRUE(contains(d.text, "No epoch finished")) << d.text;
}
